/*
 * Macros of the Banquise ISA suite (assembly programs, preprocessed by gcc).
 * Register conventions: gp = current test number (reported as `FAIL: test N`),
 * a0 = result under test, t2 = expected value; t0/t1 are scratch for the macros.
 * The M-mode trap handler clobbers t4..t6 only.
 */
#ifndef ISA_H
#define ISA_H

#define MSTATUS_SIE   (1 << 1)
#define MSTATUS_MIE   (1 << 3)
#define MSTATUS_SPIE  (1 << 5)
#define MSTATUS_MPIE  (1 << 7)
#define MSTATUS_SPP   (1 << 8)
#define MSTATUS_MPP   (3 << 11)
#define MSTATUS_MPP_S (1 << 11)
#define MSTATUS_FS    (3 << 13)
#define MSTATUS_MPRV  (1 << 17)
#define MSTATUS_SUM   (1 << 18)
#define MSTATUS_MXR   (1 << 19)
#define MSTATUS_TVM   (1 << 20)
#define MSTATUS_TW    (1 << 21)
#define MSTATUS_TSR   (1 << 22)

#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS     1
#define CAUSE_ILLEGAL          2
#define CAUSE_BREAKPOINT       3
#define CAUSE_LOAD_ACCESS      5
#define CAUSE_STORE_ACCESS     7
#define CAUSE_ECALL_U          8
#define CAUSE_ECALL_S          9
#define CAUSE_ECALL_M          11
#define CAUSE_FETCH_PAGE       12
#define CAUSE_LOAD_PAGE        13
#define CAUSE_STORE_PAGE       15
#define CAUSE_INTR             (1 << 63)

#define FLAG_NV 0x10
#define FLAG_DZ 0x08
#define FLAG_OF 0x04
#define FLAG_UF 0x02
#define FLAG_NX 0x01

/* A single-precision value NaN-boxed in a 64-bit f register. */
#define BOX(x) (0xffffffff00000000 | (x))

#define CLINT_MSIP     0x02000000
#define CLINT_MTIMECMP 0x02004000
#define CLINT_MTIME    0x0200bff8

/* ---- program frame -------------------------------------------------------------------- */

#define TEST_BEGIN                                                        \
  .section .text.init, "ax";                                             \
  .globl _start;                                                          \
_start:                                                                   \
  la t0, isa_trap_m; csrw mtvec, t0;                                      \
  li t0, -1; csrw pmpaddr0, t0; li t0, 0x1f; csrw pmpcfg0, t0;           \
  li t0, MSTATUS_FS; csrs mstatus, t0; csrwi fcsr, 0;                     \
  la sp, isa_stack_top; li gp, 0;                                         \
  j isa_body;                                                             \
  .text;                                                                  \
isa_fail:                                                                 \
  bnez gp, 1f; li gp, 4000;                                               \
1: slli t0, gp, 1; ori t0, t0, 1; la t1, tohost; sd t0, 0(t1);           \
2: j 2b;                                                                  \
isa_pass:                                                                 \
  li t0, 1; la t1, tohost; sd t0, 0(t1);                                  \
3: j 3b;                                                                  \
  .align 2;                                                               \
isa_trap_m:                                                               \
  la t6, isa_trap;                                                        \
  csrr t5, mcause; sd t5, 0(t6);                                          \
  csrr t5, mtval; sd t5, 8(t6);                                           \
  csrr t5, mepc; sd t5, 16(t6);                                           \
  csrr t5, mstatus; sd t5, 24(t6);                                        \
  ld t5, 40(t6); addi t5, t5, 1; sd t5, 40(t6);                           \
  ld t5, 32(t6); beqz t5, isa_fail;                                       \
  sd zero, 32(t6);                                                        \
  csrw mepc, t5;                                                          \
  li t4, MSTATUS_MPP; csrs mstatus, t4;                                   \
  mret;                                                                   \
isa_body:

#define TEST_END                                                          \
  j isa_pass;                                                             \
  .section .tohost, "aw", @progbits;                                      \
  .align 6; .globl tohost; .type tohost, @object; .size tohost, 8; tohost: .dword 0; \
  .align 6; .globl fromhost; .type fromhost, @object; .size fromhost, 8; fromhost: .dword 0; \
  .data;                                                                  \
  .align 6;                                                               \
  /* cause, tval, epc, mstatus, resume address, trap count */             \
  .globl isa_trap; isa_trap: .dword -1, 0, 0, 0, 0, 0;                   \
  .bss; .align 4; .space 8192; isa_stack_top:

#define PASS j isa_pass

/* ---- integer tests -------------------------------------------------------------------- */

#define CHECK(n, reg, val) li gp, n; li t2, val; bne reg, t2, isa_fail

/* rd = op(rs1 = a, rs2 = b) */
#define TEST_RR(n, op, res, a, b)                                         \
  li gp, n; li a1, a; li a2, b; op a0, a1, a2; li t2, res; bne a0, t2, isa_fail
/* rd = op(rs1 = a, imm) */
#define TEST_RI(n, op, res, a, imm)                                       \
  li gp, n; li a1, a; op a0, a1, imm; li t2, res; bne a0, t2, isa_fail
/* rd = op(rs1 = a) */
#define TEST_R1(n, op, res, a)                                            \
  li gp, n; li a1, a; op a0, a1; li t2, res; bne a0, t2, isa_fail
/* rd = op(rs1 = a, rs2 = a) with rd == rs1 == rs2 */
#define TEST_RR_SAME(n, op, res, a)                                       \
  li gp, n; li a0, a; op a0, a0, a0; li t2, res; bne a0, t2, isa_fail

/* ---- trap expectation ----------------------------------------------------------------- */

/* The next trap resumes at `label` in M-mode (one shot); resets the recorded cause. */
#define TRAP_ARM(label)                                                   \
  la t0, label; la t1, isa_trap; sd t0, 32(t1); li t0, -1; sd t0, 0(t1)
/* Checks the recorded mcause (and leaves mtval in a1, mepc in a2, mstatus in a3). */
#define TRAP_CHECK(n, cause)                                              \
  li gp, n; la t1, isa_trap; ld a0, 0(t1); ld a1, 8(t1); ld a2, 16(t1);   \
  ld a3, 24(t1); li t2, cause; bne a0, t2, isa_fail
/* Cancels an armed TRAP_ARM (used on the path where the expected trap did not happen). */
#define TRAP_DISARM la t1, isa_trap; sd zero, 32(t1)

/* ---- floating-point tests ------------------------------------------------------------- */

/* Loads raw 64-bit patterns into fa0, fa1, fa2, clears fflags, runs the instruction(s),
   which must leave the result in fa3, then checks fa3's 64 bits and fflags. */
#define FTEST(n, res, flags, a, b, c, ...)                                \
  li gp, n; li t0, a; fmv.d.x fa0, t0; li t0, b; fmv.d.x fa1, t0;         \
  li t0, c; fmv.d.x fa2, t0; csrwi fflags, 0; __VA_ARGS__;                \
  fmv.x.d a0, fa3; li t2, res; bne a0, t2, isa_fail;                      \
  csrr a1, fflags; li t2, flags; bne a1, t2, isa_fail
/* Same, but the instruction leaves an integer result in a0. */
#define FTEST_X(n, res, flags, a, b, ...)                                 \
  li gp, n; li t0, a; fmv.d.x fa0, t0; li t0, b; fmv.d.x fa1, t0;         \
  csrwi fflags, 0; __VA_ARGS__;                                           \
  li t2, res; bne a0, t2, isa_fail;                                       \
  csrr a1, fflags; li t2, flags; bne a1, t2, isa_fail
/* Integer operand in a1, result in fa3 (conversions int -> float). */
#define FTEST_I(n, res, flags, ival, ...)                                  \
  li gp, n; li a1, ival; csrwi fflags, 0; __VA_ARGS__;                    \
  fmv.x.d a0, fa3; li t2, res; bne a0, t2, isa_fail;                      \
  csrr a1, fflags; li t2, flags; bne a1, t2, isa_fail

#endif
