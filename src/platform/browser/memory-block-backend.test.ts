import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBlockBackend } from './memory-block-backend.js';

test('reads and writes the in-memory image; reads past the end give zeroes', async () => {
  const image = new Uint8Array(4096).map((_, i) => i & 0xff);
  const disk = new MemoryBlockBackend(image.buffer, false);
  assert.equal(disk.sizeBytes, 4096);
  const dst = new Uint8Array(16);
  await disk.read(4088, dst);
  assert.deepEqual([...dst.subarray(0, 8)], [0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff]);
  assert.deepEqual([...dst.subarray(8)], [0, 0, 0, 0, 0, 0, 0, 0]);
  await disk.write(512, Uint8Array.of(9, 8, 7));
  const back = new Uint8Array(4);
  await disk.read(511, back);
  assert.deepEqual([...back], [0xff, 9, 8, 7]);
  await disk.writeZeroes(512, 2, false);
  await disk.read(511, back);
  assert.deepEqual([...back], [0xff, 0, 0, 7]);
  await disk.discard(0, 4096);
  assert.ok(disk.contents().every((b) => b === 0));
  await disk.flush();
});

test('refuses writes beyond the image or to a read-only image', async () => {
  const disk = new MemoryBlockBackend(new ArrayBuffer(1024), false);
  await assert.rejects(disk.write(1023, new Uint8Array(2)), /beyond/);
  await assert.rejects(disk.writeZeroes(-1, 1, false), /beyond/);
  await assert.rejects(disk.writeZeroes(2 ** 60, 1, false), /beyond/);
  const ro = new MemoryBlockBackend(new ArrayBuffer(1024), true);
  assert.equal(ro.readOnly, true);
  await assert.rejects(ro.write(0, new Uint8Array(1)), /read-only/);
  await assert.rejects(ro.discard(0, 512), /read-only/);
  await ro.read(0, new Uint8Array(512));
});
