import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePlain, encodePlain, PLAIN_MAX_DEPTH, type PlainData } from './plain-codec.js';
import { SnapshotError } from './snapshot-error.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

test('encodes the RFC 8949 Appendix A examples it supports byte for byte', () => {
  const cases: [PlainData, string][] = [
    [0, '00'],
    [23, '17'],
    [24, '1818'],
    [1000, '1903e8'],
    [1000000, '1a000f4240'],
    [1000000000000, '1b000000e8d4a51000'],
    [-1, '20'],
    [-1000, '3903e7'],
    [18446744073709551616n, 'c249010000000000000000'],
    [-18446744073709551617n, 'c349010000000000000000'],
    [1.1, 'fb3ff199999999999a'],
    [false, 'f4'],
    [true, 'f5'],
    [null, 'f6'],
    [undefined, 'f7'],
    ['', '60'],
    ['a', '6161'],
    ['\u00fc', '62c3bc'],
    [[1, 2, 3], '83010203'],
    [{ a: 1, b: [2, 3] }, 'a26161016162820203'],
    [new Uint8Array([1, 2, 3, 4]), '4401020304'],
  ];
  for (const [v, h] of cases) {
    assert.equal(hex(encodePlain(v)), h, `encode ${String(v)}`);
    assert.deepEqual(decodePlain(unhex(h), 't'), v, `decode ${h}`);
  }
});

test('round-trips nested state with bigints, floats and every typed array kind', () => {
  const state: PlainData = {
    version: 1,
    pc: 0xffffffff80001234n,
    neg: -5n,
    zero: 0n,
    ratio: -0.25,
    negZero: -0,
    nan: NaN,
    big: 2 ** 60,
    name: 'virtio-blk \u2603',
    regs: new Int32Array([1, -2, 0x7fffffff, -0x80000000]),
    u16: new Uint16Array([1, 65535]),
    u32: new Uint32Array([0xffffffff]),
    i8: new Int8Array([-128, 127]),
    i16: new Int16Array([-32768]),
    f32: new Float32Array([1.5]),
    f64: new Float64Array([Math.PI, -Infinity]),
    b64: new BigInt64Array([-1n, 2n ** 62n]),
    u64: new BigUint64Array([2n ** 64n - 1n]),
    list: [null, undefined, true, [[], {}]],
    none: undefined,
  };
  const back = decodePlain(encodePlain(state), 't') as Record<string, PlainData>;
  assert.deepEqual(back, state);
  assert.ok(Object.is(back['negZero'], -0));
  assert.ok(back['regs'] instanceof Int32Array);
  assert.ok(back['u64'] instanceof BigUint64Array);
});

test('a typed array that is a view into a larger buffer encodes only its own bytes', () => {
  const big = new Int32Array([9, 8, 7, 6]);
  const back = decodePlain(encodePlain(big.subarray(1, 3)), 't');
  assert.deepEqual(back, new Int32Array([8, 7]));
});

test('refuses what is not plain data when encoding (a host bug)', () => {
  assert.throws(() => encodePlain(new Map() as unknown as PlainData));
  assert.throws(() => encodePlain((() => 1) as unknown as PlainData));
  assert.throws(() => encodePlain(new DataView(new ArrayBuffer(4)) as unknown as PlainData));
});

test('refuses malformed, truncated, trailing and out-of-subset input with SnapshotError', () => {
  const bad = [
    '', // nothing
    '19', // truncated argument
    '1903', // truncated argument
    '62c3', // string shorter than announced
    '62c328', // invalid UTF-8
    '83 01 02', // array shorter than announced
    '9b 00000000ffffffff', // array count far beyond the bytes
    'bb 00000000ffffffff', // map count far beyond the bytes
    '1b ffffffffffffffff', // integer beyond 2^53
    'a1 01 02', // non-string map key
    'a2 6161 01 6161 02', // repeated key
    'a1 69 5f5f70726f746f5f5f 01', // __proto__ key
    '5f', // indefinite length
    'f9 3c00', // half float
    'fa 3fc00000', // single float
    'f0', // simple value 16
    'c1 00', // tag 1 (epoch time)
    'c2 01', // bignum tag not on a byte string
    'd8 4e 43 010203', // Int32Array of 3 bytes
    'd9 0100 40', // unsupported tag 256
    '01 01', // trailing byte
  ];
  for (const h of bad) {
    assert.throws(() => decodePlain(unhex(h.replace(/ /g, '')), 'rec'), SnapshotError, `input ${h}`);
  }
});

test('refuses nesting deeper than PLAIN_MAX_DEPTH without a stack overflow', () => {
  const deep = new Uint8Array(100_000).fill(0x81); // [[[[...
  assert.throws(() => decodePlain(deep, 'rec'), (e: unknown) => e instanceof SnapshotError && /deeper than/.test(e.message));
  let ok: PlainData = 0;
  for (let i = 0; i < PLAIN_MAX_DEPTH; i++) ok = [ok];
  assert.deepEqual(decodePlain(encodePlain(ok), 'rec'), ok);
});
