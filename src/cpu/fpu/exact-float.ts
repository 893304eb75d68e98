// The exact (slow) path of the soft-float unit: every operation is computed on BigInt
// significands without any loss, then rounded exactly once by roundPack(). SoftFloat calls this
// only when its allocation-free fast paths cannot prove the result and flags.
//
// Values are raw bit patterns held in a bigint (32 or 64 bits, unsigned). A finite value is
// sig · 2^exp with sig an integer, so all arithmetic below is integer arithmetic.

import { FFlag, RoundingMode } from './soft-float.js';
import type { FloatFormat } from './float-format.js';

/** Operand classes after unpacking. */
const enum Kind { Zero, Finite, Inf, QNaN, SNaN }

/** An unpacked operand: value = (-1)^sign · sig · 2^exp for Zero/Finite. */
interface Unpacked {
  kind: Kind;
  sign: number;
  sig: bigint;
  exp: number;
}

/** Number of significant bits of a non-negative bigint (0 for 0). */
export function bitLength(v: bigint): number {
  let n = 0;
  while (v >= 0x100000000n) {
    v >>= 32n;
    n += 32;
  }
  const top = Number(v);
  return top === 0 ? n : n + 32 - Math.clz32(top);
}

/** floor(sqrt(n)) for n >= 0, by Newton's iteration from above. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt((bitLength(n) >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/**
 * True when a value whose kept part ends in `lsbOdd` and whose discarded part is described by
 * `round` (first discarded bit) and `sticky` (any later bit) must be rounded away from zero.
 * RISC-V unprivileged spec, table "Rounding mode encoding".
 */
export function roundIncrement(rm: number, sign: number, lsbOdd: boolean, round: boolean, sticky: boolean): boolean {
  switch (rm) {
    case RoundingMode.RNE: return round && (sticky || lsbOdd);
    case RoundingMode.RTZ: return false;
    case RoundingMode.RDN: return sign !== 0 && (round || sticky);
    case RoundingMode.RUP: return sign === 0 && (round || sticky);
    case RoundingMode.RMM: return round;
    default: return false;
  }
}

/**
 * Exact IEEE 754 arithmetic on bit patterns with a single final rounding. After each call
 * `flags` holds the FFlag bits the operation raised.
 */
export class ExactFloat {
  /** FFlag bits raised by the last operation. */
  flags = 0;

  /** a + b (negB: a - b). */
  add(f: FloatFormat, a: bigint, b: bigint, rm: number, negB: boolean): bigint {
    this.flags = 0;
    const A = unpack(f, a);
    const B = unpack(f, b);
    if (negB) B.sign ^= 1;
    if (A.kind >= Kind.QNaN || B.kind >= Kind.QNaN) return this.nanResult(f, A, B, undefined);
    if (A.kind === Kind.Inf) {
      if (B.kind === Kind.Inf && A.sign !== B.sign) return this.invalid(f);
      return infinity(f, A.sign);
    }
    if (B.kind === Kind.Inf) return infinity(f, B.sign);
    return this.addFinite(f, A.sign, A.sig, A.exp, B.sign, B.sig, B.exp, rm);
  }

  /** a · b. */
  mul(f: FloatFormat, a: bigint, b: bigint, rm: number): bigint {
    this.flags = 0;
    const A = unpack(f, a);
    const B = unpack(f, b);
    if (A.kind >= Kind.QNaN || B.kind >= Kind.QNaN) return this.nanResult(f, A, B, undefined);
    const sign = A.sign ^ B.sign;
    if (A.kind === Kind.Inf || B.kind === Kind.Inf) {
      if (A.kind === Kind.Zero || B.kind === Kind.Zero) return this.invalid(f);
      return infinity(f, sign);
    }
    if (A.kind === Kind.Zero || B.kind === Kind.Zero) return zero(f, sign);
    return this.roundPack(f, sign, A.sig * B.sig, A.exp + B.exp, false, rm);
  }

  /** a / b. */
  div(f: FloatFormat, a: bigint, b: bigint, rm: number): bigint {
    this.flags = 0;
    const A = unpack(f, a);
    const B = unpack(f, b);
    if (A.kind >= Kind.QNaN || B.kind >= Kind.QNaN) return this.nanResult(f, A, B, undefined);
    const sign = A.sign ^ B.sign;
    if (A.kind === Kind.Inf) return B.kind === Kind.Inf ? this.invalid(f) : infinity(f, sign);
    if (B.kind === Kind.Inf) return zero(f, sign);
    if (B.kind === Kind.Zero) {
      if (A.kind === Kind.Zero) return this.invalid(f);
      this.flags |= FFlag.DZ;
      return infinity(f, sign);
    }
    if (A.kind === Kind.Zero) return zero(f, sign);
    // Quotient with at least p+2 bits; the remainder only matters as a sticky bit.
    const k = Math.max(0, f.precision + 2 + bitLength(B.sig) - bitLength(A.sig));
    const num = A.sig << BigInt(k);
    const q = num / B.sig;
    return this.roundPack(f, sign, q, A.exp - B.exp - k, q * B.sig !== num, rm);
  }

  /** sqrt(a). */
  sqrt(f: FloatFormat, a: bigint, rm: number): bigint {
    this.flags = 0;
    const A = unpack(f, a);
    if (A.kind >= Kind.QNaN) return this.nanResult(f, A, A, undefined);
    if (A.kind === Kind.Zero) return zero(f, A.sign);
    if (A.sign !== 0) return this.invalid(f);
    if (A.kind === Kind.Inf) return infinity(f, 0);
    let sig = A.sig;
    let exp = A.exp;
    if ((exp & 1) !== 0) {
      sig <<= 1n;
      exp -= 1;
    }
    // Scale by an even power so that the root has at least p+2 bits.
    const k = Math.max(0, Math.ceil((2 * f.precision + 4 - bitLength(sig)) / 2));
    const scaled = sig << BigInt(2 * k);
    const root = isqrt(scaled);
    return this.roundPack(f, 0, root, (exp - 2 * k) / 2, root * root !== scaled, rm);
  }

  /** (±a·b) ± c with one rounding (negProduct negates a·b, negAddend negates c). */
  fma(f: FloatFormat, a: bigint, b: bigint, c: bigint, rm: number, negProduct: boolean, negAddend: boolean): bigint {
    this.flags = 0;
    const A = unpack(f, a);
    const B = unpack(f, b);
    const C = unpack(f, c);
    const infTimesZero = (A.kind === Kind.Inf && B.kind === Kind.Zero) || (A.kind === Kind.Zero && B.kind === Kind.Inf);
    if (A.kind >= Kind.QNaN || B.kind >= Kind.QNaN || C.kind >= Kind.QNaN) {
      // RISC-V: fma(inf, 0, qNaN) raises NV too.
      if (infTimesZero) this.flags |= FFlag.NV;
      return this.nanResult(f, A, B, C);
    }
    if (infTimesZero) return this.invalid(f);
    const sp = A.sign ^ B.sign ^ (negProduct ? 1 : 0);
    const sc = C.sign ^ (negAddend ? 1 : 0);
    if (A.kind === Kind.Inf || B.kind === Kind.Inf) {
      if (C.kind === Kind.Inf && sc !== sp) return this.invalid(f);
      return infinity(f, sp);
    }
    if (C.kind === Kind.Inf) return infinity(f, sc);
    return this.addFinite(f, sp, A.sig * B.sig, A.exp + B.exp, sc, C.sig, C.exp, rm);
  }

  /** Converts between formats (FCVT.S.D rounds; FCVT.D.S is exact). */
  convert(from: FloatFormat, to: FloatFormat, a: bigint, rm: number): bigint {
    this.flags = 0;
    const A = unpack(from, a);
    if (A.kind >= Kind.QNaN) return this.nanResult(to, A, A, undefined);
    if (A.kind === Kind.Inf) return infinity(to, A.sign);
    if (A.kind === Kind.Zero) return zero(to, A.sign);
    return this.roundPack(to, A.sign, A.sig, A.exp, false, rm);
  }

  /** Rounds a signed integer to the format (FCVT.S.W and friends). */
  fromInt(f: FloatFormat, v: bigint, rm: number): bigint {
    this.flags = 0;
    if (v === 0n) return 0n;
    return v < 0n ? this.roundPack(f, 1, -v, 0, false, rm) : this.roundPack(f, 0, v, 0, false, rm);
  }

  /**
   * Rounds (-1)^sign · (sig + ε) · 2^exp to the format, where ε is in (0, 1) when `sticky`
   * and 0 otherwise; sets NX, UF (tininess after rounding) and OF. When `sticky` is set, sig
   * must have at least p+1 bits so the round bit is one of its bits.
   */
  roundPack(f: FloatFormat, sign: number, sig: bigint, exp: number, sticky: boolean, rm: number): bigint {
    if (sig === 0n) return zero(f, sign);
    const p = f.precision;
    const n = bitLength(sig);
    const lead = exp + n - 1;
    let lsbExp = Math.max(lead - p + 1, f.emin - p + 1);
    const drop = lsbExp - exp;
    let kept: bigint;
    let round = false;
    let rest = sticky;
    if (drop <= 0) {
      kept = sig << BigInt(-drop);
    } else {
      kept = sig >> BigInt(drop);
      round = ((sig >> BigInt(drop - 1)) & 1n) !== 0n;
      if (!rest && drop > 1) rest = (sig & ((1n << BigInt(drop - 1)) - 1n)) !== 0n;
    }
    const inexact = round || rest;
    if (roundIncrement(rm, sign, (kept & 1n) !== 0n, round, rest)) kept += 1n;
    if (kept === 1n << BigInt(p)) {
      kept >>= 1n;
      lsbExp += 1;
    }
    if (inexact) {
      this.flags |= FFlag.NX;
      if (lead < f.emin && this.tinyAfterRounding(f, sign, sig, exp, sticky, rm, n, lead)) this.flags |= FFlag.UF;
    }
    const hidden = 1n << BigInt(p - 1);
    if (kept < hidden) {
      // Subnormal or zero: biased exponent 0.
      return (BigInt(sign) << BigInt(f.expBits + p - 1)) | kept;
    }
    const resultExp = lsbExp + p - 1;
    if (resultExp > f.emax) {
      this.flags |= FFlag.OF | FFlag.NX;
      return overflowResult(f, sign, rm);
    }
    return (BigInt(sign) << BigInt(f.expBits + p - 1)) | (BigInt(resultExp + f.bias) << BigInt(p - 1)) | (kept - hidden);
  }

  /** IEEE 754 tininess after rounding: rounding to p bits with unbounded exponent stays below 2^emin. */
  private tinyAfterRounding(f: FloatFormat, sign: number, sig: bigint, exp: number, sticky: boolean, rm: number, n: number, lead: number): boolean {
    if (lead < f.emin - 1) return true;
    const drop = n - f.precision;
    if (drop <= 0) return true;
    const kept = sig >> BigInt(drop);
    const round = ((sig >> BigInt(drop - 1)) & 1n) !== 0n;
    const rest = sticky || (drop > 1 && (sig & ((1n << BigInt(drop - 1)) - 1n)) !== 0n);
    if (!roundIncrement(rm, sign, (kept & 1n) !== 0n, round, rest)) return true;
    return kept + 1n !== 1n << BigInt(f.precision);
  }

  /** Exact sum of two finite values (zeros allowed), rounded once; IEEE §6.3 zero signs. */
  private addFinite(f: FloatFormat, sa: number, ma: bigint, ea: number, sb: number, mb: bigint, eb: number, rm: number): bigint {
    if (ma === 0n && mb === 0n) return zero(f, sa === sb ? sa : rm === RoundingMode.RDN ? 1 : 0);
    if (ma === 0n) return this.roundPack(f, sb, mb, eb, false, rm);
    if (mb === 0n) return this.roundPack(f, sa, ma, ea, false, rm);
    const e = Math.min(ea, eb);
    const x = ma << BigInt(ea - e);
    const y = mb << BigInt(eb - e);
    const sum = (sa !== 0 ? -x : x) + (sb !== 0 ? -y : y);
    if (sum === 0n) return zero(f, rm === RoundingMode.RDN ? 1 : 0);
    return sum < 0n ? this.roundPack(f, 1, -sum, e, false, rm) : this.roundPack(f, 0, sum, e, false, rm);
  }

  /** Canonical NaN result; NV when any operand is a signaling NaN. */
  private nanResult(f: FloatFormat, a: Unpacked, b: Unpacked, c: Unpacked | undefined): bigint {
    if (a.kind === Kind.SNaN || b.kind === Kind.SNaN || (c !== undefined && c.kind === Kind.SNaN)) this.flags |= FFlag.NV;
    return f.canonicalNaN;
  }

  /** Invalid operation: NV and the canonical NaN. */
  private invalid(f: FloatFormat): bigint {
    this.flags |= FFlag.NV;
    return f.canonicalNaN;
  }
}

/** Splits a bit pattern into class, sign, integer significand and exponent. */
function unpack(f: FloatFormat, bits: bigint): Unpacked {
  const fracBits = BigInt(f.precision - 1);
  const frac = bits & ((1n << fracBits) - 1n);
  const maxExp = (1 << f.expBits) - 1;
  const biased = Number((bits >> fracBits) & BigInt(maxExp));
  const sign = Number((bits >> BigInt(f.expBits + f.precision - 1)) & 1n);
  const minExp = f.emin - f.precision + 1;
  if (biased === maxExp) {
    const kind = frac === 0n ? Kind.Inf : (frac >> (fracBits - 1n)) !== 0n ? Kind.QNaN : Kind.SNaN;
    return { kind, sign, sig: 0n, exp: 0 };
  }
  if (biased === 0) return { kind: frac === 0n ? Kind.Zero : Kind.Finite, sign, sig: frac, exp: minExp };
  return { kind: Kind.Finite, sign, sig: frac | (1n << fracBits), exp: biased - f.bias - f.precision + 1 };
}

/** ±0. */
function zero(f: FloatFormat, sign: number): bigint {
  return BigInt(sign) << BigInt(f.expBits + f.precision - 1);
}

/** ±infinity. */
function infinity(f: FloatFormat, sign: number): bigint {
  return zero(f, sign) | (BigInt((1 << f.expBits) - 1) << BigInt(f.precision - 1));
}

/** IEEE 754 §7.4: overflow gives ±inf or ±largest finite depending on the rounding direction. */
function overflowResult(f: FloatFormat, sign: number, rm: number): bigint {
  const toInf = rm === RoundingMode.RNE || rm === RoundingMode.RMM
    || (rm === RoundingMode.RUP && sign === 0) || (rm === RoundingMode.RDN && sign !== 0);
  return toInf ? infinity(f, sign) : infinity(f, sign) - 1n;
}
