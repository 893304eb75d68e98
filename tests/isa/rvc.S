// RVC: every RV64C instruction, written with explicit c.* mnemonics so each one really is
// 16 bits, plus c.ebreak (breakpoint, mepc = its address), link values of c.jalr (pc + 2),
// and a 32-bit instruction that straddles a page boundary.
#include "isa.h"
#define CHECKV(n, reg, val) li gp, n; li t2, val; bne reg, t2, isa_fail
TEST_BEGIN
  .option push
  .option rvc
  la sp, cbuf
  li s0, 0; li s1, 0

  // c.li, c.lui (sign), c.addi, c.addiw, c.addi16sp, c.addi4spn, c.mv, c.add
  c.li s0, -32;            CHECKV(1, s0, -32)
  c.li s0, 31;             CHECKV(2, s0, 31)
  c.lui s0, 0xfffe0;       CHECKV(3, s0, 0xfffffffffffe0000)
  c.lui s0, 0x1f;          CHECKV(4, s0, 0x1f000)
  c.li s0, 5; c.addi s0, -6;     CHECKV(5, s0, -1)
  li s0, 0x7fffffff; c.addiw s0, 1;    CHECKV(6, s0, 0xffffffff80000000)
  li s0, 0x100000005; c.addiw s0, 0;   CHECKV(7, s0, 5)      // sext.w
  mv s2, sp; c.addi16sp sp, -512; sub a0, s2, sp; CHECKV(8, a0, 512)
  c.addi16sp sp, 496; c.addi16sp sp, 16; li gp, 9; bne sp, s2, isa_fail
  la sp, cbuf; c.addi4spn s1, sp, 1020; sub a0, s1, sp; CHECKV(10, a0, 1020)
  c.addi4spn s1, sp, 4; sub a0, s1, sp; CHECKV(11, a0, 4)
  li a1, 0x1234; c.mv a2, a1; CHECKV(12, a2, 0x1234)
  li a1, 0x1000; li a2, 0x234; c.add a1, a2; CHECKV(13, a1, 0x1234)
  // c.slli / c.srli / c.srai with 6-bit shift amounts, c.andi
  li s0, 1; c.slli s0, 63;        CHECKV(20, s0, 0x8000000000000000)
  li s0, -1; c.srli s0, 63;       CHECKV(21, s0, 1)
  li s0, 0x8000000000000000; c.srai s0, 63; CHECKV(22, s0, -1)
  li s0, 0x8000000000000000; c.srli s0, 32; CHECKV(23, s0, 0x80000000)
  li s0, 0xff; c.andi s0, -16;     CHECKV(24, s0, 0xf0)
  li s0, 0xff; c.andi s0, 5;       CHECKV(25, s0, 5)
  // register-register ALU
  li s0, 10; li s1, 3; c.sub s0, s1;   CHECKV(30, s0, 7)
  li s0, 0xf0; li s1, 0x3c; c.xor s0, s1; CHECKV(31, s0, 0xcc)
  li s0, 0xf0; li s1, 0x0f; c.or s0, s1;  CHECKV(32, s0, 0xff)
  li s0, 0xf0; li s1, 0x3c; c.and s0, s1; CHECKV(33, s0, 0x30)
  li s0, 0x80000000; li s1, 1; c.subw s0, s1; CHECKV(34, s0, 0x7fffffff)
  li s0, 0x7fffffff; li s1, 1; c.addw s0, s1; CHECKV(35, s0, 0xffffffff80000000)
  // loads and stores, register-based and sp-based
  la s1, cbuf
  li a0, 0x8877665544332211; sd a0, 0(s1); li a0, 0xfffffffff0e0d0c0; sd a0, 8(s1)
  c.lw a2, 4(s1);     CHECKV(40, a2, 0xffffffff88776655)
  c.ld a2, 0(s1);     CHECKV(41, a2, 0x8877665544332211)
  c.lw a3, 8(s1);     CHECKV(42, a3, 0xfffffffff0e0d0c0)
  li a4, 0x0123456789abcdef
  c.sw a4, 16(s1); ld a2, 16(s1); li t0, 0xffffffff; and a2, a2, t0; CHECKV(43, a2, 0x89abcdef)
  c.sd a4, 24(s1); ld a2, 24(s1); CHECKV(44, a2, 0x0123456789abcdef)
  mv sp, s1
  c.lwsp a5, 4(sp);   CHECKV(45, a5, 0xffffffff88776655)
  c.ldsp a5, 8(sp);   CHECKV(46, a5, 0xfffffffff0e0d0c0)
  c.swsp a4, 32(sp); lwu a5, 32(s1); CHECKV(47, a5, 0x89abcdef)
  c.sdsp a4, 40(sp); ld a5, 40(s1); CHECKV(48, a5, 0x0123456789abcdef)
  c.ldsp a5, 248(sp); c.sdsp a5, 504(sp); ld a6, 504(s1); CHECKV(49, a6, 0)
  li t0, 0x400921fb54442d18; sd t0, 48(s1)
  c.fld fa0, 48(s1); fmv.x.d a5, fa0; CHECKV(50, a5, 0x400921fb54442d18)
  c.fsd fa0, 56(s1); ld a5, 56(s1); CHECKV(51, a5, 0x400921fb54442d18)
  c.fldsp fa1, 56(sp); fmv.x.d a5, fa1; CHECKV(52, a5, 0x400921fb54442d18)
  c.fsdsp fa1, 64(sp); ld a5, 64(s1); CHECKV(53, a5, 0x400921fb54442d18)
  // c.j, c.beqz, c.bnez both ways, c.jr, c.jalr (link = pc + 2)
  li gp, 60; c.j 1f; j isa_fail
1: li gp, 61; li s0, 0; c.beqz s0, 1f; j isa_fail
1: li gp, 62; li s0, 1; c.beqz s0, isa_fail_near
  li gp, 63; c.bnez s0, 1f; j isa_fail
1: li gp, 64; li s0, 0; c.bnez s0, isa_fail_near
  li gp, 65; la a0, 1f; c.jr a0; j isa_fail
1: li gp, 66; la a0, 2f; c.jalr a0
3: j isa_fail
2: la a1, 3b; bne ra, a1, isa_fail
  // c.nop and the hint c.addi x0 do nothing
  li gp, 67; c.nop; li a0, 3; c.addi a0, 0; CHECKV(67, a0, 3)
  j 4f
isa_fail_near: j isa_fail
4:
  // c.ebreak: breakpoint with mepc = the c.ebreak itself
  li gp, 70; TRAP_ARM(1f)
5: c.ebreak
  TRAP_DISARM; j isa_fail
1: TRAP_CHECK(70, CAUSE_BREAKPOINT); la t0, 5b; bne a2, t0, isa_fail
  li gp, 71; TRAP_ARM(1f)
6: ebreak
  TRAP_DISARM; j isa_fail
1: TRAP_CHECK(71, CAUSE_BREAKPOINT); la t0, 6b; bne a2, t0, isa_fail
  // misaligned targets (2-byte aligned) are fine with C: no misaligned-fetch trap
  li gp, 72; la a0, 7f; jalr ra, 0(a0); CHECKV(72, a0, 99)
  // reserved compressed encodings are illegal instructions; mtval holds their 16 bits
#define C_ILLEGAL(n, bits)                                                        \
  li gp, n; TRAP_ARM(8f);                                                         \
9: .2byte bits; TRAP_DISARM; j isa_fail;                                          \
8: TRAP_CHECK(n, CAUSE_ILLEGAL); la t0, 9b; bne a2, t0, isa_fail;                 \
  li t0, bits; bne a1, t0, isa_fail
  C_ILLEGAL(90, 0x0000)        // all zeros
  C_ILLEGAL(91, 0x0004)        // c.addi4spn with nzuimm = 0
  C_ILLEGAL(92, 0x6101)        // c.addi16sp with nzimm = 0
  C_ILLEGAL(93, 0x6081)        // c.lui with nzimm = 0
  C_ILLEGAL(94, 0x4002)        // c.lwsp with rd = 0
  C_ILLEGAL(95, 0x6002)        // c.ldsp with rd = 0
  C_ILLEGAL(96, 0x8002)        // c.jr with rs1 = 0
  C_ILLEGAL(97, 0x9c01 | (1 << 5) | (1 << 6))   // reserved c.subw/c.addw slot (funct2 = 11, bit 12 = 1)
  // instruction straddling a page boundary
  li gp, 80; li a0, 0; call straddle; CHECKV(80, a0, 0x123)
  .option pop
  TEST_END

  .text
  .option push
  .option rvc
  .balign 4
  c.nop
7: c.li a0, 31      // 2-byte aligned, not 4-byte aligned
  addi a0, a0, 68
  ret
  .balign 4096
  .skip 4096 - 4
straddle:
  c.li a0, 0
  .option norvc
  addi a0, a0, 0x123   // begins 2 bytes before the page boundary
  .option rvc
  c.jr ra
  .option pop
  .data
  .balign 8
cbuf: .space 1024
