import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../base/clock.js';
import type { MmioDevice } from '../memory/mmio-bus.js';
import { PciConfigSpace } from '../devices/pci/pci-config.js';
import { rv } from '../test-support/rv-asm.js';
import { RAM_BASE_GPA } from './board-layout.js';
import { Machine } from './machine.js';

const BAR_GPA = 0x4000_0000;
const SERIAL_GPA = 0x1000_0000;
const PLIC_GPA = 0x0c00_0000;

/** A full-mode board with one NVMe-class function whose BAR0 is a plain register file. */
function board() {
  const regs = new Uint32Array(1024);
  const bar: MmioDevice = { read: (o) => regs[o >>> 2]!, write: (o, _s, v) => { regs[o >>> 2] = v; } };
  let fn: PciConfigSpace | undefined;
  const m = new Machine({
    mode: 'full', ramSizeBytes: 16 << 20, vcpus: 1, clock: new ManualClock(), wallClockNs: () => 0n,
    console: { write: () => {} },
    pci: [() => (fn = new PciConfigSpace({
      vendorId: 0x1b36, deviceId: 0x0010, classCode: 0x01_08_02, revisionId: 0, subsystemVendorId: 0, subsystemId: 0,
      interruptPin: 1, bars: [{ kind: 'mem32', sizeBytes: 0x1000, device: bar }],
    }))],
  });
  return { m, fn: fn! };
}

/** Writes `words` at the start of RAM. */
function load(m: Machine, words: number[]): void {
  words.forEach((w, i) => m.mem.view.setUint32(m.mem.ramOffset + i * 4, w, true));
}

test('counters: instructions per privilege, traps into M, register accesses and interrupts per device', () => {
  const { m, fn } = board();
  const ecam = m.bus.list().find((r) => r.baseGpa === 0x3000_0000)!.device;
  ecam.write(0x8000 + 0x10, 4, BAR_GPA); // 00:01.0 BAR0 (an access by the host, counted like any other)
  ecam.write(0x8000 + 0x04, 2, 0x2); // Command.MEMORY_SPACE
  // M-mode: a0 = serial, a1 = BAR; 2 serial stores, 3 BAR accesses (ld = two 4-byte accesses), ecall -> M trap, wfi.
  load(m, [
    rv.lui(10, SERIAL_GPA >>> 12), rv.lui(11, BAR_GPA >>> 12),
    rv.sb(0, 10, 0), rv.sb(0, 10, 0),
    rv.sw(0, 11, 8), rv.ld(12, 11, 0),
    rv.ecall(),
  ]);
  m.mem.view.setUint32(m.mem.ramOffset + 0x1000, rv.wfi(), true);
  m.resetHarts(BigInt(RAM_BASE_GPA));
  m.harts[0]!.writeCsr(0x305, BigInt(RAM_BASE_GPA + 0x1000)); // mtvec: the wfi
  m.runSlice(100);
  const c = m.counters();
  assert.deepEqual(c.trapsToM, { ecall: 1, exception: 0, interrupt: 0 });
  assert.equal(c.retired.supervisor + c.retired.user, 0);
  assert.equal(c.retired.machine, m.instret());
  assert.equal(c.mmio['serial'], 2);
  assert.equal(c.mmio['nvme.0'], 3, 'a 4-byte store and an 8-byte load');
  assert.equal(c.mmio['pcie-ecam'], 2);
  assert.equal(c.sbiCalls, 0);

  // The function raises INTA: slot 1 swizzles to wire INTB = PLIC 33; a claim counts once.
  const plic = m.bus.list().find((r) => r.baseGpa === PLIC_GPA)!.device;
  plic.write(33 * 4, 4, 1); // priority
  plic.write(0x2004, 4, 1 << 1); // context 0 (M) enables source 33 (word 1, bit 1)
  fn.intx.set(true);
  assert.equal(plic.read(0x20_0004, 4), 33);
  assert.equal(plic.read(0x20_0004, 4), 0, 'claimed: nothing else pending');
  assert.equal(m.counters().irqs['nvme.0'], 1);
  assert.equal(m.counters().irqs['serial'], 0);
});
