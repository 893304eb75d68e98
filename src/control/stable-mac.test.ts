import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stableMac } from './stable-mac.js';

test('a MAC is stable for a uuid and interface, and differs between domains and interfaces', () => {
  const a = '6f1c2a3e-0000-4000-8000-000000000001';
  const b = '6f1c2a3e-0000-4000-8000-000000000002';
  assert.equal(stableMac(a, 0), stableMac(a.toUpperCase(), 0));
  assert.notEqual(stableMac(a, 0), stableMac(b, 0));
  assert.notEqual(stableMac(a, 0), stableMac(a, 1));
  assert.match(stableMac(a, 0), /^52:54:00(:[0-9a-f]{2}){3}$/);
});
