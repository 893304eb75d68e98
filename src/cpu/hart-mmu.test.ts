import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHartRig, RAM_BASE, type HartRig } from '../test-support/hart-rig.js';
import { rv } from '../test-support/rv-asm.js';
import { StopReason } from './hart.js';

const B = BigInt(RAM_BASE);
const C = { sstatus: 0x100, satp: 0x180, mstatus: 0x300, mtvec: 0x305, mepc: 0x341, mcause: 0x342, mtval: 0x343,
  pmpcfg0: 0x3a0, pmpaddr0: 0x3b0, pmpaddr1: 0x3b1, medeleg: 0x302, scause: 0x142, stval: 0x143, stvec: 0x105 };
const V = 1, R = 2, W = 4, X = 8, U = 16, A = 64, D = 128;
const ROOT = RAM_BASE + 0x10000;
const L1 = RAM_BASE + 0x11000;
const L0 = RAM_BASE + 0x12000;
const ROOT48 = RAM_BASE + 0x13000;
const DATA = RAM_BASE + 0x20000;

function pte(pa: number, flags: number): bigint {
  return (BigInt(Math.floor(pa / 4096)) << 10n) | BigInt(flags);
}

/**
 * Sv39 tables: 0x8000_0000 identity gigapage (RWX, supervisor); VA 0x4000_0000 → DATA (RW U, A/D
 * clear); 0x4000_1000 → DATA+0x1000 execute-only; 0x4000_2000 W-only (reserved); 0x4020_0000
 * misaligned megapage; 0x4040_0000 megapage → 0x8000_0000 (RWX). Sv48 root → the Sv39 root as level 2.
 */
function mmuRig(): HartRig {
  const r = makeHartRig();
  const m = r.mem;
  m.writeU64(ROOT + 2 * 8, pte(0x8000_0000, V | R | W | X | A | D));
  m.writeU64(ROOT + 1 * 8, pte(L1, V));
  m.writeU64(L1 + 0 * 8, pte(L0, V));
  m.writeU64(L0 + 0 * 8, pte(DATA, V | R | W | U));
  m.writeU64(L0 + 1 * 8, pte(DATA + 0x1000, V | X | A));
  m.writeU64(L0 + 2 * 8, pte(DATA + 0x2000, V | W | A | D));
  m.writeU64(L1 + 1 * 8, pte(DATA + 0x1000, V | R | A));
  m.writeU64(L1 + 2 * 8, pte(0x8000_0000, V | R | W | X | A | D));
  m.writeU64(ROOT48 + 0, pte(ROOT, V));
  r.hart.writeCsr(C.pmpaddr0, (1n << 54n) - 1n);
  r.hart.writeCsr(C.pmpcfg0, 0x1fn);
  r.hart.writeCsr(C.mtvec, B + 0x800n);
  r.hart.writeCsr(C.satp, (8n << 60n) | BigInt(ROOT / 4096));
  return r;
}

/** Runs one instruction placed at RAM_BASE in S-mode; returns mcause (99n if none). */
function execS(r: HartRig, insn: number, priv = 1): bigint {
  r.hart.writeCsr(C.mcause, 99n);
  r.load([insn]);
  r.hart.setPc(B);
  r.hart.priv = priv;
  r.hart.run(1);
  return r.hart.readCsr(C.mcause);
}

test('Sv39: U page from S needs SUM; A then D set by hardware in the PTE', () => {
  const r = mmuRig();
  const h = r.hart;
  r.mem.writeU64(DATA, 0x1122_3344_5566_7788n);
  h.setX(1, 0x4000_0000n);
  assert.equal(execS(r, rv.ld(2, 1, 0)), 13n);
  assert.equal(h.readCsr(C.mtval), 0x4000_0000n);
  assert.equal(h.readCsr(C.mepc), B);
  h.writeCsr(C.mstatus, 1n << 18n); // SUM
  assert.equal(execS(r, rv.ld(2, 1, 0)), 99n);
  assert.equal(h.getX(2), 0x1122_3344_5566_7788n);
  const p = r.mem.readU64(L0)!;
  assert.equal(p & BigInt(A | D), BigInt(A));
  h.writeCsr(C.mstatus, 0n); // SUM cleared again: the cached translation must not be used
  assert.equal(execS(r, rv.ld(2, 1, 0)), 13n);
  h.writeCsr(C.mstatus, 1n << 18n);
  h.setX(3, 42n);
  assert.equal(execS(r, rv.sd(3, 1, 8)), 99n);
  assert.equal(r.mem.readU64(L0)! & BigInt(A | D), BigInt(A | D));
  assert.equal(r.mem.readU64(DATA + 8), 42n);
  // U-mode reaches the U page without SUM
  h.writeCsr(C.mstatus, 0n);
  r.mem.writeU64(ROOT + 2 * 8, pte(0x8000_0000, V | R | W | X | U | A | D)); // code page becomes U
  h.flushTlb();
  assert.equal(execS(r, rv.ld(4, 1, 8), 0), 99n);
  assert.equal(h.getX(4), 42n);
  // the supervisor gigapage (cached while in S) is not reachable from U
  h.setX(5, B + 0x40n);
  r.mem.writeU64(ROOT + 2 * 8, pte(0x8000_0000, V | R | W | X | A | D));
  h.flushTlb();
  assert.equal(execS(r, rv.ld(6, 5, 0), 1), 99n);
  r.mem.writeU64(ROOT + 2 * 8, pte(0x8000_0000, V | R | W | X | U | A | D));
  r.mem.writeU64(ROOT + 1 * 8, 0n); // (not flushed: S entries stay cached, U must still walk)
  h.setX(1, 0x4000_0000n);
  assert.equal(execS(r, rv.ld(4, 1, 8), 0), 13n);
  r.mem.writeU64(ROOT + 1 * 8, pte(L1, V));
  h.flushTlb();
  // ... and S may not execute a U page even with SUM
  h.writeCsr(C.mstatus, 1n << 18n);
  assert.equal(execS(r, rv.nop(), 1), 12n);
});

test('Sv39: execute-only needs MXR to load; W-only is reserved; misaligned superpage faults; megapage works', () => {
  const r = mmuRig();
  const h = r.hart;
  r.mem.writeU64(DATA + 0x1000, 0xabcdn);
  r.mem.writeU64(RAM_BASE + 0x10, 0x7777n);
  h.setX(1, 0x4000_1000n);
  assert.equal(execS(r, rv.ld(2, 1, 0)), 13n);
  h.writeCsr(C.mstatus, 1n << 19n); // MXR
  assert.equal(execS(r, rv.ld(2, 1, 0)), 99n);
  assert.equal(h.getX(2), 0xabcdn);
  assert.equal(execS(r, rv.sd(2, 1, 0)), 15n);
  h.setX(1, 0x4000_2000n);
  assert.equal(execS(r, rv.sd(2, 1, 0)), 15n);
  assert.equal(execS(r, rv.ld(2, 1, 0)), 13n);
  h.setX(1, 0x4020_0000n);
  assert.equal(execS(r, rv.ld(2, 1, 0)), 13n);
  h.setX(1, 0x4040_0010n);
  assert.equal(execS(r, rv.ld(2, 1, 0)), 99n);
  assert.equal(h.getX(2), 0x7777n);
  h.setX(1, 0x80_0000_0000n); // bit 39 set, bit 38 clear: not canonical in Sv39
  assert.equal(execS(r, rv.ld(2, 1, 0)), 13n);
  assert.equal(h.readCsr(C.mtval), 0x80_0000_0000n);
  h.setX(1, 0xffff_ffff_c000_0000n); // canonical, vpn2 = 511: invalid PTE
  assert.equal(execS(r, rv.sd(2, 1, 0)), 15n);
  h.setX(1, 0x4000_3000n); // L0[3] invalid
  assert.equal(execS(r, rv.ld(2, 1, 0)), 13n);
});

test('Sv48 walks one more level; unsupported bits/levels fault; PTE outside RAM is an access fault', () => {
  const r = mmuRig();
  const h = r.hart;
  h.writeCsr(C.satp, (9n << 60n) | BigInt(ROOT48 / 4096));
  r.mem.writeU64(RAM_BASE + 0x18, 0x4242n);
  h.setX(1, 0x4040_0018n);
  assert.equal(execS(r, rv.ld(2, 1, 0)), 99n);
  assert.equal(h.getX(2), 0x4242n);
  h.setX(1, 0x80_4040_0018n); // vpn3 = 1: invalid
  assert.equal(execS(r, rv.ld(2, 1, 0)), 13n);
  h.setX(1, 0x8000_0000_0000n); // bit 47 set, 63:48 clear: not canonical in Sv48
  assert.equal(execS(r, rv.ld(2, 1, 0)), 13n);
  r.mem.writeU64(ROOT48 + 8 * 2, pte(0x1000_0000, V)); // pointer to a table outside RAM
  h.setX(1, 0x100_0000_0000n); // vpn3 = 2
  assert.equal(execS(r, rv.ld(2, 1, 0)), 5n);
  r.mem.writeU64(ROOT48 + 8 * 3, pte(0x8000_0000, V | R | A) | (1n << 61n)); // PBMT bits without Svpbmt
  h.setX(1, 0x180_0000_0000n);
  assert.equal(execS(r, rv.ld(2, 1, 0)), 13n);
});

test('satp changes and sfence.vma take effect; MPRV makes M-mode loads translate as MPP', () => {
  const r = mmuRig();
  const h = r.hart;
  r.mem.writeU64(RAM_BASE + 0x40, 1n);
  r.mem.writeU64(DATA + 0x40, 2n);
  h.setX(1, 0x4040_0040n);
  execS(r, rv.ld(2, 1, 0));
  assert.equal(h.getX(2), 1n);
  // a second address space without the 0x4000_0000 gigabyte: switching satp drops cached entries
  const root2 = RAM_BASE + 0x14000;
  r.mem.writeU64(root2 + 2 * 8, pte(0x8000_0000, V | R | W | X | A | D));
  h.setX(7, (8n << 60n) | BigInt(root2 / 4096));
  assert.equal(execS(r, rv.csrrw(0, C.satp, 7)), 99n);
  assert.equal(execS(r, rv.ld(2, 1, 0)), 13n);
  h.writeCsr(C.satp, (8n << 60n) | BigInt(ROOT / 4096));
  // MPRV: M-mode load with MPP = S goes through the page table
  h.writeCsr(C.mstatus, (1n << 17n) | (1n << 11n));
  h.setX(1, 0x4040_0040n);
  assert.equal(execS(r, rv.ld(2, 1, 0), 3), 99n);
  assert.equal(h.getX(2), 1n);
  h.setX(1, 0x4000_0040n); // U page with SUM = 0 under MPRV/MPP = S: fault
  assert.equal(execS(r, rv.ld(2, 1, 0), 3), 13n);
  h.writeCsr(C.mstatus, 0n);
  assert.equal(execS(r, rv.ld(2, 1, 0), 3), 5n); // bare M-mode: 0x4000_0040 is not RAM or MMIO
  // sfence.vma flushes: point the DATA page somewhere else and observe it after the fence
  h.writeCsr(C.mstatus, 1n << 18n);
  h.setX(1, 0x4000_0040n);
  execS(r, rv.ld(2, 1, 0));
  assert.equal(h.getX(2), 2n);
  r.mem.writeU64(L0, pte(RAM_BASE, V | R | W | U | A | D));
  execS(r, rv.sfenceVma());
  execS(r, rv.ld(2, 1, 0));
  assert.equal(h.getX(2), 1n);
});

test('a 32-bit instruction straddling two pages: runs when both are mapped; a fault on the second half reports its page', () => {
  const r = mmuRig();
  const h = r.hart;
  // megapage 0x4040_0000 → 0x8000_0000 needs X for code
  r.mem.writeU64(L1 + 2 * 8, pte(0x8000_0000, V | R | W | X | A | D));
  const insn = rv.addi(5, 0, 42);
  r.load16([0x0001, insn & 0xffff], RAM_BASE + 0xffc); // c.nop, then the low half of addi
  r.load16([insn >>> 16], RAM_BASE + 0x1000);
  r.load([rv.wfi()], RAM_BASE + 0x1002);
  h.priv = 1;
  h.setPc(0x4040_0ffcn);
  assert.equal(h.run(10), StopReason.Wfi);
  assert.equal(h.getX(5), 42n);
});

test('a fault on the second half of a straddling instruction reports the second page in mtval', () => {
  const r = mmuRig();
  const h = r.hart;
  const insn = rv.addi(5, 0, 42);
  // execute-only page 0x4000_1000 followed by the reserved W-only page 0x4000_2000
  r.load16([insn & 0xffff], DATA + 0x1ffe);
  h.priv = 1;
  h.setPc(0x4000_1ffen);
  h.writeCsr(C.mcause, 0n);
  h.run(1);
  assert.equal(h.readCsr(C.mcause), 12n);
  assert.equal(h.readCsr(C.mtval), 0x4000_2000n);
  assert.equal(h.readCsr(C.mepc), 0x4000_1ffen);
});

test('misaligned loads/stores across a page boundary under translation; the fault names the unmapped page', () => {
  const r = mmuRig();
  const h = r.hart;
  h.writeCsr(C.mstatus, 1n << 18n); // SUM
  // 0x4000_0ffc..0x4000_1003: second page is execute-only: a store faults at 0x4000_1000
  h.setX(1, 0x4000_0ffcn);
  h.setX(2, 0x0102_0304_0506_0708n);
  assert.equal(execS(r, rv.sd(2, 1, 0)), 15n);
  assert.equal(h.readCsr(C.mtval), 0x4000_1000n);
  assert.equal(r.mem.readU32(DATA + 0xffc), 0); // nothing written
  h.writeCsr(C.mstatus, (1n << 18n) | (1n << 19n)); // + MXR: the load works
  r.mem.writeU32(DATA + 0xffc, 0xaabb_ccdd);
  r.mem.writeU32(DATA + 0x1000, 0x1122_3344);
  assert.equal(execS(r, rv.ld(3, 1, 0)), 99n);
  assert.equal(h.getX(3), 0x1122_3344_aabb_ccddn);
});

test('PMP: TOR/NA4/NAPOT rules, lowest entry wins, locked entries bind M-mode', () => {
  const r = makeHartRig();
  const h = r.hart;
  h.writeCsr(C.mtvec, B + 0x800n);
  const pmpaddr = (i: number, a: number) => h.writeCsr(C.pmpaddr0 + i, BigInt(Math.floor(a / 4)));
  // entry 0: TOR [0 .. RAM+0x2000) R only; entry 1: NA4 at RAM+0x3000 no permissions;
  // entry 2: NAPOT RAM+0x4000 size 0x1000 RW; entry 3: NAPOT everything RWX
  pmpaddr(0, RAM_BASE + 0x2000);
  pmpaddr(1, RAM_BASE + 0x3000);
  h.writeCsr(C.pmpaddr0 + 2, BigInt((RAM_BASE + 0x4000) / 4) | 0x1ffn);
  h.writeCsr(C.pmpaddr0 + 3, (1n << 54n) - 1n);
  const cfg = [0x08 | 1, 0x10, 0x18 | 3, 0x18 | 7];
  h.writeCsr(C.pmpcfg0, BigInt(cfg[0]! | (cfg[1]! << 8) | (cfg[2]! << 16) | (cfg[3]! << 24)));
  assert.equal(h.readCsr(C.pmpcfg0), 0x1f1b_1009n);
  // code at RAM_BASE is inside entry 0 (R only: no X) for S-mode
  h.setX(1, BigInt(RAM_BASE + 0x3000));
  r.load([rv.ld(2, 1, 0)], RAM_BASE);
  h.priv = 1;
  h.setPc(B);
  h.run(1);
  assert.equal(h.readCsr(C.mcause), 1n); // fetch denied by entry 0
  // move code above the TOR region
  const code = RAM_BASE + 0x8000;
  const runAt = (insn: number, priv: number) => {
    h.writeCsr(C.mcause, 99n);
    r.load([insn], code);
    h.priv = priv;
    h.setPc(BigInt(code));
    h.run(1);
    return h.readCsr(C.mcause);
  };
  assert.equal(runAt(rv.lw(2, 1, 0), 1), 5n); // NA4 entry 1 denies
  assert.equal(runAt(rv.lw(2, 1, 4), 1), 99n); // next word: falls to entry 3
  h.setX(1, BigInt(RAM_BASE + 0x1000));
  assert.equal(runAt(rv.lw(2, 1, 0), 1), 99n); // TOR R
  assert.equal(runAt(rv.sw(2, 1, 0), 1), 7n); // TOR no W
  h.setX(1, BigInt(RAM_BASE + 0x3002));
  assert.equal(runAt(rv.lw(2, 1, 0), 1), 5n); // overlaps the NA4 word partially: fails
  h.setX(1, BigInt(RAM_BASE + 0x1ffc));
  assert.equal(runAt(rv.ld(2, 1, 0), 1), 99n); // crosses a page: each page's part is checked on its own
  h.setX(1, BigInt(RAM_BASE + 0x4ff8));
  assert.equal(runAt(rv.sd(2, 1, 0), 1), 99n); // NAPOT RW
  assert.equal(runAt(rv.lw(2, 1, 0), 3), 99n); // M-mode ignores unlocked entries
  h.setX(1, BigInt(RAM_BASE + 0x3000));
  assert.equal(runAt(rv.lw(2, 1, 0), 3), 99n);
  h.writeCsr(C.pmpcfg0, BigInt(cfg[0]! | (0x90 << 8) | (cfg[2]! << 16) | (cfg[3]! << 24))); // lock entry 1
  assert.equal(runAt(rv.lw(2, 1, 0), 3), 5n);
  h.writeCsr(C.pmpcfg0, 0n); // the locked byte cannot change, the others can
  assert.equal(h.readCsr(C.pmpcfg0), 0x9000n);
  pmpaddr(1, 0);
  assert.equal(h.readCsr(C.pmpaddr1), BigInt((RAM_BASE + 0x3000) / 4));
});

test('FP loads and stores go through the same translation and TLBs (U page needs SUM from S)', () => {
  const r = mmuRig();
  const h = r.hart;
  h.writeCsr(C.mstatus, (1n << 18n) | (1n << 13n)); // SUM, FS = Initial
  r.mem.writeU64(DATA + 0x10, 0x4000_0000_0000_0000n);
  h.setX(1, 0x4000_0010n);
  assert.equal(execS(r, rv.fld(1, 1, 0)), 99n);
  assert.equal(h.getF(1), 0x4000_0000_0000_0000n);
  assert.equal(execS(r, rv.fsd(1, 1, 8)), 99n); // fills the store TLB
  assert.equal(execS(r, rv.fsw(1, 1, 16)), 99n); // TLB hit path
  assert.equal(r.mem.readU64(DATA + 0x18), 0x4000_0000_0000_0000n);
  assert.equal(r.mem.readU32(DATA + 0x20), 0);
  assert.equal(execS(r, rv.flw(2, 1, 4)), 99n); // TLB hit path, NaN-boxed
  assert.equal(h.getF(2), 0xffff_ffff_4000_0000n);
  h.writeCsr(C.mstatus, 1n << 13n); // SUM cleared: both faults
  assert.equal(execS(r, rv.fld(1, 1, 0)), 13n);
  assert.equal(execS(r, rv.fsd(1, 1, 0)), 15n);
});

test('sfence.vma with an address drops that page; other pages keep their cached translation', () => {
  const r = mmuRig();
  const h = r.hart;
  h.writeCsr(C.mstatus, 1n << 18n);
  r.mem.writeU64(RAM_BASE + 0x1040, 1n);
  r.mem.writeU64(RAM_BASE + 0x40, 1n);
  r.mem.writeU64(DATA + 0x40, 2n);
  h.setX(1, 0x4000_0040n); // DATA page (U), TLB index 0
  h.setX(3, 0x4040_1040n); // megapage → RAM_BASE + 0x1000, TLB index 1
  execS(r, rv.ld(2, 1, 0));
  execS(r, rv.ld(4, 3, 0));
  assert.equal(h.getX(2), 2n);
  assert.equal(h.getX(4), 1n);
  // retarget both mappings, then fence only 0x4000_0040
  r.mem.writeU64(L0, pte(RAM_BASE, V | R | W | U | A | D));
  r.mem.writeU64(L1 + 2 * 8, 0n);
  execS(r, rv.sfenceVma(1, 0));
  execS(r, rv.ld(2, 1, 0));
  assert.equal(h.getX(2), 1n); // re-walked
  assert.equal(execS(r, rv.ld(4, 3, 0)), 99n); // still cached (not fenced): allowed by the spec
  execS(r, rv.sfenceVma(0, 0));
  assert.equal(execS(r, rv.ld(4, 3, 0)), 13n); // now the invalid PTE is seen
});
