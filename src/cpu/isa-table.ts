// The RV64GC instruction table (32-bit encodings; RVC decodes through its expansion, compressed.ts).
// One row per instruction: name as the ISA manual spells it, mask/match over the 32 bits, the operand
// format, and the extension. It drives the disassembler and the decode tests, which check that the
// interpreter accepts every row and rejects every word no row matches.

/** Operand formats (how the disassembler prints operands; which fields an instruction uses). */
export type InsnFormat =
  | 'R' | 'I' | 'SHIFT' | 'LOAD' | 'S' | 'B' | 'U' | 'J' | 'JALR' | 'CSR' | 'CSRI' | 'NONE' | 'FENCE' | 'SFENCE'
  | 'AMO' | 'LR' | 'FLOAD' | 'FSTORE' | 'FR' | 'FR_RM' | 'FR4' | 'F1_RM' | 'FCMP' | 'X_F' | 'X_F_RM' | 'F_X'
  | 'F_X_RM';

/** One instruction of the table. */
export interface IsaEntry {
  readonly name: string;
  readonly mask: number;
  readonly match: number;
  readonly format: InsnFormat;
  readonly ext: 'I' | 'M' | 'A' | 'F' | 'D' | 'Zicsr' | 'Zifencei' | 'Priv';
}

const OPC = 0x7f;
const F3 = 0x7000;
const F7 = 0xfe000000;
const RS2 = 0x1f00000;
const RD = 0xf80;

function e(name: string, mask: number, match: number, format: InsnFormat, ext: IsaEntry['ext']): IsaEntry {
  return { name, mask: mask >>> 0, match: match >>> 0, format, ext };
}

const rows: IsaEntry[] = [];
const add = (x: IsaEntry) => rows.push(x);

// RV64I
add(e('lui', OPC, 0x37, 'U', 'I'));
add(e('auipc', OPC, 0x17, 'U', 'I'));
add(e('jal', OPC, 0x6f, 'J', 'I'));
add(e('jalr', OPC | F3, 0x67, 'JALR', 'I'));
['beq', 'bne', '', '', 'blt', 'bge', 'bltu', 'bgeu'].forEach((n, f3) => n && add(e(n, OPC | F3, 0x63 | (f3 << 12), 'B', 'I')));
['lb', 'lh', 'lw', 'ld', 'lbu', 'lhu', 'lwu'].forEach((n, f3) => add(e(n, OPC | F3, 0x03 | (f3 << 12), 'LOAD', 'I')));
['sb', 'sh', 'sw', 'sd'].forEach((n, f3) => add(e(n, OPC | F3, 0x23 | (f3 << 12), 'S', 'I')));
['addi', '', 'slti', 'sltiu', 'xori', '', 'ori', 'andi'].forEach((n, f3) => n && add(e(n, OPC | F3, 0x13 | (f3 << 12), 'I', 'I')));
add(e('slli', 0xfc000000 | OPC | F3, 0x13 | (1 << 12), 'SHIFT', 'I'));
add(e('srli', 0xfc000000 | OPC | F3, 0x13 | (5 << 12), 'SHIFT', 'I'));
add(e('srai', 0xfc000000 | OPC | F3, 0x40000000 | 0x13 | (5 << 12), 'SHIFT', 'I'));
const rOps: [string, number, number][] = [
  ['add', 0, 0], ['sub', 0, 0x20], ['sll', 1, 0], ['slt', 2, 0], ['sltu', 3, 0], ['xor', 4, 0], ['srl', 5, 0],
  ['sra', 5, 0x20], ['or', 6, 0], ['and', 7, 0],
];
for (const [n, f3, f7] of rOps) add(e(n, F7 | F3 | OPC, (f7 << 25) | (f3 << 12) | 0x33, 'R', 'I'));
add(e('addiw', OPC | F3, 0x1b, 'I', 'I'));
add(e('slliw', F7 | F3 | OPC, 0x1b | (1 << 12), 'SHIFT', 'I'));
add(e('srliw', F7 | F3 | OPC, 0x1b | (5 << 12), 'SHIFT', 'I'));
add(e('sraiw', F7 | F3 | OPC, 0x40000000 | 0x1b | (5 << 12), 'SHIFT', 'I'));
for (const [n, f3, f7] of [['addw', 0, 0], ['subw', 0, 0x20], ['sllw', 1, 0], ['srlw', 5, 0], ['sraw', 5, 0x20]] as const) {
  add(e(n, F7 | F3 | OPC, (f7 << 25) | (f3 << 12) | 0x3b, 'R', 'I'));
}
add(e('fence', F3 | OPC, 0x0f, 'FENCE', 'I'));
add(e('ecall', 0xffffffff, 0x00000073, 'NONE', 'I'));
add(e('ebreak', 0xffffffff, 0x00100073, 'NONE', 'I'));
// Zifencei
add(e('fence.i', F3 | OPC, 0x100f, 'NONE', 'Zifencei'));
// Zicsr
['', 'csrrw', 'csrrs', 'csrrc', '', 'csrrwi', 'csrrsi', 'csrrci'].forEach((n, f3) => n &&
  add(e(n, F3 | OPC, 0x73 | (f3 << 12), f3 >= 4 ? 'CSRI' : 'CSR', 'Zicsr')));
// privileged
add(e('sret', 0xffffffff, 0x10200073, 'NONE', 'Priv'));
add(e('mret', 0xffffffff, 0x30200073, 'NONE', 'Priv'));
add(e('wfi', 0xffffffff, 0x10500073, 'NONE', 'Priv'));
add(e('sfence.vma', F7 | F3 | RD | OPC, 0x12000073, 'SFENCE', 'Priv'));
// M
['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu'].forEach((n, f3) =>
  add(e(n, F7 | F3 | OPC, (1 << 25) | (f3 << 12) | 0x33, 'R', 'M')));
['mulw', '', '', '', 'divw', 'divuw', 'remw', 'remuw'].forEach((n, f3) => n &&
  add(e(n, F7 | F3 | OPC, (1 << 25) | (f3 << 12) | 0x3b, 'R', 'M')));
// A (aq/rl bits 26:25 are free)
for (const [sfx, f3] of [['w', 2], ['d', 3]] as const) {
  add(e(`lr.${sfx}`, 0xf8000000 | RS2 | F3 | OPC, (0x02 << 27) | (f3 << 12) | 0x2f, 'LR', 'A'));
  add(e(`sc.${sfx}`, 0xf8000000 | F3 | OPC, (0x03 << 27) | (f3 << 12) | 0x2f, 'AMO', 'A'));
  for (const [n, f5] of [['amoswap', 1], ['amoadd', 0], ['amoxor', 4], ['amoand', 0xc], ['amoor', 8], ['amomin', 0x10],
    ['amomax', 0x14], ['amominu', 0x18], ['amomaxu', 0x1c]] as const) {
    add(e(`${n}.${sfx}`, 0xf8000000 | F3 | OPC, (f5 << 27) | (f3 << 12) | 0x2f, 'AMO', 'A'));
  }
}
// F and D
for (const [sfx, fmt, ext, w] of [['s', 0, 'F', 2], ['d', 1, 'D', 3]] as const) {
  add(e(sfx === 's' ? 'flw' : 'fld', F3 | OPC, 0x07 | (w << 12), 'FLOAD', ext));
  add(e(sfx === 's' ? 'fsw' : 'fsd', F3 | OPC, 0x27 | (w << 12), 'FSTORE', ext));
  for (const [n, op] of [['fmadd', 0x43], ['fmsub', 0x47], ['fnmsub', 0x4b], ['fnmadd', 0x4f]] as const) {
    add(e(`${n}.${sfx}`, 0x06000000 | OPC, (fmt << 25) | op, 'FR4', ext));
  }
  const f7 = (f5: number) => ((f5 << 2) | fmt) << 25;
  for (const [n, f5] of [['fadd', 0], ['fsub', 1], ['fmul', 2], ['fdiv', 3]] as const) add(e(`${n}.${sfx}`, F7 | OPC, f7(f5) | 0x53, 'FR_RM', ext));
  add(e(`fsqrt.${sfx}`, F7 | RS2 | OPC, f7(0x0b) | 0x53, 'F1_RM', ext));
  ['fsgnj', 'fsgnjn', 'fsgnjx'].forEach((n, f3) => add(e(`${n}.${sfx}`, F7 | F3 | OPC, f7(4) | (f3 << 12) | 0x53, 'FR', ext)));
  ['fmin', 'fmax'].forEach((n, f3) => add(e(`${n}.${sfx}`, F7 | F3 | OPC, f7(5) | (f3 << 12) | 0x53, 'FR', ext)));
  ['fle', 'flt', 'feq'].forEach((n, f3) => add(e(`${n}.${sfx}`, F7 | F3 | OPC, f7(0x14) | (f3 << 12) | 0x53, 'FCMP', ext)));
  ['w', 'wu', 'l', 'lu'].forEach((t, k) => {
    add(e(`fcvt.${t}.${sfx}`, F7 | RS2 | OPC, f7(0x18) | (k << 20) | 0x53, 'X_F_RM', ext));
    add(e(`fcvt.${sfx}.${t}`, F7 | RS2 | OPC, f7(0x1a) | (k << 20) | 0x53, 'F_X_RM', ext));
  });
  add(e(sfx === 's' ? 'fmv.x.w' : 'fmv.x.d', F7 | RS2 | F3 | OPC, f7(0x1c) | 0x53, 'X_F', ext));
  add(e(`fclass.${sfx}`, F7 | RS2 | F3 | OPC, f7(0x1c) | (1 << 12) | 0x53, 'X_F', ext));
  add(e(sfx === 's' ? 'fmv.w.x' : 'fmv.d.x', F7 | RS2 | F3 | OPC, f7(0x1e) | 0x53, 'F_X', ext));
}
add(e('fcvt.s.d', F7 | RS2 | OPC, (0x20 << 25) | (1 << 20) | 0x53, 'F1_RM', 'D'));
add(e('fcvt.d.s', F7 | RS2 | OPC, (0x21 << 25) | 0x53, 'F1_RM', 'D'));

/** Every RV64GC instruction (32-bit encodings) with its mask, match, format and extension. */
export const ISA_TABLE: readonly IsaEntry[] = rows;

const byOpcode = new Map<number, IsaEntry[]>();
for (const r of rows) {
  const list = byOpcode.get(r.match & 0x7f) ?? [];
  list.push(r);
  byOpcode.set(r.match & 0x7f, list);
}

/** The table row matching a 32-bit instruction word, or undefined. */
export function lookupInsn(insn: number): IsaEntry | undefined {
  const list = byOpcode.get(insn & 0x7f);
  if (list === undefined) return undefined;
  const u = insn >>> 0;
  for (const r of list) if ((u & r.mask) >>> 0 === r.match) return r;
  return undefined;
}
