// Harness self-check: prints a line through the HTIF console (device 1, command 1), then passes.
#include "isa.h"
TEST_BEGIN
  la s0, msg
1: lbu a0, 0(s0)
  beqz a0, 3f
  li t0, (1 << 56) | (1 << 48)
  or t0, t0, a0
  la t1, tohost; sd t0, 0(t1)
  la t1, fromhost
2: ld t2, 0(t1); beqz t2, 2b      // wait for the acknowledgement
  sd zero, 0(t1)
  addi s0, s0, 1
  j 1b
3:
  TEST_END
  .section .rodata
msg: .asciz "hello from htif\n"
