// RV64I base integer instructions: arithmetic, logic, shifts (64-bit and W forms), compares,
// lui/auipc, branches taken and not taken, jal/jalr (link value, lsb clearing), loads and
// stores of every width with sign/zero extension, misaligned accesses, x0 as destination.
#include "isa.h"
TEST_BEGIN

  // add / sub / addi / addw / subw / addiw
  TEST_RR(1, add, 0x0000000000000003, 1, 2)
  TEST_RR(2, add, 0x0000000000000000, -1, 1)
  TEST_RR(3, add, 0x8000000000000000, 0x7fffffffffffffff, 1)
  TEST_RR(4, sub, 0xffffffffffffffff, 0, 1)
  TEST_RR(5, sub, 0x7fffffffffffffff, 0x8000000000000000, 1)
  TEST_RI(6, addi, 0xfffffffffffff800 + 5, 5, -2048)
  TEST_RI(7, addi, 0x0000000000000802, 3, 2047)
  TEST_RR(8, addw, 0xffffffff80000000, 0x7fffffff, 1)
  TEST_RR(9, addw, 0x0000000000000000, 0xffffffff, 1)
  TEST_RR(10, addw, 0x0000000000000002, 0x1234567800000001, 0x9abcdef000000001)
  TEST_RR(11, subw, 0x000000007fffffff, 0x80000000, 1)
  TEST_RR(12, subw, 0xffffffffffffffff, 0x100000000, 1)
  TEST_RI(13, addiw, 0xffffffff80000000, 0x7fffffff, 1)
  TEST_RI(14, addiw, 0x000000007ffff800, 0x7fffffff, -2047)
  TEST_RI(15, addiw, 0xffffffffffffffff, 0xffffffff, 0)   // sext.w
  TEST_RI(16, addiw, 0x0000000012345678, 0xabcdef0012345678, 0)

  // logic
  TEST_RR(20, and, 0x0f000f000f000f00, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
  TEST_RR(21, or,  0xff0fff0fff0fff0f, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
  TEST_RR(22, xor, 0xf00ff00ff00ff00f, 0xff00ff00ff00ff00, 0x0f0f0f0f0f0f0f0f)
  TEST_RI(23, andi, 0x0000000000000700, 0xff00ff00ff00ff00, 0x70f)
  TEST_RI(24, andi, 0xff00ff00ff00ff00, 0xff00ff00ff00ff00, -1)
  TEST_RI(25, ori, 0xfffffffffffff80f, 0x000000000000000f, -2048)
  TEST_RI(26, xori, 0x00ff00ff00ff00ff, 0xff00ff00ff00ff00, -1)   // not
  TEST_RI(27, xori, 0xff00ff00ff00f80f, 0xff00ff00ff00ff00, 0x70f)

  // shifts, 64-bit
  TEST_RR(30, sll, 0x8000000000000000, 1, 63)
  TEST_RR(31, sll, 0x0000000000000002, 1, 65)             // only 6 bits of rs2
  TEST_RR(32, srl, 0x0000000000000001, 0x8000000000000000, 63)
  TEST_RR(33, srl, 0x0000000080000000, 0x8000000000000000, 0xffffffffffffffe0)  // shamt 32
  TEST_RR(34, sra, 0xffffffffffffffff, 0x8000000000000000, 63)
  TEST_RR(35, sra, 0xffffffff80000000, 0x8000000000000000, 32)
  TEST_RI(36, slli, 0x8000000000000000, 0xffffffffffffffff, 63)
  TEST_RI(37, srli, 0x0000000000000001, 0xffffffffffffffff, 63)
  TEST_RI(38, srai, 0xffffffffffffffff, 0x8000000000000000, 63)
  TEST_RI(39, srai, 0x0000000000000001, 0x7fffffffffffffff, 62)
  TEST_RI(40, slli, 0x0000000000000000, 0x0, 0)
  TEST_RI(41, srli, 0x7fffffffffffffff, 0xffffffffffffffff, 1)

  // shifts, W forms: 5-bit shift amount, 32-bit result sign-extended
  TEST_RR(50, sllw, 0xffffffff80000000, 1, 31)
  TEST_RR(51, sllw, 0x0000000000000001, 1, 32)            // only 5 bits of rs2
  TEST_RR(52, sllw, 0xffffffffdabc0000, 0x123456789abcdabc, 16)
  TEST_RR(53, srlw, 0x0000000000000001, 0x80000000, 31)
  TEST_RR(54, srlw, 0xffffffff80000000, 0xffffffff80000000, 0)  // sign-extended result
  TEST_RR(55, srlw, 0x000000007fffffff, 0xfffffffffffffffe, 33)  // shamt 1, upper bits ignored
  TEST_RR(56, sraw, 0xffffffffffffffff, 0x80000000, 31)
  TEST_RR(57, sraw, 0x0000000000000000, 0xffffffff7fffffff, 31)
  TEST_RR(58, sraw, 0xfffffffff8000000, 0x0000000080000000, 4)
  TEST_RI(59, slliw, 0xffffffff80000000, 1, 31)
  TEST_RI(60, slliw, 0x0000000000000000, 0x100000000, 0)
  TEST_RI(61, srliw, 0x0000000000000001, 0xffffffff80000000, 31)
  TEST_RI(62, srliw, 0x0000000000000000, 0xffffffff00000000, 1)
  TEST_RI(63, sraiw, 0xffffffffffffffff, 0x0000000080000000, 31)
  TEST_RI(64, sraiw, 0x0000000000000001, 0xffffffff7fffffff, 30)
  TEST_RI(65, srliw, 0x0000000007ffffff, 0x00000000ffffffff, 5)

  // compares
  TEST_RR(70, slt, 1, -1, 0)
  TEST_RR(71, slt, 0, 0, -1)
  TEST_RR(72, slt, 1, 0x8000000000000000, 0x7fffffffffffffff)
  TEST_RR(73, sltu, 0, -1, 0)
  TEST_RR(74, sltu, 1, 0, -1)
  TEST_RR(75, sltu, 0, 5, 5)
  TEST_RI(76, slti, 1, -5, -4)
  TEST_RI(77, slti, 0, 2047, 2047)
  TEST_RI(78, sltiu, 1, 0xfffffffffffffffe, -1)         // imm sign-extended then unsigned
  TEST_RI(79, sltiu, 1, 0, 1)                           // seqz
  TEST_RI(80, sltiu, 0, 7, 1)
  TEST_RR(81, sltu, 1, 0, 7)                            // snez via sltu rd, x0, rs
  TEST_RR_SAME(82, sub, 0, 0x1234)
  TEST_RR_SAME(83, add, 0x2468, 0x1234)

  // lui / auipc
  li gp, 90; lui a0, 0x80000; li t2, 0xffffffff80000000; bne a0, t2, isa_fail
  li gp, 91; lui a0, 0x7ffff; li t2, 0x000000007ffff000; bne a0, t2, isa_fail
  li gp, 92; lui a0, 0xfffff; li t2, 0xfffffffffffff000; bne a0, t2, isa_fail
  li gp, 93
1: auipc a0, 0; la a1, 1b; bne a0, a1, isa_fail
  li gp, 94
2: auipc a0, 0x80000; la a1, 2b; sub a0, a0, a1; li t2, 0xffffffff80000000; bne a0, t2, isa_fail
  li gp, 95
3: auipc a0, 1; la a1, 3b; sub a0, a0, a1; li t2, 0x1000; bne a0, t2, isa_fail

  // x0 is hard-wired to zero
  li gp, 100; li a1, 55; add x0, a1, a1; bnez x0, isa_fail
  li gp, 101; lui x0, 0x12345; bnez x0, isa_fail
  li gp, 102; addi x0, x0, 1; mv a0, x0; bnez a0, isa_fail
  li gp, 103; la a1, scratch; ld x0, 0(a1); bnez x0, isa_fail
  li gp, 104; jal x0, 4f; j isa_fail
4: bnez x0, isa_fail

  // branches: each one taken and not taken, signed and unsigned comparisons
#define BR_TAKEN(n, br, a, b) li gp, n; li a1, a; li a2, b; br a1, a2, 5f; j isa_fail; 5:
#define BR_NOT(n, br, a, b) li gp, n; li a1, a; li a2, b; br a1, a2, isa_fail
  BR_TAKEN(110, beq, 5, 5)
  BR_NOT(111, beq, 5, 6)
  BR_TAKEN(112, bne, 0x100000000, 0)
  BR_NOT(113, bne, -1, -1)
  BR_TAKEN(114, blt, -1, 0)
  BR_NOT(115, blt, 0, -1)
  BR_NOT(116, blt, 3, 3)
  BR_TAKEN(117, bge, 3, 3)
  BR_TAKEN(118, bge, 0, 0x8000000000000000)
  BR_NOT(119, bge, 0x8000000000000000, 0)
  BR_TAKEN(120, bltu, 0, -1)
  BR_NOT(121, bltu, -1, 0)
  BR_NOT(122, bltu, 7, 7)
  BR_TAKEN(123, bgeu, -1, 0)
  BR_TAKEN(124, bgeu, 7, 7)
  BR_NOT(125, bgeu, 0, 0x8000000000000000)
  // backward branch
  li gp, 126; li a1, 3; li a0, 0
6: addi a0, a0, 1; addi a1, a1, -1; bnez a1, 6b
  li t2, 3; bne a0, t2, isa_fail

  // jal / jalr: link register value, target, lsb cleared, rd == rs1
  li gp, 130; jal ra, 7f
8: j isa_fail
7: la a1, 8b; bne ra, a1, isa_fail
  li gp, 131; la a1, 9f; addi a1, a1, 1; jalr ra, 0(a1)   // odd target: lsb cleared
10: j isa_fail
  .align 2
9: la a2, 10b; bne ra, a2, isa_fail
  li gp, 132; la a1, 11f; addi a1, a1, -8; jalr a0, 8(a1)  // negative base, positive offset
12: j isa_fail
11: la a2, 12b; bne a0, a2, isa_fail
  li gp, 133; la a1, 13f; jalr a1, 0(a1)                 // rd == rs1: target uses old value
14: j isa_fail
13: la a2, 14b; bne a1, a2, isa_fail
  li gp, 134; la a1, 15f; addi a1, a1, 3; jalr x0, -3(a1)
  j isa_fail
15:

  // loads: sign and zero extension of each width
  la s0, scratch
  li t0, 0x8182838485868788; sd t0, 0(s0)
  li t0, 0x7172737475767778; sd t0, 8(s0)
#define TEST_LD(n, op, res, off) li gp, n; op a0, off(s0); li t2, res; bne a0, t2, isa_fail
  TEST_LD(140, lb, 0xffffffffffffff88, 0)
  TEST_LD(141, lbu, 0x0000000000000088, 0)
  TEST_LD(142, lb, 0x0000000000000078, 8)
  TEST_LD(143, lh, 0xffffffffffff8788, 0)
  TEST_LD(144, lhu, 0x0000000000008788, 0)
  TEST_LD(145, lh, 0x0000000000007778, 8)
  TEST_LD(146, lw, 0xffffffff85868788, 0)
  TEST_LD(147, lwu, 0x0000000085868788, 0)
  TEST_LD(148, lw, 0x0000000075767778, 8)
  TEST_LD(149, ld, 0x8182838485868788, 0)
  TEST_LD(150, lb, 0xffffffffffffff81, 7)
  TEST_LD(151, lhu, 0x0000000000008384, 4)
  // negative offsets
  addi s1, s0, 16
  li gp, 152; ld a0, -8(s1); li t2, 0x7172737475767778; bne a0, t2, isa_fail
  li gp, 153; lbu a0, -1(s1); li t2, 0x71; bne a0, t2, isa_fail

  // stores of each width only write their bytes
  li t0, -1; sd t0, 16(s0); sd t0, 24(s0)
  li t0, 0x1122334455667788
  sb t0, 16(s0)
  TEST_LD(160, ld, 0xffffffffffffff88, 16)
  sh t0, 18(s0)
  TEST_LD(161, ld, 0xffffffff7788ff88, 16)
  sw t0, 20(s0)
  TEST_LD(162, ld, 0x556677887788ff88, 16)
  sd t0, 24(s0)
  TEST_LD(163, ld, 0x1122334455667788, 24)

  // misaligned loads and stores succeed (emulated by the board)
  li t0, 0x0807060504030201; sd t0, 32(s0)
  li t0, 0x100f0e0d0c0b0a09; sd t0, 40(s0)
  TEST_LD(170, ld, 0x0908070605040302, 33)
  TEST_LD(171, lw, 0x0000000006050403, 34)
  TEST_LD(172, lhu, 0x0000000000000908, 39)
  TEST_LD(173, lwu, 0x000000000a090807, 38)
  TEST_LD(174, lh, 0x0000000000000504, 35)
  li t0, 0xa1a2a3a4a5a6a7a8; sd t0, 37(s0)
  TEST_LD(175, ld, 0xa6a7a80504030201, 32)
  TEST_LD(176, ld, 0x100f0ea1a2a3a4a5, 40)
  li t0, 0xb1b2b3b4; sw t0, 46(s0)
  TEST_LD(177, lwu, 0x00000000b1b2b3b4, 46)
  li t0, 0xc1c2; sh t0, 49(s0)
  TEST_LD(178, lhu, 0x000000000000c1c2, 49)

  // fence, fence.i and nop are accepted
  li gp, 180; fence; fence rw, rw; fence.i; nop

  TEST_END
  .data
  .align 4
scratch: .space 64
