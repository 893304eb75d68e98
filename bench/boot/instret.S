# Prints the hart's instret CSR (user-readable: scounteren.IR) in decimal and exits.
# Under QEMU -icount shift=0 it is QEMU's count of executed instructions; on Banquise the hart's.
    .globl _start
_start:
    rdinstret a0
    addi    sp, sp, -64
    addi    t0, sp, 63          # t0: last byte of the buffer ('\n')
    li      t1, 10
    sb      t1, 0(t0)
    mv      t2, t0
1:  remu    t3, a0, t1
    divu    a0, a0, t1
    addi    t3, t3, '0'
    addi    t2, t2, -1
    sb      t3, 0(t2)
    bnez    a0, 1b
    li      a0, 1               # write(1, t2, t0 + 1 - t2)
    mv      a1, t2
    sub     a2, t0, t2
    addi    a2, a2, 1
    li      a7, 64
    ecall
    li      a0, 0               # exit(0)
    li      a7, 93
    ecall
