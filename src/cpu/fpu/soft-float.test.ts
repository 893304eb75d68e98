// Spec edge cases for SoftFloat, one operation and rounding mode at a time. Every expected bit
// pattern below is derived by hand from IEEE 754-2008 and the RISC-V F/D chapters (canonical
// NaN, tininess after rounding, NV for fma(inf, 0, qNaN), saturating conversions).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SoftFloat, FFlag, RoundingMode } from './soft-float.js';

const { NX, UF, OF, DZ, NV } = { NX: FFlag.NX, UF: FFlag.UF, OF: FFlag.OF, DZ: FFlag.DZ, NV: FFlag.NV };
const [RNE, RTZ, RDN, RUP, RMM] = [RoundingMode.RNE, RoundingMode.RTZ, RoundingMode.RDN, RoundingMode.RUP, RoundingMode.RMM];
const MODES = [RNE, RTZ, RDN, RUP, RMM];

const sf = new SoftFloat();
const L = (v: bigint): number => Number(v & 0xffffffffn) | 0;
const H = (v: bigint): number => Number(v >> 32n) | 0;
const hex = (v: number | bigint): string => '0x' + (typeof v === 'number' ? (v >>> 0).toString(16) : v.toString(16));

/** Checks a binary32/int32 result in lo. */
function r32(what: string, bits: number, flags: number): void {
  assert.equal(hex(sf.lo), hex(bits), `${what}: result`);
  assert.equal(sf.flags, flags, `${what}: flags`);
}

/** Checks a 64-bit result in lo/hi. */
function r64(what: string, bits: bigint, flags: number): void {
  const got = (BigInt(sf.hi >>> 0) << 32n) | BigInt(sf.lo >>> 0);
  assert.equal(hex(got), hex(bits), `${what}: result`);
  assert.equal(sf.flags, flags, `${what}: flags`);
}

/** expected[rm] = [bits, flags] for rm = RNE, RTZ, RDN, RUP, RMM. */
function perMode32(what: string, run: (rm: number) => void, expected: [number, number][]): void {
  for (const rm of MODES) {
    run(rm);
    r32(`${what} rm=${rm}`, expected[rm][0], expected[rm][1]);
  }
}

function perMode64(what: string, run: (rm: number) => void, expected: [bigint, number][]): void {
  for (const rm of MODES) {
    run(rm);
    r64(`${what} rm=${rm}`, expected[rm][0], expected[rm][1]);
  }
}

const ONE = 0x3f800000;
const QNAN = 0x7fc00000;
const SNAN = 0x7f800001;
const INF = 0x7f800000;
const NINF = 0xff800000 | 0;
const NZERO = 0x80000000 | 0;
const D_ONE = 0x3ff0000000000000n;
const D_QNAN = 0x7ff8000000000000n;
const D_SNAN = 0x7ff0000000000001n;

test('binary32 add/sub: exact sums, signed zeros by rounding mode', () => {
  sf.add32(ONE, 0x40000000, RNE);
  r32('1+2', 0x40400000, 0);
  // x + (-x) is +0, except -0 when rounding down (IEEE 754 §6.3).
  perMode32('1-1', (rm) => sf.sub32(ONE, ONE, rm), [[0, 0], [0, 0], [NZERO, 0], [0, 0], [0, 0]]);
  perMode32('-0 + -0', (rm) => sf.add32(NZERO, NZERO, rm), [[NZERO, 0], [NZERO, 0], [NZERO, 0], [NZERO, 0], [NZERO, 0]]);
  perMode32('+0 + -0', (rm) => sf.add32(0, NZERO, rm), [[0, 0], [0, 0], [NZERO, 0], [0, 0], [0, 0]]);
  // Smallest subnormals add exactly: no UF for an exact tiny result.
  sf.add32(1, 1, RNE);
  r32('minsub+minsub', 2, 0);
  // 1 + 2^-24 is a tie: RNE keeps 1 (even), RMM and RUP go up.
  perMode32('1 + 2^-24', (rm) => sf.add32(ONE, 0x33800000, rm), [[ONE, NX], [ONE, NX], [ONE, NX], [0x3f800001, NX], [0x3f800001, NX]]);
});

test('binary32 overflow: ±inf or ±max finite depending on the rounding mode', () => {
  const MAX = 0x7f7fffff;
  const NMAX = 0xff7fffff | 0;
  perMode32('max*2', (rm) => sf.mul32(MAX, 0x40000000, rm), [[INF, OF | NX], [MAX, OF | NX], [MAX, OF | NX], [INF, OF | NX], [INF, OF | NX]]);
  perMode32('-max*2', (rm) => sf.mul32(NMAX, 0x40000000, rm), [[NINF, OF | NX], [NMAX, OF | NX], [NINF, OF | NX], [NMAX, OF | NX], [NINF, OF | NX]]);
});

test('binary32 underflow: tininess is detected after rounding', () => {
  // (1 - 2^-13)·2^-126(1 + 2^-13) = 2^-126·(1 - 2^-26): rounding to 24 bits with an unbounded
  // exponent gives 2^-126 in RNE/RUP/RMM (not tiny: NX only) but stays below it in RTZ/RDN.
  perMode32('tiny after rounding', (rm) => sf.mul32(0x3f7ff800, 0x00800400, rm),
    [[0x00800000, NX], [0x007fffff, UF | NX], [0x007fffff, UF | NX], [0x00800000, NX], [0x00800000, NX]]);
  // (1 - 2^-24)·2^-126 is exact at 24 bits and below 2^-126: tiny in every mode.
  perMode32('tiny before and after', (rm) => sf.mul32(0x3f7fffff, 0x00800000, rm),
    [[0x00800000, UF | NX], [0x007fffff, UF | NX], [0x007fffff, UF | NX], [0x00800000, UF | NX], [0x00800000, UF | NX]]);
  // 2^-149 · 0.5 = 2^-150, exactly half the smallest subnormal.
  perMode32('minsub/2', (rm) => sf.mul32(1, 0x3f000000, rm), [[0, UF | NX], [0, UF | NX], [0, UF | NX], [1, UF | NX], [1, UF | NX]]);
  perMode32('-minsub/4', (rm) => sf.mul32(1, 0xbe800000 | 0, rm),
    [[NZERO, UF | NX], [NZERO, UF | NX], [0x80000001 | 0, UF | NX], [NZERO, UF | NX], [NZERO, UF | NX]]);
  sf.mul32(2, 0x3f000000, RNE);
  r32('exact subnormal product', 1, 0);
});

test('binary32 division and square root in every mode', () => {
  perMode32('1/3', (rm) => sf.div32(ONE, 0x40400000, rm), [[0x3eaaaaab, NX], [0x3eaaaaaa, NX], [0x3eaaaaaa, NX], [0x3eaaaaab, NX], [0x3eaaaaab, NX]]);
  perMode32('-1/3', (rm) => sf.div32(0xbf800000 | 0, 0x40400000, rm),
    [[0xbeaaaaab | 0, NX], [0xbeaaaaaa | 0, NX], [0xbeaaaaab | 0, NX], [0xbeaaaaaa | 0, NX], [0xbeaaaaab | 0, NX]]);
  sf.div32(ONE, 0, RNE);
  r32('1/0', INF, DZ);
  sf.div32(ONE, NZERO, RNE);
  r32('1/-0', NINF, DZ);
  sf.div32(0, 0, RNE);
  r32('0/0', QNAN, NV);
  sf.div32(INF, INF, RNE);
  r32('inf/inf', QNAN, NV);
  sf.div32(INF, 0, RNE);
  r32('inf/0 (no DZ)', INF, 0);
  // sqrt(2) = 1.41421354 (0x3fb504f3 rounds up from 1.0110101000001001111001100110011...)
  perMode32('sqrt 2', (rm) => sf.sqrt32(0x40000000, rm), [[0x3fb504f3, NX], [0x3fb504f3, NX], [0x3fb504f3, NX], [0x3fb504f4, NX], [0x3fb504f3, NX]]);
  sf.sqrt32(0x40800000, RNE);
  r32('sqrt 4', 0x40000000, 0);
  sf.sqrt32(NZERO, RNE);
  r32('sqrt -0', NZERO, 0);
  sf.sqrt32(0xbf800000 | 0, RNE);
  r32('sqrt -1', QNAN, NV);
  sf.sqrt32(NINF, RNE);
  r32('sqrt -inf', QNAN, NV);
  sf.sqrt32(INF, RNE);
  r32('sqrt inf', INF, 0);
  sf.sqrt32(1, RNE);
  r32('sqrt minsub', 0x1a3504f3, NX); // 2^-74.5
});

test('NaN results are canonical; sNaN operands raise NV', () => {
  sf.add32(0x7fc12345, ONE, RNE);
  r32('qNaN payload + 1', QNAN, 0);
  sf.add32(0xffc00000 | 0, ONE, RNE);
  r32('negative qNaN', QNAN, 0);
  sf.mul32(SNAN, ONE, RNE);
  r32('sNaN * 1', QNAN, NV);
  sf.sub32(INF, INF, RNE);
  r32('inf - inf', QNAN, NV);
  sf.mul32(0, NINF, RNE);
  r32('0 * -inf', QNAN, NV);
  sf.add64(L(D_SNAN), H(D_SNAN), L(D_ONE), H(D_ONE), RNE);
  r64('f64 sNaN + 1', D_QNAN, NV);
  sf.div64(L(0xfff8000000000123n), H(0xfff8000000000123n), L(D_ONE), H(D_ONE), RNE);
  r64('f64 qNaN payload / 1', D_QNAN, 0);
});

test('fused multiply-add: one rounding, sign variants, inf·0 with a NaN addend', () => {
  // (1 + 2^-12)^2 - (1 + 2^-11) = 2^-24 exactly; a separate multiply would round it away.
  sf.fma32(0x3f800800, 0x3f800800, 0xbf801000 | 0, RNE, false, false);
  r32('single rounding', 0x33800000, 0);
  sf.mul32(0x3f800800, 0x3f800800, RNE);
  r32('(1+2^-12)^2 rounded alone', 0x3f801000, NX);
  // 2·3 ± 1 in the four RISC-V forms.
  sf.fma32(0x40000000, 0x40400000, ONE, RNE, false, false);
  r32('fmadd', 0x40e00000, 0);
  sf.fma32(0x40000000, 0x40400000, ONE, RNE, false, true);
  r32('fmsub', 0x40a00000, 0);
  sf.fma32(0x40000000, 0x40400000, ONE, RNE, true, false);
  r32('fnmsub', 0xc0a00000 | 0, 0);
  sf.fma32(0x40000000, 0x40400000, ONE, RNE, true, true);
  r32('fnmadd', 0xc0e00000 | 0, 0);
  // Zero signs: +0·1 + -0 is +0 (-0 in RDN); -(0·1) - 0 is -0 in every mode.
  perMode32('0*1 + -0', (rm) => sf.fma32(0, ONE, NZERO, rm, false, false), [[0, 0], [0, 0], [NZERO, 0], [0, 0], [0, 0]]);
  perMode32('fnmadd(0,1,0)', (rm) => sf.fma32(0, ONE, 0, rm, true, true), [[NZERO, 0], [NZERO, 0], [NZERO, 0], [NZERO, 0], [NZERO, 0]]);
  // Exact cancellation of a nonzero product: +0, or -0 in RDN.
  perMode32('2*3 - 6', (rm) => sf.fma32(0x40000000, 0x40400000, 0xc0c00000 | 0, rm, false, false), [[0, 0], [0, 0], [NZERO, 0], [0, 0], [0, 0]]);
  // RISC-V: NV for inf·0 even when the addend is a quiet NaN.
  sf.fma32(INF, 0, QNAN, RNE, false, false);
  r32('fma(inf, 0, qNaN)', QNAN, NV);
  sf.fma32(0, NINF, QNAN, RNE, false, false);
  r32('fma(0, -inf, qNaN)', QNAN, NV);
  sf.fma32(INF, 0, ONE, RNE, false, false);
  r32('fma(inf, 0, 1)', QNAN, NV);
  sf.fma32(ONE, ONE, SNAN, RNE, false, false);
  r32('fma(1, 1, sNaN)', QNAN, NV);
  sf.fma32(QNAN, ONE, ONE, RNE, false, false);
  r32('fma(qNaN, 1, 1)', QNAN, 0);
  sf.fma32(INF, ONE, NINF, RNE, false, false);
  r32('inf·1 - inf', QNAN, NV);
  sf.fma32(INF, ONE, NINF, RNE, false, true);
  r32('fmsub(inf, 1, -inf)', INF, 0);
  // binary64: (1 + 2^-27)^2 - (1 + 2^-26) = 2^-54.
  const a = 0x3ff0000002000000n;
  const c = 0xbff0000004000000n;
  sf.fma64(L(a), H(a), L(a), H(a), L(c), H(c), RNE, false, false);
  r64('f64 single rounding', 0x3c90000000000000n, 0);
  // 2^-2(1 + 2^-52)·(1 + 2^-52) + 1 = 1.25 + 2^-53 + 2^-106: a hair above the midpoint between
  // 1.25 and its successor, although every partial double sum lands exactly on a tie.
  const X = 0x3fd0000000000001n;
  const Y = 0x3ff0000000000001n;
  const UP = 0x3ff4000000000001n;
  const DN = 0x3ff4000000000000n;
  perMode64('just above a midpoint', (rm) => sf.fma64(L(X), H(X), L(Y), H(Y), L(D_ONE), H(D_ONE), rm, false, false),
    [[UP, NX], [DN, NX], [DN, NX], [UP, NX], [UP, NX]]);
  perMode64('negated: just below a negative midpoint', (rm) => sf.fma64(L(X), H(X), L(Y), H(Y), L(D_ONE), H(D_ONE), rm, true, true),
    [[UP | (1n << 63n), NX], [DN | (1n << 63n), NX], [UP | (1n << 63n), NX], [DN | (1n << 63n), NX], [UP | (1n << 63n), NX]]);
  // Product below the addend's last bit: sticky decides directed rounding.
  perMode64('1 + tiny product', (rm) => sf.fma64(1, 0, L(D_ONE), H(D_ONE), L(D_ONE), H(D_ONE), rm, false, false),
    [[D_ONE, NX], [D_ONE, NX], [D_ONE, NX], [D_ONE + 1n, NX], [D_ONE, NX]]);
  perMode64('1 - tiny product', (rm) => sf.fma64(1, 0, L(D_ONE), H(D_ONE), L(D_ONE), H(D_ONE), rm, true, false),
    [[D_ONE, NX], [0x3fefffffffffffffn, NX], [0x3fefffffffffffffn, NX], [D_ONE, NX], [D_ONE, NX]]);
});

test('min/max: minimumNumber semantics, -0 < +0, NaN handling', () => {
  sf.min32(NZERO, 0);
  r32('min(-0, +0)', NZERO, 0);
  sf.min32(0, NZERO);
  r32('min(+0, -0)', NZERO, 0);
  sf.max32(NZERO, 0);
  r32('max(-0, +0)', 0, 0);
  sf.max32(0, NZERO);
  r32('max(+0, -0)', 0, 0);
  sf.min32(ONE, 0x40000000);
  r32('min(1, 2)', ONE, 0);
  sf.max32(ONE, 0x40000000);
  r32('max(1, 2)', 0x40000000, 0);
  sf.min32(QNAN, ONE);
  r32('min(qNaN, 1)', ONE, 0);
  sf.max32(ONE, SNAN);
  r32('max(1, sNaN)', ONE, NV);
  sf.min32(0x7fc00001, 0xffc00000 | 0);
  r32('min(qNaN, qNaN)', QNAN, 0);
  sf.max32(SNAN, QNAN);
  r32('max(sNaN, qNaN)', QNAN, NV);
  sf.min64(0, 0, 0, 0x80000000 | 0);
  r64('f64 min(+0, -0)', 0x8000000000000000n, 0);
  sf.max64(L(D_SNAN), H(D_SNAN), L(D_ONE), H(D_ONE));
  r64('f64 max(sNaN, 1)', D_ONE, NV);
  sf.max64(L(D_SNAN), H(D_SNAN), L(D_QNAN), H(D_QNAN));
  r64('f64 max(sNaN, qNaN)', D_QNAN, NV);
});

test('comparisons: feq is quiet, flt/fle signal on any NaN', () => {
  const cases: [string, (a: number, b: number) => void, number, number, number, number][] = [
    ['feq(qNaN,1)', (a, b) => sf.eq32(a, b), QNAN, ONE, 0, 0],
    ['feq(sNaN,1)', (a, b) => sf.eq32(a, b), SNAN, ONE, 0, NV],
    ['flt(qNaN,1)', (a, b) => sf.lt32(a, b), QNAN, ONE, 0, NV],
    ['fle(1,qNaN)', (a, b) => sf.le32(a, b), ONE, QNAN, 0, NV],
    ['feq(+0,-0)', (a, b) => sf.eq32(a, b), 0, NZERO, 1, 0],
    ['flt(-0,+0)', (a, b) => sf.lt32(a, b), NZERO, 0, 0, 0],
    ['fle(-0,+0)', (a, b) => sf.le32(a, b), NZERO, 0, 1, 0],
    ['flt(-inf,inf)', (a, b) => sf.lt32(a, b), NINF, INF, 1, 0],
    ['flt(1,1)', (a, b) => sf.lt32(a, b), ONE, ONE, 0, 0],
    ['fle(minsub,0)', (a, b) => sf.le32(a, b), 1, 0, 0, 0],
  ];
  for (const [what, run, a, b, want, flags] of cases) {
    run(a, b);
    r32(what, want, flags);
  }
  sf.eq64(L(D_QNAN), H(D_QNAN), L(D_QNAN), H(D_QNAN));
  r32('f64 feq(qNaN,qNaN)', 0, 0);
  sf.lt64(0, 0x80000000 | 0, 1, 0);
  r32('f64 flt(-0, minsub)', 1, 0);
  sf.le64(L(D_SNAN), H(D_SNAN), 0, 0);
  r32('f64 fle(sNaN, 0)', 0, NV);
});

test('fclass: the ten classes', () => {
  const c32: [number, number][] = [[NINF, 1 << 0], [0xbf800000 | 0, 1 << 1], [0x80000001 | 0, 1 << 2], [NZERO, 1 << 3], [0, 1 << 4],
    [0x007fffff, 1 << 5], [ONE, 1 << 6], [INF, 1 << 7], [SNAN, 1 << 8], [QNAN, 1 << 9], [0xffc00000 | 0, 1 << 9], [0xff800001 | 0, 1 << 8]];
  for (const [v, mask] of c32) {
    sf.class32(v);
    r32(`fclass.s ${hex(v)}`, mask, 0);
  }
  const c64: [bigint, number][] = [[0xfff0000000000000n, 1 << 0], [0xbff0000000000000n, 1 << 1], [0x800fffffffffffffn, 1 << 2],
    [0x8000000000000000n, 1 << 3], [0n, 1 << 4], [1n, 1 << 5], [D_ONE, 1 << 6], [0x7ff0000000000000n, 1 << 7],
    [D_SNAN, 1 << 8], [0x7ff4000000000000n, 1 << 8], [D_QNAN, 1 << 9]];
  for (const [v, mask] of c64) {
    sf.class64(L(v), H(v));
    r32(`fclass.d ${hex(v)}`, mask, 0);
  }
});

test('float → integer: rounding, saturation, NaN → max positive', () => {
  const F2_5 = 0x40200000;
  const FM2_5 = 0xc0200000 | 0;
  perMode32('fcvt.w.s 2.5', (rm) => sf.f32ToI32(F2_5, rm), [[2, NX], [2, NX], [2, NX], [3, NX], [3, NX]]);
  perMode32('fcvt.w.s -2.5', (rm) => sf.f32ToI32(FM2_5, rm), [[-2, NX], [-2, NX], [-3, NX], [-2, NX], [-3, NX]]);
  perMode32('fcvt.w.s 3.5', (rm) => sf.f32ToI32(0x40600000, rm), [[4, NX], [3, NX], [3, NX], [4, NX], [4, NX]]);
  sf.f32ToI32(QNAN, RNE);
  r32('fcvt.w.s NaN', 0x7fffffff, NV);
  sf.f32ToI32(0xffc00000 | 0, RNE);
  r32('fcvt.w.s -NaN', 0x7fffffff, NV);
  sf.f32ToI32(INF, RNE);
  r32('fcvt.w.s inf', 0x7fffffff, NV);
  sf.f32ToI32(NINF, RNE);
  r32('fcvt.w.s -inf', 0x80000000 | 0, NV);
  sf.f32ToI32(0x4f000000, RNE);
  r32('fcvt.w.s 2^31', 0x7fffffff, NV);
  sf.f32ToI32(0xcf000000 | 0, RNE);
  r32('fcvt.w.s -2^31', 0x80000000 | 0, 0);
  sf.f32ToU32(QNAN, RNE);
  r32('fcvt.wu.s NaN', -1, NV);
  sf.f32ToU32(0xbf800000 | 0, RNE);
  r32('fcvt.wu.s -1', 0, NV);
  // -0.5 truncates to 0, which is representable: inexact, not invalid.
  sf.f32ToU32(0xbf000000 | 0, RTZ);
  r32('fcvt.wu.s -0.5 rtz', 0, NX);
  sf.f32ToU32(0xbf000000 | 0, RDN);
  r32('fcvt.wu.s -0.5 rdn', 0, NV);
  sf.f32ToU32(0x4f800000, RNE);
  r32('fcvt.wu.s 2^32', -1, NV);
  sf.f32ToU32(0x4f7fffff, RNE);
  r32('fcvt.wu.s 2^32-256', 0xffffff00 | 0, 0);
  sf.f64ToI32(0, 0x41e00000, RNE); // 2^31
  r32('fcvt.w.d 2^31', 0x7fffffff, NV);
  sf.f64ToI32(L(0xc1dfffffffc00000n), H(0xc1dfffffffc00000n), RNE); // -2147483647
  r32('fcvt.w.d -(2^31-1)', -2147483647, 0);
  sf.f64ToI32(L(0x41dfffffffe00000n), H(0x41dfffffffe00000n), RDN); // 2^31 - 0.5
  r32('fcvt.w.d 2^31-0.5 rdn', 0x7fffffff, NX);
  sf.f64ToI32(L(0x41dfffffffe00000n), H(0x41dfffffffe00000n), RNE);
  r32('fcvt.w.d 2^31-0.5 rne', 0x7fffffff, NV);
  sf.f64ToI64(L(D_QNAN), H(D_QNAN), RNE);
  r64('fcvt.l.d NaN', 0x7fffffffffffffffn, NV);
  sf.f64ToU64(L(D_QNAN), H(D_QNAN), RNE);
  r64('fcvt.lu.d NaN', 0xffffffffffffffffn, NV);
  sf.f64ToI64(0, 0x43e00000, RNE);
  r64('fcvt.l.d 2^63', 0x7fffffffffffffffn, NV);
  sf.f64ToI64(0, 0xc3e00000 | 0, RNE);
  r64('fcvt.l.d -2^63', 0x8000000000000000n, 0);
  sf.f64ToU64(L(0x43efffffffffffffn), H(0x43efffffffffffffn), RNE);
  r64('fcvt.lu.d 2^64-2048', 0xfffffffffffff800n, 0);
  sf.f64ToU64(0, 0x43f00000, RNE);
  r64('fcvt.lu.d 2^64', 0xffffffffffffffffn, NV);
  sf.f64ToI64(0, 0xbff00000 | 0, RNE);
  r64('fcvt.l.d -1', 0xffffffffffffffffn, 0);
  sf.f64ToU64(0, 0xfff00000 | 0, RNE);
  r64('fcvt.lu.d -inf', 0n, NV);
  perMode64('fcvt.l.d -0.5', (rm) => sf.f64ToI64(0, 0xbfe00000 | 0, rm),
    [[0n, NX], [0n, NX], [0xffffffffffffffffn, NX], [0n, NX], [0xffffffffffffffffn, NX]]);
  sf.f32ToI64(0x5f000000, RNE); // 2^63
  r64('fcvt.l.s 2^63', 0x7fffffffffffffffn, NV);
  sf.f32ToU64(0x5f000000, RNE);
  r64('fcvt.lu.s 2^63', 0x8000000000000000n, 0);
  sf.f32ToI64(1, RUP);
  r64('fcvt.l.s minsub rup', 1n, NX);
});

test('integer → float: rounding in every mode', () => {
  perMode32('fcvt.s.w 2^31-1', (rm) => sf.i32ToF32(0x7fffffff, rm), [[0x4f000000, NX], [0x4effffff, NX], [0x4effffff, NX], [0x4f000000, NX], [0x4f000000, NX]]);
  perMode32('fcvt.s.w -(2^24+1)', (rm) => sf.i32ToF32(-16777217, rm),
    [[0xcb800000 | 0, NX], [0xcb800000 | 0, NX], [0xcb800001 | 0, NX], [0xcb800000 | 0, NX], [0xcb800001 | 0, NX]]);
  sf.i32ToF32(-1, RNE);
  r32('fcvt.s.w -1', 0xbf800000 | 0, 0);
  sf.u32ToF32(-1, RTZ);
  r32('fcvt.s.wu 2^32-1 rtz', 0x4f7fffff, NX);
  sf.i64ToF32(-1, -1, RNE);
  r32('fcvt.s.l -1', 0xbf800000 | 0, 0);
  sf.u64ToF32(-1, -1, RNE);
  r32('fcvt.s.lu 2^64-1', 0x5f800000, NX);
  sf.u32ToF64(-1, RNE);
  r64('fcvt.d.wu 2^32-1', 0x41efffffffe00000n, 0);
  sf.i32ToF64(0x80000000 | 0, RNE);
  r64('fcvt.d.w -2^31', 0xc1e0000000000000n, 0);
  sf.i64ToF64(0, 0x80000000 | 0, RNE);
  r64('fcvt.d.l -2^63', 0xc3e0000000000000n, 0);
  perMode64('fcvt.d.lu 2^64-1', (rm) => sf.u64ToF64(-1, -1, rm),
    [[0x43f0000000000000n, NX], [0x43efffffffffffffn, NX], [0x43efffffffffffffn, NX], [0x43f0000000000000n, NX], [0x43f0000000000000n, NX]]);
  // 2^53 + 1 is a tie between 2^53 and 2^53 + 2.
  perMode64('fcvt.d.l 2^53+1', (rm) => sf.i64ToF64(1, 0x200000, rm),
    [[0x4340000000000000n, NX], [0x4340000000000000n, NX], [0x4340000000000000n, NX], [0x4340000000000001n, NX], [0x4340000000000001n, NX]]);
  perMode64('fcvt.d.l -(2^53+1)', (rm) => sf.i64ToF64(-1, -0x200001, rm),
    [[0xc340000000000000n, NX], [0xc340000000000000n, NX], [0xc340000000000001n, NX], [0xc340000000000000n, NX], [0xc340000000000001n, NX]]);
});

test('binary64 arithmetic: rounding modes, overflow threshold, tininess after rounding', () => {
  const P1 = 0x3fb999999999999an;
  const P2 = 0x3fc999999999999an;
  perMode64('0.1 + 0.2', (rm) => sf.add64(L(P1), H(P1), L(P2), H(P2), rm),
    [[0x3fd3333333333334n, NX], [0x3fd3333333333333n, NX], [0x3fd3333333333333n, NX], [0x3fd3333333333334n, NX], [0x3fd3333333333334n, NX]]);
  // max + half an ulp of max is exactly the overflow threshold.
  const MAX = 0x7fefffffffffffffn;
  const HALF = 0x7c90000000000000n;
  perMode64('max + ulp/2', (rm) => sf.add64(L(MAX), H(MAX), L(HALF), H(HALF), rm),
    [[0x7ff0000000000000n, OF | NX], [MAX, NX], [MAX, NX], [0x7ff0000000000000n, OF | NX], [0x7ff0000000000000n, OF | NX]]);
  perMode64('sqrt 2', (rm) => sf.sqrt64(0, 0x40000000, rm),
    [[0x3ff6a09e667f3bcdn, NX], [0x3ff6a09e667f3bccn, NX], [0x3ff6a09e667f3bccn, NX], [0x3ff6a09e667f3bcdn, NX], [0x3ff6a09e667f3bcdn, NX]]);
  // (1 - 2^-28)·2^-1022(1 + 2^-28) = 2^-1022(1 - 2^-56).
  const A = 0x3feffffffe000000n;
  const B = 0x0010000001000000n;
  perMode64('tiny after rounding', (rm) => sf.mul64(L(A), H(A), L(B), H(B), rm),
    [[0x0010000000000000n, NX], [0x000fffffffffffffn, UF | NX], [0x000fffffffffffffn, UF | NX], [0x0010000000000000n, NX], [0x0010000000000000n, NX]]);
  perMode64('minsub/2', (rm) => sf.mul64(1, 0, 0, 0x3fe00000, rm), [[0n, UF | NX], [0n, UF | NX], [0n, UF | NX], [1n, UF | NX], [1n, UF | NX]]);
  sf.div64(0, 0x3ff00000, 0, 0, RNE);
  r64('1/0', 0x7ff0000000000000n, DZ);
  sf.div64(0, 0, 0, 0, RNE);
  r64('0/0', D_QNAN, NV);
  sf.div64(2, 0, 0, 0x40000000, RNE); // 2·2^-1074 / 2
  r64('exact subnormal quotient', 1n, 0);
});

test('precision conversions', () => {
  const T = 0x3ff0000010000000n; // 1 + 2^-24: a binary32 tie
  perMode32('fcvt.s.d 1+2^-24', (rm) => sf.f64ToF32(L(T), H(T), rm), [[ONE, NX], [ONE, NX], [ONE, NX], [0x3f800001, NX], [0x3f800001, NX]]);
  const MAX = 0x7fefffffffffffffn;
  perMode32('fcvt.s.d max', (rm) => sf.f64ToF32(L(MAX), H(MAX), rm), [[INF, OF | NX], [0x7f7fffff, OF | NX], [0x7f7fffff, OF | NX], [INF, OF | NX], [INF, OF | NX]]);
  const TINY = 0x3370000000000000n; // 2^-200
  perMode32('fcvt.s.d 2^-200', (rm) => sf.f64ToF32(L(TINY), H(TINY), rm), [[0, UF | NX], [0, UF | NX], [0, UF | NX], [1, UF | NX], [0, UF | NX]]);
  sf.f64ToF32(L(D_SNAN), H(D_SNAN), RNE);
  r32('fcvt.s.d sNaN', QNAN, NV);
  sf.f64ToF32(L(0xfff8000000000001n), H(0xfff8000000000001n), RNE);
  r32('fcvt.s.d qNaN', QNAN, 0);
  sf.f64ToF32(0, 0xfff00000 | 0, RNE);
  r32('fcvt.s.d -inf', NINF, 0);
  sf.f32ToF64(SNAN);
  r64('fcvt.d.s sNaN', D_QNAN, NV);
  sf.f32ToF64(0xffc00001 | 0);
  r64('fcvt.d.s qNaN', D_QNAN, 0);
  sf.f32ToF64(1);
  r64('fcvt.d.s minsub', 0x36a0000000000000n, 0);
  sf.f32ToF64(NZERO);
  r64('fcvt.d.s -0', 0x8000000000000000n, 0);
});

test('operands given as uint32 numbers behave exactly like their int32 form', () => {
  const patterns = [0x80000000, 0xbf800000, 0xff800000, 0xffc00000, 0xc0490fdb, 0x80000001, 0x3f800000, 0x7f800001];
  const other = new SoftFloat();
  for (const a of patterns) {
    for (const b of patterns) {
      const calls: [string, (s: SoftFloat, x: number, y: number) => void][] = [
        ['add32', (s, x, y) => s.add32(x, y, RDN)], ['sqrt32', (s, x) => s.sqrt32(x, RNE)], ['min32', (s, x, y) => s.min32(x, y)],
        ['max32', (s, x, y) => s.max32(x, y)], ['class32', (s, x) => s.class32(x)], ['lt32', (s, x, y) => s.lt32(x, y)],
        ['add64', (s, x, y) => s.add64(y, x, x, y, RNE)], ['sqrt64', (s, x, y) => s.sqrt64(y, x, RUP)], ['min64', (s, x, y) => s.min64(y, x, x, y)],
        ['class64', (s, x, y) => s.class64(y, x)], ['fma64', (s, x, y) => s.fma64(y, x, x, y, y, x, RTZ, false, true)],
        ['f64ToI64', (s, x, y) => s.f64ToI64(y, x, RNE)], ['i64ToF64', (s, x, y) => s.i64ToF64(y, x, RDN)],
      ];
      for (const [name, call] of calls) {
        sf.hi = other.hi = 0; // binary32 results leave hi alone
        call(sf, a | 0, b | 0);
        call(other, a >>> 0, b >>> 0);
        assert.deepEqual([other.lo, other.hi, other.flags], [sf.lo, sf.hi, sf.flags], `${name} ${hex(a)} ${hex(b)}`);
      }
    }
  }
});
