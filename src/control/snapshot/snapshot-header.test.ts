import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeHeader, encodeHeader, type SnapshotHeader } from './snapshot-header.js';
import { encodePlain, type PlainData } from './plain-codec.js';
import { SnapshotError } from './snapshot-error.js';

const config = { version: 1, mode: 'pv', memoryBytes: 1 << 20, vcpus: 1 } as unknown as SnapshotHeader['config'];
const domain = { name: 'web', uuid: '11111111-2222-4333-8444-555555555555', memoryBytes: 1 << 20, onPoweroff: 'destroy', onReboot: 'restart', onCrash: 'preserve' } as const;

test('HEADER domain: written by the daemon, read back; absent from banquise run saves', () => {
  const h: SnapshotHeader = { banquiseVersion: '0.1.0', purpose: 'save', savedAtNs: 5n, config, domain };
  assert.deepEqual(decodeHeader(encodeHeader(h)).domain, domain);
  assert.equal(decodeHeader(encodeHeader({ ...h, domain: undefined as never })).domain, undefined);
});

test('HEADER domain: a malformed one is refused with the field named', () => {
  const raw = (d: PlainData) => encodePlain({ banquiseVersion: 'x', purpose: 'save', savedAtNs: 1n, config: config as unknown as PlainData, domain: d });
  assert.throws(() => decodeHeader(raw('web')), (e: unknown) => e instanceof SnapshotError && /domain is not a map/.test(e.message));
  assert.throws(() => decodeHeader(raw({ ...domain, onCrash: 'explode' })), /domain\.onCrash is not one of destroy, restart, preserve/);
  assert.throws(() => decodeHeader(raw({ ...domain, memoryBytes: -1 })), /domain\.memoryBytes/);
  assert.throws(() => decodeHeader(raw({ ...domain, name: 7 })), /domain\.name/);
  assert.throws(() => decodeHeader(raw({ ...domain, uuid: '../../etc' })), /domain\.uuid is not a uuid/);
});

test('HEADER domain: the JIT settings are read back when present and checked', () => {
  const h: SnapshotHeader = { banquiseVersion: '0.1.0', purpose: 'save', savedAtNs: 5n, config, domain: { ...domain, jit: true, jitThreshold: 0 } };
  assert.deepEqual(decodeHeader(encodeHeader(h)).domain, { ...domain, jit: true, jitThreshold: 0 });
  assert.deepEqual(decodeHeader(encodeHeader({ ...h, domain: { ...domain, jit: false } })).domain, { ...domain, jit: false });
  const raw = (d: PlainData) => encodePlain({ banquiseVersion: 'x', purpose: 'save', savedAtNs: 1n, config: config as unknown as PlainData, domain: d });
  assert.throws(() => decodeHeader(raw({ ...domain, jit: 1 })), /domain\.jit is not true or false/);
  assert.throws(() => decodeHeader(raw({ ...domain, jitThreshold: -3 })), /domain\.jitThreshold is not a whole number/);
  assert.throws(() => decodeHeader(raw({ ...domain, jitThreshold: 1.5 })), /domain\.jitThreshold is not a whole number/);
  assert.throws(() => decodeHeader(raw({ ...domain, jit: false, jitThreshold: 10 })), /domain\.jitThreshold is set while domain\.jit is false/);
});
