// Instruction text for traces and debugging, in the style of `objdump -d -M no-aliases`: ABI
// register names, CSR names, branch targets as absolute addresses. Compressed instructions are
// shown as their 32-bit expansion. Driven by the instruction table (isa-table.ts).
import { expandCompressed } from './compressed.js';
import { lookupInsn } from './isa-table.js';

const XREG = ['zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6',
  'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6'];
const FREG = ['ft0', 'ft1', 'ft2', 'ft3', 'ft4', 'ft5', 'ft6', 'ft7', 'fs0', 'fs1', 'fa0', 'fa1', 'fa2', 'fa3', 'fa4',
  'fa5', 'fa6', 'fa7', 'fs2', 'fs3', 'fs4', 'fs5', 'fs6', 'fs7', 'fs8', 'fs9', 'fs10', 'fs11', 'ft8', 'ft9', 'ft10', 'ft11'];
const RM = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'rm5', 'rm6', 'dyn'];

const CSR_NAMES = new Map<number, string>([
  [0x001, 'fflags'], [0x002, 'frm'], [0x003, 'fcsr'], [0xc00, 'cycle'], [0xc01, 'time'], [0xc02, 'instret'],
  [0x100, 'sstatus'], [0x104, 'sie'], [0x105, 'stvec'], [0x106, 'scounteren'], [0x10a, 'senvcfg'],
  [0x140, 'sscratch'], [0x141, 'sepc'], [0x142, 'scause'], [0x143, 'stval'], [0x144, 'sip'], [0x14d, 'stimecmp'],
  [0x180, 'satp'], [0xf11, 'mvendorid'], [0xf12, 'marchid'], [0xf13, 'mimpid'], [0xf14, 'mhartid'],
  [0xf15, 'mconfigptr'], [0x300, 'mstatus'], [0x301, 'misa'], [0x302, 'medeleg'], [0x303, 'mideleg'],
  [0x304, 'mie'], [0x305, 'mtvec'], [0x306, 'mcounteren'], [0x30a, 'menvcfg'], [0x320, 'mcountinhibit'],
  [0x340, 'mscratch'], [0x341, 'mepc'], [0x342, 'mcause'], [0x343, 'mtval'], [0x344, 'mip'],
  [0xb00, 'mcycle'], [0xb02, 'minstret'], [0x7a0, 'tselect'], [0x7a1, 'tdata1'], [0x7a2, 'tdata2'],
]);
for (let i = 0; i < 16; i += 2) CSR_NAMES.set(0x3a0 + i, `pmpcfg${i}`);
for (let i = 0; i < 64; i++) CSR_NAMES.set(0x3b0 + i, `pmpaddr${i}`);
for (let i = 3; i < 32; i++) {
  CSR_NAMES.set(0xc00 + i, `hpmcounter${i}`);
  CSR_NAMES.set(0xb00 + i, `mhpmcounter${i}`);
  CSR_NAMES.set(0x320 + i, `mhpmevent${i}`);
}

function csrName(n: number): string {
  return CSR_NAMES.get(n) ?? `0x${n.toString(16)}`;
}

function hex(v: bigint): string {
  return `0x${BigInt.asUintN(64, v).toString(16)}`;
}

function fenceSet(bits: number): string {
  let s = '';
  if (bits & 8) s += 'i';
  if (bits & 4) s += 'o';
  if (bits & 2) s += 'r';
  if (bits & 1) s += 'w';
  return s === '' ? '0' : s;
}

/** Text of one instruction at `pc` (RVC included), e.g. `addi a0,a0,1`; `unknown 0x…` if none matches. */
export function disassemble(insn: number, pc: bigint): string {
  let word = insn;
  if ((insn & 3) !== 3) {
    word = expandCompressed(insn & 0xffff);
    if (word === 0) return `c.unknown 0x${(insn & 0xffff).toString(16).padStart(4, '0')}`;
  }
  const row = lookupInsn(word);
  if (row === undefined) return `unknown 0x${(word >>> 0).toString(16).padStart(8, '0')}`;
  const rd = (word >> 7) & 31;
  const f3 = (word >> 12) & 7;
  const rs1 = (word >> 15) & 31;
  const rs2 = (word >> 20) & 31;
  const immI = word >> 20;
  const immS = ((word >> 25) << 5) | ((word >>> 7) & 31);
  const x = XREG;
  const f = FREG;
  // objdump leaves out dyn, and the rm of the exact widening conversions when it is rne
  const exact = row.name === 'fcvt.d.s' || row.name === 'fcvt.d.w' || row.name === 'fcvt.d.wu';
  const rmSuffix = f3 === 7 || (exact && f3 === 0) ? '' : `,${RM[f3]}`;
  let ops: string;
  switch (row.format) {
    case 'R': ops = `${x[rd]},${x[rs1]},${x[rs2]}`; break;
    case 'I': ops = `${x[rd]},${x[rs1]},${immI}`; break;
    case 'SHIFT': ops = `${x[rd]},${x[rs1]},0x${((word >>> 20) & 63).toString(16)}`; break;
    case 'LOAD': ops = `${x[rd]},${immI}(${x[rs1]})`; break;
    case 'S': ops = `${x[rs2]},${immS}(${x[rs1]})`; break;
    case 'B': {
      const imm = ((word >> 31) << 12) | (((word >>> 25) & 0x3f) << 5) | (((word >>> 8) & 0xf) << 1) | (((word >>> 7) & 1) << 11);
      ops = `${x[rs1]},${x[rs2]},${hex(pc + BigInt(imm))}`;
      break;
    }
    case 'U': ops = `${x[rd]},0x${(word >>> 12).toString(16)}`; break;
    case 'J': {
      const imm = ((word >> 31) << 20) | (((word >>> 21) & 0x3ff) << 1) | (((word >>> 20) & 1) << 11) | (word & 0xff000);
      ops = `${x[rd]},${hex(pc + BigInt(imm))}`;
      break;
    }
    case 'JALR': ops = `${x[rd]},${immI}(${x[rs1]})`; break;
    case 'CSR': ops = `${x[rd]},${csrName(word >>> 20)},${x[rs1]}`; break;
    case 'CSRI': ops = `${x[rd]},${csrName(word >>> 20)},${rs1}`; break;
    case 'NONE': ops = ''; break;
    case 'FENCE': ops = `${fenceSet((word >>> 24) & 15)},${fenceSet((word >>> 20) & 15)}`; break;
    case 'SFENCE': ops = `${x[rs1]},${x[rs2]}`; break;
    case 'AMO': ops = `${x[rd]},${x[rs2]},(${x[rs1]})`; break;
    case 'LR': ops = `${x[rd]},(${x[rs1]})`; break;
    case 'FLOAD': ops = `${f[rd]},${immI}(${x[rs1]})`; break;
    case 'FSTORE': ops = `${f[rs2]},${immS}(${x[rs1]})`; break;
    case 'FR': ops = `${f[rd]},${f[rs1]},${f[rs2]}`; break;
    case 'FR_RM': ops = `${f[rd]},${f[rs1]},${f[rs2]}${rmSuffix}`; break;
    case 'FR4': ops = `${f[rd]},${f[rs1]},${f[rs2]},${f[word >>> 27]}${rmSuffix}`; break;
    case 'F1_RM': ops = `${f[rd]},${f[rs1]}${rmSuffix}`; break;
    case 'FCMP': ops = `${x[rd]},${f[rs1]},${f[rs2]}`; break;
    case 'X_F': ops = `${x[rd]},${f[rs1]}`; break;
    case 'X_F_RM': ops = `${x[rd]},${f[rs1]}${rmSuffix}`; break;
    case 'F_X': ops = `${f[rd]},${x[rs1]}`; break;
    default: ops = `${f[rd]},${x[rs1]}${rmSuffix}`; break;
  }
  let name = row.name;
  if (row.format === 'AMO' || row.format === 'LR') {
    const aqrl = (word >>> 25) & 3;
    name += aqrl === 3 ? '.aqrl' : aqrl === 2 ? '.aq' : aqrl === 1 ? '.rl' : '';
  }
  return ops === '' ? name : `${name}\t${ops}`;
}
