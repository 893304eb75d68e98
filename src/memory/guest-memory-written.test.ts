import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory } from './guest-memory.js';

const RAM = 0x8000_0000;

test('writtenPages: every page marked since creation, also after takeDirty cleared the dirty bitmap', () => {
  const mem = new GuestMemory({ ramBaseGpa: RAM, ramSizeBytes: 64 * 4096, stateSizeBytes: 4096 });
  const bit = (b: Uint32Array, p: number) => (b[p >>> 5]! >>> (p & 31)) & 1;
  mem.write(RAM + 3 * 4096 + 10, new Uint8Array([1, 2]));
  mem.markDirty(RAM + 40 * 4096, 4096);
  assert.deepEqual([bit(mem.writtenPages(), 3), bit(mem.writtenPages(), 40), bit(mem.writtenPages(), 4)], [1, 1, 0]);
  mem.takeDirty();
  mem.write(RAM + 7 * 4096, new Uint8Array([9]));
  const w = mem.writtenPages();
  assert.deepEqual([3, 7, 40].map((p) => bit(w, p)), [1, 1, 1], 'taken pages stay written');
  assert.equal([...Array(64).keys()].filter((p) => bit(w, p)).length, 3);
  assert.equal(bit(mem.takeDirty(), 3), 0, 'takeDirty itself is unchanged: only pages since the last take');
});
