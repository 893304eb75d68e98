import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFdt, type FdtNode } from '../loader/fdt-reader.js';
import { ManualClock } from '../base/clock.js';
import { BOARD_LAYOUT, PLIC_SOURCE_COUNT, RAM_BASE_GPA, boardSlot } from './board-layout.js';
import { buildDeviceTree, HART_ISA, type DeviceTreeConfig } from './device-tree.js';
import { Machine } from './machine.js';
import { pvBoot } from './pv-boot.js';

const SEED = Uint8Array.from({ length: 64 }, (_, i) => i * 3);

function tree(over: Partial<DeviceTreeConfig> = {}): FdtNode {
  const blob = buildDeviceTree({
    vcpus: 2,
    ramBaseGpa: RAM_BASE_GPA,
    ramSizeBytes: 256 << 20,
    bootargs: 'console=ttyS0 quiet',
    initrd: { startGpa: 0x8f00_0000, endGpa: 0x8f12_3456 },
    rngSeed: SEED,
    virtioSlots: [0, 3],
    ...over,
  });
  return readFdt(blob).root;
}

function regOf(n: FdtNode): [number, number] {
  const c = n.cells('reg')!;
  assert.equal(c.length, 4);
  return [c[0]! * 2 ** 32 + c[1]!, c[2]! * 2 ** 32 + c[3]!];
}

const hex = (n: number): string => n.toString(16);

test('every device node sits at the address, size and IRQ of the layout table', () => {
  const root = tree();
  const soc = root.child('soc')!;
  for (const slot of BOARD_LAYOUT) {
    if (slot.compatible.length === 0 || slot.kind === 'pcie-ecam') continue;
    const node = soc.child(`${slot.name}@${hex(slot.baseGpa)}`);
    if (slot.kind === 'virtio' && slot.index !== 0 && slot.index !== 3) {
      assert.equal(node, undefined, `empty virtio slot ${slot.index} has no node`);
      continue;
    }
    assert.ok(node !== undefined, `${slot.name}@${hex(slot.baseGpa)}`);
    assert.deepEqual(regOf(node), [slot.baseGpa, slot.sizeBytes]);
    assert.deepEqual(node.strings('compatible'), [...slot.compatible]);
    if (slot.irq !== undefined) assert.equal(node.u32('interrupts'), slot.irq);
  }
  assert.equal(soc.children.filter((c) => c.name.startsWith('virtio_mmio@')).length, 2);
});

test('memory, cpus, chosen', () => {
  const root = tree({ vcpus: 3 });
  assert.equal(root.u32('#address-cells'), 2);
  const mem = root.child(`memory@${hex(RAM_BASE_GPA)}`)!;
  assert.equal(mem.string('device_type'), 'memory');
  assert.deepEqual(regOf(mem), [RAM_BASE_GPA, 256 << 20]);
  const cpus = root.child('cpus')!;
  assert.equal(cpus.u32('timebase-frequency'), 10_000_000);
  for (let h = 0; h < 3; h++) {
    const cpu = cpus.child(`cpu@${h}`)!;
    assert.equal(cpu.u32('reg'), h);
    assert.equal(cpu.string('riscv,isa'), HART_ISA);
    assert.equal(cpu.string('mmu-type'), 'riscv,sv48');
    assert.equal(cpu.string('device_type'), 'cpu');
    const intc = cpu.child('interrupt-controller')!;
    assert.deepEqual(intc.strings('compatible'), ['riscv,cpu-intc']);
    assert.ok(intc.props.has('interrupt-controller'));
  }
  assert.equal(cpus.child('cpu@3'), undefined);
  const chosen = root.child('chosen')!;
  assert.equal(chosen.string('bootargs'), 'console=ttyS0 quiet');
  assert.equal(chosen.string('stdout-path'), `/soc/serial@${hex(boardSlot('uart').baseGpa)}`);
  assert.equal(chosen.u64('linux,initrd-start'), 0x8f00_0000n);
  assert.equal(chosen.u64('linux,initrd-end'), 0x8f12_3456n);
  assert.deepEqual(chosen.props.get('rng-seed'), SEED);
  const noInitrd = tree({ initrd: undefined as never }).child('chosen')!;
  assert.equal(noInitrd.props.has('linux,initrd-start'), false);
});

test('interrupt wiring: PLIC contexts M/S per hart, CLINT MSIP/MTIP, devices to the PLIC', () => {
  const root = tree({ vcpus: 2 });
  const soc = root.child('soc')!;
  const intc = [0, 1].map((h) => root.find(`/cpus/cpu@${h}/interrupt-controller`)!.u32('phandle')!);
  const plic = soc.child(`plic@${hex(boardSlot('plic').baseGpa)}`)!;
  assert.deepEqual(plic.cells('interrupts-extended'), [intc[0], 11, intc[0], 9, intc[1], 11, intc[1], 9]);
  assert.equal(plic.u32('riscv,ndev'), PLIC_SOURCE_COUNT);
  const clint = soc.child(`clint@${hex(boardSlot('clint').baseGpa)}`)!;
  assert.deepEqual(clint.cells('interrupts-extended'), [intc[0], 3, intc[0], 7, intc[1], 3, intc[1], 7]);
  const uart = soc.child(`serial@${hex(boardSlot('uart').baseGpa)}`)!;
  assert.equal(uart.u32('interrupt-parent'), plic.u32('phandle'));
  assert.equal(uart.u32('clock-frequency'), 3_686_400);
  const test = soc.child(`test@${hex(boardSlot('test').baseGpa)}`)!;
  for (const [name, value] of [['poweroff', 0x5555], ['reboot', 0x7777]] as const) {
    const n = root.child(name)!;
    assert.deepEqual(n.strings('compatible'), [`syscon-${name}`]);
    assert.equal(n.u32('regmap'), test.u32('phandle'));
    assert.equal(n.u32('value'), value);
    assert.equal(n.u32('offset'), 0);
  }
});

test('pv boot places kernel, initrd and DTB in RAM and enters S-mode with a0/a1', () => {
  const m = new Machine({
    mode: 'pv', ramSizeBytes: 64 << 20, vcpus: 2, clock: new ManualClock(), wallClockNs: () => 0n,
    console: { write: () => {} },
  });
  // A minimal RISC-V Image: header with text_offset 2 MiB, image_size 3 MiB, magic "RISCV\0\0\0", "RSC\x05".
  const kernel = new Uint8Array(0x20_0000); // 2 MiB of the 3 MiB image: the rest is .bss
  const v = new DataView(kernel.buffer);
  v.setBigUint64(8, 0x20_0000n, true);
  v.setBigUint64(16, 0x30_0000n, true);
  kernel.set(new TextEncoder().encode('RISCV\0\0\0'), 48);
  v.setUint32(56, 0x05435352, true);
  const initrd = Uint8Array.from({ length: 10_000 }, (_, i) => i & 0xff);
  const info = pvBoot(m, { kernel, initrd, bootargs: 'console=ttyS0', random: (b) => b.fill(7) });
  assert.equal(info.kernelGpa, RAM_BASE_GPA + 0x20_0000);
  assert.equal(info.kernelEndGpa, RAM_BASE_GPA + 0x50_0000);
  assert.equal(info.initrdStartGpa! % 4096, 0);
  assert.ok(info.initrdStartGpa! >= info.kernelEndGpa);
  assert.equal(info.initrdEndGpa! - info.initrdStartGpa!, initrd.length);
  assert.equal(info.dtbGpa % 8, 0);
  assert.ok(info.dtbGpa >= info.initrdEndGpa! && info.dtbGpa + info.dtbSizeBytes <= RAM_BASE_GPA + (64 << 20));
  assert.deepEqual(m.mem.slice(info.initrdStartGpa!, initrd.length), initrd);
  const dtb = readFdt(m.mem.slice(info.dtbGpa, info.dtbSizeBytes)!).root;
  assert.equal(dtb.child('chosen')!.u64('linux,initrd-start'), BigInt(info.initrdStartGpa!));
  assert.equal(dtb.child('chosen')!.u64('linux,initrd-end'), BigInt(info.initrdEndGpa!));
  assert.deepEqual(dtb.child('chosen')!.props.get('rng-seed'), new Uint8Array(64).fill(7));
  const h0 = m.harts[0]!;
  assert.equal(h0.priv, 1);
  assert.equal(h0.getPc(), BigInt(info.kernelGpa));
  assert.equal(h0.getX(10), 0n);
  assert.equal(h0.getX(11), BigInt(info.dtbGpa));
  assert.equal(m.hartState(0), 0, 'hart 0 STARTED');
  assert.equal(m.hartState(1), 1, 'hart 1 STOPPED');
  assert.equal(h0.readCsr(0x303) & 0x222n, 0x222n, 'mideleg: SSIP, STIP, SEIP');
  assert.equal((h0.readCsr(0x302) >> 12n) & 0b1011n, 0b1011n, 'medeleg: page faults');
  assert.equal(h0.readCsr(0x30a) >> 63n & 1n, 1n, 'menvcfg.STCE');
});

test('pv boot refuses a kernel that is not an Image and RAM that is too small', () => {
  const m = new Machine({
    mode: 'pv', ramSizeBytes: 16 << 20, vcpus: 1, clock: new ManualClock(), wallClockNs: () => 0n,
    console: { write: () => {} },
  });
  assert.throws(() => pvBoot(m, { kernel: new Uint8Array(4096), bootargs: '', random: () => {} }), /Image|magic/i);
  const kernel = new Uint8Array(0x20_0000); // 2 MiB of the 3 MiB image: the rest is .bss
  const v = new DataView(kernel.buffer);
  v.setBigUint64(8, 0x20_0000n, true);
  v.setBigUint64(16, 0x30_0000n, true);
  kernel.set(new TextEncoder().encode('RISCV\0\0\0'), 48);
  v.setUint32(56, 0x05435352, true);
  assert.throws(() => pvBoot(m, { kernel, initrd: new Uint8Array(13 << 20), bootargs: '', random: () => {} }), /memory too small/);
});

test('same tree shape as QEMU virt (when dtc and qemu-system-riscv64 are installed)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'banquise-dtb-'));
  const qemuDtb = join(dir, 'qemu.dtb');
  const q = spawnSync('qemu-system-riscv64', ['-M', `virt,dumpdtb=${qemuDtb}`, '-smp', '2', '-m', '256M', '-nographic'], { encoding: 'utf8' });
  if (q.error !== undefined || q.status !== 0) {
    t.skip('qemu-system-riscv64 not available');
    return;
  }
  const ours = join(dir, 'ours.dtb');
  writeFileSync(ours, buildDeviceTree({
    vcpus: 2, ramBaseGpa: RAM_BASE_GPA, ramSizeBytes: 256 << 20, bootargs: '', rngSeed: SEED,
    virtioSlots: [0, 1, 2, 3, 4, 5, 6, 7],
  }));
  const d = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', ours], { encoding: 'utf8' });
  if (d.error !== undefined) {
    t.skip('dtc not available');
    return;
  }
  assert.equal(d.status, 0, d.stderr);
  assert.doesNotMatch(d.stderr, /Warning/i, 'dtc finds nothing to warn about');
  const qemu = readFdt(new Uint8Array(readFileSync(qemuDtb))).root;
  const mine = readFdt(new Uint8Array(readFileSync(ours))).root;
  // Every device node QEMU has on the soc bus (apart from PCIe, full mode only) is in ours, same reg.
  for (const n of qemu.child('soc')!.children) {
    if (n.name.startsWith('pci@')) continue;
    const m = mine.child('soc')!.child(n.name);
    assert.ok(m !== undefined, `missing /soc/${n.name}`);
    assert.deepEqual(m.cells('reg'), n.cells('reg'), n.name);
    assert.deepEqual(m.strings('compatible'), n.strings('compatible'), n.name);
    assert.deepEqual(m.cells('interrupts'), n.cells('interrupts'), n.name);
  }
  // Ours adds the pvpanic-mmio device at an address QEMU leaves free.
  const pvpanic = mine.child('soc')!.child('pvpanic-mmio@102000');
  assert.ok(pvpanic !== undefined);
  assert.deepEqual(pvpanic.strings('compatible'), ['qemu,pvpanic-mmio']);
  for (const n of qemu.child('soc')!.children) {
    const reg = n.cells('reg');
    if (reg === undefined || reg.length < 4) continue;
    const base = reg[0]! * 2 ** 32 + reg[1]!;
    const size = reg[2]! * 2 ** 32 + reg[3]!;
    assert.ok(base + size <= 0x102000 || base >= 0x103000, `${n.name} does not overlap pvpanic`);
  }
  for (const name of ['poweroff', 'reboot']) {
    assert.equal(mine.child(name)!.u32('value'), qemu.child(name)!.u32('value'));
  }
  assert.deepEqual(mine.child('cpus')!.u32('timebase-frequency'), qemu.child('cpus')!.u32('timebase-frequency'));
  assert.deepEqual(mine.child('memory@80000000')!.cells('reg'), qemu.child('memory@80000000')!.cells('reg'));
});

test('full mode: the PCIe host node as QEMU virt publishes it (ECAM reg, ranges, interrupt-map swizzle)', () => {
  assert.equal(tree().child('soc')!.child('pci@30000000'), undefined, 'no PCIe node in pv mode');
  const pci = tree({ pci: true }).child('soc')!.child('pci@30000000')!;
  const plic = tree({ pci: true }).child('soc')!.child('plic@c000000')!.cells('phandle')![0]!;
  assert.deepEqual(pci.cells('reg'), [0, 0x3000_0000, 0, 0x1000_0000]);
  assert.deepEqual(pci.cells('bus-range'), [0, 0xff]);
  assert.deepEqual(pci.cells('#address-cells'), [3]);
  assert.deepEqual(pci.cells('interrupt-map-mask'), [0x1800, 0, 0, 7]);
  // QEMU 7.2's ranges: I/O 64 KiB at 0x300_0000, 32-bit memory 1 GiB at 0x4000_0000 (its 64-bit window left out)
  assert.deepEqual(pci.cells('ranges'), [
    0x0100_0000, 0, 0, 0, 0x0300_0000, 0, 0x1_0000,
    0x0200_0000, 0, 0x4000_0000, 0, 0x4000_0000, 0, 0x4000_0000,
  ]);
  // QEMU's interrupt-map, entry by entry (docs/reference: slot 1 INTA -> 0x21, slot 3 INTD -> 0x22)
  const map = pci.cells('interrupt-map')!;
  assert.equal(map.length, 16 * 6);
  const irqOf = (slot: number, pin: number): number => {
    const e = map.findIndex((_, i) => i % 6 === 0 && map[i] === slot << 11 && map[i + 3] === pin);
    assert.equal(map[e + 4], plic);
    return map[e + 5]!;
  };
  assert.deepEqual([irqOf(0, 1), irqOf(1, 1), irqOf(2, 1), irqOf(3, 4), irqOf(1, 4)], [0x20, 0x21, 0x22, 0x22, 0x20]);
});
