import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from './crc32c.js';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

test('CRC-32C check value of "123456789" is 0xE3069283 (RFC 3720 / Castagnoli)', () => {
  assert.equal(crc32c(ascii('123456789')), 0xe3069283);
});

test('CRC-32C of the RFC 3720 B.4 vectors: 32 zero bytes, 32 0xFF bytes, 0..31 ascending', () => {
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
});

test('CRC-32C of data fed in pieces equals the CRC of the whole, at every split', () => {
  const data = Uint8Array.from({ length: 37 }, (_, i) => (i * 89 + 7) & 0xff);
  const whole = crc32c(data);
  for (let cut = 0; cut <= data.length; cut++) {
    assert.equal(crc32c(data.subarray(cut), crc32c(data.subarray(0, cut))), whole, `split at ${cut}`);
  }
  assert.equal(crc32c(new Uint8Array(0)), 0);
});
