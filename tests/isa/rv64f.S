// RV64F: every single-precision instruction. NaN-boxing (results boxed, unboxed inputs read
// as the canonical NaN, transfers unchecked), special values and flags, rounding modes,
// fused multiply-add, conversions (W/WU/L/LU both ways) with saturation, compares, fmin/fmax,
// sign injection, fclass, fmv.x.w sign extension, flw/fsw. Vectors 1000+ were computed with
// exact rational arithmetic and checked on QEMU.
#include "isa.h"
#define ONE   BOX(0x3f800000)
#define NONE  BOX(0xbf800000)
#define TWO   BOX(0x40000000)
#define QNAN  BOX(0x7fc00000)
#define SNAN  BOX(0x7fa00000)
#define NQNAN BOX(0xffc00001)
#define INF   BOX(0x7f800000)
#define NINF  BOX(0xff800000)
#define PZERO BOX(0)
#define NZERO BOX(0x80000000)
#define UNBOXED 0x000000003f800000
TEST_BEGIN
  FTEST(1, QNAN, FLAG_NV, INF, NINF, 0, fadd.s fa3, fa0, fa1)
  FTEST(2, QNAN, FLAG_NV, SNAN, ONE, 0, fadd.s fa3, fa0, fa1)
  FTEST(3, QNAN, 0, NQNAN, ONE, 0, fadd.s fa3, fa0, fa1)
  FTEST(4, QNAN, FLAG_NV, PZERO, INF, 0, fmul.s fa3, fa0, fa1)
  FTEST(5, INF, FLAG_DZ, ONE, PZERO, 0, fdiv.s fa3, fa0, fa1)
  FTEST(6, NINF, FLAG_DZ, ONE, NZERO, 0, fdiv.s fa3, fa0, fa1)
  FTEST(7, QNAN, FLAG_NV, PZERO, PZERO, 0, fdiv.s fa3, fa0, fa1)
  FTEST(8, QNAN, FLAG_NV, NONE, 0, 0, fsqrt.s fa3, fa0)
  FTEST(9, NZERO, 0, NZERO, 0, 0, fsqrt.s fa3, fa0)
  FTEST(10, TWO, 0, BOX(0x40800000), 0, 0, fsqrt.s fa3, fa0)
  FTEST(11, QNAN, FLAG_NV, PZERO, INF, QNAN, fmadd.s fa3, fa0, fa1, fa2)
  FTEST(12, QNAN, FLAG_NV, INF, ONE, INF, fmsub.s fa3, fa0, fa1, fa2)
  FTEST(13, NZERO, 0, NZERO, NZERO, 0, fadd.s fa3, fa0, fa1)
  FTEST(14, NZERO, 0, ONE, ONE, 0, fsub.s fa3, fa0, fa1, rdn)
  FTEST(15, BOX(0x00000002), 0, BOX(1), BOX(1), 0, fadd.s fa3, fa0, fa1)
  FTEST(16, BOX(0x7f7fffff), FLAG_OF | FLAG_NX, BOX(0x7f7fffff), TWO, 0, fmul.s fa3, fa0, fa1, rtz)
  FTEST(17, BOX(0x00000001), FLAG_UF | FLAG_NX, BOX(0x00000001), BOX(0x3fc00000), 0, fmul.s fa3, fa0, fa1, rtz)

  // NaN-boxing: an input whose upper 32 bits are not all ones is the canonical NaN
  FTEST(20, QNAN, 0, UNBOXED, ONE, 0, fadd.s fa3, fa0, fa1)
  FTEST(21, QNAN, 0, ONE, 0xfffffffe3f800000, 0, fmul.s fa3, fa0, fa1)
  FTEST(22, QNAN, 0, UNBOXED, ONE, ONE, fmadd.s fa3, fa1, fa2, fa0)
  FTEST(23, QNAN, 0, UNBOXED, ONE, 0, fsgnj.s fa3, fa0, fa1)
  FTEST(24, BOX(0xffc00000), 0, UNBOXED, NONE, 0, fsgnj.s fa3, fa0, fa1)
  FTEST(25, NONE, 0, ONE, UNBOXED + 0x80000000, 0, fsgnjn.s fa3, fa0, fa1)  // rs2 = canonical NaN (+)
  FTEST(26, ONE, 0, UNBOXED, ONE, 0, fmin.s fa3, fa0, fa1)
  FTEST(27, QNAN, 0, UNBOXED, 0, 0, fsqrt.s fa3, fa0)
  FTEST_X(28, 0x200, 0, UNBOXED, 0, fclass.s a0, fa0)
  FTEST_X(29, 0, 0, UNBOXED, UNBOXED, feq.s a0, fa0, fa1)
  FTEST_X(30, 0, FLAG_NV, UNBOXED, ONE, flt.s a0, fa0, fa1)
  FTEST_X(31, 0x7fffffff, FLAG_NV, UNBOXED, 0, fcvt.w.s a0, fa0, rtz)
  FTEST(32, 0x7ff8000000000000, 0, UNBOXED, 0, 0, fcvt.d.s fa3, fa0)
  // transfers do not check boxing: fmv.x.w and fsw take the low 32 bits
  FTEST_X(33, 0x3f800000, 0, 0x123456783f800000, 0, fmv.x.w a0, fa0)
  FTEST_X(34, 0xffffffffbf800000, 0, NONE, 0, fmv.x.w a0, fa0)          // sign-extended
  FTEST_X(35, 0xffffffff80000001, 0, 0x0000000080000001, 0, fmv.x.w a0, fa0)
  FTEST_I(36, BOX(0x9abcdef0), 0, 0x123456789abcdef0, fmv.w.x fa3, a1)
  FTEST(37, SNAN, 0, SNAN, 0, 0, fmv.s fa3, fa0)
  li gp, 38; la s0, fbuf; li t0, 0x5555555512345678; fmv.d.x fa0, t0; fsw fa0, 0(s0)
  lwu a0, 0(s0); li t2, 0x12345678; bne a0, t2, isa_fail
  li gp, 39; li t0, 0x7fa00001; sw t0, 4(s0); flw fa3, 4(s0); fmv.x.d a0, fa3
  li t2, BOX(0x7fa00001); bne a0, t2, isa_fail
  li gp, 40; fsw fa3, 8(s0); lw a0, 8(s0); li t2, 0x7fa00001; bne a0, t2, isa_fail

  // compares, min/max, sign injection
  FTEST_X(50, 1, 0, ONE, ONE, feq.s a0, fa0, fa1)
  FTEST_X(51, 0, FLAG_NV, SNAN, ONE, feq.s a0, fa0, fa1)
  FTEST_X(52, 0, FLAG_NV, QNAN, ONE, fle.s a0, fa0, fa1)
  FTEST_X(53, 1, 0, NZERO, PZERO, fle.s a0, fa0, fa1)
  FTEST_X(54, 0, 0, NZERO, PZERO, flt.s a0, fa0, fa1)
  FTEST_X(55, 1, 0, NONE, ONE, flt.s a0, fa0, fa1)
  FTEST(56, NZERO, 0, PZERO, NZERO, 0, fmin.s fa3, fa0, fa1)
  FTEST(57, PZERO, 0, PZERO, NZERO, 0, fmax.s fa3, fa0, fa1)
  FTEST(58, ONE, FLAG_NV, ONE, SNAN, 0, fmax.s fa3, fa0, fa1)
  FTEST(59, QNAN, 0, NQNAN, QNAN, 0, fmin.s fa3, fa0, fa1)
  FTEST(60, NONE, 0, ONE, NONE, 0, fsgnj.s fa3, fa0, fa1)
  FTEST(61, ONE, 0, ONE, NONE, 0, fsgnjn.s fa3, fa0, fa1)
  FTEST(62, ONE, 0, NONE, NONE, 0, fsgnjx.s fa3, fa0, fa1)
  FTEST(63, BOX(0xffa00000), 0, SNAN, NONE, 0, fsgnj.s fa3, fa0, fa1)
  FTEST_X(70, 0x001, 0, NINF, 0, fclass.s a0, fa0)
  FTEST_X(71, 0x002, 0, NONE, 0, fclass.s a0, fa0)
  FTEST_X(72, 0x004, 0, BOX(0x807fffff), 0, fclass.s a0, fa0)
  FTEST_X(73, 0x008, 0, NZERO, 0, fclass.s a0, fa0)
  FTEST_X(74, 0x010, 0, PZERO, 0, fclass.s a0, fa0)
  FTEST_X(75, 0x020, 0, BOX(1), 0, fclass.s a0, fa0)
  FTEST_X(76, 0x040, 0, ONE, 0, fclass.s a0, fa0)
  FTEST_X(77, 0x080, 0, INF, 0, fclass.s a0, fa0)
  FTEST_X(78, 0x100, 0, SNAN, 0, fclass.s a0, fa0)
  FTEST_X(79, 0x200, 0, QNAN, 0, fclass.s a0, fa0)

  // conversions
  FTEST_X(80, 3, FLAG_NX, BOX(0x40200000), 0, fcvt.w.s a0, fa0, rmm)     // 2.5
  FTEST_X(81, 2, FLAG_NX, BOX(0x40200000), 0, fcvt.w.s a0, fa0, rne)
  FTEST_X(82, -3, FLAG_NX, BOX(0xc0200000), 0, fcvt.w.s a0, fa0, rdn)
  FTEST_X(83, -2, FLAG_NX, BOX(0xc0200000), 0, fcvt.w.s a0, fa0, rup)
  FTEST_X(84, -2, FLAG_NX, BOX(0xc0200000), 0, fcvt.w.s a0, fa0, rtz)
  FTEST_X(85, 0xffffffff80000000, FLAG_NV, BOX(0xcf32d05e), 0, fcvt.w.s a0, fa0, rtz)  // -3e9
  FTEST_X(86, 0x7fffffff, FLAG_NV, INF, 0, fcvt.w.s a0, fa0, rtz)
  FTEST_X(87, 0, FLAG_NV, NONE, 0, fcvt.wu.s a0, fa0, rtz)
  FTEST_X(88, 0xffffffffffffffff, FLAG_NV, QNAN, 0, fcvt.wu.s a0, fa0, rtz)
  FTEST_X(89, 0xffffffffffffff00, 0, BOX(0x4f7fffff), 0, fcvt.wu.s a0, fa0, rtz)  // 4294967040
  FTEST_X(90, 0x7fffffffffffffff, FLAG_NV, BOX(0x5f000000), 0, fcvt.l.s a0, fa0, rtz)
  FTEST_X(91, 0x8000000000000000, 0, BOX(0xdf000000), 0, fcvt.l.s a0, fa0, rtz)
  FTEST_X(92, 0xffffffffffffffff, FLAG_NV, QNAN, 0, fcvt.lu.s a0, fa0, rtz)
  FTEST_X(93, 0x8000000000000000, 0, BOX(0x5f000000), 0, fcvt.lu.s a0, fa0, rtz)
  FTEST_X(94, 0, FLAG_NV, NINF, 0, fcvt.lu.s a0, fa0, rtz)
  FTEST_X(95, 1, FLAG_NX, BOX(0x3fc00000), 0, fcvt.lu.s a0, fa0, rtz)
  FTEST_I(100, BOX(0x4b800000), FLAG_NX, 16777217, fcvt.s.w fa3, a1)
  FTEST_I(101, BOX(0x4b800001), FLAG_NX, 16777217, fcvt.s.w fa3, a1, rup)
  FTEST_I(102, NONE, 0, 0x00000000ffffffff, fcvt.s.w fa3, a1)
  FTEST_I(103, BOX(0x4f800000), FLAG_NX, 0xffffffff, fcvt.s.wu fa3, a1)
  FTEST_I(104, BOX(0x4f7fffff), FLAG_NX, 0xffffffff, fcvt.s.wu fa3, a1, rtz)
  FTEST_I(105, NONE, 0, -1, fcvt.s.l fa3, a1)
  FTEST_I(106, BOX(0xdf000000), 0, 0x8000000000000000, fcvt.s.l fa3, a1)
  FTEST_I(107, BOX(0x5f800000), FLAG_NX, -1, fcvt.s.lu fa3, a1)
  FTEST_I(108, BOX(0x5f7fffff), FLAG_NX, -1, fcvt.s.lu fa3, a1, rdn)
  FTEST_I(109, PZERO, 0, 0, fcvt.s.lu fa3, a1)

  // dynamic rounding
  csrwi frm, 3
  FTEST(120, BOX(0x3f800001), FLAG_NX, ONE, BOX(0x33800000), 0, fadd.s fa3, fa0, fa1)
  csrwi frm, 4
  FTEST(121, BOX(0x3f800001), FLAG_NX, ONE, BOX(0x33800000), 0, fadd.s fa3, fa0, fa1)
  csrwi frm, 1
  FTEST(122, BOX(0x3eaaaaaa), FLAG_NX, ONE, BOX(0x40400000), 0, fdiv.s fa3, fa0, fa1)
  csrwi frm, 7
  li gp, 123; TRAP_ARM(1f); fmul.s fa3, fa0, fa1; TRAP_DISARM; j isa_fail
1: TRAP_CHECK(123, CAUSE_ILLEGAL)
  csrwi frm, 0
  FTEST(124, BOX(0x3eaaaaab), FLAG_NX, ONE, BOX(0x40400000), 0, fdiv.s fa3, fa0, fa1)

#include "rv64f-vectors.inc"
  TEST_END
  .data
  .align 4
fbuf: .space 32
