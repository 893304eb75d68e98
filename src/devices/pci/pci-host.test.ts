import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MmioDevice } from '../../memory/mmio-bus.js';
import { PciCommand, PciConfigSpace, PCI_STATUS_INTERRUPT, type PciFunctionDef } from './pci-config.js';
import { PciHost, hostBridgeFunction, swizzle } from './pci-host.js';

const MMIO_BASE = 0x4000_0000;

function regs(): MmioDevice & { last?: [number, number, number] } {
  const d: MmioDevice & { last?: [number, number, number] } = {
    read: (o) => 0x1000 + o,
    write: (o, s, v) => { d.last = [o, s, v]; },
  };
  return d;
}

function fnDef(bars: PciFunctionDef['bars'], pin = 1): PciFunctionDef {
  return { vendorId: 0x8086, deviceId: 0x100e, classCode: 0x02_00_00, revisionId: 3, subsystemVendorId: 0x1af4, subsystemId: 0x1100, interruptPin: pin, bars };
}

function rig() {
  const lines = [false, false, false, false];
  const host = new PciHost({ mmioBaseGpa: MMIO_BASE, mmioSizeBytes: 0x4000_0000, intx: lines.map((_, i) => ({ set: (l: boolean) => { lines[i] = l; } })) });
  host.attach(0, new PciConfigSpace(hostBridgeFunction()));
  return { host, lines };
}

const ecam = (slot: number, reg: number, fn = 0, bus = 0): number => bus * 2 ** 20 + (slot << 15) + (fn << 12) + reg;

test('ECAM: host bridge at 00:00.0, empty slots and other functions/buses read all ones and are counted', () => {
  const { host } = rig();
  assert.equal(host.ecam.read(ecam(0, 0), 4), 0x0008_1b36);
  assert.equal(host.ecam.read(ecam(0, 0x0a), 2), 0x0600); // class: host bridge
  assert.equal(host.ecam.read(ecam(1, 0), 4), 0xffff_ffff);
  assert.equal(host.ecam.read(ecam(0, 0, 1), 2), 0xffff);
  assert.equal(host.ecam.read(ecam(0, 0, 0, 1), 1), 0xff);
  assert.equal(host.stats.configMisses, 3);
  host.ecam.write(ecam(5, 0x10), 4, 0x1234); // nowhere: no throw
});

test('BAR sizing (PCI 3.0 §6.2.5.1): 32-bit memory, 64-bit memory (both halves) and I/O', () => {
  const { host } = rig();
  const fn = new PciConfigSpace(fnDef([{ kind: 'mem64', sizeBytes: 0x4000, device: regs() }, undefined, { kind: 'mem32', sizeBytes: 0x2_0000, device: regs() }, { kind: 'io', sizeBytes: 0x40, device: regs() }]));
  host.attach(1, fn);
  const bar = (n: number): number => ecam(1, 0x10 + 4 * n);
  for (let n = 0; n < 6; n++) host.ecam.write(bar(n), 4, 0xffff_ffff);
  assert.equal(host.ecam.read(bar(0), 4), 0xffff_c004); // size 16 KiB, type 64-bit
  assert.equal(host.ecam.read(bar(1), 4), 0xffff_ffff);
  assert.equal(host.ecam.read(bar(2), 4), 0xfffe_0000);
  assert.equal(host.ecam.read(bar(3), 4), 0xffff_ffc1);
  assert.equal(host.ecam.read(bar(4), 4), 0); // unimplemented: hardwired 0
  assert.equal(host.ecam.read(ecam(1, 0x30), 4), 0); // no expansion ROM
  assert.equal(host.ecam.read(ecam(1, 0x3d), 1), 1); // INTA
});

test('BARs decode through the windows only while enabled, move when reprogrammed, and misses read all ones', () => {
  const { host } = rig();
  const r0 = regs();
  const io = regs();
  const fn = new PciConfigSpace(fnDef([{ kind: 'mem64', sizeBytes: 0x4000, device: r0 }, undefined, { kind: 'io', sizeBytes: 0x40, device: io }]));
  host.attach(1, fn);
  host.ecam.write(ecam(1, 0x10), 4, 0x4000_8000);
  host.ecam.write(ecam(1, 0x14), 4, 0);
  host.ecam.write(ecam(1, 0x18), 4, 0x100);
  assert.equal(host.mmio.read(0x8000 + 8, 4), 0xffff_ffff, 'memory space disabled');
  host.ecam.write(ecam(1, 0x04), 2, PciCommand.MEMORY_SPACE | PciCommand.IO_SPACE);
  assert.equal(host.mmio.read(0x8000 + 8, 4), 0x1008);
  host.mmio.write(0x8000 + 0x10, 4, 7);
  assert.deepEqual(r0.last, [0x10, 4, 7]);
  assert.equal(host.pio.read(0x104, 4), 0x1004);
  host.ecam.write(ecam(1, 0x10), 4, 0x4010_0000); // moved
  assert.equal(host.mmio.read(0x8000 + 8, 4), 0xffff_ffff);
  assert.equal(host.mmio.read(0x10_0000 + 8, 4), 0x1008);
  // hostile: a BAR in RAM or straddling its end is not reachable through the window
  host.ecam.write(ecam(1, 0x10), 4, 0x8000_0000);
  assert.equal(host.mmio.read(0x3fff_fffc, 4), 0xffff_ffff);
  assert.ok(host.stats.windowMisses >= 3);
});

test('INTx: swizzle onto the four wires, wired OR between functions, Command.INTX_DISABLE and Status.INTERRUPT', () => {
  assert.deepEqual([0, 1, 2, 3].map((s) => swizzle(s, 1)), [0, 1, 2, 3]);
  assert.equal(swizzle(1, 4), 0);
  const { host, lines } = rig();
  const a = new PciConfigSpace(fnDef([], 1));
  const b = new PciConfigSpace(fnDef([], 1));
  host.attach(1, a); // INTA of slot 1 -> wire 1
  host.attach(5, b); // INTA of slot 5 -> wire 1 too
  a.intx.set(true);
  assert.deepEqual(lines, [false, true, false, false]);
  assert.equal(host.ecam.read(ecam(1, 0x06), 2) & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT);
  b.intx.set(true);
  a.intx.set(false);
  assert.equal(lines[1], true, 'b still asserts');
  host.ecam.write(ecam(5, 0x04), 2, PciCommand.INTX_DISABLE);
  assert.equal(lines[1], false, 'disabled');
  assert.equal(host.ecam.read(ecam(5, 0x06), 2) & PCI_STATUS_INTERRUPT, PCI_STATUS_INTERRUPT, 'status still shows it');
  host.ecam.write(ecam(5, 0x04), 2, 0);
  assert.equal(lines[1], true);
});

test('fuzz: random config and window accesses never throw and keep the wires consistent', () => {
  const { host, lines } = rig();
  const fn = new PciConfigSpace(fnDef([{ kind: 'mem64', sizeBytes: 0x4000, device: regs() }, undefined, { kind: 'io', sizeBytes: 0x40, device: regs() }]));
  host.attach(2, fn);
  let seed = 12345;
  const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const sizes = [1, 2, 4] as const;
  for (let i = 0; i < 20000; i++) {
    const size = sizes[rnd() % 3]!;
    const off = rnd() % 0x20000;
    const v = rnd();
    switch (rnd() % 5) {
      case 0: host.ecam.write(off, size, v); break;
      case 1: host.ecam.read(off, size); break;
      case 2: host.mmio.write(rnd() % 0x4000_0000, size, v); break;
      case 3: host.pio.read(rnd() % 0x1_0000, size); break;
      default: fn.intx.set((v & 1) === 1);
    }
  }
  assert.equal(lines[swizzle(2, 1)], fn.intxAsserted());
});
