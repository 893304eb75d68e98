// Exact IEEE 754-2008 soft-float for the RISC-V F and D extensions (the contract the hart calls).

import { ExactFloat } from './exact-float.js';
import { BINARY32, BINARY64 } from './float-format.js';

/** RISC-V rounding modes (frm / instruction rm field). 5 and 6 are reserved; 7 = dynamic. */
export const enum RoundingMode {
  RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4,
}

/** fflags bits. */
export const enum FFlag {
  NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16,
}

const MIN_NORMAL32 = 2 ** -126;
const MAX32 = (2 - 2 ** -23) * 2 ** 127;
const MIN_NORMAL64 = 2 ** -1022;
const MAX64 = Number.MAX_VALUE;
const TWO_52 = 2 ** 52;
/** Sign bit of an int32 word (also right for operands passed as uint32 numbers). */
const SIGN = 0x80000000 | 0;
/** Dekker's products are exact when operands and product stay inside these magnitudes. */
const DEKKER_MIN = 2 ** -960;
const DEKKER_MAX = 2 ** 995;
/** Veltkamp splitting constant 2^27 + 1. */
const SPLIT = 134217729;
const TWO_32 = 4294967296;
const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;

/**
 * IEEE 754-2008 binary32/binary64 arithmetic exactly as RISC-V F/D specify it (canonical NaN
 * results, tininess detected after rounding, all five rounding modes, exact FMA).
 * Operands are raw bit patterns: binary32 as one int32, binary64 as (lo, hi) int32 halves.
 * Each call sets `lo` (and `hi` for 64-bit results) to the result and `flags` to the exception
 * flags it raised (the caller ORs them into fflags). No allocation on the common paths.
 * `rm` is always a resolved mode 0..4 (the CPU handles DYN and reserved modes).
 *
 * Fast paths use host doubles (correctly rounded to nearest-even) and prove the flags with
 * error-free transformations (TwoSum, Dekker's product); everything else goes to ExactFloat.
 */
export class SoftFloat {
  /** Low 32 bits of the last result (the whole result for binary32, int32 and booleans). */
  lo = 0;
  /** High 32 bits of the last 64-bit result (binary64, int64/uint64). */
  hi = 0;
  /** FFlag bits raised by the last operation. */
  flags = 0;

  private readonly exact = new ExactFloat();
  private readonly f64 = new Float64Array(1);
  private readonly w64 = new Int32Array(this.f64.buffer);
  private readonly f32 = new Float32Array(1);
  private readonly w32 = new Int32Array(this.f32.buffer);
  /** Index in w64 of the low word (0 on little-endian hosts). */
  private readonly loWord: number;
  private readonly hiWord: number;

  constructor() {
    this.f64[0] = 1;
    this.loWord = this.w64[1] === 0x3ff00000 ? 0 : 1;
    this.hiWord = 1 - this.loWord;
  }

  // ---- binary32 arithmetic ----

  /** FADD.S */
  add32(a: number, b: number, rm: number): void {
    this.addSub32(a, b, rm, false);
  }

  /** FSUB.S */
  sub32(a: number, b: number, rm: number): void {
    this.addSub32(a, b, rm, true);
  }

  /** FMUL.S */
  mul32(a: number, b: number, rm: number): void {
    if (!special32(a) && !special32(b)) {
      const p = this.d32(a) * this.d32(b); // exact: 24 x 24 bits
      const r = Math.fround(p);
      if (rm === RoundingMode.RNE || r === p ? this.finish32(r, r === p) : this.directed32(r, p - r, true, rm)) return;
    }
    this.put32(this.exact.mul(BINARY32, u32(a), u32(b), rm));
  }

  /** FDIV.S (DZ for finite / 0) */
  div32(a: number, b: number, rm: number): void {
    if (!special32(a) && !special32(b) && (b & 0x7fffffff) !== 0) {
      const x = this.d32(a);
      const y = this.d32(b);
      // Double rounding through binary64 is innocuous for division (53 >= 2*24).
      const r = Math.fround(x / y);
      const d = x - r * y; // r*y is exact (24 x 24 bits): d has the sign of (x/y - r)·y
      if (rm === RoundingMode.RNE || d === 0 ? this.finish32(r, d === 0) : this.directed32(r, y > 0 ? d : -d, false, rm)) return;
    }
    this.put32(this.exact.div(BINARY32, u32(a), u32(b), rm));
  }

  /** FSQRT.S (NV for negative operands other than -0) */
  sqrt32(a: number, rm: number): void {
    if ((a & SIGN) === 0 && !special32(a)) {
      const x = this.d32(a);
      const r = Math.fround(Math.sqrt(x)); // innocuous double rounding (53 >= 2*24+2)
      const d = x - r * r; // r*r is exact
      if (rm === RoundingMode.RNE || d === 0 ? this.finish32(r, d === 0) : this.directed32(r, d, false, rm)) return;
    }
    this.put32(this.exact.sqrt(BINARY32, u32(a), rm));
  }

  /** (±a·b) ± c with one rounding: negProduct negates a·b, negAddend negates c (FMSUB/FNMADD…). */
  fma32(a: number, b: number, c: number, rm: number, negProduct: boolean, negAddend: boolean): void {
    if (!special32(a) && !special32(b) && !special32(c)) {
      let p = this.d32(a) * this.d32(b); // exact
      let z = this.d32(c);
      if (negProduct) p = -p;
      if (negAddend) z = -z;
      if (p !== 0) {
        const s = p + z;
        const t = s - p;
        const e = (p - (s - t)) + (z - t);
        const r = Math.fround(s);
        // The exact sum is s+e. Rounding it to nearest equals rounding s unless s is a binary32
        // midpoint and e != 0; directed modes only need the side, the sign of (s - r) + e.
        const exact = e === 0 && r === s;
        if (exact) {
          if ((r !== 0 || rm === RoundingMode.RNE) && this.finish32(r, true)) return;
        } else if (e !== 0 && r !== s && (rm === RoundingMode.RNE || rm === RoundingMode.RMM) && isMidpoint32(s, r)) {
          // exact path
        } else if (rm === RoundingMode.RNE ? this.finish32(r, false) : this.directed32(r, (s - r) + e, e === 0, rm)) {
          return;
        }
      }
    }
    this.put32(this.exact.fma(BINARY32, u32(a), u32(b), u32(c), rm, negProduct, negAddend));
  }

  /** IEEE 754-2019 minimumNumber/maximumNumber as RISC-V F 2.2 defines them. */
  min32(a: number, b: number): void {
    this.minMax32(a, b, true);
  }

  /** FMAX.S (see min32) */
  max32(a: number, b: number): void {
    this.minMax32(a, b, false);
  }

  /** Comparisons: lo = 1 or 0. feq signals NV only for sNaN; flt/fle for any NaN. */
  eq32(a: number, b: number): void {
    if (isNaN32(a) || isNaN32(b)) {
      this.flags = isSNaN32(a) || isSNaN32(b) ? FFlag.NV : 0;
      this.lo = 0;
      return;
    }
    this.flags = 0;
    this.lo = this.d32(a) === this.d32(b) ? 1 : 0;
  }

  /** FLT.S: signaling, NV for any NaN operand. */
  lt32(a: number, b: number): void {
    if (isNaN32(a) || isNaN32(b)) {
      this.flags = FFlag.NV;
      this.lo = 0;
      return;
    }
    this.flags = 0;
    this.lo = this.d32(a) < this.d32(b) ? 1 : 0;
  }

  /** FLE.S: signaling, NV for any NaN operand. */
  le32(a: number, b: number): void {
    if (isNaN32(a) || isNaN32(b)) {
      this.flags = FFlag.NV;
      this.lo = 0;
      return;
    }
    this.flags = 0;
    this.lo = this.d32(a) <= this.d32(b) ? 1 : 0;
  }

  /** fclass: lo = the 10-bit class mask. */
  class32(a: number): void {
    this.flags = 0;
    this.lo = classify((a & SIGN) !== 0, (a >>> 23) & 0xff, 0xff, (a & 0x7fffff) !== 0, (a & 0x400000) !== 0);
  }

  // ---- binary64 arithmetic ----

  /** FADD.D */
  add64(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): void {
    this.addSub64(aLo, aHi, bLo, bHi, rm, false);
  }

  /** FSUB.D */
  sub64(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): void {
    this.addSub64(aLo, aHi, bLo, bHi, rm, true);
  }

  /** FMUL.D */
  mul64(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): void {
    if (!special64(aHi) && !special64(bHi)) {
      const x = bitsToDouble(aLo, aHi);
      const y = bitsToDouble(bLo, bHi);
      const p = x * y;
      if (x === 0 || y === 0) return this.set64(p, 0);
      if (dekkerSafe(x) && dekkerSafe(y) && dekkerSafe(p)) {
        const e = twoProductErr(x, y, p);
        if (e === 0) return this.set64(p, 0);
        if (rm === RoundingMode.RNE) return this.set64(p, FFlag.NX);
        if (this.directed64(p, e, true, rm)) return;
      }
    }
    this.put64(this.exact.mul(BINARY64, u64(aLo, aHi), u64(bLo, bHi), rm));
  }

  /** FDIV.D (DZ for finite / 0) */
  div64(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): void {
    if (!special64(aHi) && !special64(bHi)) {
      const x = bitsToDouble(aLo, aHi);
      const y = bitsToDouble(bLo, bHi);
      if (y !== 0) {
        const q = x / y;
        if (x === 0) return this.set64(q, 0);
        if (dekkerSafe(x) && dekkerSafe(y) && dekkerSafe(q)) {
          // q·y = ph + pl exactly and x - ph is exact (Sterbenz), so d = x - q·y has the sign of
          // (x/y - q)·y and is zero iff the quotient is exact. A quotient is never a tie.
          const ph = q * y;
          const d = (x - ph) - twoProductErr(q, y, ph);
          if (d === 0) return this.set64(q, 0);
          if (rm === RoundingMode.RNE) return this.set64(q, FFlag.NX);
          if (this.directed64(q, y > 0 ? d : -d, false, rm)) return;
        }
      }
    }
    this.put64(this.exact.div(BINARY64, u64(aLo, aHi), u64(bLo, bHi), rm));
  }

  /** FSQRT.D (NV for negative operands other than -0) */
  sqrt64(aLo: number, aHi: number, rm: number): void {
    if ((aHi & SIGN) === 0 && !special64(aHi)) {
      const x = bitsToDouble(aLo, aHi);
      if (x === 0) return this.set64(x, 0);
      if (dekkerSafe(x)) {
        const s = Math.sqrt(x);
        const ph = s * s;
        // d = x - s² exactly signed (Sterbenz + TwoProduct); a square root is never a tie.
        const d = (x - ph) - twoProductErr(s, s, ph);
        if (d === 0) return this.set64(s, 0);
        if (rm === RoundingMode.RNE) return this.set64(s, FFlag.NX);
        if (this.directed64(s, d, false, rm)) return;
      }
    }
    this.put64(this.exact.sqrt(BINARY64, u64(aLo, aHi), rm));
  }

  /** FMADD.D family, as fma32. */
  fma64(aLo: number, aHi: number, bLo: number, bHi: number, cLo: number, cHi: number, rm: number, negProduct: boolean, negAddend: boolean): void {
    if (!special64(aHi) && !special64(bHi) && addSafe64(cHi)) {
      const x = bitsToDouble(aLo, aHi);
      const y = bitsToDouble(bLo, bHi);
      let ph = x * y;
      if (ph !== 0 && dekkerSafe(x) && dekkerSafe(y) && dekkerSafe(ph)) {
        let pl = twoProductErr(x, y, ph); // x·y = ph + pl exactly
        let z = bitsToDouble(cLo, cHi);
        if (negProduct) {
          ph = -ph;
          pl = -pl;
        }
        if (negAddend) z = -z;
        if (pl === 0 ? this.sum64(ph, z, rm) : this.sum3(ph, pl, z, rm)) return;
      }
    }
    this.put64(this.exact.fma(BINARY64, u64(aLo, aHi), u64(bLo, bHi), u64(cLo, cHi), rm, negProduct, negAddend));
  }

  /** FMIN.D, as min32. */
  min64(aLo: number, aHi: number, bLo: number, bHi: number): void {
    this.minMax64(aLo, aHi, bLo, bHi, true);
  }

  /** FMAX.D, as min32. */
  max64(aLo: number, aHi: number, bLo: number, bHi: number): void {
    this.minMax64(aLo, aHi, bLo, bHi, false);
  }

  /** FEQ.D: quiet, NV only for sNaN operands. */
  eq64(aLo: number, aHi: number, bLo: number, bHi: number): void {
    if (isNaN64(aLo, aHi) || isNaN64(bLo, bHi)) {
      this.flags = isSNaN64(aLo, aHi) || isSNaN64(bLo, bHi) ? FFlag.NV : 0;
      this.lo = 0;
      return;
    }
    this.flags = 0;
    this.lo = bitsToDouble(aLo, aHi) === bitsToDouble(bLo, bHi) ? 1 : 0;
  }

  /** FLT.D: signaling, NV for any NaN operand. */
  lt64(aLo: number, aHi: number, bLo: number, bHi: number): void {
    if (isNaN64(aLo, aHi) || isNaN64(bLo, bHi)) {
      this.flags = FFlag.NV;
      this.lo = 0;
      return;
    }
    this.flags = 0;
    this.lo = bitsToDouble(aLo, aHi) < bitsToDouble(bLo, bHi) ? 1 : 0;
  }

  /** FLE.D: signaling, NV for any NaN operand. */
  le64(aLo: number, aHi: number, bLo: number, bHi: number): void {
    if (isNaN64(aLo, aHi) || isNaN64(bLo, bHi)) {
      this.flags = FFlag.NV;
      this.lo = 0;
      return;
    }
    this.flags = 0;
    this.lo = bitsToDouble(aLo, aHi) <= bitsToDouble(bLo, bHi) ? 1 : 0;
  }

  /** FCLASS.D: lo = the 10-bit class mask. */
  class64(aLo: number, aHi: number): void {
    this.flags = 0;
    this.lo = classify((aHi & SIGN) !== 0, (aHi >>> 20) & 0x7ff, 0x7ff, ((aHi & 0xfffff) | aLo) !== 0, (aHi & 0x80000) !== 0);
  }

  // ---- conversions ----

  /** Float → integer with RISC-V saturation (NaN → max positive) and NV/NX flags.
   *  32-bit results in lo (as int32 bit pattern); 64-bit results in lo/hi. FCVT.W.S. */
  f32ToI32(a: number, rm: number): void {
    this.toInt32(this.d32(a), isNaN32(a), rm, false);
  }

  /** FCVT.WU.S (negative results saturate to 0, NaN to 2^32-1). */
  f32ToU32(a: number, rm: number): void {
    this.toInt32(this.d32(a), isNaN32(a), rm, true);
  }

  /** FCVT.L.S */
  f32ToI64(a: number, rm: number): void {
    this.toInt64(this.d32(a), isNaN32(a), rm, false);
  }

  /** FCVT.LU.S */
  f32ToU64(a: number, rm: number): void {
    this.toInt64(this.d32(a), isNaN32(a), rm, true);
  }

  /** FCVT.W.D */
  f64ToI32(aLo: number, aHi: number, rm: number): void {
    this.toInt32(bitsToDouble(aLo, aHi), isNaN64(aLo, aHi), rm, false);
  }

  /** FCVT.WU.D */
  f64ToU32(aLo: number, aHi: number, rm: number): void {
    this.toInt32(bitsToDouble(aLo, aHi), isNaN64(aLo, aHi), rm, true);
  }

  /** FCVT.L.D */
  f64ToI64(aLo: number, aHi: number, rm: number): void {
    this.toInt64(bitsToDouble(aLo, aHi), isNaN64(aLo, aHi), rm, false);
  }

  /** FCVT.LU.D */
  f64ToU64(aLo: number, aHi: number, rm: number): void {
    this.toInt64(bitsToDouble(aLo, aHi), isNaN64(aLo, aHi), rm, true);
  }

  /** Integer → float; 64-bit integer sources as (lo, hi). FCVT.S.W. */
  i32ToF32(v: number, rm: number): void {
    this.exactToF32(v | 0, rm);
  }

  /** FCVT.S.WU */
  u32ToF32(v: number, rm: number): void {
    this.exactToF32(v >>> 0, rm);
  }

  /** FCVT.S.L */
  i64ToF32(lo: number, hi: number, rm: number): void {
    hi |= 0;
    if (hi >= -0x200000 && hi < 0x200000) this.exactToF32(hi * TWO_32 + (lo >>> 0), rm);
    else this.put32(this.exact.fromInt(BINARY32, BigInt.asIntN(64, u64(lo, hi)), rm));
  }

  /** FCVT.S.LU */
  u64ToF32(lo: number, hi: number, rm: number): void {
    if (hi >>> 0 < 0x200000) this.exactToF32((hi >>> 0) * TWO_32 + (lo >>> 0), rm);
    else this.put32(this.exact.fromInt(BINARY32, u64(lo, hi), rm));
  }

  /** FCVT.D.W (always exact) */
  i32ToF64(v: number, _rm: number): void {
    this.set64(v | 0, 0);
  }

  /** FCVT.D.WU (always exact) */
  u32ToF64(v: number, _rm: number): void {
    this.set64(v >>> 0, 0);
  }

  /** FCVT.D.L */
  i64ToF64(lo: number, hi: number, rm: number): void {
    this.intToF64(hi | 0, lo, rm, false);
  }

  /** FCVT.D.LU */
  u64ToF64(lo: number, hi: number, rm: number): void {
    this.intToF64(hi >>> 0, lo, rm, true);
  }

  /** Precision conversions (FCVT.D.S is exact except sNaN → NV; FCVT.S.D rounds). FCVT.D.S. */
  f32ToF64(a: number): void {
    if (special32(a)) this.put64(this.exact.convert(BINARY32, BINARY64, u32(a), RoundingMode.RNE));
    else this.set64(this.d32(a), 0);
  }

  /** FCVT.S.D: rounds; NV for sNaN, OF/UF/NX as for arithmetic. */
  f64ToF32(aLo: number, aHi: number, rm: number): void {
    if (special64(aHi)) this.put32(this.exact.convert(BINARY64, BINARY32, u64(aLo, aHi), rm));
    else this.exactToF32(bitsToDouble(aLo, aHi), rm);
  }

  // ---- internals ----

  private addSub32(a: number, b: number, rm: number, negB: boolean): void {
    if (!special32(a) && !special32(b)) {
      const x = this.d32(a);
      const y = negB ? -this.d32(b) : this.d32(b);
      const s = x + y;
      const t = s - x;
      const e = (x - (s - t)) + (y - t); // TwoSum: x + y = s + e exactly
      const r = Math.fround(s); // innocuous double rounding for + (53 >= 2*24+1)
      const exact = e === 0 && r === s;
      // An exact zero sum takes its sign from the rounding mode: leave that to the exact path.
      if (rm === RoundingMode.RNE || (exact && r !== 0) ? this.finish32(r, exact) : !exact && this.directed32(r, (s - r) + e, e === 0, rm)) return;
    }
    this.put32(this.exact.add(BINARY32, u32(a), u32(b), rm, negB));
  }

  private addSub64(aLo: number, aHi: number, bLo: number, bHi: number, rm: number, negB: boolean): void {
    if (addSafe64(aHi) && addSafe64(bHi)) {
      const x = bitsToDouble(aLo, aHi);
      const y = bitsToDouble(bLo, bHi);
      if (this.sum64(x, negB ? -y : y, rm)) return;
    }
    this.put64(this.exact.add(BINARY64, u64(aLo, aHi), u64(bLo, bHi), rm, negB));
  }

  /** Rounds an exactly held double (a binary64 value or an integer < 2^53) to binary32. */
  private exactToF32(x: number, rm: number): void {
    const r = Math.fround(x);
    if (r === x) {
      this.set32(r);
      this.flags = 0;
      return;
    }
    if (rm === RoundingMode.RNE ? this.finish32(r, false) : this.directed32(r, x - r, true, rm)) return;
    this.f64[0] = x;
    this.put32(this.exact.convert(BINARY64, BINARY32, u64(this.w64[this.loWord], this.w64[this.hiWord]), rm));
  }

  private intToF64(hi: number, lo: number, rm: number, unsigned: boolean): void {
    const h = hi * TWO_32;
    const l = lo >>> 0;
    const s = h + l;
    // Fast2Sum error (|h| >= |l| whenever h != 0).
    const e = l - (s - h);
    if (e === 0) return this.set64(s, 0);
    if (rm === RoundingMode.RNE) return this.set64(s, FFlag.NX);
    if (this.directed64(s, e, true, rm)) return;
    this.put64(this.exact.fromInt(BINARY64, unsigned ? u64(lo, hi) : BigInt.asIntN(64, u64(lo, hi)), rm));
  }

  private toInt32(x: number, nan: boolean, rm: number, unsigned: boolean): void {
    if (nan) {
      this.lo = unsigned ? -1 : 0x7fffffff;
      this.flags = FFlag.NV;
      return;
    }
    const r = roundToIntegral(x, rm);
    if (unsigned ? r >= 0 && r <= 0xffffffff : r >= -0x80000000 && r <= 0x7fffffff) {
      this.lo = r | 0;
      this.flags = r === x ? 0 : FFlag.NX;
      return;
    }
    this.flags = FFlag.NV;
    if (unsigned) this.lo = x < 0 ? 0 : -1;
    else this.lo = x < 0 ? -0x80000000 : 0x7fffffff;
  }

  private toInt64(x: number, nan: boolean, rm: number, unsigned: boolean): void {
    if (nan) {
      this.lo = -1;
      this.hi = unsigned ? -1 : 0x7fffffff;
      this.flags = FFlag.NV;
      return;
    }
    const r = roundToIntegral(x, rm);
    if (unsigned ? r >= 0 && r < TWO_64 : r >= -TWO_63 && r < TWO_63) {
      const h = Math.floor(r / TWO_32);
      this.hi = h | 0;
      this.lo = (r - h * TWO_32) | 0;
      this.flags = r === x ? 0 : FFlag.NX;
      return;
    }
    this.flags = FFlag.NV;
    if (x < 0) {
      this.lo = 0;
      this.hi = unsigned ? 0 : -0x80000000;
    } else {
      this.lo = -1;
      this.hi = unsigned ? -1 : 0x7fffffff;
    }
  }

  private minMax32(a: number, b: number, isMin: boolean): void {
    const an = isNaN32(a);
    const bn = isNaN32(b);
    this.flags = isSNaN32(a) || isSNaN32(b) ? FFlag.NV : 0;
    if (an || bn) {
      this.lo = an && bn ? 0x7fc00000 : an ? b | 0 : a | 0;
      return;
    }
    const x = this.d32(a);
    const y = this.d32(b);
    // Equal values differ at most in the sign of zero, where -0 < +0.
    if (x === y) this.lo = ((a & SIGN) !== 0) === isMin ? a | 0 : b | 0;
    else this.lo = (x < y) === isMin ? a | 0 : b | 0;
  }

  private minMax64(aLo: number, aHi: number, bLo: number, bHi: number, isMin: boolean): void {
    const an = isNaN64(aLo, aHi);
    const bn = isNaN64(bLo, bHi);
    this.flags = isSNaN64(aLo, aHi) || isSNaN64(bLo, bHi) ? FFlag.NV : 0;
    let pickA: boolean;
    if (an || bn) {
      if (an && bn) {
        this.lo = 0;
        this.hi = 0x7ff80000;
        return;
      }
      pickA = bn;
    } else {
      const x = bitsToDouble(aLo, aHi);
      const y = bitsToDouble(bLo, bHi);
      pickA = x === y ? ((aHi & SIGN) !== 0) === isMin : (x < y) === isMin;
    }
    this.lo = (pickA ? aLo : bLo) | 0;
    this.hi = (pickA ? aHi : bHi) | 0;
  }

  /**
   * x + y for |x|, |y| < 2^1022 (no overflow anywhere; a sum in the subnormal range is exact),
   * via TwoSum. Returns false when the exact path must decide (the sign of an exact zero in
   * non-RNE modes, directed rounding next to the range limits).
   */
  private sum64(x: number, y: number, rm: number): boolean {
    const s = x + y;
    const t = s - x;
    const e = (x - (s - t)) + (y - t);
    if (e === 0) {
      if (s === 0 && rm !== RoundingMode.RNE) return false;
      this.set64(s, 0);
      return true;
    }
    if (rm === RoundingMode.RNE) {
      this.set64(s, FFlag.NX);
      return true;
    }
    return this.directed64(s, e, true, rm);
  }

  /**
   * Correctly rounded ph + pl + z (|ph| < 2^995, |z| < 2^1022): TwoSum cascades give the exact
   * value as r + c1 + c2 with r a candidate and |c2| <= ulp(c1)/2; r is the nearest when |c1|
   * is below half the gap on its side, c2 settles the midpoint. Otherwise (and near the range
   * limits, or for a zero candidate) returns false for the exact path.
   */
  private sum3(ph: number, pl: number, z: number, rm: number): boolean {
    const s1 = ph + z;
    let t = s1 - ph;
    const e1 = (ph - (s1 - t)) + (z - t);
    const s2 = e1 + pl;
    t = s2 - e1;
    const e2 = (e1 - (s2 - t)) + (pl - t);
    const r = s1 + s2;
    t = r - s1;
    const e3 = (s1 - (r - t)) + (s2 - t);
    const c1 = e3 + e2;
    const m = Math.abs(r);
    if (!(m > MIN_NORMAL64 && m < MAX64)) return false;
    if (c1 === 0) {
      this.set64(r, 0);
      return true;
    }
    this.f64[0] = r;
    const hi = this.w64[this.hiWord];
    const ulp = POW2[(hi >>> 20) & 0x7ff];
    const lo = this.w64[this.loWord];
    const down = (hi & 0xfffff) === 0 && lo === 0 ? ulp / 2 : ulp;
    const away = (c1 > 0) === (r > 0);
    const gap = away ? ulp : down;
    const twice = Math.abs(c1) * 2;
    if (twice > gap) return false;
    let result = r;
    if (rm !== RoundingMode.RNE && rm !== RoundingMode.RMM) {
      result = stepRounding(r, c1, false, rm, ulp, down);
    } else if (twice === gap) {
      // v sits at (c2 = 0) or just beside the midpoint between r and its neighbour.
      const t2 = c1 - e3;
      const c2 = (e3 - (c1 - t2)) + (e2 - t2);
      const neighbour = c1 > 0 ? r + gap : r - gap;
      if (c2 !== 0) result = (c2 > 0) === (c1 > 0) ? neighbour : r;
      else if (rm === RoundingMode.RMM) result = away ? neighbour : r;
      else result = (lo & 1) === 0 ? r : neighbour;
    }
    this.set64(result, FFlag.NX);
    return true;
  }

  /**
   * Directed rounding from the round-to-nearest result: s = RNE(v) with v inexact, err has the
   * sign of v - s (and is exactly v - s when errExact, which lets RMM detect ties). Sets the
   * result and NX; returns false next to the normal range limits (UF/OF need the exact path).
   */
  private directed64(s: number, err: number, errExact: boolean, rm: number): boolean {
    const m = Math.abs(s);
    if (!(m > MIN_NORMAL64 && m < MAX64)) return false;
    this.f64[0] = s;
    const hi = this.w64[this.hiWord];
    const ulp = POW2[(hi >>> 20) & 0x7ff];
    // Gap to the neighbour nearer zero: half an ulp below a power of two.
    const down = (hi & 0xfffff) === 0 && this.w64[this.loWord] === 0 ? ulp / 2 : ulp;
    this.set64(stepRounding(s, err, errExact, rm, ulp, down), FFlag.NX);
    return true;
  }

  /** binary32 twin of directed64 (r = RNE result as a double). */
  private directed32(r: number, err: number, errExact: boolean, rm: number): boolean {
    const m = Math.abs(r);
    if (!(m > MIN_NORMAL32 && m < MAX32)) return false;
    this.f32[0] = r;
    const bits = this.w32[0];
    const ulp = POW2[((bits >>> 23) & 0xff) + 925]; // 2^(e - 150)
    const down = (bits & 0x7fffff) === 0 ? ulp / 2 : ulp;
    this.set32(stepRounding(r, err, errExact, rm, ulp, down));
    this.flags = FFlag.NX;
    return true;
  }

  /**
   * Completes an RNE binary32 fast path: r is the correctly rounded result of an exact value
   * and `exact` says whether they are equal. Returns false when the flags need the exact path
   * (an inexact result that may be tiny).
   */
  private finish32(r: number, exact: boolean): boolean {
    if (exact) {
      this.flags = 0;
    } else if (Math.abs(r) > MIN_NORMAL32) {
      this.flags = r === Infinity || r === -Infinity ? FFlag.OF | FFlag.NX : FFlag.NX;
    } else {
      return false;
    }
    this.set32(r);
    return true;
  }

  private d32(bits: number): number {
    this.w32[0] = bits;
    return this.f32[0];
  }

  private set32(x: number): void {
    this.f32[0] = x;
    this.lo = this.w32[0];
  }

  private set64(x: number, flags: number): void {
    this.f64[0] = x;
    this.lo = this.w64[this.loWord];
    this.hi = this.w64[this.hiWord];
    this.flags = flags;
  }

  private put32(bits: bigint): void {
    this.lo = Number(bits) | 0;
    this.flags = this.exact.flags;
  }

  private put64(bits: bigint): void {
    this.lo = Number(bits & 0xffffffffn) | 0;
    this.hi = Number(bits >> 32n) | 0;
    this.flags = this.exact.flags;
  }
}

/**
 * The correctly rounded neighbour for mode rm, given s = RNE(v), the sign of err = v - s, the
 * gap `ulp` to the neighbour away from zero and `down` to the one towards zero.
 */
function stepRounding(s: number, err: number, errExact: boolean, rm: number, ulp: number, down: number): number {
  const positive = s > 0;
  const away = (err > 0) === positive; // v is farther from zero than s
  switch (rm) {
    case RoundingMode.RTZ: return away ? s : positive ? s - down : s + down;
    case RoundingMode.RDN: return err > 0 ? s : positive ? s - down : s - ulp;
    case RoundingMode.RUP: return err < 0 ? s : positive ? s + ulp : s + down;
    // RMM differs from RNE only on a tie that RNE resolved towards zero.
    case RoundingMode.RMM: return away && errExact && Math.abs(err) * 2 === ulp ? (positive ? s + ulp : s - ulp) : s;
    default: return s;
  }
}

/**
 * A binary64 bit pattern as a JS number, built arithmetically: two 32-bit stores followed by a
 * 64-bit load defeat store forwarding and measured 2-3x slower.
 */
function bitsToDouble(lo: number, hi: number): number {
  const e = (hi >>> 20) & 0x7ff;
  const m = (hi & 0xfffff) * TWO_32 + (lo >>> 0);
  let x: number;
  if (e === 0) x = m * POW2[1];
  else if (e === 0x7ff) x = m === 0 ? Infinity : NaN;
  else x = (m + TWO_52) * POW2[e];
  return (hi & SIGN) !== 0 ? -x : x;
}

/** POW2[e] = 2^(e - 1075): the weight of a binary64 significand's last bit at biased exponent e. */
const POW2 = (() => {
  const t = new Float64Array(2048);
  for (let e = 1; e < 2047; e++) t[e] = 2 ** (e - 1075);
  return t;
})();

/** Infinity or NaN (exponent field all ones). */
function special32(a: number): boolean {
  return (a & 0x7f800000) === 0x7f800000;
}

function special64(hi: number): boolean {
  return (hi & 0x7ff00000) === 0x7ff00000;
}

/** |x| < 2^1022 and finite: TwoSum cannot overflow. */
function addSafe64(hi: number): boolean {
  return (hi & 0x7ff00000) < 0x7fd00000;
}

function isNaN32(a: number): boolean {
  return (a & 0x7fffffff) > 0x7f800000;
}

function isSNaN32(a: number): boolean {
  return isNaN32(a) && (a & 0x400000) === 0;
}

function isNaN64(lo: number, hi: number): boolean {
  const h = hi & 0x7fffffff;
  return h > 0x7ff00000 || (h === 0x7ff00000 && lo !== 0);
}

function isSNaN64(lo: number, hi: number): boolean {
  return isNaN64(lo, hi) && (hi & 0x80000) === 0;
}

function u32(a: number): bigint {
  return BigInt(a >>> 0);
}

function u64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Nonzero magnitude where Veltkamp splitting and Dekker's product stay exact. */
function dekkerSafe(x: number): boolean {
  const m = Math.abs(x);
  return m >= DEKKER_MIN && m < DEKKER_MAX;
}

/** Dekker's TwoProduct: a·b - p exactly, for p = fl(a·b) (operands must be dekkerSafe). */
function twoProductErr(a: number, b: number, p: number): number {
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
}

/** True when the double s lies exactly halfway between binary32 r = fround(s) and its neighbour. */
function isMidpoint32(s: number, r: number): boolean {
  if (r === Infinity || r === -Infinity) return true; // s may be the overflow threshold itself
  const other = r + 2 * (s - r);
  return Math.fround(other) === other;
}

/** Rounds a double to an integral double in a RISC-V rounding mode (exact for every input). */
function roundToIntegral(x: number, rm: number): number {
  switch (rm) {
    case RoundingMode.RTZ: return Math.trunc(x);
    case RoundingMode.RDN: return Math.floor(x);
    case RoundingMode.RUP: return Math.ceil(x);
    case RoundingMode.RMM: {
      const t = Math.trunc(x);
      const d = x - t;
      return d >= 0.5 ? t + 1 : d <= -0.5 ? t - 1 : t;
    }
    default: {
      const f = Math.floor(x);
      const d = x - f;
      if (d > 0.5) return f + 1;
      if (d < 0.5) return f;
      return f % 2 === 0 ? f : f + 1;
    }
  }
}

/** fclass mask (RISC-V F, "Format of result of FCLASS instruction"). */
function classify(negative: boolean, exp: number, maxExp: number, fracNonZero: boolean, quiet: boolean): number {
  if (exp === maxExp) {
    if (!fracNonZero) return negative ? 1 << 0 : 1 << 7;
    return quiet ? 1 << 9 : 1 << 8;
  }
  if (exp === 0) {
    if (!fracNonZero) return negative ? 1 << 3 : 1 << 4;
    return negative ? 1 << 2 : 1 << 5;
  }
  return negative ? 1 << 1 : 1 << 6;
}
