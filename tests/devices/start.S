.section .text.init
.globl _start
_start:
  la sp, stack_top
  csrr t0, mhartid
  bnez t0, park
  call main
park:
  wfi
  j park
.bss
.align 4
stack: .space 8192
stack_top:
