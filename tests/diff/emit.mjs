// Turns one generated sequence into two assembly programs with the same body: a Linux
// user-mode program for qemu-riscv64 (prints with the write syscall, exits with exit) and a
// bare-metal program for `banquise elf` (prints through HTIF putchar, passes through tohost).
// Both print the same text dump: x0..x31 (x26/x27 zeroed: they hold addresses), f0..f31,
// fcsr, the scratch buffer, then the FP log ('fp' profile), one 64-bit hex value per line.
import { SCRATCH_BYTES } from './generator.mjs';

/** Names of the dump lines, in order (for reports); the FP log follows the scratch buffer. */
export const DUMP_NAMES = [
  ...Array.from({ length: 32 }, (_, i) => `x${i}`),
  ...Array.from({ length: 32 }, (_, i) => `f${i}`),
  'fcsr',
  ...Array.from({ length: SCRATCH_BYTES / 8 }, (_, i) => `mem[${i * 8}]`),
];

/** Name of dump line i. */
export function dumpName(i) {
  if (i < DUMP_NAMES.length) return DUMP_NAMES[i];
  const k = i - DUMP_NAMES.length;
  return `fp log #${k >> 1} ${k & 1 ? 'fflags' : 'result'}`;
}

const hex = (v) => `0x${v.toString(16).padStart(16, '0')}`;

function body(prog, insns) {
  const save = SCRATCH_BYTES + 64;           // register save area after the scratch buffer
  const lines = [];
  // f registers and fcsr from the init table, then x registers (x31 last: it is the base)
  lines.push('  la t0, init_f');
  for (let i = 0; i < 32; i++) lines.push(`  fld f${i}, ${i * 8}(t0)`);
  lines.push(`  li t0, ${prog.frm << 5}`, '  csrw fcsr, t0');
  lines.push('  la x31, init_x');
  for (let i = 1; i < 31; i++) if (i !== 26 && i !== 27) lines.push(`  ld x${i}, ${i * 8}(x31)`);
  lines.push('  la x27, scratch', '  la x26, rand_base', '  la x24, fp_log', '  ld x31, 248(x31)');
  lines.push('rand_base:');
  for (const insn of insns) lines.push(`  ${insn}`);
  // save everything, then format the dump
  for (let i = 1; i < 32; i++) if (i !== 27) lines.push(`  sd x${i}, ${save + i * 8}(x27)`);
  lines.push(`  sd zero, ${save}(x27)`, `  sd zero, ${save + 24 * 8}(x27)`, `  sd zero, ${save + 26 * 8}(x27)`, `  sd zero, ${save + 27 * 8}(x27)`);
  for (let i = 0; i < 32; i++) lines.push(`  fsd f${i}, ${save + 256 + i * 8}(x27)`);
  lines.push('  frcsr t0', `  sd t0, ${save + 512}(x27)`);
  // a0 = source dwords, a1 = count, a2 = text out; regs first, then the scratch buffer
  lines.push(`  addi a0, x27, ${save}`, '  li a1, 65', '  la a2, dump_text', '  call fmt_hex');
  lines.push('  mv a0, x27', `  li a1, ${SCRATCH_BYTES / 8}`, '  call fmt_hex');
  if (prog.logSlots > 0) lines.push('  la a0, fp_log', `  li a1, ${prog.logSlots * 2}`, '  call fmt_hex');
  lines.push('  la a0, dump_text', '  sub a1, a2, a0', '  j emit_dump');
  // fmt_hex: for a1 dwords at a0, write "%016x\n" at a2 (a2 advances)
  lines.push(
    'fmt_hex:',
    '1: ld t0, 0(a0)',
    '  li t1, 60',
    '2: srl t2, t0, t1',
    '  andi t2, t2, 15',
    '  li t3, 10',
    '  blt t2, t3, 3f',
    '  addi t2, t2, 87',
    '  j 4f',
    '3: addi t2, t2, 48',
    '4: sb t2, 0(a2)',
    '  addi a2, a2, 1',
    '  addi t1, t1, -4',
    '  bgez t1, 2b',
    '  li t2, 10',
    '  sb t2, 0(a2)',
    '  addi a2, a2, 1',
    '  addi a0, a0, 8',
    '  addi a1, a1, -1',
    '  bnez a1, 1b',
    '  ret',
  );
  lines.push('  .data', '  .balign 8');
  lines.push('init_x:', ...prog.initX.map((v) => `  .dword ${hex(v)}`));
  lines.push('init_f:', ...prog.initF.map((v) => `  .dword ${hex(v)}`));
  lines.push('  .balign 64', 'scratch:', ...prog.scratch.map((v) => `  .dword ${hex(v)}`));
  lines.push(`  .space ${64 + 1024}`);
  lines.push('  .balign 8', `fp_log: .space ${prog.logSlots * 16 + 16}`);
  lines.push('  .bss', '  .balign 8', `dump_text: .space ${(65 + SCRATCH_BYTES / 8 + prog.logSlots * 2) * 17 + 64}`);
  return lines.join('\n');
}

/** Linux user-mode program (riscv64-linux-gnu-gcc -static -nostdlib). */
export function emitLinux(prog, insns = prog.insns) {
  return `// diff seed ${prog.seed}: Linux user-mode variant
  .text
  .globl _start
_start:
${body(prog, insns)}
  .text
emit_dump:
  mv a2, a1
  mv a1, a0
  li a0, 1
  li a7, 64            // write(1, dump_text, len)
  ecall
  li a0, 0
  li a7, 93            // exit(0)
  ecall
`;
}

/** Bare-metal program for `banquise elf` (HTIF console; uses tests/isa/common/link.ld). */
export function emitBare(prog, insns = prog.insns) {
  return `// diff seed ${prog.seed}: bare-metal variant
  .section .text.init, "ax"
  .globl _start
_start:
  la t0, trap; csrw mtvec, t0
  li t0, (3 << 13); csrs mstatus, t0
${body(prog, insns)}
  .text
emit_dump:
  add a1, a1, a0
  la t1, tohost
  la t2, fromhost
1: beq a0, a1, 3f
  lbu t0, 0(a0)
  li t3, (1 << 56) | (1 << 48)
  or t0, t0, t3
  sd t0, 0(t1)
2: ld t3, 0(t2)
  beqz t3, 2b
  sd zero, 0(t2)
  addi a0, a0, 1
  j 1b
3: li t0, 1
  sd t0, 0(t1)
4: j 4b
  .balign 4
trap:                   // no instruction of the sequence may trap: report failure 1
  li t0, 3
  la t1, tohost
  sd t0, 0(t1)
5: j 5b
  .section .tohost, "aw", @progbits
  .align 6; .globl tohost; .type tohost, @object; .size tohost, 8; tohost: .dword 0
  .align 6; .globl fromhost; .type fromhost, @object; .size fromhost, 8; fromhost: .dword 0
`;
}
