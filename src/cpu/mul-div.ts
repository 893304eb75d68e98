// The M extension (ISA manual vol. I ch. 7) on (lo, hi) int32 pairs without BigInt: MUL/MULH*
// with 16-bit limbs, DIV/REM with RISC-V results for division by zero and overflow. Results pass
// through the class's own (lo, hi) and (remLo, remHi) scratch. Internal to src/cpu/.
import type { Hart } from './hart.js';
import { Flow } from './flow.js';
import { toHi, toLo } from './int-pair.js';
import { illegal } from './trap.js';

const TWO32 = 4294967296;

/** The M extension of one hart, with its own scratch for 64-bit results. */
export class MulDiv {
  private readonly hart: Hart;
  private readonly st: Int32Array;
  // scratch results: a 64-bit value as (lo, hi), and the remainder of a division
  private lo = 0;
  private hi = 0;
  private remLo = 0;
  private remHi = 0;

  /** Works on the registers of `hart` (and raises its illegal-instruction traps). */
  constructor(hart: Hart) {
    this.hart = hart;
    this.st = hart.st;
  }

  /** Executes an OP or OP-32 instruction with funct7 = 1 (MUL .. REMUW). */
  exec(insn: number, raw: number, pcLo: number, pcHi: number): Flow {
    const st = this.st;
    const rd2 = (insn >> 6) & 62;
    const rs1 = (insn >> 14) & 62;
    const rs2 = (insn >> 19) & 62;
    const f3 = (insn >> 12) & 7;
    const aLo = st[rs1]!;
    const aHi = st[rs1 + 1]!;
    const bLo = st[rs2]!;
    const bHi = st[rs2 + 1]!;
    let lo: number;
    let hi: number;
    if ((insn & 0x7f) === 0x3b) { // *W forms
      let v: number;
      switch (f3) {
        case 0: v = Math.imul(aLo, bLo); break;
        case 4: v = bLo === 0 ? -1 : aLo === -0x80000000 && bLo === -1 ? aLo : (aLo / bLo) | 0; break;
        case 5: v = bLo === 0 ? -1 : ((aLo >>> 0) / (bLo >>> 0)) | 0; break;
        case 6: v = bLo === 0 ? aLo : aLo === -0x80000000 && bLo === -1 ? 0 : (aLo % bLo) | 0; break;
        case 7: v = bLo === 0 ? aLo : ((aLo >>> 0) % (bLo >>> 0)) | 0; break;
        default: return illegal(this.hart, raw, pcLo, pcHi);
      }
      lo = v;
      hi = v >> 31;
    } else {
      switch (f3) {
        case 0: // mul
          this.mulU32(aLo, bLo);
          lo = this.lo;
          hi = (this.hi + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) | 0;
          break;
        case 1: // mulh
          this.mulhu64(aLo, aHi, bLo, bHi);
          lo = this.lo;
          hi = this.hi;
          if (aHi < 0) { const l = (lo - bLo) | 0; hi = (hi - bHi - ((lo >>> 0) < (bLo >>> 0) ? 1 : 0)) | 0; lo = l; }
          if (bHi < 0) { const l = (lo - aLo) | 0; hi = (hi - aHi - ((lo >>> 0) < (aLo >>> 0) ? 1 : 0)) | 0; lo = l; }
          break;
        case 2: // mulhsu
          this.mulhu64(aLo, aHi, bLo, bHi);
          lo = this.lo;
          hi = this.hi;
          if (aHi < 0) { const l = (lo - bLo) | 0; hi = (hi - bHi - ((lo >>> 0) < (bLo >>> 0) ? 1 : 0)) | 0; lo = l; }
          break;
        case 3: // mulhu
          this.mulhu64(aLo, aHi, bLo, bHi);
          lo = this.lo;
          hi = this.hi;
          break;
        default:
          this.divRem64(aLo, aHi, bLo, bHi, (f3 & 1) === 0, f3 >= 6);
          lo = this.lo;
          hi = this.hi;
          break;
      }
    }
    if (rd2 !== 0) {
      st[rd2] = lo;
      st[rd2 + 1] = hi;
    }
    return Flow.Next;
  }

  /** Full 32×32 → 64 unsigned product of a and b into (rLo, rHi). */
  private mulU32(a: number, b: number): void {
    const a0 = a & 0xffff;
    const a1 = a >>> 16;
    const b0 = b & 0xffff;
    const b1 = b >>> 16;
    const p01 = a0 * b1;
    const p10 = a1 * b0;
    const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    this.lo = Math.imul(a, b);
    this.hi = (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
  }

  /** High 64 bits of the unsigned 128-bit product a × b into (rLo, rHi), with 16-bit limbs. */
  private mulhu64(aLo: number, aHi: number, bLo: number, bHi: number): void {
    const a0 = aLo & 0xffff, a1 = aLo >>> 16, a2 = aHi & 0xffff, a3 = aHi >>> 16;
    const b0 = bLo & 0xffff, b1 = bLo >>> 16, b2 = bHi & 0xffff, b3 = bHi >>> 16;
    let t = a0 * b0;
    let c = Math.floor(t / 65536);
    t = a0 * b1 + a1 * b0 + c; c = Math.floor(t / 65536);
    t = a0 * b2 + a1 * b1 + a2 * b0 + c; c = Math.floor(t / 65536);
    t = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0 + c; c = Math.floor(t / 65536);
    t = a1 * b3 + a2 * b2 + a3 * b1 + c; const l4 = t % 65536; c = Math.floor(t / 65536);
    t = a2 * b3 + a3 * b2 + c; const l5 = t % 65536; c = Math.floor(t / 65536);
    t = a3 * b3 + c; const l6 = t % 65536; const l7 = Math.floor(t / 65536);
    this.lo = l4 | (l5 << 16);
    this.hi = l6 | (l7 << 16);
  }

  /** 64-bit div/divu/rem/remu with RISC-V results for division by zero and overflow. */
  private divRem64(aLo: number, aHi: number, bLo: number, bHi: number, signed: boolean, rem: boolean): void {
    if (bLo === 0 && bHi === 0) {
      this.lo = rem ? aLo : -1;
      this.hi = rem ? aHi : -1;
      return;
    }
    if (!signed) {
      this.udivmod(aLo, aHi, bLo, bHi);
      if (rem) {
        this.lo = this.remLo;
        this.hi = this.remHi;
      }
      return;
    }
    if (aLo === 0 && aHi === -0x80000000 && bLo === -1 && bHi === -1) {
      this.lo = rem ? 0 : aLo;
      this.hi = rem ? 0 : aHi;
      return;
    }
    const aNeg = aHi < 0;
    const bNeg = bHi < 0;
    let uaLo = aLo, uaHi = aHi, ubLo = bLo, ubHi = bHi;
    if (aNeg) { uaLo = -aLo | 0; uaHi = (~aHi + (aLo === 0 ? 1 : 0)) | 0; }
    if (bNeg) { ubLo = -bLo | 0; ubHi = (~bHi + (bLo === 0 ? 1 : 0)) | 0; }
    this.udivmod(uaLo, uaHi, ubLo, ubHi);
    let lo: number;
    let hi: number;
    let neg: boolean;
    if (rem) { lo = this.remLo; hi = this.remHi; neg = aNeg; } else { lo = this.lo; hi = this.hi; neg = aNeg !== bNeg; }
    if (neg) { const l = -lo | 0; hi = (~hi + (lo === 0 ? 1 : 0)) | 0; lo = l; }
    this.lo = lo;
    this.hi = hi;
  }

  /**
   * Unsigned 64-bit a / b (b ≠ 0): quotient into (rLo, rHi), remainder into (remLo, remHi), without
   * BigInt: exact doubles below 2^53, 32-bit long division for divisors below 2^21, otherwise a
   * double estimate of the (< 2^43) quotient corrected by an exact multiply-back.
   */
  private udivmod(aLo: number, aHi: number, bLo: number, bHi: number): void {
    const ah = aHi >>> 0;
    const al = aLo >>> 0;
    const bh = bHi >>> 0;
    const bl = bLo >>> 0;
    if (ah < 0x200000 && bh < 0x200000) {
      const a = ah * TWO32 + al;
      const b = bh * TWO32 + bl;
      const r = a % b;
      const q = (a - r) / b;
      this.lo = toLo(q); this.hi = toHi(q);
      this.remLo = toLo(r); this.remHi = toHi(r);
      return;
    }
    if (bh === 0 && bl < 0x200000) {
      const qh = Math.floor(ah / bl);
      const r1 = ah - qh * bl;
      const t = r1 * TWO32 + al; // < 2^53
      const r = t % bl;
      this.hi = qh | 0;
      this.lo = toLo((t - r) / bl);
      this.remLo = r | 0;
      this.remHi = 0;
      return;
    }
    // b >= 2^21, so q < 2^43; the estimate is within 1 of q, so q - 2 <= est <= q.
    let est = Math.floor((ah * TWO32 + al) / (bh * TWO32 + bl)) - 1;
    if (est < 0) est = 0;
    const qLo = est >>> 0 | 0;
    const qHi = Math.floor(est / TWO32) | 0;
    this.mulU32(qLo, bLo);
    const pLo = this.lo;
    const pHi = (this.hi + Math.imul(qLo, bHi) + Math.imul(qHi, bLo)) | 0;
    let rLo = (aLo - pLo) | 0;
    let rHi = (aHi - pHi - ((aLo >>> 0) < (pLo >>> 0) ? 1 : 0)) | 0;
    let q = est;
    while ((rHi >>> 0) > bh || ((rHi >>> 0) === bh && (rLo >>> 0) >= bl)) {
      const l = (rLo - bLo) | 0;
      rHi = (rHi - bHi - ((rLo >>> 0) < (bLo >>> 0) ? 1 : 0)) | 0;
      rLo = l;
      q++;
    }
    this.lo = toLo(q); this.hi = toHi(q);
    this.remLo = rLo; this.remHi = rHi;
  }
}
