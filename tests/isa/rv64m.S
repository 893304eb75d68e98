// RV64M: mul/mulh/mulhsu/mulhu/mulw, div/divu/rem/remu and their W forms, including division
// by zero (quotient all ones, remainder = dividend) and signed overflow (-2^63 / -1).
#include "isa.h"
TEST_BEGIN
  TEST_RR(1, mul, 0x0000000000000006, 2, 3)
  TEST_RR(2, mul, 0xfffffffffffffffa, -2, 3)
  TEST_RR(3, mul, 0x0000000000000001, -1, -1)
  TEST_RR(4, mul, 0x8000000000000000, 0x4000000000000000, 2)
  TEST_RR(5, mul, 0x2236d88fe5618cf0, 0x123456789abcdef0, 0x0fedcba987654321)
  TEST_RR(10, mulh, 0xffffffffffffffff, -1, 1)
  TEST_RR(11, mulh, 0x0000000000000000, -1, -1)
  TEST_RR(12, mulh, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000)
  TEST_RR(13, mulh, 0xc000000000000000, 0x8000000000000000, 0x7fffffffffffffff)
  TEST_RR(14, mulh, 0x3fffffffffffffff, 0x7fffffffffffffff, 0x7fffffffffffffff)
  TEST_RR(15, mulhu, 0xfffffffffffffffe, -1, -1)
  TEST_RR(16, mulhu, 0x0000000000000000, -1, 1)
  TEST_RR(17, mulhu, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000)
  TEST_RR(18, mulhu, 0x0123456789abcdef, 0x123456789abcdef0, 0x1000000000000000)
  TEST_RR(20, mulhsu, 0xffffffffffffffff, -1, 1)      // -1 * 1 -> high all ones
  TEST_RR(21, mulhsu, 0xffffffffffffffff, -1, -1)     // -1 * (2^64-1) = -(2^64)+1
  TEST_RR(22, mulhsu, 0x7ffffffffffffffe, 0x7fffffffffffffff, -1)
  TEST_RR(23, mulhsu, 0xc000000000000000, 0x8000000000000000, 0x8000000000000000)
  TEST_RR(24, mulhsu, 0x0000000000000000, 0, -1)
  TEST_RR(30, mulw, 0xffffffff80000000, 0x40000000, 2)
  TEST_RR(31, mulw, 0x0000000000000001, 0xffffffff, 0xffffffff)
  TEST_RR(32, mulw, 0x0000000000000006, 0x1234567800000002, 0xabcdef0000000003)
  TEST_RR(33, mulw, 0x0000000000000001, 0x7fffffff, 0x7fffffff00000000 + 0x7fffffff)

  TEST_RR(40, div, 3, 20, 6)
  TEST_RR(41, div, -3, -20, 6)        // rounds toward zero
  TEST_RR(42, div, -3, 20, -6)
  TEST_RR(43, div, 3, -20, -6)
  TEST_RR(44, div, -1, 20, 0)         // by zero
  TEST_RR(45, div, -1, 0x8000000000000000, 0)
  TEST_RR(46, div, 0x8000000000000000, 0x8000000000000000, -1)   // overflow
  TEST_RR(47, divu, 3, 20, 6)
  TEST_RR(48, divu, 0x2aaaaaaaaaaaaaa7, -20, 6)
  TEST_RR(49, divu, 0xffffffffffffffff, 20, 0)
  TEST_RR(50, divu, 0, 0x8000000000000000, -1)
  TEST_RR(51, rem, 2, 20, 6)
  TEST_RR(52, rem, -2, -20, 6)        // sign of dividend
  TEST_RR(53, rem, 2, 20, -6)
  TEST_RR(54, rem, -2, -20, -6)
  TEST_RR(55, rem, 20, 20, 0)
  TEST_RR(56, rem, -20, -20, 0)
  TEST_RR(57, rem, 0, 0x8000000000000000, -1)
  TEST_RR(58, remu, 2, 20, 6)
  TEST_RR(59, remu, 2, -20, 6)        // 2^64-20 = 6*0x2aaaaaaaaaaaaaa7 + 2
  TEST_RR(60, remu, -20, -20, 0)
  TEST_RR(61, remu, 0x8000000000000000, 0x8000000000000000, -1)

  TEST_RR(70, divw, 3, 20, 6)
  TEST_RR(71, divw, -3, 0xffffffffffffffec, 6)
  TEST_RR(72, divw, -3, 0x00000000ffffffec, 6)   // upper bits ignored
  TEST_RR(73, divw, -1, 20, 0x100000000)         // divisor's low 32 bits are zero
  TEST_RR(74, divw, 0xffffffff80000000, 0x80000000, -1)   // overflow, sign-extended
  TEST_RR(75, divuw, 0x000000002aaaaaa7, 0xffffffec, 6)
  TEST_RR(76, divuw, 0xffffffffffffffff, 7, 0)   // all ones (32-bit) sign-extended
  TEST_RR(77, divuw, 0xffffffff80000000, 0xffffffff00000000 + 0x80000000, 1)
  TEST_RR(78, remw, -2, 0xffffffec, 6)
  TEST_RR(79, remw, 0, 0x80000000, -1)
  TEST_RR(80, remw, 0xffffffff80000000, 0x80000000, 0)   // dividend sign-extended
  TEST_RR(81, remw, 0x0000000000000005, 0x1234567800000005, 0)
  TEST_RR(82, remuw, 2, 0xffffffec, 6)
  TEST_RR(83, remuw, 0xffffffffffffffec, 0xffffffec, 0)
  TEST_RR(84, remuw, 0xffffffff80000001, 0x80000001, 0xffffffff)  // 0x80000001 < 0xffffffff
  TEST_RR(85, divuw, 1, 0x0000000180000001, 0xffffffff80000001)
  TEST_END
