// RVC (the "C" extension, RV64) expanded to the equivalent 32-bit instructions, as the ISA manual
// ("RVC Instruction Set Listings") defines each compressed form. The table is built once per
// process and never changes; decoding a compressed instruction is then one array load.

function bit(v: number, b: number): number {
  return (v >>> b) & 1;
}

function bits(v: number, hi: number, lo: number): number {
  return (v >>> lo) & ((1 << (hi - lo + 1)) - 1);
}

function sext(v: number, width: number): number {
  const s = 32 - width;
  return (v << s) >> s;
}

function encI(op: number, rd: number, f3: number, rs1: number, imm: number): number {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) | 0;
}

function encS(op: number, f3: number, rs1: number, rs2: number, imm: number): number {
  return ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | op) | 0;
}

function encR(op: number, rd: number, f3: number, rs1: number, rs2: number, f7: number): number {
  return ((f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) | 0;
}

function encB(f3: number, rs1: number, rs2: number, imm: number): number {
  return ((bit(imm, 12) << 31) | (bits(imm, 10, 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (bits(imm, 4, 1) << 8) | (bit(imm, 11) << 7) | 0x63) | 0;
}

function encJ(rd: number, imm: number): number {
  return ((bit(imm, 20) << 31) | (bits(imm, 10, 1) << 21) | (bit(imm, 11) << 20) | (bits(imm, 19, 12) << 12) |
    (rd << 7) | 0x6f) | 0;
}

/** Expands one 16-bit RVC instruction; 0 means reserved/illegal. */
function expand(c: number): number {
  const op = c & 3;
  const f3 = c >>> 13;
  const rdp = bits(c, 4, 2) + 8; // rd' / rs2'
  const rs1p = bits(c, 9, 7) + 8; // rs1' / rd'
  const rd = bits(c, 11, 7);
  const rs2 = bits(c, 6, 2);
  if (op === 0) {
    switch (f3) {
      case 0: { // c.addi4spn
        const imm = (bits(c, 12, 11) << 4) | (bits(c, 10, 7) << 6) | (bit(c, 6) << 2) | (bit(c, 5) << 3);
        return imm === 0 ? 0 : encI(0x13, rdp, 0, 2, imm);
      }
      case 1: return encI(0x07, rdp, 3, rs1p, (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6)); // c.fld
      case 2: return encI(0x03, rdp, 2, rs1p, (bits(c, 12, 10) << 3) | (bit(c, 6) << 2) | (bit(c, 5) << 6)); // c.lw
      case 3: return encI(0x03, rdp, 3, rs1p, (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6)); // c.ld
      case 5: return encS(0x27, 3, rs1p, rdp, (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6)); // c.fsd
      case 6: return encS(0x23, 2, rs1p, rdp, (bits(c, 12, 10) << 3) | (bit(c, 6) << 2) | (bit(c, 5) << 6)); // c.sw
      case 7: return encS(0x23, 3, rs1p, rdp, (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6)); // c.sd
      default: return 0;
    }
  }
  if (op === 1) {
    const imm6 = sext((bit(c, 12) << 5) | bits(c, 6, 2), 6);
    switch (f3) {
      case 0: return encI(0x13, rd, 0, rd, imm6); // c.addi (c.nop)
      case 1: return rd === 0 ? 0 : encI(0x1b, rd, 0, rd, imm6); // c.addiw
      case 2: return encI(0x13, rd, 0, 0, imm6); // c.li
      case 3: {
        if (rd === 2) { // c.addi16sp
          const imm = sext((bit(c, 12) << 9) | (bit(c, 6) << 4) | (bit(c, 5) << 6) | (bits(c, 4, 3) << 7) | (bit(c, 2) << 5), 10);
          return imm === 0 ? 0 : encI(0x13, 2, 0, 2, imm);
        }
        if (imm6 === 0) return 0; // c.lui with nzimm = 0 is reserved
        return (((imm6 & 0xfffff) << 12) | (rd << 7) | 0x37) | 0; // c.lui
      }
      case 4: {
        const f2 = bits(c, 11, 10);
        const sh = (bit(c, 12) << 5) | bits(c, 6, 2);
        if (f2 === 0) return encI(0x13, rs1p, 5, rs1p, sh); // c.srli
        if (f2 === 1) return encI(0x13, rs1p, 5, rs1p, sh | 0x400); // c.srai
        if (f2 === 2) return encI(0x13, rs1p, 7, rs1p, imm6); // c.andi
        const f = bits(c, 6, 5);
        if (bit(c, 12) === 0) {
          if (f === 0) return encR(0x33, rs1p, 0, rs1p, rdp, 0x20); // c.sub
          if (f === 1) return encR(0x33, rs1p, 4, rs1p, rdp, 0); // c.xor
          if (f === 2) return encR(0x33, rs1p, 6, rs1p, rdp, 0); // c.or
          return encR(0x33, rs1p, 7, rs1p, rdp, 0); // c.and
        }
        if (f === 0) return encR(0x3b, rs1p, 0, rs1p, rdp, 0x20); // c.subw
        if (f === 1) return encR(0x3b, rs1p, 0, rs1p, rdp, 0); // c.addw
        return 0;
      }
      case 5: { // c.j
        const imm = sext((bit(c, 12) << 11) | (bit(c, 11) << 4) | (bits(c, 10, 9) << 8) | (bit(c, 8) << 10) |
          (bit(c, 7) << 6) | (bit(c, 6) << 7) | (bits(c, 5, 3) << 1) | (bit(c, 2) << 5), 12);
        return encJ(0, imm);
      }
      default: { // c.beqz / c.bnez
        const imm = sext((bit(c, 12) << 8) | (bits(c, 11, 10) << 3) | (bits(c, 6, 5) << 6) | (bits(c, 4, 3) << 1) |
          (bit(c, 2) << 5), 9);
        return encB(f3 === 6 ? 0 : 1, rs1p, 0, imm);
      }
    }
  }
  // quadrant 2
  switch (f3) {
    case 0: return encI(0x13, rd, 1, rd, (bit(c, 12) << 5) | rs2); // c.slli
    case 1: return encI(0x07, rd, 3, 2, (bit(c, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6)); // c.fldsp
    case 2: // c.lwsp
      return rd === 0 ? 0 : encI(0x03, rd, 2, 2, (bit(c, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6));
    case 3: // c.ldsp
      return rd === 0 ? 0 : encI(0x03, rd, 3, 2, (bit(c, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6));
    case 4:
      if (bit(c, 12) === 0) {
        if (rs2 === 0) return rd === 0 ? 0 : encI(0x67, 0, 0, rd, 0); // c.jr
        return encR(0x33, rd, 0, 0, rs2, 0); // c.mv
      }
      if (rs2 === 0) {
        if (rd === 0) return 0x00100073; // c.ebreak
        return encI(0x67, 1, 0, rd, 0); // c.jalr
      }
      return encR(0x33, rd, 0, rd, rs2, 0); // c.add
    case 5: return encS(0x27, 3, 2, rs2, (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6)); // c.fsdsp
    case 6: return encS(0x23, 2, 2, rs2, (bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6)); // c.swsp
    default: return encS(0x23, 3, 2, rs2, (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6)); // c.sdsp
  }
}

function buildTable(): Int32Array {
  const t = new Int32Array(65536);
  for (let c = 0; c < 65536; c++) if ((c & 3) !== 3) t[c] = expand(c);
  return t;
}

const TABLE = buildTable();

/** The 32-bit instruction a 16-bit RVC instruction stands for, or 0 if it is reserved. */
export function expandCompressed(c: number): number {
  return TABLE[c & 0xffff]!;
}

/** The shared expansion table, indexed by the 16-bit instruction (0 = reserved). */
export const COMPRESSED_EXPANSION: Readonly<Int32Array> = TABLE;
