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
