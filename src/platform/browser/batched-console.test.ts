import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchedConsole, CONSOLE_BATCH_BYTES } from './batched-console.js';

test('gathers output until flush, copying the caller\'s view', () => {
  const got: Uint8Array[] = [];
  const c = new BatchedConsole((b) => got.push(b));
  const view = Uint8Array.of(104, 105);
  c.write(view);
  view[0] = 0; // the caller reuses its buffer
  c.write(Uint8Array.of(10));
  assert.equal(got.length, 0);
  c.flush();
  c.flush();
  assert.equal(got.length, 1);
  assert.deepEqual([...got[0]!], [104, 105, 10]);
});

test('a full batch is handed over at once, nothing lost or duplicated', () => {
  const got: Uint8Array[] = [];
  const c = new BatchedConsole((b) => got.push(b));
  const big = new Uint8Array(CONSOLE_BATCH_BYTES * 2 + 7).map((_, i) => i % 251);
  c.write(big);
  assert.equal(got.length, 2);
  c.flush();
  const all = new Uint8Array(got.reduce((n, b) => n + b.length, 0));
  let off = 0;
  for (const b of got) {
    all.set(b, off);
    off += b.length;
  }
  assert.deepEqual(all, big);
});
