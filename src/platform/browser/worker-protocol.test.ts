import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_INPUT_BYTES, parseToWorker } from './worker-protocol.js';

test('accepts well-formed input and boot messages', () => {
  const input = parseToWorker({ type: 'input', bytes: Uint8Array.of(1, 2) });
  assert.equal(typeof input, 'object');
  const boot = parseToWorker({ type: 'boot', config: { version: 1 }, blobs: { 'guest/Image': new ArrayBuffer(8) } });
  assert.equal(typeof boot === 'object' && boot.type, 'boot');
});

test('refuses malformed messages with a reason', () => {
  for (const bad of [
    null, 42, 'boot', {}, { type: 'run' },
    { type: 'input', bytes: [1, 2] },
    { type: 'input', bytes: new Uint8Array(MAX_INPUT_BYTES + 1) },
    { type: 'boot', config: null, blobs: {} },
    { type: 'boot', config: {}, blobs: { k: 'not bytes' } },
    { type: 'boot', config: {}, blobs: { k: new Uint8Array(4) } },
  ]) {
    assert.equal(typeof parseToWorker(bad), 'string', JSON.stringify(bad));
  }
});
