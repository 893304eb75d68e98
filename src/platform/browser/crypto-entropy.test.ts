import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CryptoEntropySource, GET_RANDOM_VALUES_MAX_BYTES } from './crypto-entropy.js';

function looksRandom(b: Uint8Array): boolean {
  const seen = new Set(b);
  return seen.size > 200; // 256 values over >= 64 KiB: all but certainly > 200 distinct
}

test('fills buffers larger than one getRandomValues call, all the way', () => {
  const src = new CryptoEntropySource();
  const n = GET_RANDOM_VALUES_MAX_BYTES * 2 + 100;
  const b = new Uint8Array(n);
  src.fill(b);
  assert.ok(looksRandom(b.subarray(0, GET_RANDOM_VALUES_MAX_BYTES)));
  assert.ok(looksRandom(b.subarray(GET_RANDOM_VALUES_MAX_BYTES, 2 * GET_RANDOM_VALUES_MAX_BYTES)));
  // the 100-byte tail is filled too (all zero has probability 2^-800)
  assert.ok(b.subarray(n - 100).some((x) => x !== 0));
});

test('fills views of shared memory (guest RAM with several vCPU threads)', () => {
  const src = new CryptoEntropySource();
  const shared = new Uint8Array(new SharedArrayBuffer(GET_RANDOM_VALUES_MAX_BYTES + 4096), 8, GET_RANDOM_VALUES_MAX_BYTES + 64);
  src.fill(shared);
  assert.ok(looksRandom(shared.subarray(0, GET_RANDOM_VALUES_MAX_BYTES)));
  assert.ok(shared.subarray(GET_RANDOM_VALUES_MAX_BYTES).some((x) => x !== 0));
  const whole = new Uint8Array(shared.buffer);
  assert.ok(whole.subarray(0, 8).every((x) => x === 0), 'bytes before the view are untouched');
  assert.ok(whole.subarray(8 + GET_RANDOM_VALUES_MAX_BYTES + 64).every((x) => x === 0), 'bytes after the view are untouched');
});
