import { test } from 'node:test';
import assert from 'node:assert/strict';
import { disassemble } from './disassemble.js';
import { ISA_TABLE, lookupInsn } from './isa-table.js';
import { makeHartRig, RAM_BASE } from '../test-support/hart-rig.js';

// Golden output of GNU objdump -d -M no-aliases (binutils, riscv64-linux-gnu) for an rv64g listing;
// branch targets normalised to 0x… and comments dropped.
const GOLDEN: [number, number, string][] = [
  [0x0, 0x12345537, 'lui a0,0x12345'],
  [0x4, 0xfffff317, 'auipc t1,0xfffff'],
  [0x8, 0x001000ef, 'jal ra,0x808'],
  [0xc, 0xff828067, 'jalr zero,-8(t0)'],
  [0x10, 0x00b50863, 'beq a0,a1,0x20'],
  [0x14, 0xfe9418e3, 'bne s0,s1,0x4'],
  [0x18, 0x7e62cfe3, 'blt t0,t1,0x1016'],
  [0x1c, 0x8008d063, 'bge a7,zero,0xfffffffffffff01c'],
  [0x20, 0x00d66463, 'bltu a2,a3,0x28'],
  [0x24, 0x01ff7663, 'bgeu t5,t6,0x30'],
  [0x28, 0xfff58503, 'lb a0,-1(a1)'],
  [0x2c, 0x00259503, 'lh a0,2(a1)'],
  [0x30, 0x7ff9a903, 'lw s2,2047(s3)'],
  [0x34, 0x800aba03, 'ld s4,-2048(s5)'],
  [0x38, 0x0005c503, 'lbu a0,0(a1)'],
  [0x3c, 0x0005d503, 'lhu a0,0(a1)'],
  [0x40, 0x0005e503, 'lwu a0,0(a1)'],
  [0x44, 0x00a100a3, 'sb a0,1(sp)'],
  [0x48, 0xfea11f23, 'sh a0,-2(sp)'],
  [0x4c, 0x0671a223, 'sw t2,100(gp)'],
  [0x50, 0x00113423, 'sd ra,8(sp)'],
  [0x54, 0xfff50513, 'addi a0,a0,-1'],
  [0x58, 0x0055a513, 'slti a0,a1,5'],
  [0x5c, 0xffb5b513, 'sltiu a0,a1,-5'],
  [0x60, 0xfff5c513, 'xori a0,a1,-1'],
  [0x64, 0x0ff5e513, 'ori a0,a1,255'],
  [0x68, 0x0075f513, 'andi a0,a1,7'],
  [0x6c, 0x03f59513, 'slli a0,a1,0x3f'],
  [0x70, 0x0015d513, 'srli a0,a1,0x1'],
  [0x74, 0x4215d513, 'srai a0,a1,0x21'],
  [0x78, 0x00c58533, 'add a0,a1,a2'],
  [0x7c, 0x40c58533, 'sub a0,a1,a2'],
  [0x80, 0x00c59533, 'sll a0,a1,a2'],
  [0x84, 0x00c5a533, 'slt a0,a1,a2'],
  [0x88, 0x00c5b533, 'sltu a0,a1,a2'],
  [0x8c, 0x00c5c533, 'xor a0,a1,a2'],
  [0x90, 0x00c5d533, 'srl a0,a1,a2'],
  [0x94, 0x40c5d533, 'sra a0,a1,a2'],
  [0x98, 0x00c5e533, 'or a0,a1,a2'],
  [0x9c, 0x00c5f533, 'and a0,a1,a2'],
  [0xa0, 0xff95851b, 'addiw a0,a1,-7'],
  [0xa4, 0x01f5951b, 'slliw a0,a1,0x1f'],
  [0xa8, 0x0015d51b, 'srliw a0,a1,0x1'],
  [0xac, 0x4025d51b, 'sraiw a0,a1,0x2'],
  [0xb0, 0x00c5853b, 'addw a0,a1,a2'],
  [0xb4, 0x40c5853b, 'subw a0,a1,a2'],
  [0xb8, 0x00c5953b, 'sllw a0,a1,a2'],
  [0xbc, 0x00c5d53b, 'srlw a0,a1,a2'],
  [0xc0, 0x40c5d53b, 'sraw a0,a1,a2'],
  [0xc4, 0x0ff0000f, 'fence iorw,iorw'],
  [0xc8, 0x0310000f, 'fence rw,w'],
  [0xcc, 0x0000100f, 'fence.i'],
  [0xd0, 0x00000073, 'ecall'],
  [0xd4, 0x00100073, 'ebreak'],
  [0xd8, 0x34059573, 'csrrw a0,mscratch,a1'],
  [0xdc, 0x30002573, 'csrrs a0,mstatus,zero'],
  [0xe0, 0x10463073, 'csrrc zero,sie,a2'],
  [0xe4, 0x18005573, 'csrrwi a0,satp,0'],
  [0xe8, 0x001fe573, 'csrrsi a0,fflags,31'],
  [0xec, 0x7c00f573, 'csrrci a0,0x7c0,1'],
  [0xf0, 0x10200073, 'sret'],
  [0xf4, 0x30200073, 'mret'],
  [0xf8, 0x10500073, 'wfi'],
  [0xfc, 0x12000073, 'sfence.vma zero,zero'],
  [0x100, 0x12b50073, 'sfence.vma a0,a1'],
  [0x104, 0x02c58533, 'mul a0,a1,a2'],
  [0x108, 0x02c59533, 'mulh a0,a1,a2'],
  [0x10c, 0x02c5a533, 'mulhsu a0,a1,a2'],
  [0x110, 0x02c5b533, 'mulhu a0,a1,a2'],
  [0x114, 0x02c5c533, 'div a0,a1,a2'],
  [0x118, 0x02c5d533, 'divu a0,a1,a2'],
  [0x11c, 0x02c5e533, 'rem a0,a1,a2'],
  [0x120, 0x02c5f533, 'remu a0,a1,a2'],
  [0x124, 0x02c5853b, 'mulw a0,a1,a2'],
  [0x128, 0x02c5c53b, 'divw a0,a1,a2'],
  [0x12c, 0x02c5d53b, 'divuw a0,a1,a2'],
  [0x130, 0x02c5e53b, 'remw a0,a1,a2'],
  [0x134, 0x02c5f53b, 'remuw a0,a1,a2'],
  [0x138, 0x1005a52f, 'lr.w a0,(a1)'],
  [0x13c, 0x1405b52f, 'lr.d.aq a0,(a1)'],
  [0x140, 0x1ac5a52f, 'sc.w.rl a0,a2,(a1)'],
  [0x144, 0x18c5b52f, 'sc.d a0,a2,(a1)'],
  [0x148, 0x08c5a52f, 'amoswap.w a0,a2,(a1)'],
  [0x14c, 0x06c5b52f, 'amoadd.d.aqrl a0,a2,(a1)'],
  [0x150, 0x20c5a52f, 'amoxor.w a0,a2,(a1)'],
  [0x154, 0x60c5b52f, 'amoand.d a0,a2,(a1)'],
  [0x158, 0x40c5a52f, 'amoor.w a0,a2,(a1)'],
  [0x15c, 0x80c5b52f, 'amomin.d a0,a2,(a1)'],
  [0x160, 0xa0c5a52f, 'amomax.w a0,a2,(a1)'],
  [0x164, 0xc0c5b52f, 'amominu.d a0,a2,(a1)'],
  [0x168, 0xe0c5a52f, 'amomaxu.w a0,a2,(a1)'],
  [0x16c, 0xffc12507, 'flw fa0,-4(sp)'],
  [0x170, 0x00a12227, 'fsw fa0,4(sp)'],
  [0x174, 0x00853007, 'fld ft0,8(a0)'],
  [0x178, 0xffb53c27, 'fsd fs11,-8(a0)'],
  [0x17c, 0x68c5f543, 'fmadd.s fa0,fa1,fa2,fa3'],
  [0x180, 0x6ac59547, 'fmsub.d fa0,fa1,fa2,fa3,rtz'],
  [0x184, 0x1820a04b, 'fnmsub.s ft0,ft1,ft2,ft3,rdn'],
  [0x188, 0xfbeece4f, 'fnmadd.d ft8,ft9,ft10,ft11,rmm'],
  [0x18c, 0x00c5f553, 'fadd.s fa0,fa1,fa2'],
  [0x190, 0x0ac5b553, 'fsub.d fa0,fa1,fa2,rup'],
  [0x194, 0x10c58553, 'fmul.s fa0,fa1,fa2,rne'],
  [0x198, 0x1ac5f553, 'fdiv.d fa0,fa1,fa2'],
  [0x19c, 0x5805f553, 'fsqrt.s fa0,fa1'],
  [0x1a0, 0x5a059553, 'fsqrt.d fa0,fa1,rtz'],
  [0x1a4, 0x20c58553, 'fsgnj.s fa0,fa1,fa2'],
  [0x1a8, 0x22c59553, 'fsgnjn.d fa0,fa1,fa2'],
  [0x1ac, 0x20c5a553, 'fsgnjx.s fa0,fa1,fa2'],
  [0x1b0, 0x2ac58553, 'fmin.d fa0,fa1,fa2'],
  [0x1b4, 0x28c59553, 'fmax.s fa0,fa1,fa2'],
  [0x1b8, 0xc0051553, 'fcvt.w.s a0,fa0,rtz'],
  [0x1bc, 0xc2157553, 'fcvt.wu.d a0,fa0'],
  [0x1c0, 0xc0257553, 'fcvt.l.s a0,fa0'],
  [0x1c4, 0xc2353553, 'fcvt.lu.d a0,fa0,rup'],
  [0x1c8, 0xd0057553, 'fcvt.s.w fa0,a0'],
  [0x1cc, 0xd2150553, 'fcvt.d.wu fa0,a0'],
  [0x1d0, 0xd0251553, 'fcvt.s.l fa0,a0,rtz'],
  [0x1d4, 0xd2357553, 'fcvt.d.lu fa0,a0'],
  [0x1d8, 0x4015f553, 'fcvt.s.d fa0,fa1'],
  [0x1dc, 0x42058553, 'fcvt.d.s fa0,fa1'],
  [0x1e0, 0xe0050553, 'fmv.x.w a0,fa0'],
  [0x1e4, 0xe2050553, 'fmv.x.d a0,fa0'],
  [0x1e8, 0xf0050553, 'fmv.w.x fa0,a0'],
  [0x1ec, 0xf2050553, 'fmv.d.x fa0,a0'],
  [0x1f0, 0xe0051553, 'fclass.s a0,fa0'],
  [0x1f4, 0xe2051553, 'fclass.d a0,fa0'],
  [0x1f8, 0xa0b52553, 'feq.s a0,fa0,fa1'],
  [0x1fc, 0xa2b51553, 'flt.d a0,fa0,fa1'],
  [0x200, 0xa0b50553, 'fle.s a0,fa0,fa1'],
];

test('disassembler matches objdump on every golden encoding', () => {
  for (const [pc, word, text] of GOLDEN) {
    assert.equal(disassemble(word | 0, BigInt(pc)).replace('\t', ' '), text, `0x${word.toString(16)}`);
  }
});

test('compressed instructions disassemble as their expansion', () => {
  assert.equal(disassemble(0x4515, 0n), 'addi\ta0,zero,5'); // c.li a0,5
  assert.equal(disassemble(0x8082, 0n), 'jalr\tzero,0(ra)'); // c.jr ra
  assert.equal(disassemble(0xb7f5, 0x1an), 'jal\tzero,0x6'); // c.j from objdump's listing
  assert.equal(disassemble(0x0000, 0n), 'c.unknown 0x0000');
  assert.equal(disassemble(0xffffffff, 0n), 'unknown 0xffffffff');
});

test('every golden encoding is found in the table, and table rows do not overlap', () => {
  for (const [, word, text] of GOLDEN) {
    const row = lookupInsn(word);
    assert.ok(row, text);
    assert.ok(text.startsWith(row.name), `${text} vs ${row.name}`);
  }
  const names = new Set(ISA_TABLE.map((r) => r.name));
  assert.equal(names.size, ISA_TABLE.length);
  for (const a of ISA_TABLE) {
    for (const b of ISA_TABLE) {
      if (a === b) continue;
      const common = a.mask & b.mask;
      assert.ok(((a.match & common) >>> 0) !== ((b.match & common) >>> 0), `${a.name} overlaps ${b.name}`);
    }
  }
});

/** Deterministic xorshift32 stream. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

const DATA = RAM_BASE + 0x8000;
const FP_OPS = new Set([0x43, 0x47, 0x4b, 0x4f, 0x53]);

/** Runs one word in M-mode with FS on and every x register pointing at aligned RAM; returns mcause or -1. */
function runWord(r: ReturnType<typeof makeHartRig>, word: number): number {
  const h = r.hart;
  for (let i = 1; i < 32; i++) h.setX(i, BigInt(DATA));
  h.writeCsr(0x300, 1n << 13n); // FS = Initial, MIE = 0
  h.writeCsr(0x003, 0n); // frm = RNE
  h.writeCsr(0x342, 0xffn);
  h.writeCsr(0x305, BigInt(RAM_BASE + 0x100));
  h.priv = 3;
  r.load([word >>> 0]);
  h.setPc(BigInt(RAM_BASE));
  h.run(1);
  const cause = Number(h.readCsr(0x342));
  if (h.waiting) h.setPending(11, true), h.setPending(11, false); // leave WFI for the next word
  return cause === 0xff ? -1 : cause;
}

test('the interpreter accepts every table row (random operand fields) and rejects words no row matches', () => {
  const r = makeHartRig();
  r.hart.writeCsr(0x304, 1n << 11n); // MEIE, so a pulse on MEIP ends a WFI
  const next = rng(12345);
  for (const row of ISA_TABLE) {
    for (let k = 0; k < 24; k++) {
      let word = ((next() & ~row.mask) | row.match) >>> 0;
      const op = word & 0x7f;
      if (row.format === 'CSR' || row.format === 'CSRI') word = ((word & 0xfffff) | (0x340 << 20)) >>> 0; // mscratch
      if (FP_OPS.has(op) && (row.mask & 0x7000) === 0) word = ((word & ~0x7000) | ((next() % 5) << 12)) >>> 0; // valid rm
      if (op === 0x2f) word = (word & ~(31 << 15)) >>> 0 | (10 << 15); // any base register, all point at DATA
      const cause = runWord(r, word);
      assert.notEqual(cause, 2, `${row.name} 0x${word.toString(16)} raised illegal instruction`);
    }
  }
  let rejected = 0;
  for (let k = 0; k < 20000; k++) {
    const word = (next() | 3) >>> 0;
    if (lookupInsn(word) !== undefined) continue;
    const cause = runWord(r, word);
    assert.equal(cause, 2, `0x${word.toString(16)} matches no row but did not trap as illegal`);
    assert.equal(r.hart.readCsr(0x343), BigInt(word));
    rejected++;
  }
  assert.ok(rejected > 10000);
});
