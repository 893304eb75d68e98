import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory } from '../../memory/guest-memory.js';
import { concat, KIT_CONFIG, pieces } from '../../test-support/snapshot-kit.js';
import { zlibPageCompressor } from '../../platform/node/zlib-page-compressor.js';
import { readMachineSnapshot, writeMachineSnapshot, type MachineStateData, type SnapshotMachine } from './machine-snapshot.js';
import { SnapshotError } from './snapshot-error.js';

/** A machine with real guest memory and a synthetic state. */
class FakeMachine implements SnapshotMachine {
  readonly mem = new GuestMemory({ ramBaseGpa: 0x8000_0000, ramSizeBytes: KIT_CONFIG.memoryBytes, stateSizeBytes: 4096 });
  restored: MachineStateData | undefined;
  constructor(
    readonly config = KIT_CONFIG,
    private readonly state: MachineStateData = { harts: [{ pc: 1n }, { pc: 2n }], version: 1, clint: { mtime: 123n }, 'virtio-blk.0': { status: 15 } },
  ) {}
  save(): MachineStateData {
    return this.state;
  }
  restore(state: MachineStateData): void {
    if ((state['version'] as number) !== 1) throw new RangeError('machine state version');
    this.restored = state;
  }
}

async function saved(m: FakeMachine): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  await writeMachineSnapshot(m, (c) => void chunks.push(c), { purpose: 'save', banquiseVersion: 't', nowNs: 5n, compressor: zlibPageCompressor() });
  return concat(chunks);
}

test('a machine round-trips: RAM (boot files overwritten), harts and components', async () => {
  const a = new FakeMachine();
  a.mem.write(0x8000_0000 + 4096 * 3, new TextEncoder().encode('hello from the guest'));
  const bytes = await saved(a);
  const b = new FakeMachine();
  b.mem.write(0x8000_0000, new Uint8Array(4096).fill(9)); // what a builder's boot would load
  const r = await readMachineSnapshot(pieces(bytes, 999), () => b, { compressor: zlibPageCompressor() });
  assert.equal(r.machine, b);
  assert.deepEqual(b.mem.u8.subarray(b.mem.ramOffset, b.mem.ramOffset + KIT_CONFIG.memoryBytes), a.mem.u8.subarray(a.mem.ramOffset, a.mem.ramOffset + KIT_CONFIG.memoryBytes));
  assert.deepEqual(b.restored, a.save());
  assert.equal(r.header.savedAtNs, 5n);
});

test('a damaged stream or a state the machine rejects discards the machine and throws SnapshotError', async () => {
  const bytes = await saved(new FakeMachine());
  const discarded: FakeMachine[] = [];
  const bad = bytes.slice();
  bad[bad.length - 20] ^= 0x40;
  await assert.rejects(
    readMachineSnapshot(pieces(bad, 4096), () => new FakeMachine(), { compressor: zlibPageCompressor(), discard: (m) => void discarded.push(m) }),
    SnapshotError,
  );
  assert.equal(discarded.length, 1);
  assert.equal(discarded[0]!.restored, undefined, 'never restored');
  const wrong = await saved(new FakeMachine(KIT_CONFIG, { harts: [1, 2], version: 2 }));
  await assert.rejects(
    readMachineSnapshot(pieces(wrong, 4096), () => new FakeMachine(), { compressor: zlibPageCompressor(), discard: (m) => void discarded.push(m) }),
    /state does not fit this machine: machine state version/,
  );
  assert.equal(discarded.length, 2);
});
