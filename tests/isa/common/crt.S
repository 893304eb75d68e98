/*
 * C runtime of the privileged / virtual-memory programs of the ISA suite.
 * _start: PMP open (S/U may access everything), FPU on, stack, main(); main's return value
 * is the HTIF status (0 = pass, n = `FAIL: test n`).
 * M-mode traps: all registers saved on a private stack, then trap_m(frame) in C.
 * S-mode traps: a pure-assembly handler on its own page (.text.strap, never U) that records
 * the trap in strap_rec and resumes (see rt.h for the resume rules).
 */
#define MAGIC_SWITCH 0x5357
  .section .text.init, "ax"
  .globl _start
_start:
  la t0, trap_m_entry; csrw mtvec, t0
  li t0, -1; csrw pmpaddr0, t0; li t0, 0x1f; csrw pmpcfg0, t0
  li t0, (3 << 13); csrs mstatus, t0; csrwi fcsr, 0
  la t0, mtrap_stack_top; csrw mscratch, t0
  la t0, strap_stack_top; csrw sscratch, t0
  la sp, stack_top
  call main
  .globl rt_exit
rt_exit:
  beqz a0, 1f
  slli a0, a0, 1; ori a0, a0, 1
  j 2f
1: li a0, 1
2: la t0, tohost; sd a0, 0(t0)
3: j 3b

/* switch_mode(mode): returns to the caller in privilege `mode` (0 U, 1 S, 3 M), same stack. */
  .text
  .globl switch_mode
switch_mode:
  mv a1, ra
  li a7, MAGIC_SWITCH
  ecall
  ret    /* not reached: the M handler resumes at ra in the new mode */

  .align 2
trap_m_entry:
  csrrw sp, mscratch, sp
  addi sp, sp, -256
  sd x1, 8(sp); sd x3, 24(sp); sd x4, 32(sp); sd x5, 40(sp); sd x6, 48(sp); sd x7, 56(sp)
  sd x8, 64(sp); sd x9, 72(sp); sd x10, 80(sp); sd x11, 88(sp); sd x12, 96(sp); sd x13, 104(sp)
  sd x14, 112(sp); sd x15, 120(sp); sd x16, 128(sp); sd x17, 136(sp); sd x18, 144(sp)
  sd x19, 152(sp); sd x20, 160(sp); sd x21, 168(sp); sd x22, 176(sp); sd x23, 184(sp)
  sd x24, 192(sp); sd x25, 200(sp); sd x26, 208(sp); sd x27, 216(sp); sd x28, 224(sp)
  sd x29, 232(sp); sd x30, 240(sp); sd x31, 248(sp)
  csrr t0, mscratch; sd t0, 16(sp)          /* interrupted sp */
  addi t0, sp, 256; csrw mscratch, t0       /* nested traps use the same stack top */
  mv a0, sp
  call trap_m
  ld t0, 16(sp); csrw mscratch, t0          /* swapped back below */
  ld x1, 8(sp); ld x3, 24(sp); ld x4, 32(sp); ld x5, 40(sp); ld x6, 48(sp); ld x7, 56(sp)
  ld x8, 64(sp); ld x9, 72(sp); ld x10, 80(sp); ld x11, 88(sp); ld x12, 96(sp); ld x13, 104(sp)
  ld x14, 112(sp); ld x15, 120(sp); ld x16, 128(sp); ld x17, 136(sp); ld x18, 144(sp)
  ld x19, 152(sp); ld x20, 160(sp); ld x21, 168(sp); ld x22, 176(sp); ld x23, 184(sp)
  ld x24, 192(sp); ld x25, 200(sp); ld x26, 208(sp); ld x27, 216(sp); ld x28, 224(sp)
  ld x29, 232(sp); ld x30, 240(sp); ld x31, 248(sp)
  addi sp, sp, 256
  csrrw sp, mscratch, sp
  mret

/* ---- S-mode handler: its own page, so it stays executable by S whatever U bits are set. */
  .section .text.strap, "ax"
  .balign 4096
  .globl strap_entry
strap_entry:
  csrrw sp, sscratch, sp
  sd t0, -8(sp); sd t1, -16(sp); sd t2, -24(sp)
  csrr t0, scause
  li t2, 8; bne t0, t2, 7f
  li t2, MAGIC_SWITCH; bne a7, t2, 7f
  /* switch_mode from U with U-ecalls delegated: forward the request to M from S */
  ld t0, -8(sp); ld t1, -16(sp); ld t2, -24(sp)
  csrrw sp, sscratch, sp
  ecall
7: la t1, strap_rec
  sd t0, 0(t1)
  csrr t2, stval; sd t2, 8(t1)
  csrr t2, sepc; sd t2, 16(t1)
  csrr t2, sstatus; sd t2, 24(t1)
  ld t2, 32(t1); addi t2, t2, 1; sd t2, 32(t1)
  bltz t0, 5f                                  /* interrupt */
1: li t2, 1; beq t0, t2, 3f                     /* fetch faults resume at ra */
  li t2, 12; beq t0, t2, 3f
  /* skip the instruction at sepc (read with SUM set, as it may sit on a U page) */
  csrr t0, sepc
  li t2, (1 << 18); csrs sstatus, t2
  lhu t1, 0(t0)
  csrc sstatus, t2
  andi t1, t1, 3; li t2, 3; beq t1, t2, 2f
  addi t0, t0, 2; j 4f
2: addi t0, t0, 4
4: csrw sepc, t0
  /* restore the SUM bit exactly as it was at the trap */
  la t1, strap_rec; ld t2, 24(t1); li t1, (1 << 18); and t2, t2, t1; csrs sstatus, t2
  j 6f
3: csrw sepc, ra
  j 6f
5: slli t0, t0, 1; srli t0, t0, 1; li t2, 1; sll t2, t2, t0; csrc sie, t2
6: ld t0, -8(sp); ld t1, -16(sp); ld t2, -24(sp)
  csrrw sp, sscratch, sp
  sret
  .balign 4096
  .globl strap_rec
strap_rec: .dword 0, 0, 0, 0, 0
  .balign 16
  .space 512
strap_stack_top:
  .balign 4096

  .section .tohost, "aw", @progbits
  .align 6; .globl tohost; .type tohost, @object; .size tohost, 8; tohost: .dword 0
  .align 6; .globl fromhost; .type fromhost, @object; .size fromhost, 8; fromhost: .dword 0

  .bss
  .balign 16
  .space 8192
mtrap_stack_top:
  .space 16384
stack_top:
