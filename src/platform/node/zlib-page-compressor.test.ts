import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syncZlibPageCompressor, zlibPageCompressor } from './zlib-page-compressor.js';

test('the synchronous and the thread-pool compressors read each other, and inflation is bounded', async () => {
  const a = zlibPageCompressor();
  const s = syncZlibPageCompressor();
  const data = new Uint8Array(8192);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 13;
  const same = (x: Uint8Array): boolean => Buffer.from(x).equals(Buffer.from(data));
  assert.ok(same(await s.decompress(await a.compress(data), data.length)));
  assert.ok(same(await a.decompress(await s.compress(data), data.length)));
  const packed = await s.compress(data);
  await assert.rejects(s.decompress(packed, 4096), /./, 'more output than announced is refused');
  await assert.rejects(s.decompress(packed, 12288), /inflated to 8192 bytes, expected 12288/);
});
