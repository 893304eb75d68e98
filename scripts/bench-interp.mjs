#!/usr/bin/env node
// Interpreter microbenchmark: runs hand-encoded RV64 loops on the real Hart (dist/) and, for the
// "64-bit values: the measured choice" question, the same integer loop on a minimal BigInt-register
// interpreter written here. Prints a table of MIPS. Usage: node scripts/bench-interp.mjs [seconds]
import { GuestMemory } from '../dist/memory/guest-memory.js';
import { MmioBus } from '../dist/memory/mmio-bus.js';
import { ManualClock } from '../dist/base/clock.js';
import { Hart } from '../dist/cpu/hart.js';
import { HART_STATE_BYTES } from '../dist/cpu/hart-layout.js';

const SECONDS = Number(process.argv[2] ?? 1);
const RAM = 0x8000_0000;

const R = (op, rd, f3, rs1, rs2, f7) => ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const I = (op, rd, f3, rs1, imm) => (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const S = (f3, rs1, rs2, imm) => ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
const Bne = (rs1, rs2, imm) => ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (1 << 12) | (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;

// x10 = data pointer (RAM + 0x1000), x5 = counter. Loop body (10 instructions):
//   add x6,x6,x5; xor x7,x7,x6; slli x8,x6,3; srli x9,x7,5; ld x11,0(x10); add x11,x11,x8;
//   sd x11,8(x10); sltu x12,x9,x8; addi x5,x5,-1; bne x5,x0,loop
const INTEGER_LOOP = [
  ((0x80001 << 12) | (10 << 7) | 0x37) >>> 0, I(0x13, 10, 1, 10, 32), I(0x13, 10, 5, 10, 32), I(0x13, 0, 0, 0, 0), // x10 = 0x8000_1000
  I(0x13, 5, 0, 0, 0x7ff),
  R(0x33, 6, 0, 6, 5, 0), R(0x33, 7, 4, 7, 6, 0), I(0x13, 8, 1, 6, 3), I(0x13, 9, 5, 7, 5),
  I(0x03, 11, 3, 10, 0), R(0x33, 11, 0, 11, 8, 0), S(3, 10, 11, 8), R(0x33, 12, 3, 9, 8, 0),
  I(0x13, 5, 0, 5, -1), Bne(5, 0, -36),
  I(0x13, 5, 0, 0, 0x7ff), 0x0000006f | ((-44 >>> 0) & 0) /* placeholder replaced below */,
];
// outer: after the inner loop, reset the counter and jump back (jal x0, -44 → the loop head)
INTEGER_LOOP[INTEGER_LOOP.length - 1] = (() => {
  const imm = -44;
  return ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) | 0x6f) >>> 0;
})();

// M-extension loop: mul, mulhu, divu, remu per iteration plus the counter.
const MULDIV_LOOP = [
  I(0x13, 6, 0, 0, 1234), I(0x13, 7, 0, 0, 77), I(0x13, 5, 0, 0, 0x7ff),
  R(0x33, 8, 0, 6, 5, 1), R(0x33, 9, 3, 8, 6, 1), R(0x33, 10, 5, 8, 7, 1), R(0x33, 11, 7, 8, 7, 1),
  R(0x33, 6, 0, 6, 10, 0), I(0x13, 5, 0, 5, -1), Bne(5, 0, -24),
  I(0x13, 5, 0, 0, 0x7ff),
  (() => { const imm = -32; return ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) | (((imm >> 12) & 0xff) << 12) | 0x6f) >>> 0; })(),
];

function makeHart(words) {
  const mem = new GuestMemory({ ramBaseGpa: RAM, ramSizeBytes: 1 << 20, stateSizeBytes: HART_STATE_BYTES });
  words.forEach((w, i) => mem.writeU32(RAM + 4 * i, w));
  const hart = new Hart({ mem, bus: new MmioBus(), clock: new ManualClock() }, 0, 0);
  hart.reset(BigInt(RAM));
  return hart;
}

function benchHart(words, sv39) {
  const hart = makeHart(words);
  const check = () => {
    if (hart.readCsr(0x342) !== 0n) throw new Error(`benchmark program trapped: mcause ${hart.readCsr(0x342)}`);
  };
  if (sv39) {
    // identity gigapage for 0x8000_0000 in S-mode, as Linux runs (TLB path instead of bare M-mode)
    const root = RAM + 0x10000;
    const memView = hart.env.mem;
    memView.writeU64(root + 16, ((0x80000n) << 10n) | 0xcfn);
    hart.writeCsr(0x3b0, (1n << 54n) - 1n);
    hart.writeCsr(0x3a0, 0x1fn);
    hart.writeCsr(0x180, (8n << 60n) | BigInt(root / 4096));
    hart.priv = 1;
  }
  hart.run(2_000_000); // warm up
  const t0 = performance.now();
  let n0 = hart.instret;
  while (performance.now() - t0 < SECONDS * 1000) hart.run(1_000_000);
  check();
  return (hart.instret - n0) / ((performance.now() - t0) * 1000);
}

/** The integer loop on BigInt registers (BigInt64Array), decoded the same way: the alternative representation. */
function benchBigInt() {
  const mem = new GuestMemory({ ramBaseGpa: RAM, ramSizeBytes: 1 << 20, stateSizeBytes: 4096 });
  INTEGER_LOOP.forEach((w, i) => mem.writeU32(RAM + 4 * i, w));
  const x = new BigInt64Array(32);
  const dv = mem.view;
  const base = mem.ramOffset - RAM;
  let pc = RAM;
  let n = 0;
  const run = (budget) => {
    for (let k = 0; k < budget; k++) {
      const insn = dv.getInt32(base + pc, true);
      const rd = (insn >> 7) & 31, f3 = (insn >> 12) & 7, rs1 = (insn >> 15) & 31, rs2 = (insn >> 20) & 31;
      let next = pc + 4;
      let v = 0n;
      switch (insn & 0x7f) {
        case 0x13: {
          const imm = BigInt(insn >> 20);
          if (f3 === 0) v = x[rs1] + imm; else if (f3 === 1) v = x[rs1] << (imm & 63n); else if (f3 === 5) v = BigInt.asIntN(64, BigInt.asUintN(64, x[rs1]) >> (imm & 63n));
          break;
        }
        case 0x33:
          if (f3 === 0) v = x[rs1] + x[rs2]; else if (f3 === 4) v = x[rs1] ^ x[rs2]; else if (f3 === 3) v = BigInt.asUintN(64, x[rs1]) < BigInt.asUintN(64, x[rs2]) ? 1n : 0n;
          break;
        case 0x37: v = BigInt(insn & -4096); break;
        case 0x03: v = dv.getBigInt64(base + Number(BigInt.asUintN(64, x[rs1] + BigInt(insn >> 20))), true); break;
        case 0x23: dv.setBigInt64(base + Number(BigInt.asUintN(64, x[rs1] + BigInt(((insn >> 25) << 5) | ((insn >>> 7) & 31)))), x[rs2], true); break;
        case 0x63: if (x[rs1] !== x[rs2]) next = pc + (((insn >> 31) << 12) | (((insn >>> 25) & 0x3f) << 5) | (((insn >>> 8) & 0xf) << 1) | (((insn >>> 7) & 1) << 11)); break;
        case 0x6f: next = pc + (((insn >> 31) << 20) | (((insn >>> 21) & 0x3ff) << 1) | (((insn >>> 20) & 1) << 11) | (insn & 0xff000)); break;
      }
      const op = insn & 0x7f;
      if (rd !== 0 && (op === 0x13 || op === 0x33 || op === 0x03 || op === 0x37)) x[rd] = v;
      pc = next;
      n++;
    }
  };
  run(200_000);
  const t0 = performance.now();
  const n0 = n;
  while (performance.now() - t0 < SECONDS * 1000) run(200_000);
  return (n - n0) / ((performance.now() - t0) * 1000);
}

const rows = [
  ['Hart, integer loop, M-mode bare', benchHart(INTEGER_LOOP, false)],
  ['Hart, integer loop, S-mode Sv39', benchHart(INTEGER_LOOP, true)],
  ['Hart, mul/div loop, M-mode bare', benchHart(MULDIV_LOOP, false)],
  ['BigInt64Array registers, same integer loop (mini interpreter)', benchBigInt()],
];
console.log('| workload | MIPS |');
console.log('|---|---|');
for (const [name, mips] of rows) console.log(`| ${name} | ${mips.toFixed(1)} |`);
