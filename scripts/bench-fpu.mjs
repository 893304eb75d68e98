#!/usr/bin/env node
// Soft-float throughput: million operations per second per operation and rounding mode, next
// to the host's own double arithmetic for scale. Build first (npx tsc -b src/cpu).
// Usage: node scripts/bench-fpu.mjs [iterations]
import { SoftFloat } from '../dist/cpu/fpu/soft-float.js';

const N = Number(process.argv[2] ?? 200000);
const sf = new SoftFloat();
const f64 = new Float64Array(1);
const w = new Int32Array(f64.buffer);
const f32 = new Float32Array(1);
const w32 = new Int32Array(f32.buffer);

// Operands: ordinary doubles/floats (the common case for guest code).
const K = 1024;
const A = new Int32Array(2 * K);
const B = new Int32Array(2 * K);
const S = new Int32Array(K);
const T = new Int32Array(K);
let seed = 12345;
const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
for (let i = 0; i < K; i++) {
  f64[0] = (rnd() - 0.5) * 1000; A[2 * i] = w[0]; A[2 * i + 1] = w[1];
  f64[0] = (rnd() + 0.1) * 10; B[2 * i] = w[0]; B[2 * i + 1] = w[1];
  f32[0] = (rnd() - 0.5) * 1000; S[i] = w32[0];
  f32[0] = (rnd() + 0.1) * 10; T[i] = w32[0];
}

const ops = {
  'fadd.d': (rm) => { for (let i = 0; i < N; i++) { const j = (i & (K - 1)) * 2; sf.add64(A[j], A[j + 1], B[j], B[j + 1], rm); } },
  'fmul.d': (rm) => { for (let i = 0; i < N; i++) { const j = (i & (K - 1)) * 2; sf.mul64(A[j], A[j + 1], B[j], B[j + 1], rm); } },
  'fdiv.d': (rm) => { for (let i = 0; i < N; i++) { const j = (i & (K - 1)) * 2; sf.div64(A[j], A[j + 1], B[j], B[j + 1], rm); } },
  'fsqrt.d': (rm) => { for (let i = 0; i < N; i++) { const j = (i & (K - 1)) * 2; sf.sqrt64(B[j], B[j + 1], rm); } },
  'fmadd.d': (rm) => { for (let i = 0; i < N; i++) { const j = (i & (K - 1)) * 2; sf.fma64(A[j], A[j + 1], B[j], B[j + 1], A[j ^ 2], A[(j ^ 2) + 1], rm, false, false); } },
  'fadd.s': (rm) => { for (let i = 0; i < N; i++) { const j = i & (K - 1); sf.add32(S[j], T[j], rm); } },
  'fmul.s': (rm) => { for (let i = 0; i < N; i++) { const j = i & (K - 1); sf.mul32(S[j], T[j], rm); } },
  'fdiv.s': (rm) => { for (let i = 0; i < N; i++) { const j = i & (K - 1); sf.div32(S[j], T[j], rm); } },
  'fmadd.s': (rm) => { for (let i = 0; i < N; i++) { const j = i & (K - 1); sf.fma32(S[j], T[j], S[j ^ 1], rm, false, false); } },
  'fcvt.w.d': (rm) => { for (let i = 0; i < N; i++) { const j = (i & (K - 1)) * 2; sf.f64ToI32(A[j], A[j + 1], rm); } },
  'fcvt.d.l': (rm) => { for (let i = 0; i < N; i++) { const j = (i & (K - 1)) * 2; sf.i64ToF64(A[j], A[j + 1], rm); } },
  'fcvt.s.d': (rm) => { for (let i = 0; i < N; i++) { const j = (i & (K - 1)) * 2; sf.f64ToF32(A[j], A[j + 1], rm); } },
};

// Best of five runs: the machine is shared, the minimum time is the least disturbed one.
function mops(fn, rm) {
  fn(rm); // warm up
  let best = Infinity;
  for (let k = 0; k < 5; k++) {
    const t0 = process.hrtime.bigint();
    fn(rm);
    best = Math.min(best, Number(process.hrtime.bigint() - t0));
  }
  return (N / best) * 1000;
}

const host = () => {
  let acc = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) { const j = (i & (K - 1)) * 2; w[0] = A[j]; w[1] = A[j + 1]; const x = f64[0]; w[0] = B[j]; w[1] = B[j + 1]; acc += x * f64[0]; }
  const ns = Number(process.hrtime.bigint() - t0);
  return [(N / ns) * 1000, acc];
};

const modes = ['RNE', 'RTZ', 'RDN', 'RUP', 'RMM'];
console.log(`soft-float throughput, ${N} ops per cell, M ops/s (node ${process.version})`);
console.log(['op'.padEnd(10), ...modes.map((m) => m.padStart(8))].join(''));
for (const [name, fn] of Object.entries(ops)) {
  console.log([name.padEnd(10), ...modes.map((_, rm) => mops(fn, rm).toFixed(2).padStart(8))].join(''));
}
host();
console.log(`host double multiply through the same typed-array views: ${host()[0].toFixed(1)} M ops/s`);
