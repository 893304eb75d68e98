import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packPages } from './domain-image-node.js';

test('packPages: only non-zero pages, in order, in shared memory', () => {
  const ram = new Uint8Array(8 * 4096);
  ram[1 * 4096 + 4095] = 7; // the last byte of page 1
  ram[5 * 4096] = 9;
  const { pages, data } = packPages(ram);
  assert.deepEqual([...pages], [1, 5]);
  assert.ok(data.buffer instanceof SharedArrayBuffer && pages.buffer instanceof SharedArrayBuffer);
  assert.equal(data.length, 2 * 4096);
  assert.equal(data[4095], 7);
  assert.equal(data[4096], 9);
  const none = packPages(new Uint8Array(4 * 4096));
  assert.equal(none.pages.length, 0);
  assert.equal(none.data.length, 0);
});

test('packPages with a written-pages bitmap reads only the marked pages', () => {
  const ram = new Uint8Array(100 * 4096);
  ram[2 * 4096] = 1;
  ram[70 * 4096 + 5] = 2;
  ram[90 * 4096] = 3; // not marked: by the dirty contract it cannot be non-zero, so it is not read
  const written = new Uint32Array(4);
  for (const p of [2, 33, 70]) written[p >>> 5]! |= 1 << (p & 31);
  const { pages, data } = packPages(ram, written);
  assert.deepEqual([...pages], [2, 70], 'page 33 is marked but zero; page 90 is not read');
  assert.equal(data[4096 + 5], 2);
});
