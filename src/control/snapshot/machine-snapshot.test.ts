import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concat, pieces } from '../../test-support/snapshot-kit.js';
import { MiniMachine } from '../../test-support/mini-machine.js';
import { zlibPageCompressor } from '../../platform/node/zlib-page-compressor.js';
import { readMachineState, writeMachineSnapshot, writeStateRecords } from './machine-snapshot.js';
import { SnapshotError } from './snapshot-error.js';
import { SnapshotWriter } from './snapshot-writer.js';
import { readSnapshot } from './snapshot-reader.js';

async function saved(m: MiniMachine): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  await writeMachineSnapshot(m, (c) => void chunks.push(c), { purpose: 'save', banquiseVersion: 't', nowNs: 5n, compressor: zlibPageCompressor() });
  return concat(chunks);
}

test('a running machine round-trips through the stream and runs on from where it was', async () => {
  const a = new MiniMachine();
  for (let i = 0; i < 7; i++) a.slice();
  const bytes = await saved(a);
  const r = await readMachineState(pieces(bytes, 999), { compressor: zlibPageCompressor() });
  assert.equal(r.header.savedAtNs, 5n);
  assert.equal(r.state.config.memoryBytes, a.config.memoryBytes);
  const b = MiniMachine.fromState(r.state);
  assert.ok(Buffer.from(b.ram()).equals(Buffer.from(a.ram())));
  assert.deepEqual(b.save({ withoutRam: true }), a.save({ withoutRam: true }));
  a.slice();
  b.slice();
  assert.ok(Buffer.from(b.ram()).equals(Buffer.from(a.ram())), 'both continue identically');
  assert.equal(b.counter(0), a.counter(0));
});

test('board fields, per-slot virtio records and components reassemble into the same state', async () => {
  const state = {
    version: 1,
    harts: [{ version: 1, slots: [1, 2] }, { version: 1, slots: [3] }],
    hsm: [0],
    nextHart: 0,
    sbiInput: [104, 105],
    clint: { msip: [0], mtimeLo: 5 },
    uart: { ier: 1 },
    virtio: [{ deviceId: 2 }, null, null],
    exit: { kind: 'poweroff' },
  };
  const chunks: Uint8Array[] = [];
  const w = new SnapshotWriter((c) => void chunks.push(c));
  await w.header({ banquiseVersion: 't', purpose: 'save', savedAtNs: 0n, config: new MiniMachine().config });
  await writeStateRecords(w, state);
  await w.end();
  const contents = await readSnapshot(pieces(concat(chunks), 4096), { begin: (h) => new Uint8Array(h.config.memoryBytes) });
  assert.deepEqual([...contents.devices.keys()].sort(), ['board', 'clint', 'uart', 'virtio.0', 'virtio.1', 'virtio.2']);
  const { stateOf } = await import('./machine-snapshot.js');
  assert.deepEqual(stateOf(contents), state);
});

test('an invalid config in the header, or a host that cannot run it, stops the read before any page', async () => {
  const bytes = await saved(new MiniMachine());
  await assert.rejects(
    readMachineState(pieces(bytes, 4096), { compressor: zlibPageCompressor(), prepare: () => { throw new SnapshotError('disk image /x.img is missing: put it back at that path'); } }),
    /disk image \/x.img is missing/,
  );
  const bad = new MiniMachine();
  (bad as { config: unknown }).config = { ...bad.config, vcpus: 99 };
  const chunks: Uint8Array[] = [];
  await writeMachineSnapshot(bad, (c) => void chunks.push(c), { purpose: 'save', banquiseVersion: 't', nowNs: 0n });
  await assert.rejects(readMachineState(pieces(concat(chunks), 4096)), /machine config is invalid.*vcpus/);
});
