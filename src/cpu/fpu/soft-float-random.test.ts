// Randomized cross-checks of SoftFloat against two oracles:
//  1. an independent exact reference written here with BigInt rationals (every operation, every
//     rounding mode, result bits AND fflags);
//  2. the host's own IEEE arithmetic (JS doubles and Math.fround are correctly rounded RNE).
// Seed: FPU_SEED=<n> to reproduce; FPU_CASES=<n> to scale the number of cases per op and mode.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SoftFloat, FFlag, RoundingMode } from './soft-float.js';

// ---------------------------------------------------------------------------------------------
// Reference model: values as exact rationals, rounded by searching the quantum directly.

interface Fmt { p: number; w: number; emin: number; emax: number; bias: number; bits: number; name: string }
const F32: Fmt = { p: 24, w: 8, emin: -126, emax: 127, bias: 127, bits: 32, name: 'f32' };
const F64: Fmt = { p: 53, w: 11, emin: -1022, emax: 1023, bias: 1023, bits: 64, name: 'f64' };

type Kind = 'zero' | 'fin' | 'inf' | 'qnan' | 'snan';
/** (-1)^sign · num / den, den a power of two for decoded operands. */
interface Val { kind: Kind; sign: number; num: bigint; den: bigint }
interface Res { bits: bigint; flags: number }

function decode(f: Fmt, bits: bigint): Val {
  const frac = bits & ((1n << BigInt(f.p - 1)) - 1n);
  const be = Number((bits >> BigInt(f.p - 1)) & BigInt((1 << f.w) - 1));
  const sign = Number(bits >> BigInt(f.bits - 1)) & 1;
  if (be === (1 << f.w) - 1) {
    if (frac === 0n) return { kind: 'inf', sign, num: 0n, den: 1n };
    return { kind: (frac >> BigInt(f.p - 2)) === 1n ? 'qnan' : 'snan', sign, num: 0n, den: 1n };
  }
  const m = be === 0 ? frac : frac + (1n << BigInt(f.p - 1));
  if (m === 0n) return { kind: 'zero', sign, num: 0n, den: 1n };
  const e = (be === 0 ? 1 : be) - f.bias - (f.p - 1);
  return e >= 0 ? { kind: 'fin', sign, num: m << BigInt(e), den: 1n } : { kind: 'fin', sign, num: m, den: 1n << BigInt(-e) };
}

const canon = (f: Fmt): bigint => (f.bits === 32 ? 0x7fc00000n : 0x7ff8000000000000n);
const signBit = (f: Fmt, s: number): bigint => BigInt(s) << BigInt(f.bits - 1);
const infBits = (f: Fmt, s: number): bigint => signBit(f, s) | (BigInt((1 << f.w) - 1) << BigInt(f.p - 1));
const isNaNv = (v: Val): boolean => v.kind === 'qnan' || v.kind === 'snan';

function blen(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** floor(num / (den · 2^q)) and how the remainder compares with half a quantum. */
function divQuantum(num: bigint, den: bigint, q: number): { m: bigint; half: number; exact: boolean } {
  let n = num;
  let d = den;
  if (q >= 0) d <<= BigInt(q);
  else n <<= BigInt(-q);
  const m = n / d;
  const r = n - m * d;
  const twice = 2n * r;
  return { m, half: twice < d ? -1 : twice > d ? 1 : 0, exact: r === 0n };
}

function pick(m: bigint, half: number, exact: boolean, sign: number, rm: number): bigint {
  if (exact) return m;
  switch (rm) {
    case RoundingMode.RNE: return half > 0 || (half === 0 && (m & 1n) === 1n) ? m + 1n : m;
    case RoundingMode.RTZ: return m;
    case RoundingMode.RDN: return sign ? m + 1n : m;
    case RoundingMode.RUP: return sign ? m : m + 1n;
    case RoundingMode.RMM: return half >= 0 ? m + 1n : m;
  }
  throw new Error('bad rm');
}

/** Rounds the nonzero rational (-1)^sign · num/den. */
function roundRational(f: Fmt, sign: number, num: bigint, den: bigint, rm: number): Res {
  // e = floor(log2(num/den))
  let e = blen(num) - blen(den);
  if (e >= 0 ? num < den << BigInt(e) : num << BigInt(-e) < den) e -= 1;
  // Unbounded exponent rounding decides tininess and overflow.
  const qu = e - f.p + 1;
  const u = divQuantum(num, den, qu);
  const mu = pick(u.m, u.half, u.exact, sign, rm);
  // |result| = mu · 2^qu ; overflow when >= 2^(emax+1)
  if (mu >= 1n << BigInt(f.emax + 1 - qu)) {
    const toInf = rm === RoundingMode.RNE || rm === RoundingMode.RMM || (rm === RoundingMode.RUP && !sign) || (rm === RoundingMode.RDN && !!sign);
    return { bits: toInf ? infBits(f, sign) : infBits(f, sign) - 1n, flags: FFlag.OF | FFlag.NX };
  }
  const tiny = f.emin - qu >= 0 && mu < 1n << BigInt(f.emin - qu);
  const qb = Math.max(e, f.emin) - f.p + 1;
  const b = divQuantum(num, den, qb);
  let mb = pick(b.m, b.half, b.exact, sign, rm);
  let q = qb;
  const flags = b.exact ? 0 : tiny ? FFlag.NX | FFlag.UF : FFlag.NX;
  if (mb === 1n << BigInt(f.p)) {
    mb >>= 1n;
    q += 1;
  }
  const hidden = 1n << BigInt(f.p - 1);
  if (mb < hidden) return { bits: signBit(f, sign) | mb, flags };
  return { bits: signBit(f, sign) | (BigInt(q + f.p - 1 + f.bias) << BigInt(f.p - 1)) | (mb - hidden), flags };
}

function nanRes(f: Fmt, vs: Val[], extraNV = false): Res {
  return { bits: canon(f), flags: extraNV || vs.some((v) => v.kind === 'snan') ? FFlag.NV : 0 };
}

/** Signed sum of rationals with IEEE zero-sign rules; zeroSign used when both addends are zero. */
function sumRes(f: Fmt, sa: number, na: bigint, da: bigint, sb: number, nb: bigint, db: bigint, rm: number): Res {
  const n = (sa ? -na : na) * db + (sb ? -nb : nb) * da;
  const d = da * db;
  if (n === 0n) {
    const s = na === 0n && nb === 0n && sa === sb ? sa : rm === RoundingMode.RDN ? 1 : 0;
    return { bits: signBit(f, s), flags: 0 };
  }
  return n < 0n ? roundRational(f, 1, -n, d, rm) : roundRational(f, 0, n, d, rm);
}

function refAdd(f: Fmt, ab: bigint, bb: bigint, rm: number, neg: boolean): Res {
  const a = decode(f, ab);
  const b = decode(f, bb);
  if (neg) b.sign ^= 1;
  if (isNaNv(a) || isNaNv(b)) return nanRes(f, [a, b]);
  if (a.kind === 'inf' && b.kind === 'inf') return a.sign === b.sign ? { bits: infBits(f, a.sign), flags: 0 } : { bits: canon(f), flags: FFlag.NV };
  if (a.kind === 'inf') return { bits: infBits(f, a.sign), flags: 0 };
  if (b.kind === 'inf') return { bits: infBits(f, b.sign), flags: 0 };
  return sumRes(f, a.sign, a.num, a.den, b.sign, b.num, b.den, rm);
}

function refMul(f: Fmt, ab: bigint, bb: bigint, rm: number): Res {
  const a = decode(f, ab);
  const b = decode(f, bb);
  if (isNaNv(a) || isNaNv(b)) return nanRes(f, [a, b]);
  const s = a.sign ^ b.sign;
  if (a.kind === 'inf' || b.kind === 'inf') {
    return a.kind === 'zero' || b.kind === 'zero' ? { bits: canon(f), flags: FFlag.NV } : { bits: infBits(f, s), flags: 0 };
  }
  if (a.kind === 'zero' || b.kind === 'zero') return { bits: signBit(f, s), flags: 0 };
  return roundRational(f, s, a.num * b.num, a.den * b.den, rm);
}

function refDiv(f: Fmt, ab: bigint, bb: bigint, rm: number): Res {
  const a = decode(f, ab);
  const b = decode(f, bb);
  if (isNaNv(a) || isNaNv(b)) return nanRes(f, [a, b]);
  const s = a.sign ^ b.sign;
  if (a.kind === 'inf') return b.kind === 'inf' ? { bits: canon(f), flags: FFlag.NV } : { bits: infBits(f, s), flags: 0 };
  if (b.kind === 'inf') return { bits: signBit(f, s), flags: 0 };
  if (b.kind === 'zero') return a.kind === 'zero' ? { bits: canon(f), flags: FFlag.NV } : { bits: infBits(f, s), flags: FFlag.DZ };
  if (a.kind === 'zero') return { bits: signBit(f, s), flags: 0 };
  return roundRational(f, s, a.num * b.den, a.den * b.num, rm);
}

/** Integer square root, digit by digit (a different algorithm from the one under test). */
function isqrtDigits(n: bigint): bigint {
  let res = 0n;
  let bit = 1n << BigInt((blen(n) + 1) & ~1);
  let x = n;
  while (bit > n) bit >>= 2n;
  while (bit !== 0n) {
    if (x >= res + bit) {
      x -= res + bit;
      res = (res >> 1n) + bit;
    } else {
      res >>= 1n;
    }
    bit >>= 2n;
  }
  return res;
}

function refSqrt(f: Fmt, ab: bigint, rm: number): Res {
  const a = decode(f, ab);
  if (isNaNv(a)) return nanRes(f, [a]);
  if (a.kind === 'zero') return { bits: signBit(f, a.sign), flags: 0 };
  if (a.sign) return { bits: canon(f), flags: FFlag.NV };
  if (a.kind === 'inf') return { bits: infBits(f, 0), flags: 0 };
  let num = a.num;
  let k = blen(a.den) - 1; // den = 2^k
  if (k & 1) {
    num <<= 1n;
    k += 1;
  }
  const S = 120;
  const scaled = num << BigInt(2 * S);
  const r = isqrtDigits(scaled);
  const denExp = k / 2 + S;
  if (r * r === scaled) return roundRational(f, 0, r, 1n << BigInt(denExp), rm);
  // Strictly between r and r+1 with r >= 2^S >> 2^(p+2): r + 1/2 rounds the same way.
  return roundRational(f, 0, 2n * r + 1n, 1n << BigInt(denExp + 1), rm);
}

function refFma(f: Fmt, ab: bigint, bb: bigint, cb: bigint, rm: number, negP: boolean, negC: boolean): Res {
  const a = decode(f, ab);
  const b = decode(f, bb);
  const c = decode(f, cb);
  const infZero = (a.kind === 'inf' && b.kind === 'zero') || (a.kind === 'zero' && b.kind === 'inf');
  if (isNaNv(a) || isNaNv(b) || isNaNv(c)) return nanRes(f, [a, b, c], infZero);
  if (infZero) return { bits: canon(f), flags: FFlag.NV };
  const sp = a.sign ^ b.sign ^ (negP ? 1 : 0);
  const sc = c.sign ^ (negC ? 1 : 0);
  if (a.kind === 'inf' || b.kind === 'inf') {
    if (c.kind === 'inf' && sc !== sp) return { bits: canon(f), flags: FFlag.NV };
    return { bits: infBits(f, sp), flags: 0 };
  }
  if (c.kind === 'inf') return { bits: infBits(f, sc), flags: 0 };
  return sumRes(f, sp, a.num * b.num, a.den * b.den, sc, c.num, c.den, rm);
}

function refCvt(from: Fmt, to: Fmt, ab: bigint, rm: number): Res {
  const a = decode(from, ab);
  if (isNaNv(a)) return nanRes(to, [a]);
  if (a.kind === 'inf') return { bits: infBits(to, a.sign), flags: 0 };
  if (a.kind === 'zero') return { bits: signBit(to, a.sign), flags: 0 };
  return roundRational(to, a.sign, a.num, a.den, rm);
}

function refFromInt(f: Fmt, v: bigint, rm: number): Res {
  if (v === 0n) return { bits: 0n, flags: 0 };
  return v < 0n ? roundRational(f, 1, -v, 1n, rm) : roundRational(f, 0, v, 1n, rm);
}

/** Float → integer of `width` bits; result as the unsigned bit pattern. */
function refToInt(f: Fmt, ab: bigint, rm: number, width: number, unsigned: boolean): Res {
  const a = decode(f, ab);
  const min = unsigned ? 0n : -(1n << BigInt(width - 1));
  const max = unsigned ? (1n << BigInt(width)) - 1n : (1n << BigInt(width - 1)) - 1n;
  const mask = (1n << BigInt(width)) - 1n;
  if (isNaNv(a)) return { bits: max & mask, flags: FFlag.NV };
  if (a.kind === 'inf') return { bits: (a.sign ? min : max) & mask, flags: FFlag.NV };
  if (a.kind === 'zero') return { bits: 0n, flags: 0 };
  const d = divQuantum(a.num, a.den, 0);
  const m = pick(d.m, d.half, d.exact, a.sign, rm);
  const v = a.sign ? -m : m;
  if (v < min || v > max) return { bits: (a.sign ? min : max) & mask, flags: FFlag.NV };
  return { bits: v & mask, flags: d.exact ? 0 : FFlag.NX };
}

// ---------------------------------------------------------------------------------------------
// Random operands, biased towards the interesting corners.

class Rng {
  constructor(private s: number) {}
  u32(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return x >>> 0;
  }
  below(n: number): number {
    return this.u32() % n;
  }
  bits(n: number): bigint {
    let v = 0n;
    for (let i = 0; i < n; i += 32) v = (v << 32n) | BigInt(this.u32());
    return v & ((1n << BigInt(n)) - 1n);
  }
}

function make(f: Fmt, sign: number, biasedExp: number, frac: bigint): bigint {
  return signBit(f, sign) | (BigInt(biasedExp) << BigInt(f.p - 1)) | (frac & ((1n << BigInt(f.p - 1)) - 1n));
}

/** A random operand: specials, subnormals, extremes, short significands, plain random bits. */
function genOperand(f: Fmt, r: Rng): bigint {
  const maxE = (1 << f.w) - 1;
  const s = r.below(2);
  const fracBits = f.p - 1;
  switch (r.below(10)) {
    case 0: { // specials
      const k = r.below(9);
      const table = [make(f, s, 0, 0n), make(f, s, maxE, 0n), canon(f), make(f, s, maxE, 1n + r.bits(fracBits - 1)),
        make(f, s, maxE, (1n << BigInt(fracBits - 1)) | r.bits(fracBits - 1)), make(f, s, 0, 1n), make(f, s, 1, 0n),
        make(f, s, maxE - 1, (1n << BigInt(fracBits)) - 1n), make(f, s, f.bias, 0n)];
      return table[k];
    }
    case 1: return make(f, s, 0, r.bits(fracBits)); // subnormal
    case 2: return make(f, s, 1 + r.below(f.p + 4), r.bits(fracBits)); // near the subnormal boundary
    case 3: return make(f, s, maxE - 1 - r.below(f.p + 4), r.bits(fracBits)); // near overflow
    case 4: case 5: { // short significand: few bits, exact results and ties likely
      const nb = 1 + r.below(6);
      const frac = r.bits(nb) << BigInt(fracBits - nb);
      return make(f, s, f.bias - 20 + r.below(40), frac);
    }
    case 6: return make(f, s, f.bias - 3 + r.below(7), r.bits(fracBits)); // around 1
    case 7: { // all ones / all zeros patterns in the low bits
      const lowOnes = (1n << BigInt(r.below(fracBits))) - 1n;
      return make(f, s, 1 + r.below(maxE - 1), r.below(2) ? lowOnes : ((1n << BigInt(fracBits)) - 1n) ^ lowOnes);
    }
    default: return make(f, s, r.below(maxE + 1), r.bits(fracBits)); // any pattern
  }
}

/** Second operand: often related to the first (cancellation, exponent-targeted products). */
function genRelated(f: Fmt, r: Rng, a: bigint, op: string): bigint {
  const k = r.below(4);
  if (k === 0) return genOperand(f, r);
  const maxE = (1 << f.w) - 1;
  const be = Number((a >> BigInt(f.p - 1)) & BigInt(maxE));
  if (op === 'add' || op === 'sub' || op === 'fma') {
    // Near a (or -a): massive cancellation and exponent differences around p.
    const delta = BigInt(r.below(64)) - 32n;
    let b = (a + delta) & ((1n << BigInt(f.bits)) - 1n);
    if (r.below(2)) b ^= 1n << BigInt(f.bits - 1);
    if (k === 2) b = make(f, r.below(2), Math.max(0, Math.min(maxE - 1, be - f.p - 2 + r.below(6))), r.bits(f.p - 1));
    return b;
  }
  if (k === 3 && (a & ((1n << BigInt(f.bits - 1)) - 1n)) !== 0n) {
    // b = ±(threshold / a) or ±(a / threshold), nudged by a few ulps: a·b or a/b then lands
    // within a few ulps of 2^emin (tininess after rounding) or of the overflow threshold.
    const aPos = a & ((1n << BigInt(f.bits - 1)) - 1n);
    const threshold = r.below(3) ? make(f, 0, 1, 0n) : make(f, 0, maxE - 1, (1n << BigInt(f.p - 1)) - 1n);
    const q = op === 'div' ? refDiv(f, aPos, threshold, RoundingMode.RNE).bits : refDiv(f, threshold, aPos, RoundingMode.RNE).bits;
    if ((q >> BigInt(f.p - 1)) >= BigInt(maxE) || q === 0n) return genOperand(f, r);
    return (q + BigInt(r.below(7)) - 3n) | signBit(f, r.below(2));
  }
  // mul/div: choose an exponent that lands the result near the underflow or overflow threshold.
  const target = k === 1 ? 1 - f.p + r.below(f.p + 3) : maxE - 3 + r.below(5);
  const want = op === 'div' ? be - target + f.bias : target - be + f.bias;
  return make(f, r.below(2), Math.max(0, Math.min(maxE - 1, want)), r.bits(f.p - 1));
}

// ---------------------------------------------------------------------------------------------
// Plumbing between bigint bit patterns and the SoftFloat calling convention.

const lo = (v: bigint): number => Number(v & 0xffffffffn) | 0;
const hi = (v: bigint): number => Number((v >> 32n) & 0xffffffffn) | 0;
const res32 = (sf: SoftFloat): Res => ({ bits: BigInt(sf.lo >>> 0), flags: sf.flags });
const res64 = (sf: SoftFloat): Res => ({ bits: (BigInt(sf.hi >>> 0) << 32n) | BigInt(sf.lo >>> 0), flags: sf.flags });

type BinOp = 'add' | 'sub' | 'mul' | 'div';

function runBin(sf: SoftFloat, f: Fmt, op: BinOp, a: bigint, b: bigint, rm: number): Res {
  if (f.bits === 32) {
    const x = Number(a) | 0;
    const y = Number(b) | 0;
    if (op === 'add') sf.add32(x, y, rm);
    else if (op === 'sub') sf.sub32(x, y, rm);
    else if (op === 'mul') sf.mul32(x, y, rm);
    else sf.div32(x, y, rm);
    return res32(sf);
  }
  if (op === 'add') sf.add64(lo(a), hi(a), lo(b), hi(b), rm);
  else if (op === 'sub') sf.sub64(lo(a), hi(a), lo(b), hi(b), rm);
  else if (op === 'mul') sf.mul64(lo(a), hi(a), lo(b), hi(b), rm);
  else sf.div64(lo(a), hi(a), lo(b), hi(b), rm);
  return res64(sf);
}

function refBin(f: Fmt, op: BinOp, a: bigint, b: bigint, rm: number): Res {
  if (op === 'add') return refAdd(f, a, b, rm, false);
  if (op === 'sub') return refAdd(f, a, b, rm, true);
  if (op === 'mul') return refMul(f, a, b, rm);
  return refDiv(f, a, b, rm);
}

const hex = (v: bigint, f: Fmt | number): string => '0x' + v.toString(16).padStart((typeof f === 'number' ? f : f.bits) / 4, '0');
const MODES = [RoundingMode.RNE, RoundingMode.RTZ, RoundingMode.RDN, RoundingMode.RUP, RoundingMode.RMM];
const SEED = Number(process.env.FPU_SEED ?? 0x5eed1234) >>> 0 || 1;
const CASES = Number(process.env.FPU_CASES ?? 1500);

class Mismatches {
  readonly list: string[] = [];
  check(what: string, got: Res, want: Res): void {
    if ((got.bits !== want.bits || got.flags !== want.flags) && this.list.length < 20) {
      this.list.push(`${what}: got ${got.bits.toString(16)} flags ${got.flags}, want ${want.bits.toString(16)} flags ${want.flags}`);
    }
  }
  assertNone(): void {
    assert.equal(this.list.length, 0, `seed ${SEED}:\n${this.list.join('\n')}`);
  }
}

for (const f of [F32, F64]) {
  for (const op of ['add', 'sub', 'mul', 'div'] as BinOp[]) {
    test(`${f.name} ${op}: all rounding modes vs exact rational reference (results and flags)`, () => {
      const r = new Rng(SEED ^ (f.bits * 7919) ^ op.length * 104729 ^ op.charCodeAt(0));
      const sf = new SoftFloat();
      const mm = new Mismatches();
      for (let i = 0; i < CASES; i++) {
        const a = genOperand(f, r);
        const b = genRelated(f, r, a, op);
        for (const rm of MODES) mm.check(`${op} rm=${rm} ${hex(a, f)} ${hex(b, f)}`, runBin(sf, f, op, a, b, rm), refBin(f, op, a, b, rm));
      }
      mm.assertNone();
    });
  }

  test(`${f.name} sqrt: all rounding modes vs exact reference`, () => {
    const r = new Rng(SEED ^ 0x51a7 ^ f.bits);
    const sf = new SoftFloat();
    const mm = new Mismatches();
    for (let i = 0; i < CASES; i++) {
      let a = genOperand(f, r);
      if (r.below(4) === 0) {
        // Perfect squares of short significands.
        const m = BigInt(1 + r.below(1 << 11));
        a = roundRational(f, 0, m * m, 1n << BigInt(r.below(40)), RoundingMode.RNE).bits;
      }
      for (const rm of MODES) {
        if (f.bits === 32) sf.sqrt32(Number(a) | 0, rm);
        else sf.sqrt64(lo(a), hi(a), rm);
        mm.check(`sqrt rm=${rm} ${hex(a, f)}`, f.bits === 32 ? res32(sf) : res64(sf), refSqrt(f, a, rm));
      }
    }
    mm.assertNone();
  });

  test(`${f.name} fma (all four sign variants): all rounding modes vs exact reference`, () => {
    const r = new Rng(SEED ^ 0xf3a ^ f.bits);
    const sf = new SoftFloat();
    const mm = new Mismatches();
    for (let i = 0; i < CASES; i++) {
      const a = genOperand(f, r);
      const b = r.below(2) ? genOperand(f, r) : genRelated(f, r, a, 'mul');
      let c = genOperand(f, r);
      if (r.below(2)) {
        // An addend that cancels most of the product.
        const p = refMul(f, a, b, RoundingMode.RNE).bits;
        c = genRelated(f, r, p, 'fma');
      }
      const negP = r.below(2) === 1;
      const negC = r.below(2) === 1;
      for (const rm of MODES) {
        if (f.bits === 32) sf.fma32(Number(a) | 0, Number(b) | 0, Number(c) | 0, rm, negP, negC);
        else sf.fma64(lo(a), hi(a), lo(b), hi(b), lo(c), hi(c), rm, negP, negC);
        mm.check(`fma rm=${rm} negP=${negP} negC=${negC} ${hex(a, f)} ${hex(b, f)} ${hex(c, f)}`, f.bits === 32 ? res32(sf) : res64(sf), refFma(f, a, b, c, rm, negP, negC));
      }
    }
    mm.assertNone();
  });

  test(`${f.name} → integer conversions (w, wu, l, lu): all modes vs reference`, () => {
    const r = new Rng(SEED ^ 0xc0417 ^ f.bits);
    const sf = new SoftFloat();
    const mm = new Mismatches();
    for (let i = 0; i < CASES; i++) {
      let a = genOperand(f, r);
      if (r.below(2)) {
        // Values around the integer ranges and half-integers.
        const e = r.below(70) - 3;
        a = make(f, r.below(2), f.bias + e, r.bits(f.p - 1));
      }
      for (const rm of MODES) {
        for (const [width, unsigned] of [[32, false], [32, true], [64, false], [64, true]] as const) {
          if (f.bits === 32) {
            const x = Number(a) | 0;
            if (width === 32) (unsigned ? sf.f32ToU32(x, rm) : sf.f32ToI32(x, rm));
            else (unsigned ? sf.f32ToU64(x, rm) : sf.f32ToI64(x, rm));
          } else if (width === 32) {
            (unsigned ? sf.f64ToU32(lo(a), hi(a), rm) : sf.f64ToI32(lo(a), hi(a), rm));
          } else {
            (unsigned ? sf.f64ToU64(lo(a), hi(a), rm) : sf.f64ToI64(lo(a), hi(a), rm));
          }
          const got = width === 32 ? res32(sf) : res64(sf);
          mm.check(`to ${unsigned ? 'u' : 'i'}${width} rm=${rm} ${hex(a, f)}`, got, refToInt(f, a, rm, width, unsigned));
        }
      }
    }
    mm.assertNone();
  });

  test(`integer → ${f.name} conversions: all modes vs reference`, () => {
    const r = new Rng(SEED ^ 0x1a7 ^ f.bits);
    const sf = new SoftFloat();
    const mm = new Mismatches();
    for (let i = 0; i < CASES; i++) {
      const width = r.below(2) ? 64 : 32;
      let v = r.bits(width);
      if (r.below(2)) v >>= BigInt(r.below(width)); // all magnitudes
      const signed = BigInt.asIntN(width, v);
      for (const rm of MODES) {
        for (const unsigned of [false, true]) {
          if (width === 32) {
            const x = Number(v) | 0;
            if (f.bits === 32) (unsigned ? sf.u32ToF32(x, rm) : sf.i32ToF32(x, rm));
            else (unsigned ? sf.u32ToF64(x, rm) : sf.i32ToF64(x, rm));
          } else if (f.bits === 32) {
            (unsigned ? sf.u64ToF32(lo(v), hi(v), rm) : sf.i64ToF32(lo(v), hi(v), rm));
          } else {
            (unsigned ? sf.u64ToF64(lo(v), hi(v), rm) : sf.i64ToF64(lo(v), hi(v), rm));
          }
          const got = f.bits === 32 ? res32(sf) : res64(sf);
          mm.check(`${unsigned ? 'u' : 'i'}${width}→${f.name} rm=${rm} ${hex(v, width)}`, got, refFromInt(f, unsigned ? v : signed, rm));
        }
      }
    }
    mm.assertNone();
  });
}

test('f64 → f32 and f32 → f64: all modes vs reference', () => {
  const r = new Rng(SEED ^ 0xcafe);
  const sf = new SoftFloat();
  const mm = new Mismatches();
  for (let i = 0; i < CASES * 2; i++) {
    let a = genOperand(F64, r);
    // Doubles in and around the binary32 range, including its subnormals.
    if (r.below(2)) a = make(F64, r.below(2), F64.bias - 160 + r.below(300), r.below(2) ? r.bits(52) : r.bits(30) << 22n);
    // Just below the smallest binary32 normal (tininess after rounding decides UF).
    if (r.below(4) === 0) a = make(F64, r.below(2), F64.bias - 127, ((1n << 52n) - 1n) ^ r.bits(r.below(40)));
    for (const rm of MODES) {
      sf.f64ToF32(lo(a), hi(a), rm);
      mm.check(`f64→f32 rm=${rm} ${hex(a, F64)}`, res32(sf), refCvt(F64, F32, a, rm));
    }
    const s = genOperand(F32, r);
    sf.f32ToF64(Number(s) | 0);
    mm.check(`f32→f64 ${hex(s, F32)}`, res64(sf), refCvt(F32, F64, s, RoundingMode.RNE));
  }
  mm.assertNone();
});

// ---------------------------------------------------------------------------------------------
// Second oracle: the host's correctly rounded RNE arithmetic (results only; flags above).

test('RNE results match JS double arithmetic and Math.fround', () => {
  const r = new Rng(SEED ^ 0x7e57);
  const sf = new SoftFloat();
  const f64 = new Float64Array(1);
  const w64 = new BigUint64Array(f64.buffer);
  const f32 = new Float32Array(1);
  const w32 = new Uint32Array(f32.buffer);
  const d = (bits: bigint): number => { w64[0] = bits; return f64[0]; };
  const b64 = (x: number): bigint => { if (Number.isNaN(x)) return canon(F64); f64[0] = x; return w64[0]; };
  const s = (bits: bigint): number => { w32[0] = Number(bits); return f32[0]; };
  const b32 = (x: number): bigint => { if (Number.isNaN(x)) return canon(F32); f32[0] = x; return BigInt(w32[0]); };
  const mm = new Mismatches();
  const ops: [BinOp, (x: number, y: number) => number][] = [
    ['add', (x, y) => x + y], ['sub', (x, y) => x - y], ['mul', (x, y) => x * y], ['div', (x, y) => x / y],
  ];
  for (let i = 0; i < CASES * 4; i++) {
    for (const [name, fn] of ops) {
      const a = genOperand(F64, r);
      const b = genRelated(F64, r, a, name);
      const got = runBin(sf, F64, name, a, b, RoundingMode.RNE);
      mm.check(`${name}64 ${hex(a, F64)} ${hex(b, F64)}`, { bits: got.bits, flags: 0 }, { bits: b64(fn(d(a), d(b))), flags: 0 });
      const a32 = genOperand(F32, r);
      const b32v = genRelated(F32, r, a32, name);
      const got32 = runBin(sf, F32, name, a32, b32v, RoundingMode.RNE);
      mm.check(`${name}32 ${hex(a32, F32)} ${hex(b32v, F32)}`, { bits: got32.bits, flags: 0 }, { bits: b32(Math.fround(fn(s(a32), s(b32v)))), flags: 0 });
    }
    const a = genOperand(F64, r);
    sf.sqrt64(lo(a), hi(a), RoundingMode.RNE);
    mm.check(`sqrt64 ${hex(a, F64)}`, { bits: res64(sf).bits, flags: 0 }, { bits: b64(Math.sqrt(d(a))), flags: 0 });
    const a32 = genOperand(F32, r);
    sf.sqrt32(Number(a32) | 0, RoundingMode.RNE);
    mm.check(`sqrt32 ${hex(a32, F32)}`, { bits: res32(sf).bits, flags: 0 }, { bits: b32(Math.fround(Math.sqrt(s(a32)))), flags: 0 });
  }
  mm.assertNone();
});

// ---------------------------------------------------------------------------------------------
// Third check, aimed at the fast paths: ordinary operands (where the double-based paths apply),
// every mode, SoftFloat against the exact BigInt path (itself checked against the rationals).

test('fast paths agree with the exact path on ordinary operands (all ops, all modes)', async () => {
  const { ExactFloat } = await import('./exact-float.js');
  const { BINARY32, BINARY64 } = await import('./float-format.js');
  const ex = new ExactFloat();
  const r = new Rng(SEED ^ 0xfa5);
  const sf = new SoftFloat();
  const mm = new Mismatches();
  const ordinary = (f: Fmt): bigint => make(f, r.below(2), f.bias - 30 + r.below(60), r.below(3) === 0 ? r.bits(8) << BigInt(f.p - 9) : r.bits(f.p - 1));
  for (let i = 0; i < CASES * 4; i++) {
    for (const f of [F32, F64]) {
      const fmt = f.bits === 32 ? BINARY32 : BINARY64;
      const a = ordinary(f);
      const b = ordinary(f);
      // Addend: ordinary, or close to -(a·b) for cancellation.
      const p = refMul(f, a, b, RoundingMode.RNE).bits;
      const c = r.below(2) ? ordinary(f) : (p ^ signBit(f, 1)) + BigInt(r.below(9)) - 4n;
      const negP = r.below(2) === 1;
      const negC = r.below(2) === 1;
      for (const rm of MODES) {
        const get = (): Res => (f.bits === 32 ? res32(sf) : res64(sf));
        const want = (bits: bigint): Res => ({ bits, flags: ex.flags });
        for (const op of ['add', 'sub', 'mul', 'div'] as BinOp[]) {
          const got = runBin(sf, f, op, a, b, rm);
          const w = op === 'add' ? ex.add(fmt, a, b, rm, false) : op === 'sub' ? ex.add(fmt, a, b, rm, true) : op === 'mul' ? ex.mul(fmt, a, b, rm) : ex.div(fmt, a, b, rm);
          mm.check(`${f.name} ${op} rm=${rm} ${hex(a, f)} ${hex(b, f)}`, got, want(w));
        }
        const pos = a & ((1n << BigInt(f.bits - 1)) - 1n);
        if (f.bits === 32) sf.sqrt32(Number(pos) | 0, rm);
        else sf.sqrt64(lo(pos), hi(pos), rm);
        mm.check(`${f.name} sqrt rm=${rm} ${hex(pos, f)}`, get(), want(ex.sqrt(fmt, pos, rm)));
        if (f.bits === 32) sf.fma32(Number(a) | 0, Number(b) | 0, Number(c) | 0, rm, negP, negC);
        else sf.fma64(lo(a), hi(a), lo(b), hi(b), lo(c), hi(c), rm, negP, negC);
        mm.check(`${f.name} fma rm=${rm} ${negP} ${negC} ${hex(a, f)} ${hex(b, f)} ${hex(c, f)}`, get(), want(ex.fma(fmt, a, b, c, rm, negP, negC)));
      }
    }
  }
  mm.assertNone();
});
