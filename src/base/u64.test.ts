import { test } from 'node:test';
import assert from 'node:assert/strict';
import { halvesToSafeNumber, hi32, lo32, parseSize, u64FromHalves } from './u64.js';

test('halves round-trip through BigInt', () => {
  const v = 0xfedcba9876543210n;
  assert.equal(u64FromHalves(lo32(v), hi32(v)), v);
  assert.equal(lo32(v), 0x76543210);
  assert.equal(hi32(v), 0xfedcba98 | 0);
});

test('halvesToSafeNumber refuses values beyond 2^53', () => {
  assert.equal(halvesToSafeNumber(0x80000000 | 0, 0), 0x80000000);
  assert.equal(halvesToSafeNumber(0, 0x1fffff), 0x1fffff * 2 ** 32);
  assert.equal(halvesToSafeNumber(0, 0x200000), -1);
  assert.equal(halvesToSafeNumber(0, -1), -1);
});

test('parseSize understands suffixes and rejects junk', () => {
  assert.equal(parseSize('256M'), 256 * 1024 * 1024);
  assert.equal(parseSize('1G'), 1024 ** 3);
  assert.equal(parseSize('64k'), 65536);
  assert.equal(parseSize('4096'), 4096);
  assert.equal(parseSize('12X'), undefined);
  assert.equal(parseSize(''), undefined);
});
