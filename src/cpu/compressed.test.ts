import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandCompressed } from './compressed.js';
import { makeHartRig, RAM_BASE } from '../test-support/hart-rig.js';

// Golden pairs: each compressed form and its 32-bit expansion, both assembled by GNU as
// (riscv64-linux-gnu-as -march=rv64gc / -march=rv64g) from the ISA manual's expansion rules.
const PAIRS: [number, number, string][] = [
  [0x1fe8, 0x3fc10513, 'c.addi4spn a0, sp, 1020'],
  [0x3de8, 0x0f85b507, 'c.fld fa0, 248(a1)'],
  [0x5ef0, 0x07c6a603, 'c.lw a2, 124(a3)'],
  [0x7ff8, 0x0f87b703, 'c.ld a4, 248(a5)'],
  [0xa40c, 0x00b43427, 'c.fsd fa1, 8(s0)'],
  [0xc2b0, 0x04c6a023, 'c.sw a2, 64(a3)'],
  [0xe3c4, 0x0897b023, 'c.sd s1, 128(a5)'],
  [0x0001, 0x00000013, 'c.nop'],
  [0x1501, 0xfe050513, 'c.addi a0, -32'],
  [0x367d, 0xfff6061b, 'c.addiw a2, -1'],
  [0x52bd, 0xfef00293, 'c.li t0, -17'],
  [0x7101, 0xe0010113, 'c.addi16sp sp, -512'],
  [0x617d, 0x1f010113, 'c.addi16sp sp, 496'],
  [0x7681, 0xfffe06b7, 'c.lui a3, 0xfffe0'],
  [0x6905, 0x00001937, 'c.lui s2, 1'],
  [0x917d, 0x03f55513, 'c.srli a0, 63'],
  [0x8585, 0x4015d593, 'c.srai a1, 1'],
  [0x987d, 0xfff47413, 'c.andi s0, -1'],
  [0x8d0d, 0x40b50533, 'c.sub a0, a1'],
  [0x8e35, 0x00d64633, 'c.xor a2, a3'],
  [0x8f5d, 0x00f76733, 'c.or a4, a5'],
  [0x8c65, 0x00947433, 'c.and s0, s1'],
  [0x9d1d, 0x40f5053b, 'c.subw a0, a5'],
  [0x9cb1, 0x00c484bb, 'c.addw s1, a2'],
  [0x1ffe, 0x03ff9f93, 'c.slli t6, 63'],
  [0x31fe, 0x1f813187, 'c.fldsp ft3, 504(sp)'],
  [0x50fe, 0x0fc12083, 'c.lwsp ra, 252(sp)'],
  [0x737e, 0x1f813303, 'c.ldsp t1, 504(sp)'],
  [0x8082, 0x00008067, 'c.jr ra'],
  [0x851e, 0x00700533, 'c.mv a0, t2'],
  [0x9002, 0x00100073, 'c.ebreak'],
  [0x9282, 0x000280e7, 'c.jalr t0'],
  [0x9df2, 0x01cd8db3, 'c.add s11, t3'],
  [0xbfa2, 0x1e813c27, 'c.fsdsp fs0, 504(sp)'],
  [0xdfc6, 0x0f112e23, 'c.swsp a7, 252(sp)'],
  [0xffc2, 0x1f013c23, 'c.sdsp a6, 504(sp)'],
  [0xaffd, 0x7fe0006f, 'c.j .+2046'],
  [0xb001, 0x801ff06f, 'c.j .-2048'],
  [0xcd7d, 0x0e050f63, 'c.beqz a0, .+254'],
  [0xf081, 0xf00490e3, 'c.bnez s1, .-256'],
];

test('RVC expansion matches the assembler for every format', () => {
  for (const [c, full, text] of PAIRS) {
    assert.equal(expandCompressed(c) >>> 0, full, text);
  }
});

test('reserved RVC encodings expand to 0 (illegal)', () => {
  // all-zero, c.addiw x0, c.lwsp x0, c.ldsp x0, c.jr x0, c.lui nzimm=0, c.addi16sp 0, quadrant 0 f3=4, c.subw-space reserved
  for (const c of [0x0000, 0x2005, 0x4002, 0x6002, 0x8002, 0x6281, 0x6101, 0x8000, 0x9c41, 0x9c61]) {
    assert.equal(expandCompressed(c), 0, c.toString(16));
  }
});

test('compressed program runs; illegal compressed traps with the 16-bit bits in mtval', () => {
  const r = makeHartRig();
  r.hart.writeCsr(0x305, BigInt(RAM_BASE + 0x100));
  // c.li a0,5; c.addi a0,3; c.add a1,a0; c.mv a2,a1; c.slli a2,4; 0x0000 (illegal)
  r.load16([0x4515, 0x050d, 0x95aa, 0x862e, 0x0612, 0x0000], RAM_BASE);
  r.load([0x10500073], RAM_BASE + 0x100);
  r.hart.run(100);
  assert.equal(r.hart.getX(10), 8n);
  assert.equal(r.hart.getX(11), 8n);
  assert.equal(r.hart.getX(12), 128n);
  assert.equal(r.hart.readCsr(0x342), 2n);
  assert.equal(r.hart.readCsr(0x343), 0n);
  assert.equal(r.hart.readCsr(0x341), BigInt(RAM_BASE + 10));
  r.hart.reset(BigInt(RAM_BASE));
  r.hart.writeCsr(0x305, BigInt(RAM_BASE + 0x100));
  r.load16([0x8d0d, 0x0001, 0x9c41], RAM_BASE); // c.sub, c.nop, reserved
  r.hart.run(100);
  assert.equal(r.hart.readCsr(0x343), 0x9c41n);
});
