// Zifencei / self-modifying code: stores into code followed by fence.i must be seen by the
// next fetch — word and halfword stores, a store just ahead of the executing instruction in
// the same page, a hot loop that rewrites its callee every iteration (decode caches and
// translated code must be invalidated), an AMO on code, and a misaligned store into code.
#include "isa.h"
#define ADDI_A0_ZERO(imm) (0x00000513 | ((imm) << 20))     // addi a0, zero, imm
#define RET 0x00008067                                      // jalr x0, 0(ra)
TEST_BEGIN
  la s0, patch
  li t0, RET; sw t0, 4(s0)
  // word store, then call
  li gp, 1; li t0, ADDI_A0_ZERO(7); sw t0, 0(s0); fence.i; jalr ra, 0(s0); li t2, 7; bne a0, t2, isa_fail
  li gp, 2; li t0, ADDI_A0_ZERO(-3); sw t0, 0(s0); fence.i; jalr ra, 0(s0); li t2, -3; bne a0, t2, isa_fail
  // hot loop: rewrite the callee 300 times
  li gp, 3; li s1, 0
1: li t0, ADDI_A0_ZERO(0); slli t1, s1, 20; or t0, t0, t1; sw t0, 0(s0); fence.i
  jalr ra, 0(s0); bne a0, s1, isa_fail
  addi s1, s1, 1; li t2, 300; blt s1, t2, 1b
  // halfword store: a compressed c.li a0, 13 then c.jr ra in the first word
  li gp, 4; li t0, 0x4535; sh t0, 0(s0); li t0, 0x8082; sh t0, 2(s0); fence.i
  jalr ra, 0(s0); li t2, 13; bne a0, t2, isa_fail
  // the next instruction in program order is rewritten
  li gp, 5; la s2, 2f; li t0, ADDI_A0_ZERO(99); li a0, 0
  sw t0, 0(s2); fence.i
  .option push; .option norvc
2: addi a0, zero, 1
  .option pop
  li t2, 99; bne a0, t2, isa_fail
  // AMO on code
  li gp, 6; li t0, ADDI_A0_ZERO(42); amoswap.w t1, t0, (s0); li t0, RET; sw t0, 4(s0); fence.i
  jalr ra, 0(s0); li t2, 42; bne a0, t2, isa_fail
  // misaligned 8-byte store: c.li a0, 9 ; c.jr ra ; (padding) at patch + 2
  li gp, 7; li t0, 0x0001000180824525; li t1, 0x4501; sh t1, 0(s0)   // c.li a0, 0 first
  sd t0, 2(s0); fence.i
  addi a1, s0, 2; jalr ra, 0(a1); li t2, 9; bne a0, t2, isa_fail
  // execution from the start still works: c.li a0, 0 then falls into c.li a0, 9 ; c.jr ra
  li gp, 8; jalr ra, 0(s0); li t2, 9; bne a0, t2, isa_fail
  TEST_END

  .text
  .balign 64
patch:
  .option push; .option norvc
  addi a0, zero, 1
  ret
  .option pop
  .space 56
