import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConsoleRing } from './console-ring.js';

test('the ring keeps the last bytes in order and feeds attached listeners', () => {
  const r = new ConsoleRing(8);
  const seen: number[] = [];
  const detach = r.attach((b) => seen.push(...b));
  r.write(new Uint8Array([1, 2, 3, 4, 5]));
  r.write(new Uint8Array([6, 7, 8, 9, 10]));
  assert.deepEqual([...r.snapshot()], [3, 4, 5, 6, 7, 8, 9, 10]);
  detach();
  r.write(new Uint8Array([11]));
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.deepEqual([...r.snapshot()], [4, 5, 6, 7, 8, 9, 10, 11]);
  r.write(new Uint8Array(20).fill(7));
  assert.deepEqual([...r.snapshot()], new Array(8).fill(7));
  assert.equal(r.totalBytes, 31);
});
