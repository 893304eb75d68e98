// RV64A: LR/SC success and failure (SC without reservation, to another address, after an
// intervening SC), sc result codes, every AMO in .W and .D forms with the old value returned
// (sign-extended for .W) and memory updated, aq/rl variants, rd = x0.
#include "isa.h"
TEST_BEGIN
  la s0, buf

  // LR/SC pair succeeds
  li t0, 0x1111222233334444; sd t0, 0(s0)
  li gp, 1; lr.d a0, (s0); li t2, 0x1111222233334444; bne a0, t2, isa_fail
  li a1, 77; sc.d a2, a1, (s0); bnez a2, isa_fail
  li gp, 2; ld a0, 0(s0); li t2, 77; bne a0, t2, isa_fail
  // second SC without a new LR fails and does not write
  li gp, 3; li a1, 88; sc.d a2, a1, (s0); beqz a2, isa_fail
  li gp, 4; ld a0, 0(s0); li t2, 77; bne a0, t2, isa_fail
  // LR.W sign-extends; SC.W writes 32 bits only
  li t0, 0x00000000fffffff0; sd t0, 8(s0)
  li gp, 5; lr.w a0, (s0) ; li t2, 77; bne a0, t2, isa_fail
  addi s1, s0, 8
  lr.w.aq a0, (s1); li t2, 0xfffffffffffffff0; bne a0, t2, isa_fail
  li gp, 6; li a1, 0x123456789; sc.w.rl a2, a1, (s1); bnez a2, isa_fail
  ld a0, 0(s1); li t2, 0x0000000023456789; bne a0, t2, isa_fail
  // SC after a store by the same hart between LR and SC is still allowed to succeed or fail;
  // SC without any reservation after a successful SC must fail.
  li gp, 7; sc.w a2, a1, (s1); beqz a2, isa_fail
  // (an SC to another address may succeed when the reservation set is large: not tested)
  // a failed SC clears nothing it did not hold: a new LR/SC pair succeeds
  li gp, 8; lr.d a0, (s0); sc.d a2, a1, (s0); bnez a2, isa_fail
  // a trap between LR and SC (here: none); an LR/SC loop builds an atomic increment
  li gp, 9; sd zero, 24(s0); addi s2, s0, 24; li a3, 10
1: lr.d a0, (s2); addi a0, a0, 1; sc.d a2, a0, (s2); bnez a2, 1b
  addi a3, a3, -1; bnez a3, 1b
  ld a0, 0(s2); li t2, 10; bne a0, t2, isa_fail

  // AMO .D: old value in rd, memory gets op(old, rs2)
#define AMO_D(n, op, init, src, old, new)                                          \
  li gp, n; li t0, init; sd t0, 32(s0); addi s3, s0, 32; li a1, src;               \
  op a0, a1, (s3); li t2, old; bne a0, t2, isa_fail; ld a0, 32(s0); li t2, new;   \
  bne a0, t2, isa_fail
#define AMO_W(n, op, init, src, old, new)                                          \
  li gp, n; li t0, 0x5a5a5a5a00000000 + init; sd t0, 32(s0); addi s3, s0, 32;      \
  li a1, src; op a0, a1, (s3); li t2, old; bne a0, t2, isa_fail;                   \
  lwu a0, 32(s0); li t2, new; bne a0, t2, isa_fail;                                \
  lwu a0, 36(s0); li t2, 0x5a5a5a5a; bne a0, t2, isa_fail
  AMO_D(20, amoswap.d, 0x8000000000000001, 0x1234, 0x8000000000000001, 0x1234)
  AMO_D(21, amoadd.d, 0xffffffffffffffff, 2, 0xffffffffffffffff, 1)
  AMO_D(22, amoand.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0x0f000f000f000f00)
  AMO_D(23, amoor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xfff0fff0fff0fff0)
  AMO_D(24, amoxor.d, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xff00ff00ff00ff00, 0xf0f0f0f0f0f0f0f0)
  AMO_D(25, amomin.d, 0x8000000000000000, 5, 0x8000000000000000, 0x8000000000000000)
  AMO_D(26, amomin.d, 7, -5, 7, -5)
  AMO_D(27, amomax.d, 0x8000000000000000, 5, 0x8000000000000000, 5)
  AMO_D(28, amomax.d, 7, -5, 7, 7)
  AMO_D(29, amominu.d, 0x8000000000000000, 5, 0x8000000000000000, 5)
  AMO_D(30, amominu.d, 7, -5, 7, 7)
  AMO_D(31, amomaxu.d, 0x8000000000000000, 5, 0x8000000000000000, 0x8000000000000000)
  AMO_D(32, amomaxu.d, 7, -5, 7, -5)
  AMO_D(33, amoadd.d.aqrl, 0x7fffffffffffffff, 1, 0x7fffffffffffffff, 0x8000000000000000)
  AMO_W(40, amoswap.w, 0x80000001, 0x111234, 0xffffffff80000001, 0x111234)
  AMO_W(41, amoadd.w, 0xffffffff, 2, 0xffffffffffffffff, 1)            // no carry into upper word
  AMO_W(42, amoadd.w, 0x7fffffff, 1, 0x7fffffff, 0x80000000)
  AMO_W(43, amoand.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0x0f000f00)
  AMO_W(44, amoor.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0xfff0fff0)
  AMO_W(45, amoxor.w, 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00, 0xf0f0f0f0)
  AMO_W(46, amomin.w, 0x80000000, 5, 0xffffffff80000000, 0x80000000)
  AMO_W(47, amomin.w, 7, 0xfffffffb, 7, 0xfffffffb)     // rs2 compared as 32-bit signed
  AMO_W(48, amomax.w, 0x80000000, 5, 0xffffffff80000000, 5)
  AMO_W(49, amomax.w, 7, 0x1fffffffb, 7, 7)            // upper bits of rs2 ignored
  AMO_W(50, amominu.w, 0x80000000, 5, 0xffffffff80000000, 5)
  AMO_W(51, amominu.w, 7, 0xfffffffb, 7, 7)
  AMO_W(52, amomaxu.w, 0x80000000, 5, 0xffffffff80000000, 0x80000000)
  AMO_W(53, amomaxu.w, 7, 0xfffffffb, 7, 0xfffffffb)
  AMO_W(54, amoor.w.aq, 0, 0x100000001, 0, 1)
  // rd = x0 still performs the memory update
  li gp, 60; li t0, 5; sd t0, 32(s0); addi s3, s0, 32; li a1, 3; amoadd.d x0, a1, (s3)
  ld a0, 32(s0); li t2, 8; bne a0, t2, isa_fail
  // rd == rs2
  li gp, 61; li a1, 4; amoswap.d a1, a1, (s3); li t2, 8; bne a1, t2, isa_fail
  ld a0, 32(s0); li t2, 4; bne a0, t2, isa_fail
  // misaligned LR / SC / AMO: address-misaligned (4 / 6 / 6) or the access-fault alternative
  // (5 / 7 / 7) that the spec allows; mtval = the address; nothing is written.
  // The AMO comes last: QEMU 7.2 reports it as a *load* address-misaligned (cause 4).
  li t0, 77; sd t0, 40(s0); addi s3, s0, 42
  li gp, 70; TRAP_ARM(1f); lr.d a0, (s3); TRAP_DISARM; j isa_fail
1: la t1, isa_trap; ld a0, 0(t1); ld a1, 8(t1); li t2, 4; beq a0, t2, 3f; li t2, 5; bne a0, t2, isa_fail
3: bne a1, s3, isa_fail
  // (an SC holding no reservation may also just fail, as QEMU does: then rd != 0)
  li gp, 71; TRAP_ARM(1f); li a0, 0; sc.d a0, a1, (s3); TRAP_DISARM; bnez a0, 4f; j isa_fail
1: la t1, isa_trap; ld a0, 0(t1); ld a1, 8(t1); li t2, 6; beq a0, t2, 3f; li t2, 7; bne a0, t2, isa_fail
3: bne a1, s3, isa_fail
4: li gp, 72; ld a0, 40(s0); li t2, 77; bne a0, t2, isa_fail
  li gp, 73; li a1, 1; TRAP_ARM(1f); amoadd.w a0, a1, (s3); TRAP_DISARM; j isa_fail
1: la t1, isa_trap; ld a0, 0(t1); ld a1, 8(t1); li t2, 6; beq a0, t2, 3f; li t2, 7; bne a0, t2, isa_fail
3: bne a1, s3, isa_fail
  li gp, 74; ld a0, 40(s0); li t2, 77; bne a0, t2, isa_fail
  TEST_END
  .data
  .align 6
buf: .space 64
