import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../base/clock.js';
import { BanquiseError } from '../base/errors.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { IrqLine } from '../memory/irq-line.js';
import type { MmioDevice } from '../memory/mmio-bus.js';
import { BOARD_LAYOUT, RAM_BASE_GPA, boardSlot } from './board-layout.js';
import { ElfRunner } from './elf-runner.js';
import { fullBoot } from './full-boot.js';
import { GUEST_PANIC_EXIT_CODE, Machine, MAX_IDLE_SLEEP_MS, type BoardDeps, type MachineExit } from './machine.js';
import { enterSupervisor } from './supervisor-entry.js';

// ---- a tiny RV64 assembler (just what the programs below use) ----
const T0 = 5, T1 = 6, T2 = 7, A0 = 10, A1 = 11, A2 = 12, A6 = 16, A7 = 17, T3 = 28;
const itype = (op: number, f3: number, rd: number, rs1: number, imm: number): number =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const addi = (rd: number, rs1: number, imm: number): number => itype(0x13, 0, rd, rs1, imm);
const ori = (rd: number, rs1: number, imm: number): number => itype(0x13, 6, rd, rs1, imm);
const slli = (rd: number, rs1: number, sh: number): number => itype(0x13, 1, rd, rs1, sh);
const ld = (rd: number, rs1: number, imm: number): number => itype(0x03, 3, rd, rs1, imm);
const sd = (rs2: number, rs1: number, imm: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (3 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
const sw = (rs2: number, rs1: number, imm: number): number =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (2 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
const csrrs = (rd: number, csr: number, rs1: number): number => itype(0x73, 2, rd, rs1, csr);
const csrrw = (rd: number, csr: number, rs1: number): number => itype(0x73, 1, rd, rs1, csr);
/** bne rs1, rs2, offset (bytes, relative to this instruction). */
const bne = (rs1: number, rs2: number, off: number): number =>
  ((((off >> 12) & 1) << 31) | (((off >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (1 << 12) |
    (((off >> 1) & 0xf) << 8) | (((off >> 11) & 1) << 7) | 0x63) >>> 0;
const beq = (rs1: number, rs2: number, off: number): number => (bne(rs1, rs2, off) & ~(7 << 12)) >>> 0;
const J_SELF = 0x0000006f;
const WFI = 0x10500073;
const ECALL = 0x00000073;

/** Loads a 64-bit constant: 6 × (slli 11, ori chunk). */
function li(rd: number, value: bigint): number[] {
  const v = BigInt.asUintN(64, value);
  const out = [addi(rd, 0, 0)];
  for (let shift = 55; shift >= 0; shift -= 11) {
    out.push(slli(rd, rd, 11), ori(rd, rd, Number((v >> BigInt(shift)) & 0x7ffn)));
  }
  // 6 chunks of 11 bits cover 66 bits; the first slli shifted 0, harmless.
  return out;
}

function code(words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  const v = new DataView(b.buffer);
  words.forEach((w, i) => v.setUint32(i * 4, w, true));
  return b;
}

/** A minimal ELF64 RISC-V executable: one PT_LOAD at `base`, symbols in .symtab. */
function makeElf(base: number, text: Uint8Array, symbols: Record<string, number>): Uint8Array {
  const names = Object.keys(symbols);
  let strtab = '\0';
  const nameOff: number[] = [];
  for (const n of names) {
    nameOff.push(strtab.length);
    strtab += n + '\0';
  }
  const shstr = '\0.symtab\0.strtab\0.shstrtab\0';
  const textOff = 0x1000;
  const symOff = textOff + text.length;
  const symSize = 24 * (names.length + 1);
  const strOff = symOff + symSize;
  const shstrOff = strOff + strtab.length;
  const shOff = Math.ceil((shstrOff + shstr.length) / 8) * 8;
  const out = new Uint8Array(shOff + 64 * 4);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setUint16(16, 2, true); // ET_EXEC
  v.setUint16(18, 243, true); // EM_RISCV
  v.setUint32(20, 1, true);
  v.setBigUint64(24, BigInt(base), true);
  v.setBigUint64(32, 64n, true); // phoff
  v.setBigUint64(40, BigInt(shOff), true);
  v.setUint16(52, 64, true);
  v.setUint16(54, 56, true);
  v.setUint16(56, 1, true);
  v.setUint16(58, 64, true);
  v.setUint16(60, 4, true);
  v.setUint16(62, 3, true);
  // PT_LOAD, RWX; memsz covers a page of data after the code (tohost & co live there).
  v.setUint32(64, 1, true);
  v.setUint32(68, 7, true);
  v.setBigUint64(72, BigInt(textOff), true);
  v.setBigUint64(80, BigInt(base), true);
  v.setBigUint64(88, BigInt(base), true);
  v.setBigUint64(96, BigInt(text.length), true);
  v.setBigUint64(104, 0x2000n, true);
  out.set(text, textOff);
  names.forEach((n, i) => {
    const at = symOff + 24 * (i + 1);
    v.setUint32(at, nameOff[i]!, true);
    out[at + 4] = 0x11;
    v.setUint16(at + 6, 0xfff1, true);
    v.setBigUint64(at + 8, BigInt(symbols[n]!), true);
  });
  out.set(new TextEncoder().encode(strtab), strOff);
  out.set(new TextEncoder().encode(shstr), shstrOff);
  const sh = (i: number, name: number, type: number, off: number, size: number, link: number, ent: number): void => {
    const at = shOff + 64 * i;
    v.setUint32(at, name, true);
    v.setUint32(at + 4, type, true);
    v.setBigUint64(at + 24, BigInt(off), true);
    v.setBigUint64(at + 32, BigInt(size), true);
    v.setUint32(at + 40, link, true);
    v.setBigUint64(at + 56, BigInt(ent), true);
  };
  sh(1, 1, 2, symOff, symSize, 2, 24);
  sh(2, 9, 3, strOff, strtab.length, 0, 0);
  sh(3, 17, 3, shstrOff, shstr.length, 0, 0);
  return out;
}

const BASE = RAM_BASE_GPA;
const TOHOST = BASE + 0x1000;
const FROMHOST = BASE + 0x1008;
const utf8 = new TextDecoder();

function runElf(words: number[], maxInstructions?: number): { exitCode: number; message?: string; out: string; instructions: number } {
  const chunks: number[] = [];
  const runner = new ElfRunner({
    elf: makeElf(BASE, code(words), { tohost: TOHOST, fromhost: FROMHOST }),
    ...(maxInstructions !== undefined ? { maxInstructions } : {}),
    clock: new ManualClock(),
    wallClockNs: () => 0n,
    console: { write: (b) => chunks.push(...b) },
  });
  for (let i = 0; i < 100 && runner.done === undefined; i++) runner.runSlice(100_000);
  const done = runner.done;
  assert.ok(done !== undefined, 'the program ends');
  return { ...done, out: utf8.decode(Uint8Array.from(chunks)) };
}

/** t0 = tohost; t1 = value; sd t1, 0(t0); loop. */
function htifExit(value: bigint): number[] {
  return [...li(T0, BigInt(TOHOST)), ...li(T1, value), sd(T1, T0, 0), J_SELF];
}

/** Prints `text` through HTIF (waiting for tohost to clear between characters). */
function htifPrint(text: string): number[] {
  const out = li(T0, BigInt(TOHOST));
  for (const ch of text) {
    out.push(...li(T1, (1n << 56n) | (1n << 48n) | BigInt(ch.charCodeAt(0))), sd(T1, T0, 0));
    out.push(ld(T2, T0, 0), bne(T2, 0, -4));
  }
  return out;
}

test('elf: tohost = 1 passes with status 0', () => {
  const r = runElf(htifExit(1n));
  assert.equal(r.exitCode, 0);
  assert.equal(r.message, undefined);
});

test('elf: tohost = (n << 1) | 1 fails with status 1 and FAIL: test n', () => {
  const r = runElf(htifExit((5n << 1n) | 1n));
  assert.equal(r.exitCode, 1);
  assert.equal(r.message, 'FAIL: test 5');
});

test('elf: HTIF console characters, then pass', () => {
  const r = runElf([...htifPrint('hi!\n'), ...htifExit(1n)]);
  assert.equal(r.out, 'hi!\n');
  assert.equal(r.exitCode, 0);
});

test('elf: the instruction limit ends a runaway program with status 2', () => {
  const r = runElf([J_SELF], 50_000);
  assert.equal(r.exitCode, 2);
  assert.match(r.message ?? '', /instruction limit/);
  assert.ok(r.instructions >= 50_000 && r.instructions < 50_000 + 64, `${r.instructions}`);
});

test('elf: the instruction limit also ends a loop of trapping instructions (they retire nothing)', () => {
  // mtvec points at an all-zero (illegal) word, and execution falls into it: every step traps.
  const prog = [...li(T0, BigInt(BASE + 0x100)), csrrw(0, 0x305, T0)];
  while (prog.length < 0x40) prog.push(addi(0, 0, 0));
  prog.push(0);
  const r = runElf(prog, 20_000);
  assert.equal(r.exitCode, 2);
  assert.match(r.message ?? '', /instruction limit/);
  assert.ok(r.instructions <= 0x40, `only the set-up retires: ${r.instructions}`);
});

test('elf: the UART and the test device are on the board', () => {
  const UART = 0x1000_0000;
  const prog = [...li(T0, BigInt(UART)), addi(T1, 0, 0x4f), sw(T1, T0, 0), addi(T1, 0, 0x4b), sw(T1, T0, 0)];
  // sifive test: fail with code 3 = (3 << 16) | 0x3333.
  prog.push(...li(T0, 0x100000n), ...li(T1, (3n << 16n) | 0x3333n), sw(T1, T0, 0), J_SELF);
  const r = runElf(prog);
  assert.equal(r.out, 'OK');
  assert.equal(r.exitCode, 3);
});

test('elf: segments outside RAM and garbage are one-line BanquiseErrors (status 64)', () => {
  const config = { clock: new ManualClock(), wallClockNs: () => 0n, console: { write: () => {} } };
  assert.throws(() => new ElfRunner({ ...config, elf: makeElf(0x1000, code([J_SELF]), {}) }), (e: unknown) =>
    e instanceof BanquiseError && e.exitCode === 64 && /outside RAM/.test(e.message));
  assert.throws(() => new ElfRunner({ ...config, elf: new Uint8Array(100) }), (e: unknown) => e instanceof BanquiseError && e.exitCode === 64);
});

// ---- the machine itself ----

function machine(over: Partial<BoardDeps> = {}): { m: Machine; clock: ManualClock; out: number[]; exits: MachineExit[] } {
  const clock = new ManualClock();
  const out: number[] = [];
  const exits: MachineExit[] = [];
  const m = new Machine({
    mode: 'bare',
    ramSizeBytes: 16 << 20,
    vcpus: 1,
    clock,
    wallClockNs: () => 0n,
    console: { write: (b) => out.push(...b) },
    onExit: (e) => exits.push(e),
    ...over,
  });
  return { m, clock, out, exits };
}

function load(m: Machine, words: number[], at = BASE): void {
  m.mem.write(at, code(words));
}

test('wiring follows BOARD_LAYOUT: every device of the table, at its address', () => {
  const dummy = (_mem: GuestMemory, _irq: IrqLine): MmioDevice => ({ read: () => 0, write: () => {} });
  const { m } = machine({ virtio: [dummy] });
  const mapped = new Map(m.bus.list().map((r) => [r.baseGpa, r]));
  for (const slot of BOARD_LAYOUT) {
    const r = mapped.get(slot.baseGpa);
    if (slot.kind === 'boot-rom' || slot.kind === 'pcie-ecam' || slot.kind === 'pcie-pio' || slot.kind === 'pcie-mmio' || (slot.kind === 'virtio' && slot.index > 0)) {
      assert.equal(r, undefined, `${slot.name} ${slot.index} is not mapped in pv/bare`);
    } else {
      assert.ok(r !== undefined, `${slot.name}@${slot.baseGpa.toString(16)} mapped`);
      assert.equal(r.sizeBytes, slot.sizeBytes);
    }
  }
  assert.equal(m.virtio.filter((d) => d !== undefined).length, 1);
  assert.throws(() => machine({ vcpus: 0 }), BanquiseError);
  assert.throws(() => machine({ vcpus: 9 }), BanquiseError);
});

test('full mode: boot ROM and PCIe windows mapped; the ROM sends every hart to the firmware with a0/a1/a2 as QEMU', () => {
  const { m } = machine({ mode: 'full', vcpus: 2 });
  for (const kind of ['boot-rom', 'pcie-ecam', 'pcie-pio', 'pcie-mmio'] as const) {
    const slot = BOARD_LAYOUT.find((s) => s.kind === kind)!;
    assert.ok(m.bus.list().some((r) => r.baseGpa === slot.baseGpa && r.sizeBytes === slot.sizeBytes), `${kind} mapped`);
  }
  assert.equal(m.bus.list().find((r) => r.baseGpa === 0x3000_0000)!.device.read(0, 4), 0x0008_1b36, 'host bridge at 00:00.0');
  // "firmware": wfi at the start of RAM
  const info = fullBoot(m, { firmware: code([0x10500073]), kernel: new Uint8Array(16), bootargs: 'x', random: (b) => b.fill(1) });
  assert.equal(info.kernelGpa, 0x8020_0000);
  assert.equal(info.dtbGpa % (2 << 20), 0);
  m.runSlice(100);
  for (const h of m.harts) {
    assert.equal(h.getPc(), BigInt(BASE) + 4n, `hart ${h.hartId} reached the firmware (and its wfi)`);
    assert.equal(h.priv, 3);
    assert.equal(h.getX(10), BigInt(h.hartId));
    assert.equal(h.getX(11), BigInt(info.dtbGpa));
    const a2 = Number(h.getX(12)) - 0x1000; // fw_dynamic_info sits in the ROM (as on QEMU)
    assert.equal(m.bootRom!.read(a2, 4), 0x4942534f, 'a2: fw_dynamic_info magic');
    assert.equal(m.bootRom!.read(a2 + 16, 4), 0x8020_0000, 'next_addr');
    assert.equal(m.bootRom!.read(a2 + 24, 4), 1, 'next_mode S');
  }
  assert.throws(() => machine({ mode: 'pv', pci: [() => { throw new Error('not called'); }] }), /need full mode/);
});

test('runSlice: a hart in WFI makes the slice idle with a sleep hint, a timer wakes it', () => {
  const { m, clock, exits } = machine();
  const CLINT = 0x200_0000n;
  // mtimecmp = 50_000 ticks (5 ms); enable MTIE and MIE; wfi; then poweroff via the test device.
  load(m, [
    ...li(T0, CLINT + 0x4000n), ...li(T1, 50_000n), sd(T1, T0, 0),
    addi(T1, 0, 0x80), csrrs(0, 0x304, T1), // mie.MTIE
    ...li(T2, BigInt(BASE) + 0x200n), csrrw(0, 0x305, T2), // mtvec -> handler
    addi(T1, 0, 8), csrrs(0, 0x300, T1), // mstatus.MIE
    WFI, J_SELF,
  ]);
  load(m, [...li(T0, 0x100000n), ...li(T1, 0x5555n), sw(T1, T0, 0), J_SELF], BASE + 0x200);
  m.resetHarts(BigInt(BASE));
  const s1 = m.runSlice(1_000_000);
  assert.equal(s1.reason, 'idle');
  assert.ok(Math.abs(s1.sleepMs - 5) < 0.01, `sleeps until the CLINT deadline: ${s1.sleepMs}`);
  assert.equal(m.runSlice(1_000_000).reason, 'idle', 'still idle before the deadline');
  clock.advance(50_000);
  const s2 = m.runSlice(1_000_000);
  assert.equal(s2.reason, 'exit');
  assert.deepEqual(exits, [{ kind: 'poweroff' }]);
  assert.deepEqual(m.exit, { kind: 'poweroff' });
});

test('runSlice: idle without any timer sleeps the maximum', () => {
  const { m } = machine();
  load(m, [WFI, J_SELF]);
  m.resetHarts(BigInt(BASE));
  const s = m.runSlice(1000);
  assert.equal(s.reason, 'idle');
  assert.equal(s.sleepMs, MAX_IDLE_SLEEP_MS);
});

test('runSlice: harts take turns, so one can spin-wait for another', () => {
  const { m } = machine({ vcpus: 2 });
  const FLAG = BASE + 0x8000;
  // Hart 1 sets the flag after a long countdown; hart 0 spins on it, then powers off.
  const hart0 = [...li(T0, BigInt(FLAG)), ld(T1, T0, 0), beq(T1, 0, -4), ...li(T0, 0x100000n), ...li(T1, 0x5555n), sw(T1, T0, 0), J_SELF];
  const hart1 = [...li(A0, 20_000n), addi(A0, A0, -1), bne(A0, 0, -4), ...li(T0, BigInt(FLAG)), addi(T1, 0, 1), sd(T1, T0, 0), WFI, J_SELF];
  const prologue = [csrrs(T3, 0xf14, 0), bne(T3, 0, 4 * (1 + hart0.length))];
  load(m, [...prologue, ...hart0, ...hart1]);
  m.resetHarts(BigInt(BASE));
  let total = 0;
  for (let i = 0; i < 20 && m.exit === undefined; i++) total += m.runSlice(100_000).instructions;
  assert.deepEqual(m.exit, { kind: 'poweroff' });
  assert.ok(m.harts[1]!.instret > 40_000, 'hart 1 ran its countdown');
  assert.ok(total < 2_000_000, `hart 0 did not starve hart 1: ${total}`);
});

test('pv: S-mode ECALLs reach the SBI; HSM starts a second hart; SRST powers off', () => {
  const { m, out, exits } = machine({ mode: 'pv', vcpus: 2 });
  const sbi = (eid: number | bigint, fid: number): number[] => [...li(A7, BigInt(eid)), ...li(A6, BigInt(fid)), ECALL];
  const H1 = BASE + 0x1000;
  const FLAG = BASE + 0x8000;
  // Hart 0: putchar 'S', hart_start(1, H1, 0x77), wait for the flag, system_reset(shutdown).
  load(m, [
    ...li(A0, 0x53n), ...sbi(1, 0),
    ...li(A0, 1n), ...li(A1, BigInt(H1)), ...li(A2, 0x77n), ...sbi(0x48534d, 0),
    ...li(T0, BigInt(FLAG)), ld(T1, T0, 0), beq(T1, 0, -4),
    ...li(A0, 0n), ...li(A1, 0n), ...sbi(0x53525354, 0), J_SELF,
  ]);
  // Hart 1: store a0 (its hart id) + a1 (opaque) at FLAG; then hart_stop.
  load(m, [...li(T0, BigInt(FLAG)), 0x00b50333 /* add t1, a0, a1 */, sd(T1, T0, 0), ...sbi(0x48534d, 1), J_SELF], H1);
  m.resetHarts(BigInt(BASE));
  enterSupervisor(m.harts[0]!, BigInt(BASE), 0n, 0n);
  assert.equal(m.harts[0]!.priv, 1);
  for (let i = 0; i < 10 && m.exit === undefined; i++) m.runSlice(100_000);
  assert.equal(utf8.decode(Uint8Array.from(out)), 'S');
  assert.equal(m.mem.readU64(FLAG), 0x78n, 'hart 1 started with a0 = 1, a1 = opaque');
  assert.equal(m.hartState(1), 1 /* STOPPED again */);
  assert.deepEqual(exits, [{ kind: 'poweroff' }]);
  assert.equal(m.sbi!.sbiStats.get('HSM', 0), 1);
  assert.equal(m.sbi!.sbiStats.get('LEGACY_CONSOLE_PUTCHAR', 0), 1);
});

test('consoleInput feeds the UART and SBI console reads', () => {
  const { m } = machine({ mode: 'pv' });
  m.consoleInput(new TextEncoder().encode('ab'));
  const buf = new Uint8Array(4);
  assert.equal(m.consoleRead(buf), 2);
  assert.deepEqual(Array.from(buf.subarray(0, 2)), [0x61, 0x62]);
  assert.equal(m.uart.read(5, 1) & 1, 1, 'UART LSR.DR: data ready');
  assert.equal(m.uart.read(0, 1), 0x61);
});

test('pv: an SBI IPI wakes a hart in WFI; its handler clears sip.SSIP', () => {
  const { m, exits } = machine({ mode: 'pv', vcpus: 2 });
  const sbi = (eid: number, fid: number): number[] => [...li(A7, BigInt(eid)), ...li(A6, BigInt(fid)), ECALL];
  const csrrc = (rd: number, csr: number, rs1: number): number => itype(0x73, 3, rd, rs1, csr);
  const H1 = BASE + 0x1000;
  const HANDLER = BASE + 0x2000;
  const FLAG = BASE + 0x8000;
  load(m, [
    ...li(A0, 1n), ...li(A1, BigInt(H1)), ...li(A2, 0n), ...sbi(0x48534d, 0),
    ...li(T0, BigInt(FLAG)), ld(T1, T0, 0), beq(T1, 0, -4),
    ...li(A0, 2n), ...li(A1, 0n), ...sbi(0x735049, 0),
    ...li(T0, BigInt(FLAG + 8)), ld(T1, T0, 0), beq(T1, 0, -4),
    ...li(A0, 0n), ...li(A1, 0n), ...sbi(0x53525354, 0), J_SELF,
  ]);
  load(m, [
    ...li(T2, BigInt(HANDLER)), csrrw(0, 0x105, T2), // stvec
    addi(T1, 0, 2), csrrs(0, 0x104, T1), // sie.SSIE
    addi(T1, 0, 2), csrrs(0, 0x100, T1), // sstatus.SIE
    ...li(T0, BigInt(FLAG)), addi(T1, 0, 1), sd(T1, T0, 0),
    WFI, 0xffdff06f /* j -4 */,
  ], H1);
  load(m, [addi(T1, 0, 2), csrrc(0, 0x144, T1), ...li(T0, BigInt(FLAG + 8)), addi(T1, 0, 1), sd(T1, T0, 0), J_SELF], HANDLER);
  m.resetHarts(BigInt(BASE));
  enterSupervisor(m.harts[0]!, BigInt(BASE), 0n, 0n);
  for (let i = 0; i < 20 && m.exit === undefined; i++) m.runSlice(100_000);
  assert.deepEqual(exits, [{ kind: 'poweroff' }]);
  assert.equal(m.harts[1]!.readCsr(0x144) & 2n, 0n, 'SSIP cleared by the guest');
  assert.equal(m.harts[1]!.readCsr(0x142), (1n << 63n) | 1n, 'scause: supervisor software interrupt');
});

test('serialReaderPresent follows the 16550 IER.ERBFI bit (not the divisor latch)', () => {
  const { m } = machine({ mode: 'pv' });
  assert.equal(m.serialReaderPresent(), false);
  m.uart.write(1, 1, 0x01); // IER.ERBFI
  assert.equal(m.serialReaderPresent(), true);
  m.uart.write(3, 1, 0x80); // LCR.DLAB: offset 1 is now DLM
  assert.equal(m.serialReaderPresent(), false);
  m.uart.write(3, 1, 0x03);
  assert.equal(m.serialReaderPresent(), true);
});

test('pv: HSM retentive suspend sleeps until the armed timer fires, then the call returns 0', () => {
  const { m, clock, exits } = machine({ mode: 'pv' });
  const sbi = (eid: number, fid: number): number[] => [...li(A7, BigInt(eid)), ...li(A6, BigInt(fid)), ECALL];
  const FLAG = BASE + 0x8000;
  load(m, [
    ...li(A0, 20_000n), ...sbi(0x54494d45, 0), // set_timer(20000): 2 ms
    addi(T1, 0, 0x20), csrrs(0, 0x104, T1), // sie.STIE (sstatus.SIE stays 0: no trap)
    ...li(A0, 0n), ...sbi(0x48534d, 3), // hart_suspend(DEFAULT_RETENTIVE)
    ...li(T0, BigInt(FLAG)), sd(A0, T0, 0), addi(T1, 0, 1), sd(T1, T0, 8),
    ...li(A0, 0n), ...li(A1, 0n), ...sbi(0x53525354, 0), J_SELF,
  ]);
  m.resetHarts(BigInt(BASE));
  enterSupervisor(m.harts[0]!, BigInt(BASE), 0n, 0n);
  const s1 = m.runSlice(100_000);
  assert.equal(s1.reason, 'idle');
  assert.equal(m.hartState(0), 4 /* SUSPENDED */);
  assert.ok(Math.abs(s1.sleepMs - 2) < 0.01, `sleeps until stimecmp: ${s1.sleepMs}`);
  assert.equal(m.runSlice(100_000).reason, 'idle');
  clock.advance(20_000);
  m.runSlice(100_000);
  assert.deepEqual(exits, [{ kind: 'poweroff' }]);
  assert.equal(m.mem.readU64(FLAG + 8), 1n, 'resumed after the ecall');
  assert.equal(m.mem.readU64(FLAG), 0n, 'hart_suspend returned SBI_SUCCESS');
});

test('pvpanic: the guest reads the supported events and a PANICKED write ends the run with GUEST_PANIC_EXIT_CODE', () => {
  const { m, exits } = machine();
  const slot = boardSlot('pvpanic');
  const r = m.bus.find(slot.baseGpa)!;
  assert.equal(r.device.read(0, 1), 3, 'PANICKED | CRASH_LOADED');
  r.device.write(0, 1, 2);
  assert.equal(exits.length, 0, 'crash-loaded alone does not stop the guest');
  r.device.write(0, 1, 1);
  assert.equal(exits.length, 1);
  const e = exits[0] as MachineExit;
  assert.ok(e.kind === 'fail' && e.code === GUEST_PANIC_EXIT_CODE && /panicked/.test(e.message ?? ''), JSON.stringify(e));
});

test('yieldSlice: a device kick ends the slice at once; the run goes on in the next slice', () => {
  let m!: Machine;
  let kicks = 0;
  const kicked = (_mem: GuestMemory, _irq: IrqLine): MmioDevice => ({
    read: () => 0,
    write: () => {
      kicks++;
      m.yieldSlice();
    },
  });
  ({ m } = machine({ virtio: [kicked] }));
  // Kick the device (slot 0 at 0x10001000), then spin forever, as Linux's hvc waits for its buffer.
  load(m, [...li(T0, 0x1000_1000n), sw(0, T0, 0x50), J_SELF]);
  m.resetHarts(BigInt(BASE));
  const s = m.runSlice(1_000_000);
  assert.equal(kicks, 1);
  assert.equal(s.reason, 'budget');
  assert.ok(s.instructions < 1000, `the slice ended right after the kick (${s.instructions} instructions)`);
  const next = m.runSlice(100_000);
  assert.ok(next.instructions >= 99_000, `the next slice runs its whole budget (${next.instructions})`);
});
