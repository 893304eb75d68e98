import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FuncWriter, ValType, buildModule } from './wasm-emitter.js';

const MEM = { pages: 1, shared: false };

/** The WebAssembly JS API (the tests' lib has no declarations for it). */
const Wasm = (globalThis as unknown as {
  WebAssembly: {
    Memory: new (d: { initial: number }) => object;
    Module: new (bytes: Uint8Array) => object;
    Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
  };
}).WebAssembly;

function instantiate(bytes: Uint8Array): Record<string, unknown> {
  return new Wasm.Instance(new Wasm.Module(bytes), { m: { mem: new Wasm.Memory({ initial: 1 }) } }).exports;
}

test('i64Parts encodes hi:lo as the i64 constant a module returns (no BigInt in the emitter)', () => {
  const values: [number, number][] = [[0, 0], [-1, -1], [0x3f, 0], [0x40, 0], [-0x40, -1], [-0x41, -1], [0, 0x80000000 | 0], [-1, 0x7fffffff]];
  let x = 12345;
  for (let i = 0; i < 200; i++) {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    const lo = x;
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    values.push([lo, i % 3 === 0 ? x >> (i % 31) : x]);
  }
  for (const [lo, hi] of values) {
    const w = new FuncWriter();
    w.i64Parts(lo, hi);
    const bytes = buildModule([{ params: [], result: ValType.I64 }], [{ type: 0, locals: [], code: w.code }], 0, MEM);
    const run = instantiate(bytes)['run'] as () => bigint;
    const want = BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo >>> 0));
    assert.equal(run(), want, `hi ${hi} lo ${lo}`);
  }
});

test('a module with several functions calls between them by index', () => {
  const callee = new FuncWriter();
  callee.get(0).i32(7).op(0x6a /* i32.add */);
  const caller = new FuncWriter();
  caller.get(0).op(0x10 /* call */).u32(0).i32(2).op(0x6c /* i32.mul */);
  const t = { params: [ValType.I32], result: ValType.I32 };
  const bytes = buildModule([t], [{ type: 0, locals: [], code: callee.code }, { type: 0, locals: [], code: caller.code }], 1, MEM);
  const run = instantiate(bytes)['run'] as (n: number) => number;
  assert.equal(run(5), 24);
});
