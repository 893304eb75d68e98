import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BanquiseError } from '../base/errors.js';
import { NULL_LOGGER } from '../base/logger.js';
import { li32, rv } from '../test-support/rv-asm.js';
import { buildMachine } from './machine-builder.js';
import type { HostBackends } from './host-backends.js';
import type { Machine } from './machine.js';
import type { MachineConfig } from './machine-config.js';
import { RAM_PAGE_BYTES, ramPages, type MachineState } from './machine-state.js';
import { validateMachineConfig } from './validate-machine-config.js';

const S0 = 8, S1 = 9, S2 = 18, T0 = 5, T1 = 6, T2 = 7;

/**
 * An S-mode "kernel": counts in s1, stores the count and `time` in RAM, prints a character
 * to the UART every 256 iterations. Entered at the RAM base (text_offset 0).
 */
function program(): Uint8Array {
  const code = [
    ...li32(S0, 0x1000_0000), // UART
    rv.addi(S1, 0, 0),
    rv.auipc(S2, 0x100), // a data area 1 MiB on
    // loop:
    rv.addi(S1, S1, 1),
    rv.sd(S1, S2, 0),
    rv.csrrs(T2, 0xc01, 0), // rdtime
    rv.sd(T2, S2, 8),
    rv.andi(T0, S1, 255),
    rv.bne(T0, 0, 16),
    rv.srli(T1, S1, 8),
    rv.andi(T1, T1, 15),
    rv.addi(T1, T1, 0x61), // 'a' + (count >> 8) % 16
    rv.sb(T1, S0, 0),
    rv.jal(0, -40), // loop
  ];
  const img = new Uint8Array(8192);
  const v = new DataView(img.buffer);
  v.setUint32(0, rv.jal(0, 64), true); // code0: jump over the header
  v.setUint32(16, img.length, true);
  img.set([0x52, 0x49, 0x53, 0x43, 0x56], 48);
  img.set([0x52, 0x53, 0x43, 0x05], 56);
  code.forEach((w, i) => v.setUint32(64 + 4 * i, w, true));
  return img;
}

/** A host whose time is the machine's instruction count (10 per tick); entropy is constant. */
class Host {
  machine: Machine | undefined;
  output = '';
  constructor(private readonly base = 0) {}
  backends(): HostBackends {
    const none = (): never => {
      throw new Error('none');
    };
    const ticks = (): number => Math.floor((this.machine?.instret() ?? this.base) / 10);
    return {
      clock: { ticks }, wallClockNs: () => BigInt(ticks()) * 100n, console: { write: (b) => (this.output += String.fromCharCode(...b)) },
      virtioConsole: none, blob: () => program(), block: none, net: none, share: none, vsock: none,
      entropy: { fill: (b) => b.fill(1) }, random: (b) => b.fill(2), wake() {}, schedule: (fn) => fn(), log: NULL_LOGGER,
    };
  }
  build(config: MachineConfig, state?: MachineState): Machine {
    this.machine = buildMachine(config, this.backends(), state === undefined ? {} : { state });
    return this.machine;
  }
}

const config = validateMachineConfig({ mode: 'pv', memoryBytes: 16 << 20, vcpus: 2, boot: { kernel: { path: 'Image' }, cmdline: '' }, devices: { balloon: true } });

/** The state with RAM as a short digest (an assertion diff of 16 MiB would take minutes). */
function comparable(s: MachineState): unknown {
  let h1 = 0x811c9dc5, h2 = 0;
  for (let i = 0; i < s.ram.length; i++) {
    h1 = Math.imul(h1 ^ s.ram[i]!, 0x01000193);
    if (s.ram[i] !== 0) h2 = (h2 + i * s.ram[i]!) % 0x7fffffff;
  }
  return { ...s, ram: `${h1 >>> 0}:${h2}` };
}

test('save, restore into a fresh machine, run both: same output, same state', () => {
  const a = new Host();
  a.build(config);
  a.machine!.runSlice(12_345);
  for (let i = 0; i < 5; i++) a.machine!.runSlice(100_000);
  const state = a.machine!.save();
  assert.equal(state.ram.length, 16 << 20);
  const json = JSON.parse(JSON.stringify({ ...state, ram: null })) as MachineState;
  const outAtSave = a.output.length;
  const b = new Host(a.machine!.instret());
  b.build(config, { ...json, ram: state.ram });
  assert.deepEqual(comparable(b.machine!.save()), comparable(state));
  for (let i = 0; i < 10; i++) {
    a.machine!.runSlice(100_000);
    b.machine!.runSlice(100_000);
  }
  assert.ok(b.output.length > 100, b.output);
  assert.equal(b.output, a.output.slice(outAtSave));
  assert.deepEqual(comparable(b.machine!.save()), comparable(a.machine!.save()));
});

test('restore refuses a state that does not fit, before changing anything', () => {
  const a = new Host();
  a.build(config);
  a.machine!.runSlice(10_000);
  const state = a.machine!.save();
  const other = validateMachineConfig({ ...config, vcpus: 1 });
  assert.throws(() => new Host().build(other, state), (e: unknown) => e instanceof BanquiseError && /not 1 harts/.test(e.message));
  const noBalloon = validateMachineConfig({ ...config, devices: { ...config.devices, balloon: false } });
  assert.throws(() => new Host().build(noBalloon, state), (e: unknown) => e instanceof BanquiseError && /virtio slot 1 is used in the state but not here/.test(e.message));
  assert.throws(() => new Host().build(config, { ...state, ram: state.ram.subarray(1) }), /RAM is not/);
  assert.throws(() => new Host().build(config, { ...state, hsm: [9, 9] }), /HSM state is out of range/);
  assert.throws(() => new Host().build(config, { ...state, version: 2 as 1 }), /version 2/);
});

test('ramPages: every page in order, or only the non-zero ones', () => {
  const ram = new Uint8Array(4 * RAM_PAGE_BYTES);
  ram[RAM_PAGE_BYTES * 2 + 5] = 7;
  assert.deepEqual([...ramPages(ram)].map((p) => [p.index, p.bytes.length]), [[0, 4096], [1, 4096], [2, 4096], [3, 4096]]);
  const nz = [...ramPages(ram, { skipZero: true })];
  assert.deepEqual(nz.map((p) => p.index), [2]);
  assert.equal(nz[0]!.bytes[5], 7);
});
