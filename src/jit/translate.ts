// RISC-V → WebAssembly: translates the basic blocks entered in one physical 4 KiB page into one
// module (docs/jit.md). Blocks hold RV64I + M integer instructions (and their compressed forms);
// the block ends before any other instruction, which the interpreter then runs. Every block checks
// at entry that the guest bytes it was translated from are unchanged (self-verifying code), so
// stores by any hart, DMA and fence.i need no bookkeeping to stay correct.
import { COMPRESSED_EXPANSION } from '../cpu/compressed.js';
import { HartSlot as S, TLB_ENTRIES } from '../cpu/hart-layout.js';
import { ByteBuffer, FuncWriter, Op, ValType, buildModule, type FuncDef, type FuncType, type MemoryImport } from './wasm-emitter.js';

/** How a translated function returned (low 2 bits of its result; the count is result >>> 2). */
export const enum JitExit {
  /** pc is in the hart state; look up the next block. */
  Normal = 0,
  /** The instruction at pc must be run by the interpreter (unsupported, TLB miss, budget). */
  Interp = 1,
  /** The guest code of the block at pc changed since translation: drop the page's module. */
  Stale = 2,
}

/** Longest block, in instructions. */
export const MAX_BLOCK_INSNS = 64;

/** The page and its context, as the translator sees them. */
export interface PageSource {
  /** The memory's bytes (code is read from it at translation time). */
  readonly view: DataView;
  /** Buffer offset of the 4 KiB page (RAM, page-aligned). */
  readonly pageOffset: number;
  /** Buffer offset of the hart state area. */
  readonly stateOffset: number;
  readonly memory: MemoryImport;
}

/** A translated page: the module bytes and what it covers. */
export interface TranslatedPage {
  readonly bytes: Uint8Array;
  /** Page offsets of the block entries in the module. */
  readonly entries: readonly number[];
  /** Instructions of each block (parallel to `entries`; 0: the first one is left to the interpreter). */
  readonly sizes: readonly number[];
  /** Guest instructions translated (all blocks). */
  readonly instructions: number;
}

interface Insn {
  /** Page offset. */
  readonly o: number;
  /** 32-bit form (compressed ones expanded). */
  readonly insn: number;
  readonly len: number;
}

interface Block {
  readonly entry: number;
  readonly insns: Insn[];
  /** 'jump': the last instruction is a jump/branch; 'interp': stop before the instruction at
   *  `next`; 'fall': continue at `next` (length cap or page end). */
  readonly end: 'jump' | 'interp' | 'fall';
  readonly next: number;
}

const PAUSE = 0x0100000f;

// locals: params, then scratch, then one i64 per x register the block uses (only those: the
// baseline compiler zeroes every declared local at each call)
const L_BUDGET = 0; // param i32: instructions the function may retire
const L_LT = 1; // param i32: buffer offset of the load TLB of the current context
const L_WT = 2; // param i32: buffer offset of the store TLB
const L_PC = 3; // i64: pc of the next instruction to run (loaded from the hart state)
const L_VPAGE = 4; // i64: virtual address of the page
const L_A = 5; // i64: effective address
const L_T = 6; // i64: scratch
const L_N = 7; // i32: instructions retired by the earlier iterations of a self-loop block
const L_K = 8; // i32: the function's result (retired << 2 | exit kind)
const L_E = 9; // i32: TLB entry address
const L_O = 10; // i32: buffer offset of the access
const L_T2 = 11; // i64: scratch (MULH*)
const L_T3 = 12;
const L_H = 13;
const SCRATCH_LOCALS: ValType[] = [
  ValType.I64, ValType.I64, ValType.I64, ValType.I64, ValType.I32, ValType.I32, ValType.I32, ValType.I32,
  ValType.I64, ValType.I64, ValType.I64,
];

/** Whether the translator handles this (expanded) instruction. */
function supported(insn: number): boolean {
  const f3 = (insn >>> 12) & 7;
  const f7 = insn >>> 25;
  switch (insn & 0x7f) {
    case 0x37: case 0x17: case 0x6f: return true;
    case 0x67: return f3 === 0;
    case 0x63: return f3 !== 2 && f3 !== 3;
    case 0x03: return f3 !== 7;
    case 0x23: return f3 <= 3;
    case 0x13:
      if (f3 === 1) return (insn >>> 26) === 0;
      if (f3 === 5) return (insn >>> 26) === 0 || (insn >>> 26) === 0x10;
      return true;
    case 0x33:
      if (f7 === 0) return true;
      if (f7 === 0x20) return f3 === 0 || f3 === 5;
      return f7 === 1;
    case 0x1b:
      if (f3 === 0) return true;
      if (f3 === 1) return f7 === 0;
      if (f3 === 5) return f7 === 0 || f7 === 0x20;
      return false;
    case 0x3b:
      if (f7 === 0) return f3 === 0 || f3 === 1 || f3 === 5;
      if (f7 === 0x20) return f3 === 0 || f3 === 5;
      return f7 === 1 && (f3 === 0 || f3 >= 4);
    case 0x0f: return f3 === 0 && insn !== PAUSE;
    default: return false;
  }
}

function isJump(insn: number): boolean {
  const op = insn & 0x7f;
  return op === 0x6f || op === 0x67 || op === 0x63;
}

/** Decodes the basic block starting at page offset `entry`. */
function decodeBlock(view: DataView, pageOffset: number, entry: number): Block {
  const insns: Insn[] = [];
  let o = entry;
  for (;;) {
    if (insns.length >= MAX_BLOCK_INSNS || o >= 4096) return { entry, insns, end: 'fall', next: o };
    const low = view.getUint16(pageOffset + o, true);
    let insn: number;
    let len: number;
    if ((low & 3) !== 3) {
      insn = COMPRESSED_EXPANSION[low]!;
      len = 2;
    } else {
      if (o + 4 > 4096) return { entry, insns, end: 'interp', next: o };
      insn = view.getInt32(pageOffset + o, true);
      len = 4;
    }
    if (!supported(insn)) return { entry, insns, end: 'interp', next: o };
    insns.push({ o, insn, len });
    o += len;
    if (isJump(insn)) return { entry, insns, end: 'jump', next: o };
  }
}

/**
 * Block starts of the same page that the block at `entry` may lead to in generated code: the
 * targets of its direct jump or branch, the fall-through of a branch or of a page-end/length
 * cut, and the return address of a call. (Not the instruction after an untranslated one: the
 * interpreter runs on from there to the next jump.)
 */
export function blockSuccessors(view: DataView, pageOffset: number, entry: number): number[] {
  const b = decodeBlock(view, pageOffset, entry);
  const out: number[] = [];
  if (b.end === 'fall' && b.next < 4096) out.push(b.next);
  if (b.end !== 'jump') return out;
  const last = b.insns[b.insns.length - 1]!;
  const insn = last.insn;
  const rd = (insn >>> 7) & 31;
  let target = -1;
  switch (insn & 0x7f) {
    case 0x63:
      target = last.o + (((insn >> 31) << 12) | (((insn >>> 25) & 0x3f) << 5) | (((insn >>> 8) & 0xf) << 1) | (((insn >>> 7) & 1) << 11));
      out.push(b.next);
      break;
    case 0x6f:
      target = last.o + (((insn >> 31) << 20) | (((insn >>> 21) & 0x3ff) << 1) | (((insn >>> 20) & 1) << 11) | (insn & 0xff000));
      if (rd !== 0) out.push(b.next);
      break;
    default: // JALR: the target is not known; a call returns to the next instruction
      if (rd !== 0) out.push(b.next);
  }
  if (target >= 0 && target < 4096) out.push(target);
  return out.filter((o) => o < 4096);
}

/** Collects the x registers an instruction reads or writes (bit r of the mask). */
function regMask(insn: number): number {
  const rd = (insn >>> 7) & 31;
  const rs1 = (insn >>> 15) & 31;
  const rs2 = (insn >>> 20) & 31;
  switch (insn & 0x7f) {
    case 0x37: case 0x17: case 0x6f: return 1 << rd;
    case 0x67: case 0x03: case 0x13: case 0x1b: return (1 << rd) | (1 << rs1);
    case 0x63: case 0x23: return (1 << rs1) | (1 << rs2);
    case 0x33: case 0x3b: return (1 << rd) | (1 << rs1) | (1 << rs2);
    default: return 0;
  }
}

/** Page offset of the block's own entry when it ends with a branch back to it (a loop), else -1. */
function selfLoopTarget(b: Block): number {
  if (b.end !== 'jump') return -1;
  const last = b.insns[b.insns.length - 1]!;
  const insn = last.insn;
  if ((insn & 0x7f) !== 0x63) return -1;
  const imm = ((insn >> 31) << 12) | (((insn >>> 25) & 0x3f) << 5) | (((insn >>> 8) & 0xf) << 1) | (((insn >>> 7) & 1) << 11);
  return last.o + imm === b.entry ? b.entry : -1;
}

/** Emits the code of one function over the page's blocks. */
class PageEmitter {
  readonly w: FuncWriter;
  /** The block branches back to its entry: its body is a wasm loop (see block()). */
  loop = false;
  /** Function index of the module's TLB probe (probeFunction), used by blocks that do not loop. */
  probe = -1;
  /** Local of each x register the block uses (blockFunction assigns them). */
  readonly xl = new Int32Array(32);
  constructor(private readonly src: PageSource, out: ByteBuffer) {
    this.w = new FuncWriter(out);
  }

  /** Pushes x[r] (i64). */
  rx(r: number): void {
    if (r === 0) this.w.i64(0);
    else this.w.get(this.xl[r]!);
  }

  /** Pops an i64 into x[r] (dropped for x0). */
  wx(r: number): void {
    if (r === 0) this.w.op(Op.Drop);
    else this.w.set(this.xl[r]!);
  }

  /** Pushes the low 32 bits of x[r] (i32). */
  rx32(r: number): void {
    if (r === 0) this.w.i32(0);
    else this.w.get(this.xl[r]!).op(Op.I32WrapI64);
  }

  /** Leaves the block with pc := vpage + page offset o, `retired` instructions retired, exit `kind`. */
  exitAt(o: number, retired: number, kind: JitExit): void {
    this.w.i32((o << 10) | (retired << 2) | kind).br('tail');
  }

  /** Emits a whole block (entered by the dispatcher with pc = its entry). */
  block(b: Block): void {
    const w = this.w;
    const bytes = (b.insns.length === 0 ? b.entry : b.next) - b.entry;
    if (b.insns.length === 0) {
      this.exitAt(b.entry, 0, JitExit.Interp);
      return;
    }
    // self-check: the guest bytes are those translated
    const view = this.src.view;
    const base = this.src.pageOffset + b.entry;
    let c = 0;
    let first = true;
    while (c < bytes) {
      const left = bytes - c;
      const size = left >= 8 ? 8 : left >= 4 ? 4 : 2;
      const op = size === 8 ? Op.I64Load : size === 4 ? Op.I64Load32U : Op.I64Load16U;
      const lo = size === 2 ? view.getUint16(base + c, true) : view.getInt32(base + c, true);
      const hi = size === 8 ? view.getInt32(base + c + 4, true) : 0;
      w.i32(0).mem(op, 0, base + c).i64Parts(lo, hi).op(Op.I64Ne);
      if (!first) w.op(Op.I32Or);
      first = false;
      c += size;
    }
    w.open(Op.If);
    this.exitAt(b.entry, 0, JitExit.Stale);
    w.end();
    // a block that branches back to its entry loops here, with the registers in locals and no
    // re-check of its bytes (a store into this page leaves the block); L_N counts the iterations'
    // instructions, added to the result by blockFunction
    this.loop = selfLoopTarget(b) >= 0;
    if (this.loop) w.open(Op.Loop, 'again');
    // budget: the whole block must fit
    w.get(L_BUDGET);
    if (this.loop) w.get(L_N).op(Op.I32Sub);
    w.i32(b.insns.length).op(Op.I32LtS).open(Op.If);
    this.exitAt(b.entry, 0, JitExit.Interp);
    w.end();
    for (let i = 0; i < b.insns.length; i++) this.insn(b.insns[i]!, i, b.insns.length);
    if (this.loop) w.end().op(Op.Unreachable); // every iteration leaves by a branch
    const last = b.insns[b.insns.length - 1]!;
    if (isJump(last.insn)) return; // the jump chained
    if (b.end === 'interp') {
      this.exitAt(b.next, b.insns.length, JitExit.Interp);
    } else {
      this.exitAt(b.next, b.insns.length, JitExit.Normal);
    }
  }

  /** Loads/stores: the TLB probe of the current context; leaves the buffer offset in L_O or exits.
   *  Inline in loops (speed), else a call of the module's probe function (a third of the bytes). */
  tlbProbe(tlbLocal: number, size: number, ins: Insn, i: number): void {
    const w = this.w;
    const rs1 = (ins.insn >>> 15) & 31;
    const imm = (ins.insn & 0x7f) === 0x23 ? ((ins.insn >> 25) << 5) | ((ins.insn >>> 7) & 31) : ins.insn >> 20;
    this.rx(rs1);
    w.i64(imm).op(Op.I64Add);
    if (!this.loop) {
      w.get(tlbLocal).i32(4096 - size).op(Op.Call).u32(this.probe).tee(L_O).i32(-1).op(Op.I32Eq).open(Op.If);
      this.exitAt(ins.o, i, JitExit.Interp);
      w.end();
      return;
    }
    w.set(L_A);
    w.get(L_A).op(Op.I32WrapI64).i32(12).op(Op.I32ShrU).i32(TLB_ENTRIES - 1).op(Op.I32And).i32(2).op(Op.I32Shl)
      .get(tlbLocal).op(Op.I32Add).set(L_E);
    w.get(L_E).mem(Op.I32Load, 2, 0).get(L_A).op(Op.I32WrapI64).i32(-4096).op(Op.I32And).op(Op.I32Ne);
    w.get(L_E).mem(Op.I32Load, 2, TLB_ENTRIES * 4).get(L_A).i64(32).op(Op.I64ShrU).op(Op.I32WrapI64).op(Op.I32Ne).op(Op.I32Or);
    w.get(L_A).op(Op.I32WrapI64).i32(0xfff).op(Op.I32And).i32(4096 - size).op(Op.I32GtU).op(Op.I32Or);
    w.open(Op.If);
    this.exitAt(ins.o, i, JitExit.Interp);
    w.end();
    w.get(L_E).mem(Op.I32Load, 2, TLB_ENTRIES * 8).get(L_A).op(Op.I32WrapI64).i32(0xfff).op(Op.I32And).op(Op.I32Add).set(L_O);
  }

  /** One instruction (index i of a block of `count`). */
  insn(ins: Insn, i: number, count: number): void {
    const w = this.w;
    const insn = ins.insn;
    const rd = (insn >>> 7) & 31;
    const rs1 = (insn >>> 15) & 31;
    const rs2 = (insn >>> 20) & 31;
    const f3 = (insn >>> 12) & 7;
    const f7 = insn >>> 25;
    const immI = insn >> 20;
    switch (insn & 0x7f) {
      case 0x37: // LUI
        w.i64(insn & -4096);
        this.wx(rd);
        return;
      case 0x17: // AUIPC
        w.get(L_VPAGE).i64(ins.o + (insn & -4096)).op(Op.I64Add);
        this.wx(rd);
        return;
      case 0x6f: { // JAL
        const imm = ((insn >> 31) << 20) | (((insn >>> 21) & 0x3ff) << 1) | (((insn >>> 20) & 1) << 11) | (insn & 0xff000);
        if (rd !== 0) w.get(L_VPAGE).i64(ins.o + ins.len).op(Op.I64Add).set(this.xl[rd]!);
        w.get(L_VPAGE).i64(ins.o + imm).op(Op.I64Add).set(L_PC);
        this.chain(count);
        return;
      }
      case 0x67: // JALR
        this.rx(rs1);
        w.i64(immI).op(Op.I64Add).i64(-2).op(Op.I64And).set(L_T);
        if (rd !== 0) w.get(L_VPAGE).i64(ins.o + ins.len).op(Op.I64Add).set(this.xl[rd]!);
        w.get(L_T).set(L_PC);
        this.chain(count);
        return;
      case 0x63: { // BRANCH
        const imm = ((insn >> 31) << 12) | (((insn >>> 25) & 0x3f) << 5) | (((insn >>> 8) & 0xf) << 1) | (((insn >>> 7) & 1) << 11);
        const cmp = [Op.I64Eq, Op.I64Ne, 0, 0, Op.I64LtS, Op.I64GeS, Op.I64LtU, Op.I64GeU][f3] as Op;
        if (this.loop && i === count - 1) { // taken: next iteration; else leave at the fall-through
          this.rx(rs1);
          this.rx(rs2);
          w.op(cmp).open(Op.If);
          w.get(L_N).i32(count).op(Op.I32Add).set(L_N).br('again');
          w.end();
          w.get(L_VPAGE).i64(ins.o + ins.len).op(Op.I64Add).set(L_PC);
          this.chain(count);
          return;
        }
        w.get(L_VPAGE).i64(ins.o + imm).i64(ins.o + ins.len);
        this.rx(rs1);
        this.rx(rs2);
        w.op(cmp);
        w.op(Op.Select).op(Op.I64Add).set(L_PC);
        this.chain(count);
        return;
      }
      case 0x03: { // LOAD
        const size = 1 << (f3 & 3);
        this.tlbProbe(L_LT, size, ins, i);
        const ops = [Op.I64Load8S, Op.I64Load16S, Op.I64Load32S, Op.I64Load, Op.I64Load8U, Op.I64Load16U, Op.I64Load32U];
        w.get(L_O).mem(ops[f3]!, 0, 0);
        this.wx(rd);
        return;
      }
      case 0x23: { // STORE
        const size = 1 << f3;
        this.tlbProbe(L_WT, size, ins, i);
        w.get(L_O);
        this.rx(rs2);
        w.mem([Op.I64Store8, Op.I64Store16, Op.I64Store32, Op.I64Store][f3]!, 0, 0);
        // a store into this page may have changed code translated here: leave, re-check at entry
        w.get(L_O).i32(-4096).op(Op.I32And).i32(this.src.pageOffset).op(Op.I32Eq).open(Op.If);
        this.exitAt(ins.o + ins.len, i + 1, JitExit.Normal);
        w.end();
        return;
      }
      case 0x13: // OP-IMM
        this.rx(rs1);
        switch (f3) {
          case 0: w.i64(immI).op(Op.I64Add); break;
          case 1: w.i64(immI & 63).op(Op.I64Shl); break;
          case 2: w.i64(immI).op(Op.I64LtS).op(Op.I64ExtendI32U); break;
          case 3: w.i64(immI).op(Op.I64LtU).op(Op.I64ExtendI32U); break;
          case 4: w.i64(immI).op(Op.I64Xor); break;
          case 5: w.i64(immI & 63).op((insn >>> 26) === 0 ? Op.I64ShrU : Op.I64ShrS); break;
          case 6: w.i64(immI).op(Op.I64Or); break;
          default: w.i64(immI).op(Op.I64And); break;
        }
        this.wx(rd);
        return;
      case 0x33: // OP
        if (f7 === 1) {
          this.mulDiv64(f3, rs1, rs2);
        } else {
          this.rx(rs1);
          this.rx(rs2);
          if (f7 === 0x20) w.op(f3 === 0 ? Op.I64Sub : Op.I64ShrS);
          else {
            switch (f3) {
              case 0: w.op(Op.I64Add); break;
              case 1: w.op(Op.I64Shl); break;
              case 2: w.op(Op.I64LtS).op(Op.I64ExtendI32U); break;
              case 3: w.op(Op.I64LtU).op(Op.I64ExtendI32U); break;
              case 4: w.op(Op.I64Xor); break;
              case 5: w.op(Op.I64ShrU); break;
              case 6: w.op(Op.I64Or); break;
              default: w.op(Op.I64And); break;
            }
          }
        }
        this.wx(rd);
        return;
      case 0x1b: // OP-IMM-32
        this.rx32(rs1);
        if (f3 === 0) w.i32(immI).op(Op.I32Add);
        else w.i32(immI & 31).op(f3 === 1 ? Op.I32Shl : f7 === 0 ? Op.I32ShrU : Op.I32ShrS);
        w.op(Op.I64ExtendI32S);
        this.wx(rd);
        return;
      case 0x3b: // OP-32
        if (f7 === 1) {
          this.mulDiv32(f3, rs1, rs2);
        } else {
          this.rx32(rs1);
          this.rx32(rs2);
          if (f3 === 0) w.op(f7 === 0 ? Op.I32Add : Op.I32Sub);
          else w.op(f3 === 1 ? Op.I32Shl : f7 === 0 ? Op.I32ShrU : Op.I32ShrS);
        }
        w.op(Op.I64ExtendI32S);
        this.wx(rd);
        return;
      case 0x0f: // FENCE: nothing to order in one memory
        return;
    }
    throw new Error(`jit: untranslatable instruction ${insn >>> 0} reached the emitter`);
  }

  /** After a jump/branch set pc: leave with the block's count, back to the page's dispatcher. */
  chain(count: number): void {
    this.w.i32(count << 2).br('done');
  }

  /** MUL, DIV, DIVU, REM, REMU with RISC-V results for division by zero and overflow. */
  mulDiv64(f3: number, rs1: number, rs2: number): void {
    const w = this.w;
    if (f3 === 0) {
      this.rx(rs1);
      this.rx(rs2);
      w.op(Op.I64Mul);
      return;
    }
    if (f3 <= 3) {
      this.mulHigh(f3, rs1, rs2);
      return;
    }
    this.rx(rs2);
    w.op(Op.I64Eqz).open(Op.If, undefined, ValType.I64);
    if (f3 <= 5) w.i64(-1);
    else this.rx(rs1);
    w.else();
    if (f3 === 4) {
      this.rx(rs1);
      w.i64Parts(0, -0x80000000).op(Op.I64Eq);
      this.rx(rs2);
      w.i64(-1).op(Op.I64Eq).op(Op.I32And).open(Op.If, undefined, ValType.I64);
      this.rx(rs1);
      w.else();
      this.rx(rs1);
      this.rx(rs2);
      w.op(Op.I64DivS).end();
    } else {
      this.rx(rs1);
      this.rx(rs2);
      w.op(f3 === 5 ? Op.I64DivU : f3 === 6 ? Op.I64RemS : Op.I64RemU);
    }
    w.end();
  }

  /** MULH (1), MULHSU (2), MULHU (3): the high 64 bits from four 32×32 partial products. */
  mulHigh(f3: number, rs1: number, rs2: number): void {
    const w = this.w;
    const M = 0xffffffff;
    this.rx(rs1);
    w.set(L_A);
    this.rx(rs2);
    w.set(L_T);
    w.get(L_A).i64(M).op(Op.I64And).get(L_T).i64(M).op(Op.I64And).op(Op.I64Mul).i64(32).op(Op.I64ShrU).set(L_T2); // p00 >> 32
    w.get(L_A).i64(M).op(Op.I64And).get(L_T).i64(32).op(Op.I64ShrU).op(Op.I64Mul).set(L_T3); // p01
    w.get(L_T2).get(L_T3).i64(M).op(Op.I64And).op(Op.I64Add).set(L_T2);
    w.get(L_T3).i64(32).op(Op.I64ShrU).set(L_H);
    w.get(L_A).i64(32).op(Op.I64ShrU).get(L_T).i64(M).op(Op.I64And).op(Op.I64Mul).set(L_T3); // p10
    w.get(L_T2).get(L_T3).i64(M).op(Op.I64And).op(Op.I64Add).set(L_T2);
    w.get(L_H).get(L_T3).i64(32).op(Op.I64ShrU).op(Op.I64Add)
      .get(L_A).i64(32).op(Op.I64ShrU).get(L_T).i64(32).op(Op.I64ShrU).op(Op.I64Mul).op(Op.I64Add) // p11
      .get(L_T2).i64(32).op(Op.I64ShrU).op(Op.I64Add);
    if (f3 !== 3) { // a signed: subtract b when a < 0
      w.get(L_T).i64(0).get(L_A).i64(0).op(Op.I64LtS).op(Op.Select).op(Op.I64Sub);
    }
    if (f3 === 1) { // b signed: subtract a when b < 0
      w.get(L_A).i64(0).get(L_T).i64(0).op(Op.I64LtS).op(Op.Select).op(Op.I64Sub);
    }
  }

  /** MULW, DIVW, DIVUW, REMW, REMUW on the low halves (leaves an i32). */
  mulDiv32(f3: number, rs1: number, rs2: number): void {
    const w = this.w;
    if (f3 === 0) {
      this.rx32(rs1);
      this.rx32(rs2);
      w.op(Op.I32Mul);
      return;
    }
    this.rx32(rs2);
    w.op(Op.I32Eqz).open(Op.If, undefined, ValType.I32);
    if (f3 <= 5) w.i32(-1);
    else this.rx32(rs1);
    w.else();
    if (f3 === 4) {
      this.rx32(rs1);
      w.i32(-0x80000000).op(Op.I32Eq);
      this.rx32(rs2);
      w.i32(-1).op(Op.I32Eq).op(Op.I32And).open(Op.If, undefined, ValType.I32);
      this.rx32(rs1);
      w.else();
      this.rx32(rs1);
      this.rx32(rs2);
      w.op(Op.I32DivS).end();
    } else {
      this.rx32(rs1);
      this.rx32(rs2);
      w.op(f3 === 5 ? Op.I32DivU : f3 === 6 ? Op.I32RemS : Op.I32RemU);
    }
    w.end();
  }
}

/** The x registers an instruction writes (bit r of the mask; x0 included, dropped later). */
function writeMask(insn: number): number {
  switch (insn & 0x7f) {
    case 0x63: case 0x23: case 0x0f: return 0;
    default: return 1 << ((insn >>> 7) & 31);
  }
}

// the probe function's parameters and local
const P_ADDR = 0; // i64: virtual address
const P_TLB = 1; // i32: buffer offset of the TLB
const P_LAST = 2; // i32: highest page offset at which an access of this size stays in the page
const P_E = 3; // i32: TLB entry address

/** The TLB probe `(addr, tlb, 4096 - size) -> buffer offset, or -1 on a miss / page-crossing
 *  access` (the interpreter's fast path; the block exits to it on -1). */
function probeFunction(out: ByteBuffer): FuncDef {
  const w = new FuncWriter(out);
  w.get(P_ADDR).op(Op.I32WrapI64).i32(12).op(Op.I32ShrU).i32(TLB_ENTRIES - 1).op(Op.I32And).i32(2).op(Op.I32Shl)
    .get(P_TLB).op(Op.I32Add).set(P_E);
  w.get(P_E).mem(Op.I32Load, 2, 0).get(P_ADDR).op(Op.I32WrapI64).i32(-4096).op(Op.I32And).op(Op.I32Ne);
  w.get(P_E).mem(Op.I32Load, 2, TLB_ENTRIES * 4).get(P_ADDR).i64(32).op(Op.I64ShrU).op(Op.I32WrapI64).op(Op.I32Ne).op(Op.I32Or);
  w.get(P_ADDR).op(Op.I32WrapI64).i32(0xfff).op(Op.I32And).get(P_LAST).op(Op.I32GtU).op(Op.I32Or);
  w.open(Op.If);
  w.i32(-1).op(Op.Return);
  w.end();
  w.get(P_E).mem(Op.I32Load, 2, TLB_ENTRIES * 8).get(P_ADDR).op(Op.I32WrapI64).i32(0xfff).op(Op.I32And).op(Op.I32Add);
  return { type: 2, locals: [ValType.I32], code: w.code };
}

/** One block as a function `(budget, loadTlb, storeTlb) -> retired << 2 | JitExit`. */
function blockFunction(src: PageSource, b: Block, out: ByteBuffer, probe: number): FuncDef {
  let used = 0;
  let written = 0;
  for (const ins of b.insns) {
    used |= regMask(ins.insn);
    written |= writeMask(ins.insn);
  }
  used &= ~1;
  written &= used;
  const e = new PageEmitter(src, out);
  e.probe = probe;
  const w = e.w;
  const regBase = src.stateOffset + S.X * 4;
  w.i32(0).mem(Op.I64Load, 3, src.stateOffset + S.PC * 4).set(L_PC);
  // the dispatcher's table is hashed on the page offset: another entry may share the slot
  w.get(L_PC).op(Op.I32WrapI64).i32(0xfff).op(Op.I32And).i32(b.entry).op(Op.I32Ne).open(Op.If);
  w.i32(NOT_AN_ENTRY).op(Op.Return);
  w.end();
  const locals = SCRATCH_LOCALS.slice();
  for (let r = 1; r < 32; r++) {
    if ((used & (1 << r)) === 0) continue;
    e.xl[r] = 3 + locals.length;
    locals.push(ValType.I64);
    w.i32(0).mem(Op.I64Load, 3, regBase + 8 * r).set(e.xl[r]!);
  }
  w.get(L_PC).i64(-4096).op(Op.I64And).set(L_VPAGE);
  // every exit leaves through one of two tails: 'done' with (retired << 2 | kind) and pc already
  // in L_PC, or 'tail' with (page offset << 10 | retired << 2 | kind), which sets pc from it
  w.open(Op.Block, 'done', ValType.I32);
  w.open(Op.Block, 'tail', ValType.I32);
  e.block(b);
  w.end();
  w.tee(L_K).i32(10).op(Op.I32ShrU).op(Op.I64ExtendI32U).get(L_VPAGE).op(Op.I64Add).set(L_PC);
  w.get(L_K).i32(1023).op(Op.I32And);
  w.end();
  w.set(L_K);
  if (e.loop) w.get(L_K).get(L_N).i32(2).op(Op.I32Shl).op(Op.I32Add).set(L_K);
  for (let r = 1; r < 32; r++) {
    if ((written & (1 << r)) !== 0) w.i32(0).get(e.xl[r]!).mem(Op.I64Store, 3, regBase + 8 * r);
  }
  w.i32(0).get(L_PC).mem(Op.I64Store, 3, src.stateOffset + S.PC * 4);
  w.get(L_K);
  return { type: 0, locals, code: w.code };
}

/** Signatures: 0 = a block, (budget, loadTlb, storeTlb) -> retired << 2 | exit; 1 = a page's
 *  entry (its dispatcher), (budget, loadTlb, storeTlb, fetchTlb, retiredBefore, pageOffset) ->
 *  the same; it runs nothing unless pageOffset (where the fetch TLB maps pc) is its own page;
 *  2 = the module's TLB probe (probeFunction). */
export const PAGE_TYPES: readonly FuncType[] = [
  { params: [ValType.I32, ValType.I32, ValType.I32], result: ValType.I32 },
  { params: [ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I32], result: ValType.I32 },
  { params: [ValType.I64, ValType.I32, ValType.I32], result: ValType.I32 },
];

/** A block function's result when pc is not its entry (kind 3: never leaves the dispatcher). */
const NOT_AN_ENTRY = 3;

/** A table slot without a block: returns NOT_AN_ENTRY. */
function missFunction(out: ByteBuffer): FuncDef {
  const w = new FuncWriter(out);
  w.i32(NOT_AN_ENTRY);
  return { type: 0, locals: [], code: w.code };
}

/** Slots of the dispatcher's table: the smallest power of two (at least twice the blocks) in
 *  which the entries' half-word offsets do not collide, masked; 2048 always fits. */
function tableSize(blocks: readonly Block[]): number {
  let size = 8;
  while (size < 2 * blocks.length) size *= 2;
  for (; size < 2048; size *= 2) {
    const seen = new Set<number>();
    if (blocks.every((b) => !seen.has((b.entry >>> 1) & (size - 1)) && seen.add((b.entry >>> 1) & (size - 1)))) return size;
  }
  return 2048;
}

// locals of the dispatcher (after its 6 parameters)
// param 3 (i32): buffer offset of the fetch TLB of the current context (used by the hub, not here)
const D_BASE = 4; // param i32: instructions retired by the pages chained before this one
const D_PAGE = 5; // param i32: buffer offset of the physical page of pc
const D_PC = 6; // i64
const D_VPAGE = 7; // i64
const D_N = 8; // i32: instructions retired
const D_R = 9; // i32: a block's result
const D_K = 10; // i32: exit kind
const DISPATCH_LOCALS: ValType[] = [ValType.I64, ValType.I64, ValType.I32, ValType.I32, ValType.I32];

/**
 * The page's entry point: while pc stays in the page and on a translated entry, calls that
 * block's function with the budget left, through the module's own table indexed by the page
 * offset (`slots` wide, masked; a block returns NOT_AN_ENTRY when pc is not its entry). Small and
 * the same size whatever the blocks, so that the engine's optimizing tier compiles it cheaply.
 * Returns the total retired (with `retiredBefore`) and the first exit that is not Normal (Normal
 * when pc left the page or is on no entry of this module).
 */
function dispatcher(src: PageSource, slots: number, out: ByteBuffer): FuncDef {
  const w = new FuncWriter(out);
  const pcAt = src.stateOffset + S.PC * 4;
  // called for the page the fetch TLB maps pc to (by the hub): not ours -> back to the runner
  w.get(D_PAGE).i32(src.pageOffset).op(Op.I32Ne).open(Op.If);
  w.get(D_BASE).i32(2).op(Op.I32Shl).op(Op.Return);
  w.end();
  w.i32(0).mem(Op.I64Load, 3, pcAt).i64(-4096).op(Op.I64And).set(D_VPAGE);
  w.open(Op.Block, 'exit');
  w.open(Op.Loop, 'dispatch');
  w.i32(0).mem(Op.I64Load, 3, pcAt).set(D_PC);
  w.get(D_PC).i64(-4096).op(Op.I64And).get(D_VPAGE).op(Op.I64Ne).open(Op.If);
  w.br('exit');
  w.end();
  w.get(0).get(D_N).op(Op.I32Sub).get(1).get(2);
  w.get(D_PC).op(Op.I32WrapI64).i32(1).op(Op.I32ShrU).i32(slots - 1).op(Op.I32And);
  w.op(Op.CallIndirect).u32(0).u32(0).tee(D_R).i32(3).op(Op.I32And).tee(D_K).i32(NOT_AN_ENTRY).op(Op.I32Eq).open(Op.If);
  w.i32(0).set(D_K).br('exit'); // not an entry of this module: Normal, the runner looks it up
  w.end();
  w.get(D_N).get(D_R).i32(2).op(Op.I32ShrU).op(Op.I32Add).set(D_N);
  w.get(D_K).op(Op.BrIf).u32(w.depth('exit'));
  w.br('dispatch');
  w.end(); // loop
  w.end(); // exit block
  w.get(D_BASE).get(D_N).op(Op.I32Add).i32(2).op(Op.I32Shl).get(D_K).op(Op.I32Or);
  return { type: 1, locals: DISPATCH_LOCALS, code: w.code };
}

/** The bodies of the module being built (reused: translation is synchronous). */
const scratch = new ByteBuffer();

/**
 * Translates the blocks entered at page offsets `entries` of one physical page into a module
 * exporting `run(budget: i32, loadTlb: i32, storeTlb: i32) -> i32` (retired << 2 | JitExit): it
 * starts at the pc in the hart state and leaves the next pc and the registers there. Each block
 * is its own function (so that the engine's optimizing tier compiles only the hot ones), called
 * by a small dispatcher that chains blocks while pc stays on translated entries of the page.
 */
export function translatePage(src: PageSource, entries: readonly number[]): TranslatedPage {
  scratch.length = 0;
  const blocks = entries.map((e) => decodeBlock(src.view, src.pageOffset, e));
  let instructions = 0;
  const funcs: FuncDef[] = [];
  for (const b of blocks) {
    instructions += b.insns.length;
    funcs.push(blockFunction(src, b, scratch, blocks.length + 1));
  }
  const slots = tableSize(blocks);
  funcs.push(dispatcher(src, slots, scratch));
  funcs.push(probeFunction(scratch));
  funcs.push(missFunction(scratch));
  const table = new Array<number>(slots).fill(blocks.length + 2);
  blocks.forEach((b, i) => { table[(b.entry >>> 1) & (slots - 1)] = i; });
  const bytes = buildModule(PAGE_TYPES, funcs, blocks.length, src.memory, undefined, table);
  return { bytes, entries: blocks.map((b) => b.entry), sizes: blocks.map((b) => b.insns.length), instructions };
}
