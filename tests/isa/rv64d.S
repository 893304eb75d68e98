// RV64D: every double-precision instruction. Special values and the five flags (NV DZ OF UF NX),
// canonical NaN, signed zeros, subnormals, tininess after rounding, the five static rounding
// modes and the dynamic one through frm (including an invalid frm trapping), the fused
// multiply-add family (single rounding), conversions with saturation, compares, fmin/fmax,
// sign injection, fclass, moves and loads/stores. Vectors 1000+ were computed with exact
// rational arithmetic (round-to-format in every mode) and checked on QEMU.
#include "isa.h"
#define ONE   0x3ff0000000000000
#define NONE  0xbff0000000000000
#define TWO   0x4000000000000000
#define QNAN  0x7ff8000000000000
#define SNAN  0x7ff4000000000000
#define NQNAN 0xfff8000000000001
#define INF   0x7ff0000000000000
#define NINF  0xfff0000000000000
#define NZERO 0x8000000000000000
#define TIE   0x3ca0000000000000
TEST_BEGIN
  // invalid operations, division by zero, NaN propagation (always the canonical NaN)
  FTEST(1, QNAN, FLAG_NV, INF, NINF, 0, fadd.d fa3, fa0, fa1)
  FTEST(2, QNAN, FLAG_NV, SNAN, ONE, 0, fadd.d fa3, fa0, fa1)
  FTEST(3, QNAN, 0, NQNAN, ONE, 0, fadd.d fa3, fa0, fa1)
  FTEST(4, QNAN, 0, ONE, NQNAN, 0, fsub.d fa3, fa0, fa1)
  FTEST(5, QNAN, FLAG_NV, 0, INF, 0, fmul.d fa3, fa0, fa1)
  FTEST(6, INF, FLAG_DZ, ONE, 0, 0, fdiv.d fa3, fa0, fa1)
  FTEST(7, NINF, FLAG_DZ, NONE, 0, 0, fdiv.d fa3, fa0, fa1)
  FTEST(8, INF, FLAG_DZ, NONE, NZERO, 0, fdiv.d fa3, fa0, fa1)
  FTEST(9, QNAN, FLAG_NV, 0, 0, 0, fdiv.d fa3, fa0, fa1)
  FTEST(10, QNAN, FLAG_NV, INF, NINF, 0, fdiv.d fa3, fa0, fa1)
  FTEST(11, NZERO, 0, NONE, INF, 0, fdiv.d fa3, fa0, fa1)
  FTEST(12, INF, 0, INF, 0, 0, fdiv.d fa3, fa0, fa1)               // inf / 0: no DZ
  FTEST(13, QNAN, FLAG_NV, NONE, 0, 0, fsqrt.d fa3, fa0)
  FTEST(14, NZERO, 0, NZERO, 0, 0, fsqrt.d fa3, fa0)
  FTEST(15, INF, 0, INF, 0, 0, fsqrt.d fa3, fa0)
  FTEST(16, TWO, 0, 0x4010000000000000, 0, 0, fsqrt.d fa3, fa0)
  FTEST(17, QNAN, FLAG_NV, SNAN, 0, 0, fsqrt.d fa3, fa0)
  FTEST(18, QNAN, FLAG_NV, 0, INF, QNAN, fmadd.d fa3, fa0, fa1, fa2)  // 0*inf + qNaN raises NV
  FTEST(19, QNAN, FLAG_NV, INF, ONE, NINF, fmadd.d fa3, fa0, fa1, fa2)
  FTEST(20, QNAN, 0, ONE, ONE, NQNAN, fmadd.d fa3, fa0, fa1, fa2)
  FTEST(21, QNAN, FLAG_NV, ONE, ONE, SNAN, fnmsub.d fa3, fa0, fa1, fa2)
  FTEST(22, INF, 0, INF, TWO, ONE, fmsub.d fa3, fa0, fa1, fa2)
  FTEST(23, NINF, 0, INF, TWO, ONE, fnmadd.d fa3, fa0, fa1, fa2)
  // signed zeros
  FTEST(30, NZERO, 0, NZERO, NZERO, 0, fadd.d fa3, fa0, fa1)
  FTEST(31, 0, 0, NZERO, 0, 0, fadd.d fa3, fa0, fa1)
  FTEST(32, NZERO, 0, NZERO, 0, 0, fadd.d fa3, fa0, fa1, rdn)
  FTEST(33, NZERO, 0, NZERO, 0, 0, fmul.d fa3, fa0, fa1)
  FTEST(34, 0, 0, ONE, ONE, ONE, fsub.d fa3, fa0, fa1)
  FTEST(35, NZERO, 0, ONE, ONE, ONE, fsub.d fa3, fa0, fa1, rdn)
  FTEST(36, NZERO, 0, NZERO, ONE, NZERO, fmadd.d fa3, fa0, fa1, fa2)   // -0*1 + -0 = -0
  FTEST(37, 0, 0, NZERO, ONE, 0, fmadd.d fa3, fa0, fa1, fa2)
  // subnormals in and out, exact subnormal results raise nothing
  FTEST(40, 0x0000000000000002, 0, 0x0000000000000001, 0x0000000000000001, 0, fadd.d fa3, fa0, fa1)
  FTEST(41, 0x0010000000000000, 0, 0x0008000000000000, 0x0008000000000000, 0, fadd.d fa3, fa0, fa1)
  FTEST(42, 0x0008000000000000, 0, 0x0010000000000000, 0x3fe0000000000000, 0, fmul.d fa3, fa0, fa1)
  FTEST(43, 0x3cc0000000000000, 0, 0x0000000000000001, 0x7fe0000000000000, 0, fmul.d fa3, fa0, fa1)
  FTEST(44, 0x0000000000000001, FLAG_UF | FLAG_NX, 0x0000000000000001, 0x3ff8000000000000, 0, fmul.d fa3, fa0, fa1, rtz)

  // dynamic rounding mode through frm; a static mode overrides it
  li gp, 50; csrwi fflags, 0; csrwi frm, 3; frrm a0; li t2, 3; bne a0, t2, isa_fail
  csrr a0, fcsr; li t2, 0x60; bne a0, t2, isa_fail
  FTEST(51, 0x3ff0000000000001, FLAG_NX, ONE, TIE, 0, fadd.d fa3, fa0, fa1)
  FTEST(52, 0x3ff0000000000000, FLAG_NX, ONE, TIE, 0, fadd.d fa3, fa0, fa1, rne)
  csrwi frm, 4
  FTEST(53, 0x3ff0000000000001, FLAG_NX, ONE, TIE, 0, fadd.d fa3, fa0, fa1, dyn)
  csrwi frm, 2
  FTEST(54, 0xbff0000000000001, FLAG_NX, NONE, 0xbca0000000000000, 0, fadd.d fa3, fa0, fa1)
  csrwi frm, 1
  FTEST(55, 0xbff0000000000000, FLAG_NX, NONE, 0xbca0000000000000, 0, fadd.d fa3, fa0, fa1)
  FTEST(56, 0x7fefffffffffffff, FLAG_OF | FLAG_NX, 0x7fefffffffffffff, TWO, 0, fmul.d fa3, fa0, fa1)
  FTEST_X(57, 2, FLAG_NX, 0x4006000000000000, 0, fcvt.l.d a0, fa0)          // 2.75 rtz
  csrwi frm, 0
  FTEST(58, 0x3ff0000000000000, FLAG_NX, ONE, TIE, 0, fadd.d fa3, fa0, fa1)
  FTEST_X(59, 3, FLAG_NX, 0x4006000000000000, 0, fcvt.l.d a0, fa0)          // 2.75 rne
  // frm values 5..7 make dynamic-rounding instructions illegal; static ones still work
  li gp, 60; csrwi frm, 5; TRAP_ARM(1f); fadd.d fa3, fa0, fa1; TRAP_DISARM; j isa_fail
1: TRAP_CHECK(60, CAUSE_ILLEGAL)
  li gp, 61; TRAP_ARM(1f); fsqrt.d fa3, fa0, rup; TRAP_DISARM; j 2f
1: j isa_fail
2: li gp, 62; csrwi frm, 6; TRAP_ARM(1f); fcvt.l.d a0, fa0; TRAP_DISARM; j isa_fail
1: TRAP_CHECK(62, CAUSE_ILLEGAL)
  csrwi frm, 0
  // fflags accumulate; fcsr packs frm and fflags; fsflags/fsrm swap
  li gp, 63; csrwi fflags, 0; fmv.d.x fa0, zero; li t0, ONE; fmv.d.x fa1, t0
  fdiv.d fa3, fa1, fa0; fdiv.d fa3, fa0, fa0; frflags a0; li t2, FLAG_DZ | FLAG_NV; bne a0, t2, isa_fail
  li gp, 64; li t0, 0xfff; csrw fcsr, t0; csrr a0, fcsr; li t2, 0xff; bne a0, t2, isa_fail
  frrm a0; li t2, 7; bne a0, t2, isa_fail
  li gp, 65; li t0, 0x01; fsflags a0, t0; li t2, 0x1f; bne a0, t2, isa_fail
  csrr a0, fcsr; li t2, 0xe1; bne a0, t2, isa_fail
  li gp, 66; li t0, 2; fsrm a0, t0; li t2, 7; bne a0, t2, isa_fail
  csrr a0, fcsr; li t2, 0x41; bne a0, t2, isa_fail
  csrwi fcsr, 0

  // compares: quiet for feq, signalling for flt/fle
  FTEST_X(70, 1, 0, ONE, ONE, feq.d a0, fa0, fa1)
  FTEST_X(71, 0, 0, QNAN, ONE, feq.d a0, fa0, fa1)
  FTEST_X(72, 0, FLAG_NV, SNAN, ONE, feq.d a0, fa0, fa1)
  FTEST_X(73, 0, FLAG_NV, QNAN, ONE, flt.d a0, fa0, fa1)
  FTEST_X(74, 0, FLAG_NV, ONE, QNAN, fle.d a0, fa0, fa1)
  FTEST_X(75, 1, 0, NZERO, 0, feq.d a0, fa0, fa1)
  FTEST_X(76, 0, 0, NZERO, 0, flt.d a0, fa0, fa1)
  FTEST_X(77, 1, 0, NZERO, 0, fle.d a0, fa0, fa1)
  FTEST_X(78, 1, 0, NINF, INF, flt.d a0, fa0, fa1)
  FTEST_X(79, 0, 0, TWO, ONE, fle.d a0, fa0, fa1)
  FTEST_X(80, 1, 0, NONE, ONE, flt.d a0, fa0, fa1)
  FTEST_X(81, 0, 0, ONE, NONE, flt.d a0, fa0, fa1)
  // fmin / fmax
  FTEST(90, ONE, 0, ONE, TWO, 0, fmin.d fa3, fa0, fa1)
  FTEST(91, TWO, 0, ONE, TWO, 0, fmax.d fa3, fa0, fa1)
  FTEST(92, NZERO, 0, NZERO, 0, 0, fmin.d fa3, fa0, fa1)
  FTEST(93, NZERO, 0, 0, NZERO, 0, fmin.d fa3, fa0, fa1)
  FTEST(94, 0, 0, NZERO, 0, 0, fmax.d fa3, fa0, fa1)
  FTEST(95, ONE, 0, QNAN, ONE, 0, fmin.d fa3, fa0, fa1)
  FTEST(96, ONE, FLAG_NV, SNAN, ONE, 0, fmin.d fa3, fa0, fa1)
  FTEST(97, QNAN, 0, NQNAN, QNAN, 0, fmax.d fa3, fa0, fa1)
  FTEST(98, NINF, 0, NINF, NQNAN, 0, fmax.d fa3, fa0, fa1)
  FTEST(99, QNAN, FLAG_NV, SNAN, SNAN, 0, fmax.d fa3, fa0, fa1)
  FTEST(100, NONE, 0, NONE, ONE, 0, fmin.d fa3, fa0, fa1)
  // sign injection never canonicalizes or raises
  FTEST(110, NONE, 0, ONE, 0xc000000000000000, 0, fsgnj.d fa3, fa0, fa1)
  FTEST(111, ONE, 0, ONE, 0xc000000000000000, 0, fsgnjn.d fa3, fa0, fa1)
  FTEST(112, ONE, 0, NONE, 0xc000000000000000, 0, fsgnjx.d fa3, fa0, fa1)
  FTEST(113, NONE, 0, NONE, TWO, 0, fsgnjx.d fa3, fa0, fa1)
  FTEST(114, 0xfff4000000000000, 0, SNAN, NONE, 0, fsgnj.d fa3, fa0, fa1)
  FTEST(115, SNAN, 0, SNAN, 0, 0, fmv.d fa3, fa0)
  FTEST(116, 0x7ff8000000000001, 0, NQNAN, 0, 0, fabs.d fa3, fa0)
  FTEST(117, ONE, 0, NONE, 0, 0, fneg.d fa3, fa0)
  // fclass
  FTEST_X(120, 0x001, 0, NINF, 0, fclass.d a0, fa0)
  FTEST_X(121, 0x002, 0, NONE, 0, fclass.d a0, fa0)
  FTEST_X(122, 0x004, 0, 0x800fffffffffffff, 0, fclass.d a0, fa0)
  FTEST_X(123, 0x008, 0, NZERO, 0, fclass.d a0, fa0)
  FTEST_X(124, 0x010, 0, 0, 0, fclass.d a0, fa0)
  FTEST_X(125, 0x020, 0, 0x0000000000000001, 0, fclass.d a0, fa0)
  FTEST_X(126, 0x040, 0, 0x0010000000000000, 0, fclass.d a0, fa0)
  FTEST_X(127, 0x080, 0, INF, 0, fclass.d a0, fa0)
  FTEST_X(128, 0x100, 0, SNAN, 0, fclass.d a0, fa0)
  FTEST_X(129, 0x200, 0, QNAN, 0, fclass.d a0, fa0)
  FTEST_X(130, 0x200, 0, NQNAN, 0, fclass.d a0, fa0)
  FTEST_X(131, 0x100, 0, 0xfff0000000000001, 0, fclass.d a0, fa0)

  // float -> integer, every rounding mode, saturation with NV only
#define P25 0x4004000000000000
#define M25 0xc004000000000000
  FTEST_X(140, 2, FLAG_NX, P25, 0, fcvt.w.d a0, fa0, rne)
  FTEST_X(141, 2, FLAG_NX, P25, 0, fcvt.w.d a0, fa0, rtz)
  FTEST_X(142, 2, FLAG_NX, P25, 0, fcvt.w.d a0, fa0, rdn)
  FTEST_X(143, 3, FLAG_NX, P25, 0, fcvt.w.d a0, fa0, rup)
  FTEST_X(144, 3, FLAG_NX, P25, 0, fcvt.w.d a0, fa0, rmm)
  FTEST_X(145, -2, FLAG_NX, M25, 0, fcvt.w.d a0, fa0, rne)
  FTEST_X(146, -2, FLAG_NX, M25, 0, fcvt.w.d a0, fa0, rtz)
  FTEST_X(147, -3, FLAG_NX, M25, 0, fcvt.w.d a0, fa0, rdn)
  FTEST_X(148, -2, FLAG_NX, M25, 0, fcvt.w.d a0, fa0, rup)
  FTEST_X(149, -3, FLAG_NX, M25, 0, fcvt.w.d a0, fa0, rmm)
  FTEST_X(150, 0x7fffffff, FLAG_NV, 0x41e65a0bc0000000, 0, fcvt.w.d a0, fa0, rtz)   // 3e9
  FTEST_X(151, 0xffffffff80000000, FLAG_NV, 0xc1e65a0bc0000000, 0, fcvt.w.d a0, fa0, rtz)
  FTEST_X(152, 0x7fffffff, FLAG_NV, QNAN, 0, fcvt.w.d a0, fa0, rtz)
  FTEST_X(153, 0x7fffffff, FLAG_NV, NQNAN, 0, fcvt.w.d a0, fa0, rtz)
  FTEST_X(154, 0x7fffffff, FLAG_NV, INF, 0, fcvt.w.d a0, fa0, rtz)
  FTEST_X(155, 0xffffffff80000000, FLAG_NV, NINF, 0, fcvt.w.d a0, fa0, rtz)
  FTEST_X(156, 0xffffffff80000000, 0, 0xc1e0000000000000, 0, fcvt.w.d a0, fa0, rtz)
  FTEST_X(157, 0x7fffffff, FLAG_NX, 0x41dfffffffe00000, 0, fcvt.w.d a0, fa0, rtz)  // 2^31-0.5
  FTEST_X(158, 0x7fffffff, FLAG_NV, 0x41dfffffffe00000, 0, fcvt.w.d a0, fa0, rne)  // rounds to 2^31
  FTEST_X(159, 0, 0, NZERO, 0, fcvt.w.d a0, fa0, rtz)
  FTEST_X(160, 0, FLAG_NV, NONE, 0, fcvt.wu.d a0, fa0, rtz)
  FTEST_X(161, 0, FLAG_NX, 0xbfe0000000000000, 0, fcvt.wu.d a0, fa0, rtz)   // -0.5 -> 0
  FTEST_X(162, 0, FLAG_NV, 0xbfe0000000000000, 0, fcvt.wu.d a0, fa0, rdn)   // -0.5 -> -1
  FTEST_X(163, 0xffffffffffffffff, 0, 0x41efffffffe00000, 0, fcvt.wu.d a0, fa0, rtz)  // sign-extended
  FTEST_X(164, 0xffffffffffffffff, FLAG_NV, 0x41f2a05f20000000, 0, fcvt.wu.d a0, fa0, rtz)
  FTEST_X(165, 0xffffffffffffffff, FLAG_NV, QNAN, 0, fcvt.wu.d a0, fa0, rtz)
  FTEST_X(166, 3, 0, 0x4008000000000000, 0, fcvt.wu.d a0, fa0, rtz)
  FTEST_X(167, 0x7fffffffffffffff, FLAG_NV, 0x43e0000000000000, 0, fcvt.l.d a0, fa0, rtz)
  FTEST_X(168, 0x8000000000000000, 0, 0xc3e0000000000000, 0, fcvt.l.d a0, fa0, rtz)
  FTEST_X(169, 0x7fffffffffffffff, FLAG_NV, QNAN, 0, fcvt.l.d a0, fa0, rtz)
  FTEST_X(170, 0x8000000000000000, FLAG_NV, NINF, 0, fcvt.l.d a0, fa0, rtz)
  FTEST_X(171, 2, FLAG_NX, 0x3ff8000000000000, 0, fcvt.l.d a0, fa0, rne)
  FTEST_X(172, -1, FLAG_NX, 0xbff8000000000000, 0, fcvt.l.d a0, fa0, rtz)
  FTEST_X(173, -2, FLAG_NX, 0xbff8000000000000, 0, fcvt.l.d a0, fa0, rmm)
  FTEST_X(174, 0xffffffffffffffff, FLAG_NV, 0x43f0000000000000, 0, fcvt.lu.d a0, fa0, rtz)
  FTEST_X(175, 0, FLAG_NV, NONE, 0, fcvt.lu.d a0, fa0, rtz)
  FTEST_X(176, 0xffffffffffffffff, FLAG_NV, QNAN, 0, fcvt.lu.d a0, fa0, rtz)
  FTEST_X(177, 0x8000000000000000, 0, 0x43e0000000000000, 0, fcvt.lu.d a0, fa0, rtz)
  FTEST_X(178, 0xfffffffffffff800, 0, 0x43efffffffffffff, 0, fcvt.lu.d a0, fa0, rtz)
  FTEST_X(179, 0, FLAG_NV, NINF, 0, fcvt.lu.d a0, fa0, rtz)
  // integer -> float
  FTEST_I(180, NONE, 0, 0x00000000ffffffff, fcvt.d.w fa3, a1)     // low 32 bits only
  FTEST_I(181, 0x41dfffffffc00000, 0, 0x7fffffff, fcvt.d.w fa3, a1)
  FTEST_I(182, 0xc1e0000000000000, 0, 0x0000000080000000, fcvt.d.w fa3, a1)
  FTEST_I(183, 0x41efffffffe00000, 0, 0xffffffffffffffff, fcvt.d.wu fa3, a1)
  FTEST_I(184, 0x4340000000000000, FLAG_NX, 0x20000000000001, fcvt.d.l fa3, a1)
  FTEST_I(185, 0x4340000000000001, FLAG_NX, 0x20000000000001, fcvt.d.l fa3, a1, rup)
  FTEST_I(186, 0xc340000000000001, FLAG_NX, -0x20000000000001, fcvt.d.l fa3, a1, rdn)
  FTEST_I(187, NONE, 0, -1, fcvt.d.l fa3, a1)
  FTEST_I(188, 0, 0, 0, fcvt.d.l fa3, a1)
  FTEST_I(189, 0xc3e0000000000000, 0, 0x8000000000000000, fcvt.d.l fa3, a1)
  FTEST_I(190, 0x43f0000000000000, FLAG_NX, -1, fcvt.d.lu fa3, a1)
  FTEST_I(191, 0x43efffffffffffff, FLAG_NX, -1, fcvt.d.lu fa3, a1, rtz)
  FTEST_I(192, 0x43e0000000000000, 0, 0x8000000000000000, fcvt.d.lu fa3, a1)
  // double <-> single
  FTEST(200, BOX(0x3eaaaaab), FLAG_NX, 0x3fd5555555555555, 0, 0, fcvt.s.d fa3, fa0)
  FTEST(201, BOX(0x3eaaaaaa), FLAG_NX, 0x3fd5555555555555, 0, 0, fcvt.s.d fa3, fa0, rtz)
  FTEST(202, BOX(0x7f800000), FLAG_OF | FLAG_NX, 0x7e37e43c8800759c, 0, 0, fcvt.s.d fa3, fa0)
  FTEST(203, BOX(0x7f7fffff), FLAG_OF | FLAG_NX, 0x7e37e43c8800759c, 0, 0, fcvt.s.d fa3, fa0, rtz)
  FTEST(204, BOX(0x7fc00000), FLAG_NV, SNAN, 0, 0, fcvt.s.d fa3, fa0)
  FTEST(205, BOX(0x7fc00000), 0, NQNAN, 0, 0, fcvt.s.d fa3, fa0)
  FTEST(206, BOX(0x00000001), 0, 0x36a0000000000000, 0, 0, fcvt.s.d fa3, fa0)
  FTEST(207, BOX(0x00000000), FLAG_UF | FLAG_NX, 0x3690000000000000, 0, 0, fcvt.s.d fa3, fa0)
  FTEST(208, BOX(0x00000001), FLAG_UF | FLAG_NX, 0x3690000000000000, 0, 0, fcvt.s.d fa3, fa0, rup)
  FTEST(209, BOX(0xff800000), 0, NINF, 0, 0, fcvt.s.d fa3, fa0)
  FTEST(210, 0x3fd5555560000000, 0, BOX(0x3eaaaaab), 0, 0, fcvt.d.s fa3, fa0)
  FTEST(211, QNAN, FLAG_NV, BOX(0x7f800001), 0, 0, fcvt.d.s fa3, fa0)
  FTEST(212, QNAN, 0, 0x000000003f800000, 0, 0, fcvt.d.s fa3, fa0)   // not NaN-boxed
  FTEST(213, 0x36a0000000000000, 0, BOX(0x00000001), 0, 0, fcvt.d.s fa3, fa0)
  FTEST(214, NZERO, 0, BOX(0x80000000), 0, 0, fcvt.d.s fa3, fa0)

  // moves and memory: bit patterns pass unchanged, no flags
  li gp, 220; la s0, fbuf; li t0, SNAN; sd t0, 0(s0); csrwi fflags, 0
  fld fa4, 0(s0); fsd fa4, 8(s0); ld a0, 8(s0); li t2, SNAN; bne a0, t2, isa_fail
  fmv.x.d a0, fa4; bne a0, t2, isa_fail; frflags a0; bnez a0, isa_fail
  li gp, 221; li t0, 0x123456789abcdef0; fmv.d.x fa5, t0; fsd fa5, 16(s0); ld a0, 16(s0); bne a0, t0, isa_fail
  li gp, 222; fld fa6, -8(s0) ; fld fa6, 16(s0); fmv.x.d a0, fa6; bne a0, t0, isa_fail
  // FS: writing an f register makes mstatus.FS dirty
  li gp, 223; li t0, MSTATUS_FS; csrc mstatus, t0; li t0, (1 << 13); csrs mstatus, t0
  fmv.d.x fa0, zero; csrr a0, mstatus; srli a0, a0, 13; andi a0, a0, 3; li t2, 3; bne a0, t2, isa_fail
  // FS = Off makes every F/D instruction and fcsr access illegal
  li gp, 224; li t0, MSTATUS_FS; csrc mstatus, t0; TRAP_ARM(1f); fadd.d fa0, fa0, fa0; TRAP_DISARM; j isa_fail
1: TRAP_CHECK(224, CAUSE_ILLEGAL)
  li gp, 225; TRAP_ARM(1f); csrr a0, fcsr; TRAP_DISARM; j isa_fail
1: TRAP_CHECK(225, CAUSE_ILLEGAL)
  li gp, 226; TRAP_ARM(1f); fld fa0, 0(s0); TRAP_DISARM; j isa_fail
1: TRAP_CHECK(226, CAUSE_ILLEGAL)
  li t0, MSTATUS_FS; csrs mstatus, t0
  csrwi fcsr, 0

#include "rv64d-vectors.inc"
  TEST_END
  .data
  .align 4
  .dword 0
fbuf: .space 32
