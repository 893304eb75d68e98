import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHartRig, RAM_BASE, type HartRig } from '../test-support/hart-rig.js';
import { rv } from '../test-support/rv-asm.js';
import { Irq, StopReason } from './hart.js';

const B = BigInt(RAM_BASE);
const C = {
  sstatus: 0x100, sie: 0x104, stvec: 0x105, scounteren: 0x106, sepc: 0x141, scause: 0x142, stval: 0x143, sip: 0x144,
  stimecmp: 0x14d, satp: 0x180, mstatus: 0x300, misa: 0x301, medeleg: 0x302, mideleg: 0x303, mie: 0x304, mtvec: 0x305,
  mcounteren: 0x306, menvcfg: 0x30a, mepc: 0x341, mcause: 0x342, mtval: 0x343, mip: 0x344, pmpcfg0: 0x3a0,
  pmpaddr0: 0x3b0, cycle: 0xc00, time: 0xc01, instret: 0xc02, mhartid: 0xf14, mvendorid: 0xf11,
};
const INT = 1n << 63n;
const STCE = 1n << 63n;

/** Opens PMP entry 0 over the whole address space (what firmware or the pv machine does). */
function openPmp(r: HartRig): void {
  r.hart.writeCsr(C.pmpaddr0, (1n << 54n) - 1n);
  r.hart.writeCsr(C.pmpcfg0, 0x1fn);
}

/** Runs one instruction at RAM_BASE in the current mode; returns mcause (99n if nothing trapped). */
function exec1(r: HartRig, insn: number, priv = 3): bigint {
  r.hart.writeCsr(C.mcause, 99n);
  r.load([insn]);
  r.hart.setPc(B);
  r.hart.priv = priv;
  r.hart.run(1);
  return r.hart.readCsr(C.mcause);
}

test('misa, mstatus, satp and delegation CSRs are WARL', () => {
  const r = makeHartRig();
  const h = r.hart;
  h.writeCsr(C.misa, 0n);
  assert.equal(h.readCsr(C.misa), (2n << 62n) | 0x14112dn); // RV64 IMAFDCSU
  h.writeCsr(C.mstatus, 3n << 11n);
  h.writeCsr(C.mstatus, 2n << 11n); // MPP = 2 is reserved: previous value kept
  assert.equal((h.readCsr(C.mstatus) >> 11n) & 3n, 3n);
  h.writeCsr(C.mstatus, 1n << 11n);
  assert.equal((h.readCsr(C.mstatus) >> 11n) & 3n, 1n);
  assert.equal((h.readCsr(C.mstatus) >> 32n) & 0xfn, 0xan); // UXL = SXL = 64-bit, read-only
  h.writeCsr(C.mstatus, 0xfn << 32n);
  assert.equal((h.readCsr(C.mstatus) >> 32n) & 0xfn, 0xan);
  h.writeCsr(C.mstatus, 3n << 13n); // FS = Dirty sets SD
  assert.equal(h.readCsr(C.mstatus) >> 63n, 1n);
  assert.equal(h.readCsr(C.sstatus), (1n << 63n) | (2n << 32n) | (3n << 13n));
  h.writeCsr(C.satp, (10n << 60n) | 0x123n); // Sv57 unsupported: ignored
  assert.equal(h.readCsr(C.satp), 0n);
  h.writeCsr(C.satp, (8n << 60n) | 0x80010n);
  assert.equal(h.readCsr(C.satp), (8n << 60n) | 0x80010n);
  h.writeCsr(C.satp, (10n << 60n) | 0x5n);
  assert.equal(h.readCsr(C.satp), (8n << 60n) | 0x80010n);
  h.writeCsr(C.satp, (9n << 60n) | 0x80011n);
  assert.equal(h.readCsr(C.satp) >> 60n, 9n);
  h.writeCsr(C.mideleg, (1n << 64n) - 1n);
  assert.equal(h.readCsr(C.mideleg), 0x222n);
  h.writeCsr(C.medeleg, (1n << 64n) - 1n);
  assert.equal(h.readCsr(C.medeleg), 0xb3ffn); // ecall from M (11) is never delegated
  h.writeCsr(C.mie, (1n << 64n) - 1n);
  assert.equal(h.readCsr(C.mie), 0xaaan);
  h.writeCsr(C.mip, (1n << 64n) - 1n);
  assert.equal(h.readCsr(C.mip), 0x222n); // MSIP/MTIP/MEIP are read-only
  h.writeCsr(C.sie, 0n); // sie only reaches delegated bits
  assert.equal(h.readCsr(C.mie), 0x888n);
  h.writeCsr(C.sip, 0n);
  assert.equal(h.readCsr(C.mip), 0x220n); // sip writes only SSIP
  h.writeCsr(C.mtvec, B | 3n); // mode 3 reserved: bit 1 cleared
  assert.equal(h.readCsr(C.mtvec), B | 1n);
  h.writeCsr(C.mepc, B | 3n);
  assert.equal(h.readCsr(C.mepc), B | 2n);
  assert.equal(h.readCsr(C.mhartid), 0n);
});

test('the trigger module exists with zero triggers: tselect/tdata read 0, tinfo 1, writes ignored', () => {
  const r = makeHartRig();
  openPmp(r);
  for (const csr of [0x7a0, 0x7a1, 0x7a2, 0x7a3]) {
    assert.equal(exec1(r, rv.csrrw(0, csr, 1)), 99n, csr.toString(16)); // no trap
    assert.equal(r.hart.readCsr(csr), 0n, csr.toString(16));
  }
  assert.equal(r.hart.readCsr(0x7a4), 1n);
  assert.equal(exec1(r, rv.csrrs(1, 0x7a0, 0), 1), 2n); // M-mode only: illegal from S
});

test('absent CSRs, read-only writes and privilege violations are illegal instructions with mtval = bits', () => {
  const r = makeHartRig();
  openPmp(r);
  for (const csr of [0x7c0 /* custom, absent */, 0x3a1 /* pmpcfg1 is RV32-only */, 0x310 /* mstatush */, 0x34a, 0x5a8, 0x747]) {
    const insn = rv.csrrs(1, csr, 0);
    assert.equal(exec1(r, insn), 2n, csr.toString(16));
    assert.equal(r.hart.readCsr(C.mtval), BigInt(insn));
  }
  assert.equal(exec1(r, rv.csrrw(0, C.mvendorid, 1)), 2n); // write to read-only
  assert.equal(exec1(r, rv.csrrs(1, C.mvendorid, 0)), 99n); // read is fine
  assert.equal(exec1(r, rv.csrrs(1, C.mstatus, 0), 1), 2n); // M CSR from S
  assert.equal(exec1(r, rv.csrrs(1, C.sstatus, 0), 0), 8n - 6n); // S CSR from U: illegal (cause 2)
  r.hart.writeCsr(C.mstatus, 1n << 20n); // TVM
  assert.equal(exec1(r, rv.csrrs(1, C.satp, 0), 1), 2n);
  assert.equal(exec1(r, rv.sfenceVma(), 1), 2n);
  r.hart.writeCsr(C.mstatus, 1n << 22n); // TSR
  assert.equal(exec1(r, rv.sret(), 1), 2n);
  assert.equal(exec1(r, rv.mret(), 1), 2n);
  r.hart.writeCsr(C.mstatus, 1n << 21n); // TW
  assert.equal(exec1(r, rv.wfi(), 1), 2n);
  r.hart.writeCsr(C.mstatus, 0n);
  assert.equal(exec1(r, rv.wfi(), 0), 2n); // WFI in U-mode
  assert.equal(exec1(r, rv.sfenceVma(), 0), 2n);
});

test('counters: cycle/time/instret gated by mcounteren and scounteren', () => {
  const r = makeHartRig();
  openPmp(r);
  r.clock.advance(12345);
  assert.equal(exec1(r, rv.csrrs(1, C.cycle, 0), 1), 2n);
  r.hart.writeCsr(C.mcounteren, 7n);
  assert.equal(exec1(r, rv.csrrs(1, C.time, 0), 1), 99n);
  assert.equal(r.hart.getX(1), 12345n);
  assert.equal(exec1(r, rv.csrrs(1, C.cycle, 0), 0), 2n);
  r.hart.writeCsr(C.scounteren, 1n);
  assert.equal(exec1(r, rv.csrrs(1, C.cycle, 0), 0), 99n);
  assert.equal(exec1(r, rv.csrrs(1, C.time, 0), 0), 2n);
  const before = r.hart.instret;
  assert.equal(exec1(r, rv.csrrs(2, C.instret, 0), 3), 99n);
  assert.equal(r.hart.getX(2), BigInt(before));
  r.hart.writeCsr(0xb02, 1000n); // minstret
  assert.equal(exec1(r, rv.csrrs(2, C.instret, 0), 3), 99n);
  assert.equal(r.hart.getX(2), 1000n);
  assert.equal(r.hart.readCsr(0xc03), 0n); // hpmcounter3 reads 0
});

test('U-mode ecall delegated to S, sret back to U; PMP denies U fetch when no entry matches', () => {
  const r = makeHartRig();
  const h = r.hart;
  r.load([rv.mret()]);
  r.load([rv.ecall()], RAM_BASE + 0x100);
  r.load([rv.sret()], RAM_BASE + 0x300);
  h.writeCsr(C.mtvec, B + 0x500n);
  h.writeCsr(C.mepc, B + 0x100n);
  h.writeCsr(C.mstatus, 0n); // MPP = U
  h.run(2); // mret, then fetch in U without PMP: access fault
  assert.equal(h.readCsr(C.mcause), 1n);
  assert.equal(h.readCsr(C.mtval), B + 0x100n);
  assert.equal(h.priv, 3);
  openPmp(r);
  h.writeCsr(C.medeleg, 1n << 8n);
  h.writeCsr(C.stvec, B + 0x300n);
  h.writeCsr(C.mstatus, 1n << 1n); // SIE set, MPP = U
  h.setPc(B);
  h.run(2); // mret, ecall
  assert.equal(h.priv, 1);
  assert.equal(h.readCsr(C.scause), 8n);
  assert.equal(h.readCsr(C.sepc), B + 0x100n);
  assert.equal(h.getPc(), B + 0x300n);
  const ms = h.readCsr(C.mstatus);
  assert.equal((ms >> 8n) & 1n, 0n); // SPP = U
  assert.equal((ms >> 5n) & 1n, 1n); // SPIE = old SIE
  assert.equal((ms >> 1n) & 1n, 0n); // SIE cleared
  h.run(1); // sret
  assert.equal(h.priv, 0);
  assert.equal(h.getPc(), B + 0x100n);
  assert.equal((h.readCsr(C.mstatus) >> 1n) & 1n, 1n);
  // ecall from S is not delegated here: goes to M with cause 9 and MPP = S
  h.priv = 1;
  h.setPc(B + 0x100n);
  h.run(1);
  assert.equal(h.priv, 3);
  assert.equal(h.readCsr(C.mcause), 9n);
  assert.equal((h.readCsr(C.mstatus) >> 11n) & 3n, 1n);
  assert.equal(h.getPc(), B + 0x500n);
});

test('interrupt priority MEI > MSI > MTI > SEI > SSI > STI, vectored mtvec', () => {
  const r = makeHartRig();
  const h = r.hart;
  r.load(Array(1024).fill(rv.nop()));
  h.writeCsr(C.mtvec, (B + 0x400n) | 1n);
  h.writeCsr(C.mie, 0xaaan);
  h.setPending(Irq.MTIP, true);
  h.setPending(Irq.MSIP, true);
  h.setPending(Irq.MEIP, true);
  h.setPending(Irq.SEIP, true);
  h.writeCsr(C.mip, 0x22n); // SSIP, STIP by software
  const order: bigint[] = [];
  for (let i = 0; i < 6; i++) {
    h.writeCsr(C.mstatus, 1n << 3n);
    h.priv = 3;
    h.setPc(B);
    h.run(1);
    const cause = h.readCsr(C.mcause);
    assert.equal(cause & INT, INT);
    const n = Number(cause & 0xffn);
    order.push(BigInt(n));
    assert.equal(h.getPc(), B + 0x400n + BigInt(4 * n) + 4n); // vector entry, then one instruction
    assert.equal((h.readCsr(C.mstatus) >> 7n) & 1n, 1n); // MPIE = old MIE
    if (n === 3 || n === 7 || n === 11 || n === 9) h.setPending(n, false);
    if (n === 1 || n === 5 || n === 9) h.writeCsr(C.mip, h.readCsr(C.mip) & ~(1n << BigInt(n)));
  }
  assert.deepEqual(order, [11n, 3n, 7n, 9n, 1n, 5n]);
  // nothing left: MIE=1 and no trap
  h.writeCsr(C.mcause, 0n);
  h.run(4);
  assert.equal(h.readCsr(C.mcause), 0n);
});

test('global enables: M interrupts ignore MIE below M; delegated S interrupts need SIE in S, none in M', () => {
  const r = makeHartRig();
  const h = r.hart;
  openPmp(r);
  r.load(Array(1024).fill(rv.nop()));
  h.writeCsr(C.mtvec, B + 0x400n);
  h.writeCsr(C.stvec, B + 0x800n);
  h.writeCsr(C.mideleg, 0x222n);
  h.writeCsr(C.mie, 0xaaan);
  h.writeCsr(C.mip, 0x2n); // SSIP
  h.writeCsr(C.mstatus, 0n);
  h.priv = 3;
  h.run(2);
  assert.equal(h.getPc(), B + 8n); // S interrupt never taken in M
  h.priv = 1;
  h.run(2);
  assert.equal(h.getPc(), B + 16n); // SIE = 0 in S
  h.writeCsr(C.sstatus, 2n);
  h.run(1);
  assert.equal(h.readCsr(C.scause), INT | 1n);
  assert.equal(h.getPc(), B + 0x804n);
  assert.equal(h.priv, 1);
  h.writeCsr(C.sstatus, 0n);
  h.priv = 0;
  h.setPc(B);
  h.run(1); // in U the S interrupt is taken regardless of SIE
  assert.equal(h.priv, 1);
  assert.equal(h.readCsr(C.sepc), B);
  h.writeCsr(C.mip, 0n);
  h.priv = 1;
  h.setPc(B);
  h.setPending(Irq.MTIP, true); // M-level interrupt in S with MIE = 0: taken
  h.run(1);
  assert.equal(h.priv, 3);
  assert.equal(h.readCsr(C.mcause), INT | 7n);
});

test('WFI waits, stays waiting, wakes on a pending+enabled interrupt even with MIE = 0', () => {
  const r = makeHartRig();
  const h = r.hart;
  r.load([rv.wfi(), rv.addi(1, 0, 1), rv.wfi(), rv.addi(2, 0, 2), rv.jal(0, 0)]);
  h.writeCsr(C.mie, 1n << 7n);
  assert.equal(h.run(100), StopReason.Wfi);
  assert.equal(h.waiting, true);
  assert.equal(h.getPc(), B + 4n);
  const n = h.instret;
  assert.equal(h.run(100), StopReason.Wfi);
  assert.equal(h.instret, n);
  h.setPending(Irq.MSIP, true); // not enabled: still waiting
  assert.equal(h.waiting, true);
  h.setPending(Irq.MTIP, true);
  assert.equal(h.waiting, false);
  assert.equal(h.run(50), StopReason.Budget); // MIE = 0: no trap, second wfi is a no-op
  assert.equal(h.getX(1), 1n);
  assert.equal(h.getX(2), 2n);
  assert.equal(h.readCsr(C.mcause), 0n);
});

test('Sstc: STIP follows time >= stimecmp when menvcfg.STCE is set and is then read-only', () => {
  const r = makeHartRig();
  const h = r.hart;
  openPmp(r);
  r.load(Array(16).fill(rv.nop()));
  assert.equal(exec1(r, rv.csrrs(1, C.stimecmp, 0), 1), 2n); // STCE = 0: absent for S
  h.writeCsr(C.menvcfg, STCE);
  h.writeCsr(C.mcounteren, 2n);
  h.writeCsr(C.stimecmp, 100n);
  assert.equal(h.nextTimerDeadline(), 100);
  assert.equal(h.readCsr(C.mip) & 0x20n, 0n);
  r.clock.advance(150);
  h.setPc(B);
  h.run(1);
  assert.equal(h.readCsr(C.mip) & 0x20n, 0x20n);
  h.writeCsr(C.mip, 0n);
  assert.equal(h.readCsr(C.mip) & 0x20n, 0x20n);
  h.writeCsr(C.stimecmp, 1000n);
  assert.equal(h.readCsr(C.mip) & 0x20n, 0n);
  // a waiting hart whose timer fires wakes at the start of run()
  h.writeCsr(C.mie, 0x20n);
  r.load([rv.wfi(), rv.nop()]);
  h.setPc(B);
  h.priv = 3;
  assert.equal(h.run(10), StopReason.Wfi);
  r.clock.advance(1000);
  assert.equal(h.run(1), StopReason.Budget);
  h.writeCsr(C.menvcfg, 0n);
  assert.equal(h.nextTimerDeadline(), Infinity);
});

test('pv SBI hook: S-mode ecall continues at pc+4; requestStop from the hook; false traps', () => {
  let calls = 0;
  let answer = true;
  const r = makeHartRig({
    sbi: (hart) => {
      calls++;
      hart.setX(10, hart.getX(17) + 1n);
      if (hart.getX(17) === 7n) hart.requestStop();
      return answer;
    },
  });
  const h = r.hart;
  openPmp(r);
  r.load([rv.ecall(), rv.addi(5, 0, 5), rv.addi(17, 0, 7), rv.ecall(), rv.addi(6, 0, 6), rv.nop()]);
  h.priv = 1;
  h.setX(17, 41n);
  assert.equal(h.run(100), StopReason.Requested);
  assert.equal(calls, 2);
  assert.equal(h.getX(10), 8n);
  assert.equal(h.getX(5), 5n);
  assert.equal(h.getPc(), B + 16n);
  answer = false;
  h.writeCsr(C.mtvec, B + 0x100n);
  h.setPc(B);
  h.run(1);
  assert.equal(h.readCsr(C.mcause), 9n);
});

test('LR/SC reservation, AMOs with .W sign extension, misaligned AMO/LR exceptions', () => {
  const r = makeHartRig();
  const h = r.hart;
  const d = RAM_BASE + 0x4000;
  r.mem.writeU64(d, 0x0000_0001_7fff_ffffn);
  h.setX(1, BigInt(d));
  h.setX(2, 1n);
  h.setX(3, 0x1234n);
  r.load([
    rv.amo(0, false, 4, 1, 2), // amoadd.w: old 0x7fffffff, new 0x80000000 (32-bit wrap)
    rv.lrW(5, 1), // 0xffffffff80000000
    rv.scW(6, 1, 3), // succeeds
    rv.scW(7, 1, 3), // fails: no reservation
    rv.lrD(8, 1),
    rv.amo(1, true, 9, 1, 2), // amoswap.d: clobbers the reserved word
    rv.scD(10, 1, 3), // fails (value changed)
    rv.amo(0x1c, false, 11, 1, 12), // amomaxu.w with x12 = -1
    rv.amo(0x10, true, 13, 1, 12), // amomin.d
    rv.jal(0, 0),
  ]);
  h.setX(12, (1n << 64n) - 1n);
  h.run(100);
  assert.equal(h.getX(4), 0x7fff_ffffn);
  assert.equal(h.getX(5), 0xffff_ffff_8000_0000n);
  assert.equal(h.getX(6), 0n);
  assert.equal(h.getX(7), 1n);
  assert.equal(h.getX(8), 0x0000_0001_0000_1234n);
  assert.equal(h.getX(10), 1n);
  assert.equal(h.getX(11), 1n);
  assert.equal(h.getX(13), 0xffff_ffffn); // amomaxu.w left 0x0000_0000_ffff_ffff
  assert.equal(r.mem.readU64(d), 0xffff_ffff_ffff_ffffn);
  h.writeCsr(C.mtvec, B + 0x100n);
  h.setX(1, BigInt(d + 2));
  assert.equal(exec1(r, rv.amo(0, false, 4, 1, 2)), 6n);
  assert.equal(r.hart.readCsr(C.mtval), BigInt(d + 2));
  assert.equal(exec1(r, rv.lrW(4, 1)), 4n);
  assert.equal(exec1(r, rv.scD(4, 1, 2)), 6n);
});

test('F state: FS=Off traps, NaN-boxing, fmv, fsgnj on an unboxed value, FS dirty and SD', () => {
  const r = makeHartRig();
  const h = r.hart;
  const d = RAM_BASE + 0x4000;
  r.mem.writeU64(d, 0x4000_0000_3f80_0000n);
  h.setX(1, BigInt(d));
  assert.equal(exec1(r, rv.flw(1, 1, 0)), 2n); // FS = Off
  assert.equal(exec1(r, rv.csrrs(2, 0x003, 0)), 2n); // fcsr too
  h.writeCsr(C.mstatus, 1n << 13n); // FS = Initial
  assert.equal(exec1(r, rv.flw(1, 1, 0)), 99n);
  assert.equal(h.getF(1), 0xffff_ffff_3f80_0000n);
  assert.equal(h.readCsr(C.mstatus) >> 63n, 1n); // dirty
  assert.equal((h.readCsr(C.mstatus) >> 13n) & 3n, 3n);
  exec1(r, rv.fld(2, 1, 0));
  assert.equal(h.getF(2), 0x4000_0000_3f80_0000n);
  exec1(r, rv.fsgnjS(3, 2, 2)); // f2 is not a boxed binary32: reads as canonical NaN
  assert.equal(h.getF(3), 0xffff_ffff_7fc0_0000n);
  h.setF(4, 0xffff_ffff_bf80_0000n);
  exec1(r, rv.fmvXW(5, 4));
  assert.equal(h.getX(5), 0xffff_ffff_bf80_0000n);
  exec1(r, rv.fmvXD(6, 2));
  assert.equal(h.getX(6), 0x4000_0000_3f80_0000n);
  exec1(r, rv.fmvWX(7, 6));
  assert.equal(h.getF(7), 0xffff_ffff_3f80_0000n);
  exec1(r, rv.fsgnjnD(8, 2, 2));
  assert.equal(h.getF(8), 0xc000_0000_3f80_0000n);
  exec1(r, rv.fsw(4, 1, 8));
  assert.equal(r.mem.readU32(d + 8), 0xbf80_0000);
  h.writeCsr(C.mstatus, 1n << 13n);
  exec1(r, rv.csrrwi(0, 0x002, 5)); // frm = 5 (reserved value may be written)
  assert.equal(h.readCsr(0x003), 5n << 5n);
  assert.equal((h.readCsr(C.mstatus) >> 13n) & 3n, 3n);
  assert.equal(exec1(r, rv.faddS(1, 1, 1, 7)), 2n); // DYN with frm = 5: illegal
  assert.equal(exec1(r, rv.faddS(1, 1, 1, 6)), 2n); // reserved rm
});

test('AMOs and SC on shared memory (Atomics path) give the same results as the plain path', () => {
  const results: bigint[][] = [];
  for (const shared of [false, true]) {
    const r = makeHartRig({ shared });
    const h = r.hart;
    const d = RAM_BASE + 0x4000;
    r.mem.writeU64(d, 0x8000_0000_7fff_fff0n);
    r.mem.writeU64(d + 8, 5n);
    h.setX(1, BigInt(d));
    h.setX(31, BigInt(d + 8));
    h.setX(2, 0x20n);
    h.setX(30, (1n << 64n) - 3n);
    const prog = [rv.lrD(21, 31), rv.scD(22, 31, 2), rv.scD(23, 31, 2), rv.lrW(24, 31), rv.scW(25, 31, 30)];
    let rd = 3;
    for (const f5 of [0, 1, 4, 0xc, 8, 0x10, 0x14, 0x18, 0x1c]) {
      prog.push(rv.amo(f5, false, rd++, 1, 30), rv.amo(f5, true, rd++, 1, 2));
    }
    prog.push(rv.jal(0, 0));
    r.load(prog);
    h.run(prog.length);
    assert.equal(h.readCsr(0x342), 0n);
    const out: bigint[] = [];
    for (let i = 3; i <= 25; i++) out.push(h.getX(i));
    out.push(r.mem.readU64(d)!, r.mem.readU64(d + 8)!);
    results.push(out);
  }
  assert.deepEqual(results[1], results[0]);
  assert.equal(results[0]![18], 5n); // lr.d
  assert.equal(results[0]![19], 0n); // first sc.d succeeded
  assert.equal(results[0]![20], 1n); // second failed
  assert.equal(results[0]![22], 0n); // sc.w after lr.w succeeded
  assert.equal(results[0]![24], 0xffff_fffdn); // the sc.w stored the low word of -3 over 0x20
});

test('csrrs/csrrc on mip do not latch a hardware SEIP into the software bit', () => {
  const r = makeHartRig();
  const h = r.hart;
  h.setPending(Irq.SEIP, true);
  assert.equal(exec1(r, rv.csrrsi(1, C.mip, 2)), 99n); // set SSIP
  assert.equal(h.getX(1) & 0x200n, 0x200n); // SEIP reads as pending
  h.setPending(Irq.SEIP, false);
  assert.equal(h.readCsr(C.mip), 0x2n); // only SSIP remains: SEIP followed the line
  exec1(r, rv.csrrc(0, C.mip, 0) | (2 << 15)); // csrrc zero, mip, sp (sp = 0 here): no write
  h.setX(2, 2n);
  exec1(r, rv.csrrc(0, C.mip, 2));
  assert.equal(h.readCsr(C.mip), 0n);
});

test('mcountinhibit.IR freezes minstret across a slice', () => {
  const r = makeHartRig();
  const h = r.hart;
  r.load(Array(20).fill(rv.nop()));
  h.writeCsr(0xb02, 100n);
  h.writeCsr(0x320, 4n);
  h.run(10);
  assert.equal(h.readCsr(0xb02), 100n);
  h.writeCsr(0x320, 0n);
  h.run(5);
  assert.equal(h.readCsr(0xb02), 105n);
});

test('a device write that raises an interrupt is taken right after the store; requestStop from a device', () => {
  const r = makeHartRig();
  const h = r.hart;
  let stopOnWrite = false;
  r.bus.map('clint-like', 0x200_0000, 0x10, {
    read: () => 0,
    write: (_o, _s, v) => {
      h.setPending(Irq.MSIP, (v & 1) !== 0);
      if (stopOnWrite) h.requestStop();
    },
  });
  h.writeCsr(C.mtvec, B + 0x100n);
  h.writeCsr(C.mie, 1n << 3n);
  h.writeCsr(C.mstatus, 1n << 3n);
  h.setX(1, 0x200_0000n);
  h.setX(2, 1n);
  r.load([rv.sw(2, 1, 0), rv.jal(0, 0)]);
  r.load([rv.sw(0, 1, 0), rv.jal(0, 0)], RAM_BASE + 0x100);
  assert.equal(h.run(50), StopReason.Budget);
  assert.equal(h.readCsr(C.mcause), INT | 3n);
  assert.equal(h.readCsr(C.mepc), B + 4n); // taken before the spin loop
  assert.equal(h.getPc(), B + 0x104n); // the handler cleared it and spins
  stopOnWrite = true;
  h.setPc(B + 0x100n);
  const before = h.instret;
  assert.equal(h.run(50), StopReason.Requested);
  assert.equal(h.instret - before, 1);
  assert.equal(h.getPc(), B + 0x104n);
});
