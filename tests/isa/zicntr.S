// Zicntr: cycle and instret advance while code runs, minstret/mcycle are writable from M,
// and time (last: QEMU's spike board has no `time` CSR, see qemu-deviations.json) advances
// and follows the CLINT's mtime.
#include "isa.h"
TEST_BEGIN
  li gp, 1; rdcycle a0; li t0, 100
1: addi t0, t0, -1; bnez t0, 1b
  rdcycle a1; bgeu a0, a1, isa_fail
  li gp, 2; rdinstret a0; li t0, 100
1: addi t0, t0, -1; bnez t0, 1b
  rdinstret a1; sub a2, a1, a0; li t2, 200; bltu a2, t2, isa_fail   // at least 200 retired
  // exact: k instructions between two reads retire k + 1 (the first read included)
  li gp, 10; .option push; .option norvc
  rdinstret a0; addi t0, t0, 1; addi t0, t0, 1; addi t0, t0, 1; nop; nop; rdinstret a1
  .option pop
  sub a2, a1, a0; li t2, 6; bne a2, t2, isa_fail
  li gp, 3; csrr a0, minstret; csrr a1, instret; bltu a1, a0, isa_fail
  li gp, 4; csrr a0, mcycle; csrr a1, cycle; bltu a1, a0, isa_fail
  // minstret is writable: counting continues from the written value
  li gp, 5; li t0, 0x100000000000; csrw minstret, t0; csrr a0, instret
  bltu a0, t0, isa_fail; li t2, 0x100000100000; bgeu a0, t2, isa_fail
  li gp, 6; li t0, 0x200000000000; csrw mcycle, t0; csrr a0, cycle
  bltu a0, t0, isa_fail
  // mtime (CLINT) advances
  li gp, 7; li s0, CLINT_MTIME; ld a0, 0(s0); li t0, 10000000
1: ld a1, 0(s0); bne a1, a0, 2f; addi t0, t0, -1; bnez t0, 1b
  j isa_fail
2:
  // time CSR advances and agrees with mtime (read between two mtime reads)
  li gp, 20; ld a0, 0(s0); rdtime a1; ld a2, 0(s0)
  bltu a1, a0, isa_fail; bltu a2, a1, isa_fail
  li gp, 21; rdtime a0; li t0, 10000000
1: rdtime a1; bne a1, a0, 2f; addi t0, t0, -1; bnez t0, 1b
  j isa_fail
2:
  TEST_END
