// A tiny RISC-V encoder for unit tests: one function per instruction format plus the mnemonics the
// CPU tests use. Register arguments are numbers (x0..x31 / f0..f31); immediates are numbers.
// Encodings follow the ISA manual's base opcode map; nothing here is checked for range.

/** R-type. */
export function rType(op: number, rd: number, f3: number, rs1: number, rs2: number, f7: number): number {
  return ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
}

/** I-type. */
export function iType(op: number, rd: number, f3: number, rs1: number, imm: number): number {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
}

/** S-type. */
export function sType(op: number, f3: number, rs1: number, rs2: number, imm: number): number {
  return ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op) >>> 0;
}

/** B-type (imm is the byte offset). */
export function bType(f3: number, rs1: number, rs2: number, imm: number): number {
  return ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;
}

/** J-type JAL (imm is the byte offset). */
export function jal(rd: number, imm: number): number {
  return ((((imm >> 20) & 1) << 31) | (((imm >> 1) & 0x3ff) << 21) | (((imm >> 11) & 1) << 20) |
    (((imm >> 12) & 0xff) << 12) | (rd << 7) | 0x6f) >>> 0;
}

/** Common mnemonics. */
export const rv = {
  lui: (rd: number, imm20: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x37) >>> 0,
  auipc: (rd: number, imm20: number) => (((imm20 & 0xfffff) << 12) | (rd << 7) | 0x17) >>> 0,
  jal,
  jalr: (rd: number, rs1: number, imm: number) => iType(0x67, rd, 0, rs1, imm),
  beq: (a: number, b: number, off: number) => bType(0, a, b, off),
  bne: (a: number, b: number, off: number) => bType(1, a, b, off),
  blt: (a: number, b: number, off: number) => bType(4, a, b, off),
  bge: (a: number, b: number, off: number) => bType(5, a, b, off),
  bltu: (a: number, b: number, off: number) => bType(6, a, b, off),
  bgeu: (a: number, b: number, off: number) => bType(7, a, b, off),
  lb: (rd: number, rs1: number, imm: number) => iType(0x03, rd, 0, rs1, imm),
  lh: (rd: number, rs1: number, imm: number) => iType(0x03, rd, 1, rs1, imm),
  lw: (rd: number, rs1: number, imm: number) => iType(0x03, rd, 2, rs1, imm),
  ld: (rd: number, rs1: number, imm: number) => iType(0x03, rd, 3, rs1, imm),
  lbu: (rd: number, rs1: number, imm: number) => iType(0x03, rd, 4, rs1, imm),
  lhu: (rd: number, rs1: number, imm: number) => iType(0x03, rd, 5, rs1, imm),
  lwu: (rd: number, rs1: number, imm: number) => iType(0x03, rd, 6, rs1, imm),
  sb: (rs2: number, rs1: number, imm: number) => sType(0x23, 0, rs1, rs2, imm),
  sh: (rs2: number, rs1: number, imm: number) => sType(0x23, 1, rs1, rs2, imm),
  sw: (rs2: number, rs1: number, imm: number) => sType(0x23, 2, rs1, rs2, imm),
  sd: (rs2: number, rs1: number, imm: number) => sType(0x23, 3, rs1, rs2, imm),
  addi: (rd: number, rs1: number, imm: number) => iType(0x13, rd, 0, rs1, imm),
  slti: (rd: number, rs1: number, imm: number) => iType(0x13, rd, 2, rs1, imm),
  sltiu: (rd: number, rs1: number, imm: number) => iType(0x13, rd, 3, rs1, imm),
  xori: (rd: number, rs1: number, imm: number) => iType(0x13, rd, 4, rs1, imm),
  ori: (rd: number, rs1: number, imm: number) => iType(0x13, rd, 6, rs1, imm),
  andi: (rd: number, rs1: number, imm: number) => iType(0x13, rd, 7, rs1, imm),
  slli: (rd: number, rs1: number, sh: number) => iType(0x13, rd, 1, rs1, sh),
  srli: (rd: number, rs1: number, sh: number) => iType(0x13, rd, 5, rs1, sh),
  srai: (rd: number, rs1: number, sh: number) => iType(0x13, rd, 5, rs1, sh | 0x400),
  addiw: (rd: number, rs1: number, imm: number) => iType(0x1b, rd, 0, rs1, imm),
  add: (rd: number, a: number, b: number) => rType(0x33, rd, 0, a, b, 0),
  sub: (rd: number, a: number, b: number) => rType(0x33, rd, 0, a, b, 0x20),
  sll: (rd: number, a: number, b: number) => rType(0x33, rd, 1, a, b, 0),
  slt: (rd: number, a: number, b: number) => rType(0x33, rd, 2, a, b, 0),
  sltu: (rd: number, a: number, b: number) => rType(0x33, rd, 3, a, b, 0),
  xor: (rd: number, a: number, b: number) => rType(0x33, rd, 4, a, b, 0),
  srl: (rd: number, a: number, b: number) => rType(0x33, rd, 5, a, b, 0),
  sra: (rd: number, a: number, b: number) => rType(0x33, rd, 5, a, b, 0x20),
  or: (rd: number, a: number, b: number) => rType(0x33, rd, 6, a, b, 0),
  and: (rd: number, a: number, b: number) => rType(0x33, rd, 7, a, b, 0),
  addw: (rd: number, a: number, b: number) => rType(0x3b, rd, 0, a, b, 0),
  subw: (rd: number, a: number, b: number) => rType(0x3b, rd, 0, a, b, 0x20),
  mul: (rd: number, a: number, b: number) => rType(0x33, rd, 0, a, b, 1),
  mulh: (rd: number, a: number, b: number) => rType(0x33, rd, 1, a, b, 1),
  mulhsu: (rd: number, a: number, b: number) => rType(0x33, rd, 2, a, b, 1),
  mulhu: (rd: number, a: number, b: number) => rType(0x33, rd, 3, a, b, 1),
  div: (rd: number, a: number, b: number) => rType(0x33, rd, 4, a, b, 1),
  divu: (rd: number, a: number, b: number) => rType(0x33, rd, 5, a, b, 1),
  rem: (rd: number, a: number, b: number) => rType(0x33, rd, 6, a, b, 1),
  remu: (rd: number, a: number, b: number) => rType(0x33, rd, 7, a, b, 1),
  mulw: (rd: number, a: number, b: number) => rType(0x3b, rd, 0, a, b, 1),
  divw: (rd: number, a: number, b: number) => rType(0x3b, rd, 4, a, b, 1),
  remuw: (rd: number, a: number, b: number) => rType(0x3b, rd, 7, a, b, 1),
  lrW: (rd: number, rs1: number) => rType(0x2f, rd, 2, rs1, 0, 0x02 << 2),
  lrD: (rd: number, rs1: number) => rType(0x2f, rd, 3, rs1, 0, 0x02 << 2),
  scW: (rd: number, rs1: number, rs2: number) => rType(0x2f, rd, 2, rs1, rs2, 0x03 << 2),
  scD: (rd: number, rs1: number, rs2: number) => rType(0x2f, rd, 3, rs1, rs2, 0x03 << 2),
  /** AMO with funct5 (0 add, 1 swap, 4 xor, 8 or, 0xc and, 0x10 min, 0x14 max, 0x18 minu, 0x1c maxu). */
  amo: (f5: number, dbl: boolean, rd: number, rs1: number, rs2: number) => rType(0x2f, rd, dbl ? 3 : 2, rs1, rs2, f5 << 2),
  csrrw: (rd: number, csr: number, rs1: number) => iType(0x73, rd, 1, rs1, csr),
  csrrs: (rd: number, csr: number, rs1: number) => iType(0x73, rd, 2, rs1, csr),
  csrrc: (rd: number, csr: number, rs1: number) => iType(0x73, rd, 3, rs1, csr),
  csrrwi: (rd: number, csr: number, uimm: number) => iType(0x73, rd, 5, uimm, csr),
  csrrsi: (rd: number, csr: number, uimm: number) => iType(0x73, rd, 6, uimm, csr),
  ecall: () => 0x00000073,
  ebreak: () => 0x00100073,
  mret: () => 0x30200073,
  sret: () => 0x10200073,
  wfi: () => 0x10500073,
  sfenceVma: (rs1 = 0, rs2 = 0) => rType(0x73, 0, 0, rs1, rs2, 0x09),
  fence: () => 0x0ff0000f,
  fenceI: () => 0x0000100f,
  flw: (rd: number, rs1: number, imm: number) => iType(0x07, rd, 2, rs1, imm),
  fld: (rd: number, rs1: number, imm: number) => iType(0x07, rd, 3, rs1, imm),
  fsw: (rs2: number, rs1: number, imm: number) => sType(0x27, 2, rs1, rs2, imm),
  fsd: (rs2: number, rs1: number, imm: number) => sType(0x27, 3, rs1, rs2, imm),
  fmvXW: (rd: number, rs1: number) => rType(0x53, rd, 0, rs1, 0, 0x70),
  fmvWX: (rd: number, rs1: number) => rType(0x53, rd, 0, rs1, 0, 0x78),
  fmvXD: (rd: number, rs1: number) => rType(0x53, rd, 0, rs1, 0, 0x71),
  fmvDX: (rd: number, rs1: number) => rType(0x53, rd, 0, rs1, 0, 0x79),
  fsgnjS: (rd: number, a: number, b: number) => rType(0x53, rd, 0, a, b, 0x10),
  fsgnjnD: (rd: number, a: number, b: number) => rType(0x53, rd, 1, a, b, 0x11),
  faddS: (rd: number, a: number, b: number, rm = 7) => rType(0x53, rd, rm, a, b, 0x00),
  faddD: (rd: number, a: number, b: number, rm = 7) => rType(0x53, rd, rm, a, b, 0x01),
  nop: () => 0x00000013,
};

/** Encodes an `li`-style sequence that loads any 32-bit signed value into rd (lui + addiw). */
export function li32(rd: number, value: number): number[] {
  const v = value | 0;
  const lo = (v << 20) >> 20;
  const hi = ((v - lo) >>> 12) & 0xfffff;
  if (hi === 0) return [rv.addi(rd, 0, lo)];
  return [rv.lui(rd, hi), rv.addiw(rd, rd, lo)];
}
