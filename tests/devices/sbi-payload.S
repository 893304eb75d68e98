# S-mode payload for OpenSBI fw_jump (entered at 0x80200000 with a0 = hartid, a1 = dtb):
# prints through the SBI console, takes one timer interrupt armed with SBI TIME, then powers
# off through SBI SRST (OpenSBI writes the SiFive test finisher). See opensbi-payload.test.mjs.
.section .text
.globl _start
_start:
  la sp, stack_top
  la a0, msg_hello
  call puts
  la t0, trap
  csrw stvec, t0
  rdtime t0
  li t1, 100000            # 10 ms at 10 MHz
  add a0, t0, t1
  li a7, 0x54494D45        # TIME extension
  li a6, 0                 # sbi_set_timer
  ecall
  li t0, 0x20              # sie.STIE
  csrs sie, t0
  csrsi sstatus, 2         # sstatus.SIE
1:
  wfi
  la t0, ticks
  ld t0, 0(t0)
  beqz t0, 1b
  csrci sstatus, 2
  la a0, msg_bye
  call puts
  li a7, 0x53525354        # SRST extension
  li a6, 0                 # sbi_system_reset
  li a0, 0                 # shutdown
  li a1, 0                 # no reason
  ecall
  la a0, msg_fail
  call puts
2: j 2b

puts:                      # a0 = NUL-terminated string, legacy console_putchar per byte
  mv t2, a0
3:
  lbu a0, 0(t2)
  beqz a0, 4f
  li a7, 1
  ecall
  addi t2, t2, 1
  j 3b
4: ret

.align 4
trap:
  csrr t0, scause
  li t1, 0x8000000000000005   # supervisor timer interrupt
  bne t0, t1, bad
  li a0, -1                # disarm: timer at the end of time
  li a7, 0x54494D45
  li a6, 0
  ecall
  la t0, ticks
  li t1, 1
  sd t1, 0(t0)
  sret
bad:
  la a0, msg_bad
  call puts
5: j 5b

.section .rodata
msg_hello: .asciz "payload: hello from S-mode\n"
msg_bye: .asciz "payload: timer interrupt taken, powering off\n"
msg_fail: .asciz "payload: SRST returned\n"
msg_bad: .asciz "payload: unexpected trap\n"
.section .bss
.align 4
ticks: .dword 0
stack: .space 4096
stack_top:
