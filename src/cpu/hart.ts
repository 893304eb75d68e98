// One RV64IMAFDC hart: the reference interpreter. Integer registers, pc, CSRs and the software
// TLBs live in the domain's WebAssembly.Memory at stateOffset (layout in hart-layout.ts); 64-bit
// values are (lo, hi) int32 pairs. Traps are state changes, never JavaScript exceptions.
import type { Clock } from '../base/clock.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { MmioBus } from '../memory/mmio-bus.js';
import * as softFloatModule from './fpu/soft-float.js';
import type { SoftFloat } from './fpu/soft-float.js';
import { COMPRESSED_EXPANSION } from './compressed.js';
import { HartSlot as S, HART_STATE_BYTES, TLB_BANKS, TLB_ENTRIES } from './hart-layout.js';

/** What a hart needs from the board it sits on. */
export interface HartEnv {
  /** Guest RAM (and the hart state area at `stateOffset`). */
  readonly mem: GuestMemory;
  /** Every physical address outside RAM. An address in neither faults (access fault). */
  readonly bus: MmioBus;
  /** `time` CSR and Sstc `stimecmp` comparisons. */
  readonly clock: Clock;
  /**
   * pv mode: called on ECALL from S-mode instead of trapping to M-mode. The hook reads a0..a7
   * with getX, writes a0/a1 with setX and returns true; the hart then continues at pc + 4.
   * Returning false makes the ECALL trap normally (cause 9).
   */
  readonly sbi?: (hart: Hart) => boolean;
  /**
   * Physical memory attributes: whether instructions may be fetched from a physical address
   * outside RAM (true for a boot ROM window). Without it, fetching from any MMIO region is an
   * instruction access fault, as on QEMU, where only RAM and ROM are executable.
   */
  readonly isExecutable?: (gpa: number) => boolean;
}

/** Why `Hart.run` returned. */
export const enum StopReason {
  /** The budget was used up. */
  Budget = 0,
  /** The hart executed WFI (or is stopped in WFI) with no interrupt pending: it may sleep. */
  Wfi = 1,
  /** `requestStop()` was called (by an SBI hook, a device, the machine). */
  Requested = 2,
}

/** mip bit numbers driven by hardware. */
export const enum Irq {
  SSIP = 1, MSIP = 3, STIP = 5, MTIP = 7, SEIP = 9, MEIP = 11,
}

/** Called after every retired instruction when tracing: insn is the raw (unsigned) bits, 16-bit for RVC;
 *  rd = -1 (no register written), 1..31 for x, 32 + n for f register n; rdValue its new value. */
export type HartTracer = (pc: bigint, insn: number, rd: number, rdValue: bigint) => void;

/** mvendorid of the virtual hart: 0, the spec's "not implemented" (stable across hosts). */
export const HART_MVENDORID = 0;
/** marchid of the virtual hart: 0 ("not implemented"). */
export const HART_MARCHID = 0;
/** mimpid of the virtual hart: 0 ("not implemented"). */
export const HART_MIMPID = 0;

/** misa bits 31:0: extensions A C D F I M S U (bits 63:62 hold MXL = 2, RV64). */
export const MISA_LO = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);

const enum Acc { Fetch = 0, Load = 1, Store = 2 }

const enum Flow {
  /** Retired; continue at the next pc with no boundary. */
  Next = 0,
  /** Retired; continue at the next pc, then check interrupts/budget/stop (block boundary). */
  NextCheck = 1,
  /** Retired; pc was redirected (xRET): reload it from state, boundary. */
  Redirect = 2,
  /** Not retired: a trap was taken, pc is in state, boundary. */
  Trapped = 3,
}

// mstatus bits (low word unless noted)
const MS_SIE = 1 << 1;
const MS_MIE = 1 << 3;
const MS_SPIE = 1 << 5;
const MS_MPIE = 1 << 7;
const MS_SPP = 1 << 8;
const MS_MPP = 3 << 11;
const MS_FS = 3 << 13;
const MS_MPRV = 1 << 17;
const MS_SUM = 1 << 18;
const MS_MXR = 1 << 19;
const MS_TVM = 1 << 20;
const MS_TW = 1 << 21;
const MS_TSR = 1 << 22;
const MSTATUS_WMASK = MS_SIE | MS_MIE | MS_SPIE | MS_MPIE | MS_SPP | MS_MPP | MS_FS | MS_MPRV | MS_SUM | MS_MXR |
  MS_TVM | MS_TW | MS_TSR;
const SSTATUS_MASK = MS_SIE | MS_SPIE | MS_SPP | MS_FS | (3 << 15) | MS_SUM | MS_MXR;
const SSTATUS_WMASK = MS_SIE | MS_SPIE | MS_SPP | MS_FS | MS_SUM | MS_MXR;
/** mstatus high word: UXL = SXL = 2 (64-bit), fixed. SD is bit 31 of the high word. */
const MSTATUS_HI_FIXED = 0xa;
const SD_HI = 1 << 31;

const MIP_SSIP = 1 << 1;
const MIP_MSIP = 1 << 3;
const MIP_STIP = 1 << 5;
const MIP_MTIP = 1 << 7;
const MIP_SEIP = 1 << 9;
const MIP_MEIP = 1 << 11;
const MIE_WMASK = 0xaaa;
const MIDELEG_WMASK = MIP_SSIP | MIP_STIP | MIP_SEIP;
const MEDELEG_WMASK = 0xb3ff;
const S_INTS = MIP_SSIP | MIP_STIP | MIP_SEIP;

const PMP_R = 1;
const PMP_W = 2;
const PMP_X = 4;
const PMP_A = 0x18;
const PMP_L = 0x80;

const TWO32 = 4294967296;
const TLB_MASK = TLB_ENTRIES - 1;
const INVALID_TAG = 1; // never equal to (addr & -4096)

/** Illegal-instruction sentinel from the compressed table. */
const CX = COMPRESSED_EXPANSION;

function toLo(v: number): number {
  return v >>> 0 | 0;
}

function toHi(v: number): number {
  return Math.floor(v / TWO32) | 0;
}

/** TLB bank of a translation context (see TLB_BANKS). */
function tlbBank(priv: number, sum: boolean): number {
  return priv === 3 ? 3 : priv === 1 ? (sum ? 2 : 1) : 0;
}

/** Which register an instruction writes, for the tracer: -1 none, 0..31 x, 32..63 f. */
function writtenReg(insn: number): number {
  const rd = (insn >> 7) & 31;
  switch (insn & 0x7f) {
    case 0x37: case 0x17: case 0x6f: case 0x67: case 0x03: case 0x13: case 0x33: case 0x1b: case 0x3b:
    case 0x2f:
      return rd === 0 ? -1 : rd;
    case 0x73:
      return ((insn >> 12) & 7) !== 0 && rd !== 0 ? rd : -1;
    case 0x07: case 0x43: case 0x47: case 0x4b: case 0x4f:
      return 32 + rd;
    case 0x53: {
      const f5 = insn >>> 27;
      if (f5 === 0x14 || f5 === 0x18 || f5 === 0x1c) return rd === 0 ? -1 : rd; // fcmp, fcvt.int, fmv.x/fclass
      return 32 + rd;
    }
    default:
      return -1;
  }
}

/** Plain-data snapshot of a hart (save/restore, migration). Version 1. */
export interface HartState {
  readonly version: 1;
  readonly hartId: number;
  /** The architectural slots of the state area (everything before the TLBs), as in hart-layout.ts. */
  readonly slots: readonly number[];
  /** Instructions retired since reset. */
  readonly instret: number;
}

/** One RV64GC hart. */
export class Hart {
  readonly hartId: number;
  private readonly env: HartEnv;
  private readonly mem: GuestMemory;
  private readonly bus: MmioBus;
  /** Hart state (x, f, pc, CSRs, TLBs), int32 slots. */
  private readonly st: Int32Array;
  private readonly st64: Float64Array;
  private readonly dv: DataView;
  private readonly u16: Uint16Array;
  private readonly i32: Int32Array;
  /** 64-bit view for atomic AMOs when the memory is shared between threads (else undefined). */
  private readonly i64: BigInt64Array | undefined;
  private readonly ramBase: number;
  private readonly ramEnd: number;
  private readonly ramOffset: number;
  // TLBs: one set of arrays per access type
  private readonly tlbTag: Int32Array[];
  private readonly tlbTagHi: Int32Array[];
  private readonly tlbOff: Int32Array[];
  // derived PMP ranges (rebuilt from the CSRs on every pmp write)
  private readonly pmpLo = new Float64Array(64);
  private readonly pmpHi = new Float64Array(64);
  private readonly pmpPerm = new Uint8Array(64);
  private pmpCount = 0;
  private pmpAnyLocked = false;
  private readonly fpu: SoftFloat | undefined;
  // scratch results of slow paths
  private rLo = 0;
  private rHi = 0;
  private remLo = 0;
  private remHi = 0;
  private excCause = 0;
  private excTvalLo = 0;
  private excTvalHi = 0;
  private tlbFillable = false;
  /** Set when a slow path reached a device: the device may have raised an interrupt line. */
  private mmioTouched = false;
  /** TLB array index (bank * 3) for fetches and for loads/stores in the current context. */
  private fetchBank = 0;
  private dataBank = 0;
  private stopRequested = false;
  private sstcFired = false;
  private retiredBase = 0;
  private runCount = 0;
  private tracer: HartTracer | undefined = undefined;

  /** Hart state lives in `env.mem.buffer` at [stateOffset, stateOffset + HART_STATE_BYTES). */
  constructor(env: HartEnv, hartId: number, stateOffset: number) {
    if (stateOffset % 8 !== 0 || stateOffset + HART_STATE_BYTES > env.mem.ramOffset) {
      throw new RangeError(`hart state at ${stateOffset} must be 8-aligned and end before RAM`);
    }
    this.env = env;
    this.hartId = hartId;
    this.mem = env.mem;
    this.bus = env.bus;
    const buf = env.mem.buffer;
    this.st = new Int32Array(buf, stateOffset, HART_STATE_BYTES / 4);
    this.st64 = new Float64Array(buf, stateOffset, HART_STATE_BYTES / 8);
    this.dv = env.mem.view;
    this.u16 = env.mem.u16;
    this.i32 = env.mem.i32;
    this.i64 = typeof SharedArrayBuffer !== 'undefined' && buf instanceof SharedArrayBuffer ? new BigInt64Array(buf) : undefined;
    this.ramBase = env.mem.ramBaseGpa;
    this.ramEnd = env.mem.ramBaseGpa + env.mem.ramSizeBytes;
    this.ramOffset = env.mem.ramOffset;
    this.tlbTag = [];
    this.tlbTagHi = [];
    this.tlbOff = [];
    for (let t = 0; t < 3 * TLB_BANKS; t++) {
      const base = stateOffset + (S.TLB + t * 3 * TLB_ENTRIES) * 4;
      this.tlbTag.push(new Int32Array(buf, base, TLB_ENTRIES));
      this.tlbTagHi.push(new Int32Array(buf, base + TLB_ENTRIES * 4, TLB_ENTRIES));
      this.tlbOff.push(new Int32Array(buf, base + TLB_ENTRIES * 8, TLB_ENTRIES));
    }
    const ctor = (softFloatModule as { SoftFloat?: new () => SoftFloat }).SoftFloat;
    this.fpu = typeof ctor === 'function' ? new ctor() : undefined;
    this.reset(0x1000n);
  }

  // ---------------------------------------------------------------- public API

  /** Current privilege: 0 = U, 1 = S, 3 = M. */
  get priv(): number {
    return this.st[S.PRIV]!;
  }

  set priv(p: number) {
    this.st[S.PRIV] = p === 3 || p === 1 ? p : 0;
    this.selectBanks();
  }

  /** Instructions retired since reset (exact up to 2^53). */
  get instret(): number {
    return this.retiredBase + this.runCount;
  }

  /** True while in WFI with nothing pending. */
  get waiting(): boolean {
    return this.st[S.WAITING] !== 0;
  }

  /** Makes `run` return `Requested` at the next block boundary. */
  requestStop(): void {
    this.stopRequested = true;
  }

  /** Installs (or removes) a per-instruction tracer; run() takes a slower path while one is set. */
  setTracer(fn: HartTracer | undefined): void {
    this.tracer = fn;
  }

  /** Sets or clears a hardware-driven `mip` bit (see Irq). Wakes the hart from WFI if needed. */
  setPending(bit: number, level: boolean): void {
    if (bit < 0 || bit > 11) return;
    const st = this.st;
    if (level) st[S.MIP_HW] |= 1 << bit;
    else st[S.MIP_HW] &= ~(1 << bit);
    if (st[S.WAITING] !== 0 && (this.mipValue() & st[S.MIE]!) !== 0) st[S.WAITING] = 0;
  }

  /** `stimecmp` deadline in ticks when Sstc is enabled and the timer is armed, else Infinity. */
  nextTimerDeadline(): number {
    if (this.st[S.MENVCFG + 1]! >= 0) return Infinity; // STCE is bit 63
    const d = (this.st[S.STIMECMP + 1]! >>> 0) * TWO32 + (this.st[S.STIMECMP]! >>> 0);
    return d >= 2 ** 64 - 2 ** 12 ? Infinity : d;
  }

  /** x register as an unsigned 64-bit value. */
  getX(reg: number): bigint {
    const r = reg & 31;
    return BigInt.asUintN(64, (BigInt(this.st[2 * r + 1]!) << 32n) | BigInt(this.st[2 * r]! >>> 0));
  }

  /** Sets an x register (low 64 bits of value; writes to x0 are ignored). */
  setX(reg: number, value: bigint): void {
    const r = reg & 31;
    if (r === 0) return;
    this.st[2 * r] = Number(BigInt.asIntN(32, value));
    this.st[2 * r + 1] = Number(BigInt.asIntN(32, value >> 32n));
  }

  /** f register raw bits (binary32 values appear NaN-boxed). */
  getF(reg: number): bigint {
    const r = S.F + 2 * (reg & 31);
    return (BigInt(this.st[r + 1]! >>> 0) << 32n) | BigInt(this.st[r]! >>> 0);
  }

  /** Sets f register raw bits. */
  setF(reg: number, value: bigint): void {
    const r = S.F + 2 * (reg & 31);
    this.st[r] = Number(BigInt.asIntN(32, value));
    this.st[r + 1] = Number(BigInt.asIntN(32, value >> 32n));
  }

  /** Program counter (between runs: the next instruction). */
  getPc(): bigint {
    return (BigInt(this.st[S.PC + 1]! >>> 0) << 32n) | BigInt(this.st[S.PC]! >>> 0);
  }

  /** Sets the program counter (bit 0 is cleared: IALIGN = 16). */
  setPc(value: bigint): void {
    this.st[S.PC] = Number(BigInt.asIntN(32, value)) & ~1;
    this.st[S.PC + 1] = Number(BigInt.asIntN(32, value >> 32n));
  }

  /** Raw CSR read for the machine/SBI (no privilege checks); 0 for a CSR that does not exist. */
  readCsr(csr: number): bigint {
    if (!this.csrRead(csr)) return 0n;
    return (BigInt(this.rHi >>> 0) << 32n) | BigInt(this.rLo >>> 0);
  }

  /** Raw CSR write with the CSR's WARL rules (unknown or read-only CSRs ignore it). */
  writeCsr(csr: number, value: bigint): void {
    this.csrWrite(csr, Number(BigInt.asIntN(32, value)), Number(BigInt.asIntN(32, value >> 32n)));
  }

  /** Flushes every TLB (remote sfence.vma, satp changes done by the machine). */
  flushTlb(): void {
    for (let t = 0; t < 3 * TLB_BANKS; t++) this.tlbTag[t]!.fill(INVALID_TAG);
    this.selectBanks();
  }

  /** Drops the cached translations of the 4 KiB page holding virtual address (lo, hi), every bank. */
  private flushTlbPage(lo: number, hi: number): void {
    const idx = (lo >>> 12) & TLB_MASK;
    const tag = lo & -4096;
    for (let t = 0; t < 3 * TLB_BANKS; t++) {
      if (this.tlbTag[t]![idx] === tag && this.tlbTagHi[t]![idx] === hi) this.tlbTag[t]![idx] = INVALID_TAG;
    }
  }

  /** Picks the TLB banks of the current context (privilege, MPRV/MPP, SUM); no flush needed. */
  private selectBanks(): void {
    const st = this.st;
    const priv = st[S.PRIV]!;
    const mst = st[S.MSTATUS]!;
    const sum = (mst & MS_SUM) !== 0;
    this.fetchBank = tlbBank(priv, sum) * 3;
    const dataPriv = priv === 3 && (mst & MS_MPRV) !== 0 ? (mst >>> 11) & 3 : priv;
    this.dataBank = tlbBank(dataPriv, sum) * 3;
  }

  /** Flushes cached decoded instructions / fetch pages (remote fence.i). Instructions are decoded
   *  on every fetch, so only the cached fetch page (re-derived at each block boundary) matters. */
  flushIcache(): void {
    for (let b = 0; b < TLB_BANKS; b++) this.tlbTag[b * 3 + Acc.Fetch]!.fill(INVALID_TAG);
  }

  /** Architectural reset: M-mode, pc = resetPc, CSRs at reset values, not waiting. */
  reset(resetPc: bigint): void {
    const st = this.st;
    st.fill(0, 0, S.TLB);
    st[S.MSTATUS + 1] = MSTATUS_HI_FIXED;
    st[S.PRIV] = 3;
    this.st64[S.RESERVATION_ADDR / 2] = -1;
    this.st64[S.INSTRET_OFFSET / 2] = 0;
    this.st64[S.CYCLE_OFFSET / 2] = 0;
    this.retiredBase = 0;
    this.runCount = 0;
    this.sstcFired = false;
    this.stopRequested = false;
    this.rebuildPmp();
    this.flushTlb();
    this.setPc(resetPc);
  }

  /** Snapshot of the architectural state (TLBs are caches and are not saved). */
  save(): HartState {
    return { version: 1, hartId: this.hartId, slots: Array.from(this.st.subarray(0, S.TLB)), instret: this.instret };
  }

  /** Restores a snapshot taken by `save` (of a hart with the same layout); throws on a malformed one. */
  restore(state: HartState): void {
    if (state.version !== 1 || state.slots.length !== S.TLB || !Number.isSafeInteger(state.instret)) {
      throw new RangeError('hart state: unsupported version or wrong size');
    }
    for (let i = 0; i < S.TLB; i++) this.st[i] = state.slots[i]! | 0;
    this.st[0] = 0;
    this.st[1] = 0;
    const p = this.st[S.PRIV]!;
    if (p !== 0 && p !== 1 && p !== 3) this.st[S.PRIV] = 3; // a snapshot is data: never trust it
    this.st[S.WAITING] = this.st[S.WAITING] === 0 ? 0 : 1;
    if (((this.st[S.MSTATUS]! >>> 11) & 3) === 2) this.st[S.MSTATUS] &= ~MS_MPP;
    this.writeMstatus(this.st[S.MSTATUS]!); // re-applies the fixed fields (UXL/SXL, SD)
    this.retiredBase = state.instret;
    this.runCount = 0;
    this.stopRequested = false;
    this.rebuildPmp();
    this.flushTlb();
    this.updateSstc();
  }

  // ---------------------------------------------------------------- interpreter

  /** Runs up to `budget` instructions (interrupts checked at block boundaries). */
  run(budget: number): StopReason {
    const st = this.st;
    this.updateSstc();
    if (st[S.WAITING] !== 0) {
      if ((this.mipValue() & st[S.MIE]!) === 0) return StopReason.Wfi;
      st[S.WAITING] = 0;
    }
    const dv = this.dv;
    const u16 = this.u16;
    const tlbTag = this.tlbTag;
    const tlbTagHi = this.tlbTagHi;
    const tlbOff = this.tlbOff;
    let fb = this.fetchBank;
    let db = this.dataBank;
    let ftTag = tlbTag[fb]!;
    let ftHi = tlbTagHi[fb]!;
    let ftOff = tlbOff[fb]!;
    let ltTag = tlbTag[db + Acc.Load]!;
    let ltHi = tlbTagHi[db + Acc.Load]!;
    let ltOff = tlbOff[db + Acc.Load]!;
    let wtTag = tlbTag[db + Acc.Store]!;
    let wtHi = tlbTagHi[db + Acc.Store]!;
    let wtOff = tlbOff[db + Acc.Store]!;
    const tracer = this.tracer;
    let pcLo = st[S.PC]!;
    let pcHi = st[S.PC + 1]!;
    let n = 0;
    let limit = 0; // n >= limit forces a boundary check (0 = check now, else the budget)
    let fetchPage = INVALID_TAG;
    let fetchHi = 0;
    let fetchBase = 0;
    let reason = StopReason.Budget;
    for (;;) {
      if (n >= limit) {
        limit = budget;
        if (this.stopRequested) {
          this.stopRequested = false;
          reason = StopReason.Requested;
          break;
        }
        if (st[S.WAITING] !== 0) {
          reason = StopReason.Wfi;
          break;
        }
        if (n >= budget) {
          reason = StopReason.Budget;
          break;
        }
        if ((this.mipValue() & st[S.MIE]!) !== 0) {
          const cause = this.pendingInterrupt();
          if (cause >= 0) {
            this.trap(cause, true, 0, 0, pcLo, pcHi);
            pcLo = st[S.PC]!;
            pcHi = st[S.PC + 1]!;
            fetchPage = INVALID_TAG;
          }
        }
        if (fb !== this.fetchBank || db !== this.dataBank) { // context changed: switch TLB banks
          fb = this.fetchBank;
          db = this.dataBank;
          ftTag = tlbTag[fb]!;
          ftHi = tlbTagHi[fb]!;
          ftOff = tlbOff[fb]!;
          ltTag = tlbTag[db + Acc.Load]!;
          ltHi = tlbTagHi[db + Acc.Load]!;
          ltOff = tlbOff[db + Acc.Load]!;
          wtTag = tlbTag[db + Acc.Store]!;
          wtHi = tlbTagHi[db + Acc.Store]!;
          wtOff = tlbOff[db + Acc.Store]!;
          fetchPage = INVALID_TAG;
        }
      }
      // ---- fetch
      let insn: number;
      if ((pcLo & -4096) === fetchPage && pcHi === fetchHi) {
        const off = pcLo & 0xfff;
        if (off !== 0xffe) {
          insn = dv.getInt32(fetchBase + off, true);
        } else {
          insn = u16[(fetchBase + off) >>> 1]!;
          if ((insn & 3) === 3 && !this.fetchSlow(pcLo, pcHi)) {
            this.trap(this.excCause, false, this.excTvalLo, this.excTvalHi, pcLo, pcHi);
            pcLo = st[S.PC]!;
            pcHi = st[S.PC + 1]!;
            limit = 0;
            fetchPage = INVALID_TAG;
            budget--;
            continue;
          }
          if ((insn & 3) === 3) insn = this.rLo;
        }
      } else {
        const idx = (pcLo >>> 12) & TLB_MASK;
        if (ftTag[idx] === (pcLo & -4096) && ftHi[idx] === pcHi) {
          fetchPage = pcLo & -4096;
          fetchHi = pcHi;
          fetchBase = ftOff[idx]!;
          continue;
        }
        if (!this.fetchSlow(pcLo, pcHi)) {
          this.trap(this.excCause, false, this.excTvalLo, this.excTvalHi, pcLo, pcHi);
          pcLo = st[S.PC]!;
          pcHi = st[S.PC + 1]!;
          limit = 0;
          budget--;
          continue;
        }
        insn = this.rLo;
      }
      // ---- decode
      let raw = insn;
      let len = 4;
      if ((insn & 3) !== 3) {
        raw = insn & 0xffff;
        insn = CX[raw]!;
        len = 2;
      }
      let npLo = (pcLo + len) | 0;
      let npHi = (npLo >>> 0) < len ? (pcHi + 1) | 0 : pcHi;
      const rd2 = (insn >> 6) & 62;
      const f3 = (insn >> 12) & 7;
      const rs1 = (insn >> 14) & 62;
      const rs2 = (insn >> 19) & 62;
      let flow = Flow.Next;
      switch (insn & 0x7f) {
        case 0x37: // LUI
          if (rd2 !== 0) {
            st[rd2] = insn & -4096;
            st[rd2 + 1] = insn >> 31;
          }
          break;
        case 0x17: { // AUIPC
          const imm = insn & -4096;
          const lo = (pcLo + imm) | 0;
          if (rd2 !== 0) {
            st[rd2 + 1] = (pcHi + (imm >> 31) + ((lo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
            st[rd2] = lo;
          }
          break;
        }
        case 0x6f: { // JAL
          const imm = ((insn >> 31) << 20) | (((insn >>> 21) & 0x3ff) << 1) | (((insn >>> 20) & 1) << 11) |
            (insn & 0xff000);
          const tLo = (pcLo + imm) | 0;
          const tHi = (pcHi + (imm >> 31) + ((tLo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
          if (rd2 !== 0) {
            st[rd2] = npLo;
            st[rd2 + 1] = npHi;
          }
          npLo = tLo;
          npHi = tHi;
          // not a boundary: nothing that decides an interrupt changed (docs/architecture.md)
          break;
        }
        case 0x67: { // JALR
          if (f3 !== 0) {
            flow = this.illegal(raw, pcLo, pcHi);
            break;
          }
          const imm = insn >> 20;
          const a = st[rs1]!;
          const tLo = ((a + imm) | 0) & ~1;
          const tHi = (st[rs1 + 1]! + (imm >> 31) + ((((a + imm) | 0) >>> 0) < (a >>> 0) ? 1 : 0)) | 0;
          if (rd2 !== 0) {
            st[rd2] = npLo;
            st[rd2 + 1] = npHi;
          }
          npLo = tLo;
          npHi = tHi;
          // not a boundary: nothing that decides an interrupt changed (docs/architecture.md)
          break;
        }
        case 0x63: { // BRANCH
          const aLo = st[rs1]!;
          const aHi = st[rs1 + 1]!;
          const bLo = st[rs2]!;
          const bHi = st[rs2 + 1]!;
          let taken: boolean;
          switch (f3) {
            case 0: taken = aLo === bLo && aHi === bHi; break;
            case 1: taken = aLo !== bLo || aHi !== bHi; break;
            case 4: taken = aHi < bHi || (aHi === bHi && (aLo >>> 0) < (bLo >>> 0)); break;
            case 5: taken = aHi > bHi || (aHi === bHi && (aLo >>> 0) >= (bLo >>> 0)); break;
            case 6: taken = (aHi >>> 0) < (bHi >>> 0) || (aHi === bHi && (aLo >>> 0) < (bLo >>> 0)); break;
            case 7: taken = (aHi >>> 0) > (bHi >>> 0) || (aHi === bHi && (aLo >>> 0) >= (bLo >>> 0)); break;
            default:
              flow = this.illegal(raw, pcLo, pcHi);
              taken = false;
          }
          if (taken) {
            const imm = ((insn >> 31) << 12) | (((insn >>> 25) & 0x3f) << 5) | (((insn >>> 8) & 0xf) << 1) |
              (((insn >>> 7) & 1) << 11);
            npLo = (pcLo + imm) | 0;
            npHi = (pcHi + (imm >> 31) + ((npLo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
            // not a boundary: nothing that decides an interrupt changed (docs/architecture.md)
          }
          break;
        }
        case 0x03: { // LOAD
          if (f3 === 7) {
            flow = this.illegal(raw, pcLo, pcHi);
            break;
          }
          const imm = insn >> 20;
          const b = st[rs1]!;
          const aLo = (b + imm) | 0;
          const aHi = (st[rs1 + 1]! + (imm >> 31) + ((aLo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const size = 1 << (f3 & 3);
          const idx = (aLo >>> 12) & TLB_MASK;
          let vLo: number;
          let vHi: number;
          if (ltTag[idx] === (aLo & -4096) && ltHi[idx] === aHi && (aLo & 0xfff) <= 4096 - size) {
            const off = ltOff[idx]! + (aLo & 0xfff);
            switch (f3) {
              case 0: vLo = dv.getInt8(off); vHi = vLo >> 31; break;
              case 1: vLo = dv.getInt16(off, true); vHi = vLo >> 31; break;
              case 2: vLo = dv.getInt32(off, true); vHi = vLo >> 31; break;
              case 3: vLo = dv.getInt32(off, true); vHi = dv.getInt32(off + 4, true); break;
              case 4: vLo = dv.getUint8(off); vHi = 0; break;
              case 5: vLo = dv.getUint16(off, true); vHi = 0; break;
              default: vLo = dv.getInt32(off, true); vHi = 0; break;
            }
          } else {
            limit = 0;
            if (!this.loadSlow(aLo, aHi, size, Acc.Load)) {
              flow = this.exception(pcLo, pcHi);
              break;
            }
            vLo = this.rLo;
            vHi = this.rHi;
            switch (f3) {
              case 0: vLo = (vLo << 24) >> 24; vHi = vLo >> 31; break;
              case 1: vLo = (vLo << 16) >> 16; vHi = vLo >> 31; break;
              case 2: vHi = vLo >> 31; break;
              case 4: vLo &= 0xff; vHi = 0; break;
              case 5: vLo &= 0xffff; vHi = 0; break;
              case 6: vHi = 0; break;
            }
          }
          if (rd2 !== 0) {
            st[rd2] = vLo;
            st[rd2 + 1] = vHi;
          }
          break;
        }
        case 0x23: { // STORE
          if (f3 > 3) {
            flow = this.illegal(raw, pcLo, pcHi);
            break;
          }
          const imm = ((insn >> 25) << 5) | ((insn >>> 7) & 31);
          const b = st[rs1]!;
          const aLo = (b + imm) | 0;
          const aHi = (st[rs1 + 1]! + (imm >> 31) + ((aLo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
          const size = 1 << f3;
          const idx = (aLo >>> 12) & TLB_MASK;
          if (wtTag[idx] === (aLo & -4096) && wtHi[idx] === aHi && (aLo & 0xfff) <= 4096 - size) {
            const off = wtOff[idx]! + (aLo & 0xfff);
            switch (f3) {
              case 0: dv.setInt8(off, st[rs2]!); break;
              case 1: dv.setInt16(off, st[rs2]!, true); break;
              case 2: dv.setInt32(off, st[rs2]!, true); break;
              default: dv.setInt32(off, st[rs2]!, true); dv.setInt32(off + 4, st[rs2 + 1]!, true); break;
            }
          } else {
            limit = 0;
            if (!this.storeSlow(aLo, aHi, size, st[rs2]!, st[rs2 + 1]!)) flow = this.exception(pcLo, pcHi);
          }
          break;
        }
        case 0x13: { // OP-IMM
          const imm = insn >> 20;
          const aLo = st[rs1]!;
          const aHi = st[rs1 + 1]!;
          let lo: number;
          let hi: number;
          switch (f3) {
            case 0: lo = (aLo + imm) | 0; hi = (aHi + (imm >> 31) + ((lo >>> 0) < (aLo >>> 0) ? 1 : 0)) | 0; break;
            case 1: {
              if ((insn >>> 26) !== 0) {
                flow = this.illegal(raw, pcLo, pcHi);
                lo = hi = 0;
                break;
              }
              const sh = imm & 63;
              if (sh === 0) { lo = aLo; hi = aHi; } else if (sh < 32) { hi = (aHi << sh) | (aLo >>> (32 - sh)); lo = aLo << sh; } else { hi = aLo << (sh - 32); lo = 0; }
              break;
            }
            case 2: lo = (aHi < (imm >> 31) || (aHi === (imm >> 31) && (aLo >>> 0) < (imm >>> 0))) ? 1 : 0; hi = 0; break;
            case 3: lo = ((aHi >>> 0) < ((imm >> 31) >>> 0) || (aHi === (imm >> 31) && (aLo >>> 0) < (imm >>> 0))) ? 1 : 0; hi = 0; break;
            case 4: lo = aLo ^ imm; hi = aHi ^ (imm >> 31); break;
            case 5: {
              const f6 = insn >>> 26;
              const sh = imm & 63;
              if (f6 === 0) {
                if (sh === 0) { lo = aLo; hi = aHi; } else if (sh < 32) { lo = (aLo >>> sh) | (aHi << (32 - sh)); hi = aHi >>> sh; } else { lo = aHi >>> (sh - 32); hi = 0; }
              } else if (f6 === 0x10) {
                if (sh === 0) { lo = aLo; hi = aHi; } else if (sh < 32) { lo = (aLo >>> sh) | (aHi << (32 - sh)); hi = aHi >> sh; } else { lo = aHi >> (sh - 32); hi = aHi >> 31; }
              } else {
                flow = this.illegal(raw, pcLo, pcHi);
                lo = hi = 0;
              }
              break;
            }
            case 6: lo = aLo | imm; hi = aHi | (imm >> 31); break;
            default: lo = aLo & imm; hi = aHi & (imm >> 31); break;
          }
          if (rd2 !== 0 && flow === Flow.Next) {
            st[rd2] = lo;
            st[rd2 + 1] = hi;
          }
          break;
        }
        case 0x33: { // OP
          const f7 = insn >>> 25;
          if (f7 === 1) {
            flow = this.execMulDiv(insn, raw, pcLo, pcHi);
            break;
          }
          const aLo = st[rs1]!;
          const aHi = st[rs1 + 1]!;
          const bLo = st[rs2]!;
          const bHi = st[rs2 + 1]!;
          let lo: number;
          let hi: number;
          if (f7 === 0) {
            switch (f3) {
              case 0: lo = (aLo + bLo) | 0; hi = (aHi + bHi + ((lo >>> 0) < (aLo >>> 0) ? 1 : 0)) | 0; break;
              case 1: {
                const sh = bLo & 63;
                if (sh === 0) { lo = aLo; hi = aHi; } else if (sh < 32) { hi = (aHi << sh) | (aLo >>> (32 - sh)); lo = aLo << sh; } else { hi = aLo << (sh - 32); lo = 0; }
                break;
              }
              case 2: lo = (aHi < bHi || (aHi === bHi && (aLo >>> 0) < (bLo >>> 0))) ? 1 : 0; hi = 0; break;
              case 3: lo = ((aHi >>> 0) < (bHi >>> 0) || (aHi === bHi && (aLo >>> 0) < (bLo >>> 0))) ? 1 : 0; hi = 0; break;
              case 4: lo = aLo ^ bLo; hi = aHi ^ bHi; break;
              case 5: {
                const sh = bLo & 63;
                if (sh === 0) { lo = aLo; hi = aHi; } else if (sh < 32) { lo = (aLo >>> sh) | (aHi << (32 - sh)); hi = aHi >>> sh; } else { lo = aHi >>> (sh - 32); hi = 0; }
                break;
              }
              case 6: lo = aLo | bLo; hi = aHi | bHi; break;
              default: lo = aLo & bLo; hi = aHi & bHi; break;
            }
          } else if (f7 === 0x20 && f3 === 0) {
            lo = (aLo - bLo) | 0;
            hi = (aHi - bHi - ((aLo >>> 0) < (bLo >>> 0) ? 1 : 0)) | 0;
          } else if (f7 === 0x20 && f3 === 5) {
            const sh = bLo & 63;
            if (sh === 0) { lo = aLo; hi = aHi; } else if (sh < 32) { lo = (aLo >>> sh) | (aHi << (32 - sh)); hi = aHi >> sh; } else { lo = aHi >> (sh - 32); hi = aHi >> 31; }
          } else {
            flow = this.illegal(raw, pcLo, pcHi);
            break;
          }
          if (rd2 !== 0) {
            st[rd2] = lo;
            st[rd2 + 1] = hi;
          }
          break;
        }
        case 0x1b: { // OP-IMM-32
          const a = st[rs1]!;
          let v: number;
          if (f3 === 0) {
            v = (a + (insn >> 20)) | 0;
          } else if (f3 === 1 && (insn >>> 25) === 0) {
            v = a << ((insn >>> 20) & 31);
          } else if (f3 === 5 && (insn >>> 25) === 0) {
            v = a >>> ((insn >>> 20) & 31);
          } else if (f3 === 5 && (insn >>> 25) === 0x20) {
            v = a >> ((insn >>> 20) & 31);
          } else {
            flow = this.illegal(raw, pcLo, pcHi);
            break;
          }
          if (rd2 !== 0) {
            st[rd2] = v;
            st[rd2 + 1] = v >> 31;
          }
          break;
        }
        case 0x3b: { // OP-32
          const f7 = insn >>> 25;
          if (f7 === 1) {
            flow = this.execMulDiv(insn, raw, pcLo, pcHi);
            break;
          }
          const a = st[rs1]!;
          const b = st[rs2]!;
          let v: number;
          if (f7 === 0 && f3 === 0) v = (a + b) | 0;
          else if (f7 === 0x20 && f3 === 0) v = (a - b) | 0;
          else if (f7 === 0 && f3 === 1) v = a << (b & 31);
          else if (f7 === 0 && f3 === 5) v = a >>> (b & 31);
          else if (f7 === 0x20 && f3 === 5) v = a >> (b & 31);
          else {
            flow = this.illegal(raw, pcLo, pcHi);
            break;
          }
          if (rd2 !== 0) {
            st[rd2] = v;
            st[rd2 + 1] = v >> 31;
          }
          break;
        }
        case 0x0f: // MISC-MEM: FENCE (no reordering to order here), FENCE.I (nothing cached beyond the fetch page)
          if (f3 === 0) {
            // Zihintpause PAUSE (a FENCE hint): a spinning hart gives its host thread to the others
            if (insn === 0x0100000f) {
              budget = n + 1;
              limit = 0;
            }
            break;
          }
          if (f3 === 1) {
            limit = 0;
            break;
          }
          flow = this.illegal(raw, pcLo, pcHi);
          break;
        case 0x73: // SYSTEM
          st[S.PC] = pcLo;
          st[S.PC + 1] = pcHi;
          this.runCount = n;
          flow = this.execSystem(insn, raw, pcLo, pcHi, npLo, npHi);
          break;
        case 0x2f: // AMO
          flow = this.execAmo(insn, raw, pcLo, pcHi);
          if (this.mmioTouched) {
            this.mmioTouched = false;
            limit = 0;
          }
          break;
        case 0x07: case 0x27: case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
          flow = this.execFp(insn, raw, pcLo, pcHi);
          if (this.mmioTouched) {
            this.mmioTouched = false;
            limit = 0;
          }
          break;
        default:
          flow = this.illegal(raw, pcLo, pcHi);
          break;
      }
      if (flow !== Flow.Next) {
        limit = 0;
        fetchPage = INVALID_TAG; // translation may have changed (trap, xRET, CSR write, fence)
        if (flow === Flow.Trapped) {
          pcLo = st[S.PC]!;
          pcHi = st[S.PC + 1]!;
          budget--; // a trapping instruction retires nothing but still costs a step
          continue;
        }
        if (flow === Flow.Redirect) {
          npLo = st[S.PC]!;
          npHi = st[S.PC + 1]!;
        }
      }
      n++;
      if (tracer !== undefined) {
        this.runCount = n;
        this.traceOne(tracer, pcLo, pcHi, insn, raw);
      }
      pcLo = npLo;
      pcHi = npHi;
    }
    st[S.PC] = pcLo;
    st[S.PC + 1] = pcHi;
    this.retiredBase += n;
    this.runCount = 0;
    const inhibit = st[S.MCOUNTINHIBIT]!;
    if (inhibit !== 0) { // mcountinhibit.CY / .IR freeze mcycle / minstret
      if ((inhibit & 1) !== 0) this.st64[S.CYCLE_OFFSET / 2] -= n;
      if ((inhibit & 4) !== 0) this.st64[S.INSTRET_OFFSET / 2] -= n;
    }
    return reason;
  }

  private traceOne(tracer: HartTracer, pcLo: number, pcHi: number, insn: number, raw: number): void {
    const r = writtenReg(insn);
    let v = 0n;
    if (r >= 32) v = this.getF(r - 32);
    else if (r > 0) v = this.getX(r);
    tracer((BigInt(pcHi >>> 0) << 32n) | BigInt(pcLo >>> 0), raw >>> 0, r, v);
  }

  // ---------------------------------------------------------------- traps and interrupts

  /** mip as software sees it: hardware lines, software-set bits, Sstc timer. */
  private mipValue(): number {
    const st = this.st;
    let v = st[S.MIP_HW]! | st[S.MIP_SW]!;
    if (st[S.MENVCFG + 1]! < 0) {
      v = (v & ~MIP_STIP) | (st[S.MIP_HW]! & MIP_STIP) | (this.sstcFired ? MIP_STIP : 0);
    }
    return v;
  }

  /** Re-evaluates Sstc STIP = (time >= stimecmp) when menvcfg.STCE is set. */
  private updateSstc(): void {
    const st = this.st;
    if (st[S.MENVCFG + 1]! >= 0) {
      this.sstcFired = false;
      return;
    }
    const cmp = (st[S.STIMECMP + 1]! >>> 0) * TWO32 + (st[S.STIMECMP]! >>> 0);
    this.sstcFired = this.env.clock.ticks() >= cmp;
    if (this.sstcFired && st[S.WAITING] !== 0 && (st[S.MIE]! & MIP_STIP) !== 0) st[S.WAITING] = 0;
  }

  /** The interrupt to take now (cause number), or -1, following priority MEI MSI MTI SEI SSI STI. */
  private pendingInterrupt(): number {
    const st = this.st;
    const pending = this.mipValue() & st[S.MIE]!;
    if (pending === 0) return -1;
    const priv = st[S.PRIV]!;
    const mst = st[S.MSTATUS]!;
    const deleg = st[S.MIDELEG]!;
    const mEnabled = priv < 3 || (mst & MS_MIE) !== 0;
    const sEnabled = priv < 1 || (priv === 1 && (mst & MS_SIE) !== 0);
    let set = 0;
    if (mEnabled) set = pending & ~deleg;
    if (set === 0 && sEnabled) set = pending & deleg;
    if (set === 0) return -1;
    if (set & MIP_MEIP) return 11;
    if (set & MIP_MSIP) return 3;
    if (set & MIP_MTIP) return 7;
    if (set & MIP_SEIP) return 9;
    if (set & MIP_SSIP) return 1;
    if (set & MIP_STIP) return 5;
    return -1;
  }

  /** Takes a trap: cause, whether it is an interrupt, tval, and the pc of the trapping instruction. */
  private trap(cause: number, interrupt: boolean, tvalLo: number, tvalHi: number, epcLo: number, epcHi: number): void {
    const st = this.st;
    const priv = st[S.PRIV]!;
    const deleg = interrupt ? st[S.MIDELEG]! : st[S.MEDELEG]!;
    let mst = st[S.MSTATUS]!;
    st[S.RESERVATION_VALID] = 0;
    st[S.WAITING] = 0;
    let vecLo: number;
    let vecHi: number;
    if (priv <= 1 && ((deleg >>> cause) & 1) !== 0) {
      st[S.SEPC] = epcLo;
      st[S.SEPC + 1] = epcHi;
      st[S.SCAUSE] = cause;
      st[S.SCAUSE + 1] = interrupt ? 1 << 31 : 0;
      st[S.STVAL] = tvalLo;
      st[S.STVAL + 1] = tvalHi;
      mst = (mst & ~(MS_SPP | MS_SPIE | MS_SIE)) | (priv << 8) | ((mst & MS_SIE) << 4);
      st[S.PRIV] = 1;
      vecLo = st[S.STVEC]!;
      vecHi = st[S.STVEC + 1]!;
    } else {
      st[S.MEPC] = epcLo;
      st[S.MEPC + 1] = epcHi;
      st[S.MCAUSE] = cause;
      st[S.MCAUSE + 1] = interrupt ? 1 << 31 : 0;
      st[S.MTVAL] = tvalLo;
      st[S.MTVAL + 1] = tvalHi;
      mst = (mst & ~(MS_MPP | MS_MPIE | MS_MIE)) | (priv << 11) | ((mst & MS_MIE) << 4);
      st[S.PRIV] = 3;
      vecLo = st[S.MTVEC]!;
      vecHi = st[S.MTVEC + 1]!;
    }
    st[S.MSTATUS] = mst;
    let pcLo = vecLo & ~3;
    if (interrupt && (vecLo & 1) !== 0) pcLo = (pcLo + 4 * cause) | 0;
    st[S.PC] = pcLo;
    st[S.PC + 1] = (vecLo & ~3) >>> 0 > pcLo >>> 0 ? (vecHi + 1) | 0 : vecHi;
    if (priv !== st[S.PRIV]) this.selectBanks();
  }

  /** Raises the exception recorded by a slow path (excCause/excTval) for the instruction at pc. */
  private exception(pcLo: number, pcHi: number): Flow {
    this.trap(this.excCause, false, this.excTvalLo, this.excTvalHi, pcLo, pcHi);
    return Flow.Trapped;
  }

  /** Illegal-instruction exception with the instruction bits in tval. */
  private illegal(raw: number, pcLo: number, pcHi: number): Flow {
    this.trap(2, false, raw, 0, pcLo, pcHi);
    return Flow.Trapped;
  }

  private raise(cause: number, tvalLo: number, tvalHi: number, pcLo: number, pcHi: number): Flow {
    this.trap(cause, false, tvalLo, tvalHi, pcLo, pcHi);
    return Flow.Trapped;
  }

  private setExc(cause: number, lo: number, hi: number): false {
    this.excCause = cause;
    this.excTvalLo = lo;
    this.excTvalHi = hi;
    return false;
  }

  // ---------------------------------------------------------------- address translation

  /** Privilege used for the translation/protection of an access of type acc. */
  private effectivePriv(acc: Acc): number {
    const st = this.st;
    const priv = st[S.PRIV]!;
    if (acc !== Acc.Fetch && priv === 3 && (st[S.MSTATUS]! & MS_MPRV) !== 0) return (st[S.MSTATUS]! >>> 11) & 3;
    return priv;
  }

  /**
   * Translates virtual address (lo, hi) for an access of `size` bytes within one page. Returns the
   * physical address, or -1 with excCause/excTval set. Sets tlbFillable when the page may be cached.
   */
  private translate(lo: number, hi: number, acc: Acc, size: number): number {
    const st = this.st;
    const priv = this.effectivePriv(acc);
    const mode = st[S.SATP + 1]! >>> 28;
    let pa: number;
    this.tlbFillable = false;
    if (priv === 3 || mode === 0) {
      if ((hi >>> 0) >= 0x200000) {
        this.setExc(acc === Acc.Fetch ? 1 : acc === Acc.Load ? 5 : 7, lo, hi);
        return -1;
      }
      pa = (hi >>> 0) * TWO32 + (lo >>> 0);
    } else {
      pa = this.walk(lo, hi, acc, priv, mode);
      if (pa < 0) return -1;
    }
    if (priv !== 3 || this.pmpAnyLocked) {
      if (!this.pmpCheck(pa, size, acc, priv)) {
        this.setExc(acc === Acc.Fetch ? 1 : acc === Acc.Load ? 5 : 7, lo, hi);
        return -1;
      }
      this.tlbFillable = this.pmpPageUniform(pa - (pa % 4096));
    } else {
      this.tlbFillable = true;
    }
    return pa;
  }

  /** Sv39/Sv48 page walk (privileged spec 1.12 §4.3.2) with hardware A/D update. */
  private walk(lo: number, hi: number, acc: Acc, priv: number, mode: number): number {
    const st = this.st;
    const pageFault = acc === Acc.Fetch ? 12 : acc === Acc.Load ? 13 : 15;
    const accessFault = acc === Acc.Fetch ? 1 : acc === Acc.Load ? 5 : 7;
    let levels: number;
    let vpnAll: number;
    if (mode === 8) {
      const top = hi >> 6;
      if (top !== 0 && top !== -1) return this.setExc(pageFault, lo, hi) ? 0 : -1;
      levels = 3;
      vpnAll = (hi & 0x7f) * 1048576 + (lo >>> 12);
    } else if (mode === 9) {
      const top = hi >> 15;
      if (top !== 0 && top !== -1) return this.setExc(pageFault, lo, hi) ? 0 : -1;
      levels = 4;
      vpnAll = (hi & 0xffff) * 1048576 + (lo >>> 12);
    } else {
      return this.setExc(pageFault, lo, hi) ? 0 : -1;
    }
    const mst = st[S.MSTATUS]!;
    const dv = this.dv;
    for (;;) { // restarts if the A/D update races with another writer
      let a = ((st[S.SATP + 1]! & 0xfff) * TWO32 + (st[S.SATP]! >>> 0)) * 4096;
      let i = levels - 1;
      for (;;) {
        const vpn = Math.floor(vpnAll / 2 ** (9 * i)) % 512;
        const pteAddr = a + vpn * 8;
        if (pteAddr < this.ramBase || pteAddr + 8 > this.ramEnd || !this.pmpCheck(pteAddr, 8, Acc.Load, 1)) {
          return this.setExc(accessFault, lo, hi) ? 0 : -1;
        }
        const off = this.ramOffset + (pteAddr - this.ramBase);
        const pLo = dv.getInt32(off, true);
        const pHi = dv.getInt32(off + 4, true);
        if ((pLo & 1) === 0 || (pLo & 6) === 4 || (pHi >>> 22) !== 0) return this.setExc(pageFault, lo, hi) ? 0 : -1;
        const ppn = (pHi & 0x3fffff) * 4194304 + (pLo >>> 10);
        if ((pLo & 0xa) === 0) { // pointer to the next level
          if (i === 0) return this.setExc(pageFault, lo, hi) ? 0 : -1;
          i--;
          a = ppn * 4096;
          continue;
        }
        // leaf
        const u = (pLo & 0x10) !== 0;
        if (acc === Acc.Fetch) {
          if ((pLo & 8) === 0 || (u ? priv !== 0 : priv === 0)) return this.setExc(pageFault, lo, hi) ? 0 : -1;
        } else {
          if (acc === Acc.Load) {
            if ((pLo & 2) === 0 && !((mst & MS_MXR) !== 0 && (pLo & 8) !== 0)) return this.setExc(pageFault, lo, hi) ? 0 : -1;
          } else if ((pLo & 4) === 0) {
            return this.setExc(pageFault, lo, hi) ? 0 : -1;
          }
          if (u ? priv === 1 && (mst & MS_SUM) === 0 : priv === 0) return this.setExc(pageFault, lo, hi) ? 0 : -1;
        }
        const span = 2 ** (9 * i);
        if (ppn % span !== 0) return this.setExc(pageFault, lo, hi) ? 0 : -1;
        const need = acc === Acc.Store ? 0xc0 : 0x40;
        if ((pLo & need) !== need) {
          const nLo = pLo | need;
          if (Atomics.compareExchange(this.i32, off >>> 2, pLo, nLo) !== pLo) break; // retry walk
          this.mem.markDirty(pteAddr, 8);
        }
        return (ppn + (vpnAll % span)) * 4096 + (lo & 0xfff);
      }
    }
  }

  /** PMP check of [pa, pa + size) for privilege priv (spec §3.7.1): lowest matching entry wins. */
  private pmpCheck(pa: number, size: number, acc: Acc, priv: number): boolean {
    const n = this.pmpCount;
    if (n === 0) return priv === 3;
    const end = pa + size;
    for (let i = 0; i < n; i++) {
      const lo = this.pmpLo[i]!;
      const hi = this.pmpHi[i]!;
      if (end <= lo || pa >= hi) continue;
      if (pa < lo || end > hi) return false; // partially matching access fails
      const perm = this.pmpPerm[i]!;
      if (priv === 3 && (perm & PMP_L) === 0) return true;
      const need = acc === Acc.Fetch ? PMP_X : acc === Acc.Load ? PMP_R : PMP_W;
      return (perm & need) !== 0;
    }
    return priv === 3;
  }

  /** True if one PMP entry (or none) decides for the whole 4 KiB page: the TLB may cache it. */
  private pmpPageUniform(page: number): boolean {
    const n = this.pmpCount;
    const end = page + 4096;
    for (let i = 0; i < n; i++) {
      const lo = this.pmpLo[i]!;
      const hi = this.pmpHi[i]!;
      if (end <= lo || page >= hi) continue;
      return page >= lo && end <= hi;
    }
    return true;
  }

  /** Rebuilds the active PMP ranges (in priority order) from pmpcfg/pmpaddr. */
  private rebuildPmp(): void {
    const st = this.st;
    let n = 0;
    let locked = false;
    let prevTop = 0;
    for (let i = 0; i < 64; i++) {
      const cfg = (st[S.PMPCFG + (i >> 2)]! >>> ((i & 3) * 8)) & 0xff;
      const addr = (st[S.PMPADDR + 2 * i + 1]! & 0x3fffff) * TWO32 + (st[S.PMPADDR + 2 * i]! >>> 0); // addr >> 2
      const a = (cfg & PMP_A) >> 3;
      let lo = 0;
      let hi = 0;
      if (a === 1) { // TOR
        lo = prevTop * 4;
        hi = addr * 4;
      } else if (a === 2) { // NA4
        lo = addr * 4;
        hi = lo + 4;
      } else if (a === 3) { // NAPOT: k trailing ones encode a 2^(k+3)-byte region
        const aLo = st[S.PMPADDR + 2 * i]!;
        const aHi = st[S.PMPADDR + 2 * i + 1]! & 0x3fffff;
        let k: number;
        if (aLo !== -1) k = 31 - Math.clz32(~aLo & (aLo + 1));
        else k = aHi === 0x3fffff ? 54 : 32 + (31 - Math.clz32(~aHi & (aHi + 1)));
        if (k >= 54) {
          lo = 0;
          hi = 2 ** 56;
        } else {
          const bLo = k >= 32 ? 0 : aLo & ~((2 ** k) - 1);
          const bHi = k >= 32 ? aHi & ~((2 ** (k - 32)) - 1) : aHi;
          lo = ((bHi >>> 0) * TWO32 + (bLo >>> 0)) * 4;
          hi = lo + 2 ** (k + 3);
        }
      }
      prevTop = addr;
      if (a !== 0 && hi > lo) {
        this.pmpLo[n] = lo;
        this.pmpHi[n] = hi;
        this.pmpPerm[n] = cfg;
        if ((cfg & PMP_L) !== 0) locked = true;
        n++;
      } else if (a !== 0 && (cfg & PMP_L) !== 0) {
        locked = true;
      }
    }
    this.pmpCount = n;
    this.pmpAnyLocked = locked;
  }

  // ---------------------------------------------------------------- memory slow paths

  private fillTlb(acc: Acc, lo: number, hi: number, pa: number): void {
    if (!this.tlbFillable) return;
    const page = pa - (pa % 4096);
    if (page < this.ramBase || page + 4096 > this.ramEnd) return;
    const idx = (lo >>> 12) & TLB_MASK;
    const t = (acc === Acc.Fetch ? this.fetchBank : this.dataBank) + acc;
    this.tlbTag[t]![idx] = lo & -4096;
    this.tlbTagHi[t]![idx] = hi;
    this.tlbOff[t]![idx] = this.ramOffset + (page - this.ramBase);
    if (acc === Acc.Store) this.mem.markDirty(page, 4096);
  }

  /** Instruction fetch outside the fast path: fills the fetch TLB, reads MMIO (boot ROM), joins
   *  a 32-bit instruction straddling two pages. The instruction is left in rLo. */
  private fetchSlow(lo: number, hi: number): boolean {
    const pa = this.translate(lo, hi, Acc.Fetch, 2);
    if (pa < 0) return false;
    this.fillTlb(Acc.Fetch, lo, hi, pa);
    const low = this.physRead(pa, 2, Acc.Fetch, lo, hi);
    if (low < 0) return false;
    if ((low & 3) !== 3) {
      this.rLo = low;
      return true;
    }
    const lo2 = (lo + 2) | 0;
    const hi2 = (lo2 >>> 0) < 2 ? (hi + 1) | 0 : hi;
    const pa2 = (lo & 0xfff) === 0xffe ? this.translate(lo2, hi2, Acc.Fetch, 2) : pa + 2;
    if (pa2 < 0) return false;
    const high = this.physRead(pa2, 2, Acc.Fetch, lo2, hi2);
    if (high < 0) return false;
    this.rLo = low | (high << 16);
    return true;
  }

  /** Reads size (1, 2, 4) bytes at physical pa; -1 after setting an access fault. */
  private physRead(pa: number, size: number, acc: Acc, vLo: number, vHi: number): number {
    if (pa >= this.ramBase && pa + size <= this.ramEnd) {
      const off = this.ramOffset + (pa - this.ramBase);
      return size === 1 ? this.dv.getUint8(off) : size === 2 ? this.dv.getUint16(off, true) : this.dv.getUint32(off, true);
    }
    const r = this.bus.find(pa);
    if (r === undefined || pa + size > r.baseGpa + r.sizeBytes ||
      (acc === Acc.Fetch && (this.env.isExecutable === undefined || !this.env.isExecutable(pa)))) {
      this.setExc(acc === Acc.Fetch ? 1 : acc === Acc.Load ? 5 : 7, vLo, vHi);
      return -1;
    }
    return r.device.read(pa - r.baseGpa, size as 1 | 2 | 4) >>> 0;
  }

  /** Load of size bytes at virtual (lo, hi) the TLB did not serve; raw value in rLo/rHi. */
  private loadSlow(lo: number, hi: number, size: number, acc: Acc): boolean {
    if ((lo & 0xfff) + size > 4096) return this.crossPage(lo, hi, size, false, 0, 0);
    const pa = this.translate(lo, hi, acc, size);
    if (pa < 0) return false;
    if (pa >= this.ramBase && pa + size <= this.ramEnd) {
      this.fillTlb(Acc.Load, lo, hi, pa);
      const off = this.ramOffset + (pa - this.ramBase);
      const dv = this.dv;
      switch (size) {
        case 1: this.rLo = dv.getUint8(off); this.rHi = 0; break;
        case 2: this.rLo = dv.getUint16(off, true); this.rHi = 0; break;
        case 4: this.rLo = dv.getInt32(off, true); this.rHi = 0; break;
        default: this.rLo = dv.getInt32(off, true); this.rHi = dv.getInt32(off + 4, true); break;
      }
      return true;
    }
    if (pa % size !== 0) return this.setExc(4, lo, hi);
    const r = this.bus.find(pa);
    if (r === undefined || pa + size > r.baseGpa + r.sizeBytes) return this.setExc(5, lo, hi);
    this.mmioTouched = true;
    const o = pa - r.baseGpa;
    if (size === 8) {
      this.rLo = r.device.read(o, 4) | 0;
      this.rHi = r.device.read(o + 4, 4) | 0;
    } else {
      this.rLo = r.device.read(o, size as 1 | 2 | 4) | 0;
      this.rHi = 0;
    }
    return true;
  }

  /** Store of size bytes of (vLo, vHi) at virtual (lo, hi) the TLB did not serve. */
  private storeSlow(lo: number, hi: number, size: number, vLo: number, vHi: number): boolean {
    if ((lo & 0xfff) + size > 4096) return this.crossPage(lo, hi, size, true, vLo, vHi);
    const pa = this.translate(lo, hi, Acc.Store, size);
    if (pa < 0) return false;
    if (pa >= this.ramBase && pa + size <= this.ramEnd) {
      this.fillTlb(Acc.Store, lo, hi, pa);
      this.mem.markDirty(pa, size);
      const off = this.ramOffset + (pa - this.ramBase);
      const dv = this.dv;
      switch (size) {
        case 1: dv.setInt8(off, vLo); break;
        case 2: dv.setInt16(off, vLo, true); break;
        case 4: dv.setInt32(off, vLo, true); break;
        default: dv.setInt32(off, vLo, true); dv.setInt32(off + 4, vHi, true); break;
      }
      return true;
    }
    if (pa % size !== 0) return this.setExc(6, lo, hi);
    const r = this.bus.find(pa);
    if (r === undefined || pa + size > r.baseGpa + r.sizeBytes) return this.setExc(7, lo, hi);
    this.mmioTouched = true;
    const o = pa - r.baseGpa;
    if (size === 8) {
      r.device.write(o, 4, vLo >>> 0);
      r.device.write(o + 4, 4, vHi >>> 0);
    } else {
      r.device.write(o, size as 1 | 2 | 4, vLo >>> 0);
    }
    return true;
  }

  /** A misaligned access spanning two pages: both pages are translated first, then bytes move. */
  private crossPage(lo: number, hi: number, size: number, store: boolean, vLo: number, vHi: number): boolean {
    const acc = store ? Acc.Store : Acc.Load;
    const first = 4096 - (lo & 0xfff);
    const lo2 = (lo + first) | 0;
    const hi2 = (lo2 >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
    const pa1 = this.translate(lo, hi, acc, first);
    if (pa1 < 0) return false;
    const pa2 = this.translate(lo2, hi2, acc, size - first);
    if (pa2 < 0) return false;
    if (!this.isRam(pa1, first) || !this.isRam(pa2, size - first)) {
      return this.setExc(store ? 6 : 4, lo, hi); // misaligned MMIO access
    }
    const dv = this.dv;
    if (store) {
      for (let i = 0; i < size; i++) {
        const byte = i < 4 ? vLo >>> (8 * i) : vHi >>> (8 * (i - 4));
        const pa = i < first ? pa1 + i : pa2 + (i - first);
        dv.setUint8(this.ramOffset + (pa - this.ramBase), byte & 0xff);
      }
      this.mem.markDirty(pa1, first);
      this.mem.markDirty(pa2, size - first);
      return true;
    }
    let rLo = 0;
    let rHi = 0;
    for (let i = 0; i < size; i++) {
      const pa = i < first ? pa1 + i : pa2 + (i - first);
      const byte = dv.getUint8(this.ramOffset + (pa - this.ramBase));
      if (i < 4) rLo |= byte << (8 * i);
      else rHi |= byte << (8 * (i - 4));
    }
    this.rLo = rLo;
    this.rHi = rHi;
    return true;
  }

  private isRam(pa: number, size: number): boolean {
    return pa >= this.ramBase && pa + size <= this.ramEnd;
  }

  // ---------------------------------------------------------------- M extension

  private execMulDiv(insn: number, raw: number, pcLo: number, pcHi: number): Flow {
    const st = this.st;
    const rd2 = (insn >> 6) & 62;
    const rs1 = (insn >> 14) & 62;
    const rs2 = (insn >> 19) & 62;
    const f3 = (insn >> 12) & 7;
    const aLo = st[rs1]!;
    const aHi = st[rs1 + 1]!;
    const bLo = st[rs2]!;
    const bHi = st[rs2 + 1]!;
    let lo: number;
    let hi: number;
    if ((insn & 0x7f) === 0x3b) { // *W forms
      let v: number;
      switch (f3) {
        case 0: v = Math.imul(aLo, bLo); break;
        case 4: v = bLo === 0 ? -1 : aLo === -0x80000000 && bLo === -1 ? aLo : (aLo / bLo) | 0; break;
        case 5: v = bLo === 0 ? -1 : ((aLo >>> 0) / (bLo >>> 0)) | 0; break;
        case 6: v = bLo === 0 ? aLo : aLo === -0x80000000 && bLo === -1 ? 0 : (aLo % bLo) | 0; break;
        case 7: v = bLo === 0 ? aLo : ((aLo >>> 0) % (bLo >>> 0)) | 0; break;
        default: return this.illegal(raw, pcLo, pcHi);
      }
      lo = v;
      hi = v >> 31;
    } else {
      switch (f3) {
        case 0: // mul
          this.mulU32(aLo, bLo);
          lo = this.rLo;
          hi = (this.rHi + Math.imul(aLo, bHi) + Math.imul(aHi, bLo)) | 0;
          break;
        case 1: // mulh
          this.mulhu64(aLo, aHi, bLo, bHi);
          lo = this.rLo;
          hi = this.rHi;
          if (aHi < 0) { const l = (lo - bLo) | 0; hi = (hi - bHi - ((lo >>> 0) < (bLo >>> 0) ? 1 : 0)) | 0; lo = l; }
          if (bHi < 0) { const l = (lo - aLo) | 0; hi = (hi - aHi - ((lo >>> 0) < (aLo >>> 0) ? 1 : 0)) | 0; lo = l; }
          break;
        case 2: // mulhsu
          this.mulhu64(aLo, aHi, bLo, bHi);
          lo = this.rLo;
          hi = this.rHi;
          if (aHi < 0) { const l = (lo - bLo) | 0; hi = (hi - bHi - ((lo >>> 0) < (bLo >>> 0) ? 1 : 0)) | 0; lo = l; }
          break;
        case 3: // mulhu
          this.mulhu64(aLo, aHi, bLo, bHi);
          lo = this.rLo;
          hi = this.rHi;
          break;
        default:
          this.divRem64(aLo, aHi, bLo, bHi, (f3 & 1) === 0, f3 >= 6);
          lo = this.rLo;
          hi = this.rHi;
          break;
      }
    }
    if (rd2 !== 0) {
      st[rd2] = lo;
      st[rd2 + 1] = hi;
    }
    return Flow.Next;
  }

  /** Full 32×32 → 64 unsigned product of a and b into (rLo, rHi). */
  private mulU32(a: number, b: number): void {
    const a0 = a & 0xffff;
    const a1 = a >>> 16;
    const b0 = b & 0xffff;
    const b1 = b >>> 16;
    const p01 = a0 * b1;
    const p10 = a1 * b0;
    const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    this.rLo = Math.imul(a, b);
    this.rHi = (a1 * b1 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
  }

  /** High 64 bits of the unsigned 128-bit product a × b into (rLo, rHi), with 16-bit limbs. */
  private mulhu64(aLo: number, aHi: number, bLo: number, bHi: number): void {
    const a0 = aLo & 0xffff, a1 = aLo >>> 16, a2 = aHi & 0xffff, a3 = aHi >>> 16;
    const b0 = bLo & 0xffff, b1 = bLo >>> 16, b2 = bHi & 0xffff, b3 = bHi >>> 16;
    let t = a0 * b0;
    let c = Math.floor(t / 65536);
    t = a0 * b1 + a1 * b0 + c; c = Math.floor(t / 65536);
    t = a0 * b2 + a1 * b1 + a2 * b0 + c; c = Math.floor(t / 65536);
    t = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0 + c; c = Math.floor(t / 65536);
    t = a1 * b3 + a2 * b2 + a3 * b1 + c; const l4 = t % 65536; c = Math.floor(t / 65536);
    t = a2 * b3 + a3 * b2 + c; const l5 = t % 65536; c = Math.floor(t / 65536);
    t = a3 * b3 + c; const l6 = t % 65536; const l7 = Math.floor(t / 65536);
    this.rLo = l4 | (l5 << 16);
    this.rHi = l6 | (l7 << 16);
  }

  /** 64-bit div/divu/rem/remu with RISC-V results for division by zero and overflow. */
  private divRem64(aLo: number, aHi: number, bLo: number, bHi: number, signed: boolean, rem: boolean): void {
    if (bLo === 0 && bHi === 0) {
      this.rLo = rem ? aLo : -1;
      this.rHi = rem ? aHi : -1;
      return;
    }
    if (!signed) {
      this.udivmod(aLo, aHi, bLo, bHi);
      if (rem) {
        this.rLo = this.remLo;
        this.rHi = this.remHi;
      }
      return;
    }
    if (aLo === 0 && aHi === -0x80000000 && bLo === -1 && bHi === -1) {
      this.rLo = rem ? 0 : aLo;
      this.rHi = rem ? 0 : aHi;
      return;
    }
    const aNeg = aHi < 0;
    const bNeg = bHi < 0;
    let uaLo = aLo, uaHi = aHi, ubLo = bLo, ubHi = bHi;
    if (aNeg) { uaLo = -aLo | 0; uaHi = (~aHi + (aLo === 0 ? 1 : 0)) | 0; }
    if (bNeg) { ubLo = -bLo | 0; ubHi = (~bHi + (bLo === 0 ? 1 : 0)) | 0; }
    this.udivmod(uaLo, uaHi, ubLo, ubHi);
    let lo: number;
    let hi: number;
    let neg: boolean;
    if (rem) { lo = this.remLo; hi = this.remHi; neg = aNeg; } else { lo = this.rLo; hi = this.rHi; neg = aNeg !== bNeg; }
    if (neg) { const l = -lo | 0; hi = (~hi + (lo === 0 ? 1 : 0)) | 0; lo = l; }
    this.rLo = lo;
    this.rHi = hi;
  }

  /**
   * Unsigned 64-bit a / b (b ≠ 0): quotient into (rLo, rHi), remainder into (remLo, remHi), without
   * BigInt: exact doubles below 2^53, 32-bit long division for divisors below 2^21, otherwise a
   * double estimate of the (< 2^43) quotient corrected by an exact multiply-back.
   */
  private udivmod(aLo: number, aHi: number, bLo: number, bHi: number): void {
    const ah = aHi >>> 0;
    const al = aLo >>> 0;
    const bh = bHi >>> 0;
    const bl = bLo >>> 0;
    if (ah < 0x200000 && bh < 0x200000) {
      const a = ah * TWO32 + al;
      const b = bh * TWO32 + bl;
      const r = a % b;
      const q = (a - r) / b;
      this.rLo = toLo(q); this.rHi = toHi(q);
      this.remLo = toLo(r); this.remHi = toHi(r);
      return;
    }
    if (bh === 0 && bl < 0x200000) {
      const qh = Math.floor(ah / bl);
      const r1 = ah - qh * bl;
      const t = r1 * TWO32 + al; // < 2^53
      const r = t % bl;
      this.rHi = qh | 0;
      this.rLo = toLo((t - r) / bl);
      this.remLo = r | 0;
      this.remHi = 0;
      return;
    }
    // b >= 2^21, so q < 2^43; the estimate is within 1 of q, so q - 2 <= est <= q.
    let est = Math.floor((ah * TWO32 + al) / (bh * TWO32 + bl)) - 1;
    if (est < 0) est = 0;
    const qLo = est >>> 0 | 0;
    const qHi = Math.floor(est / TWO32) | 0;
    this.mulU32(qLo, bLo);
    const pLo = this.rLo;
    const pHi = (this.rHi + Math.imul(qLo, bHi) + Math.imul(qHi, bLo)) | 0;
    let rLo = (aLo - pLo) | 0;
    let rHi = (aHi - pHi - ((aLo >>> 0) < (pLo >>> 0) ? 1 : 0)) | 0;
    let q = est;
    while ((rHi >>> 0) > bh || ((rHi >>> 0) === bh && (rLo >>> 0) >= bl)) {
      const l = (rLo - bLo) | 0;
      rHi = (rHi - bHi - ((rLo >>> 0) < (bLo >>> 0) ? 1 : 0)) | 0;
      rLo = l;
      q++;
    }
    this.rLo = toLo(q); this.rHi = toHi(q);
    this.remLo = rLo; this.remHi = rHi;
  }

  // ---------------------------------------------------------------- A extension

  private execAmo(insn: number, raw: number, pcLo: number, pcHi: number): Flow {
    const st = this.st;
    const f3 = (insn >> 12) & 7;
    const f5 = insn >>> 27;
    if (f3 !== 2 && f3 !== 3) return this.illegal(raw, pcLo, pcHi);
    const size = f3 === 2 ? 4 : 8;
    const rd2 = (insn >> 6) & 62;
    const rs1 = (insn >> 14) & 62;
    const rs2 = (insn >> 19) & 62;
    const aLo = st[rs1]!;
    const aHi = st[rs1 + 1]!;
    const isLr = f5 === 2;
    if (isLr && rs2 !== 0) return this.illegal(raw, pcLo, pcHi);
    if (!isLr && f5 !== 3 && f5 !== 1 && f5 !== 0 && f5 !== 4 && f5 !== 0xc && f5 !== 8 && f5 !== 0x10 &&
      f5 !== 0x14 && f5 !== 0x18 && f5 !== 0x1c) {
      return this.illegal(raw, pcLo, pcHi);
    }
    if ((aLo & (size - 1)) !== 0) return this.raise(isLr ? 4 : 6, aLo, aHi, pcLo, pcHi);
    const pa = this.translate(aLo, aHi, isLr ? Acc.Load : Acc.Store, size);
    if (pa < 0) return this.exception(pcLo, pcHi);
    const ram = this.isRam(pa, size);
    if (isLr) {
      if (!this.loadSlow(aLo, aHi, size, Acc.Load)) return this.exception(pcLo, pcHi);
      st[S.RESERVATION_VALID] = size;
      this.st64[S.RESERVATION_ADDR / 2] = pa;
      st[S.RESERVATION_VALUE] = this.rLo;
      st[S.RESERVATION_VALUE + 1] = this.rHi;
      if (rd2 !== 0) {
        st[rd2] = this.rLo;
        st[rd2 + 1] = size === 4 ? this.rLo >> 31 : this.rHi;
      }
      return Flow.Next;
    }
    const bLo = st[rs2]!;
    const bHi = st[rs2 + 1]!;
    if (ram && this.i64 !== undefined) return this.amoShared(f5, size, pa, rd2, bLo, bHi);
    if (f5 === 3) { // SC: succeeds if the reservation matches and memory still holds the LR value
      let ok = st[S.RESERVATION_VALID] === size && this.st64[S.RESERVATION_ADDR / 2] === pa;
      st[S.RESERVATION_VALID] = 0;
      if (ok) {
        if (!this.loadSlow(aLo, aHi, size, Acc.Store)) return this.exception(pcLo, pcHi);
        ok = this.rLo === st[S.RESERVATION_VALUE] && (size === 4 || this.rHi === st[S.RESERVATION_VALUE + 1]);
      }
      if (ok && !this.storeSlow(aLo, aHi, size, bLo, bHi)) return this.exception(pcLo, pcHi);
      if (rd2 !== 0) {
        st[rd2] = ok ? 0 : 1;
        st[rd2 + 1] = 0;
      }
      return Flow.Next;
    }
    if (!ram && !this.bus.find(pa)) return this.raise(7, aLo, aHi, pcLo, pcHi);
    if (!this.loadSlow(aLo, aHi, size, Acc.Store)) return this.exception(pcLo, pcHi);
    const oLo = this.rLo;
    const oHi = size === 4 ? this.rLo >> 31 : this.rHi;
    this.amoCombine(f5, oLo, oHi, bLo, size === 4 ? bLo >> 31 : bHi);
    const nLo = this.rLo;
    const nHi = this.rHi;
    if (!this.storeSlow(aLo, aHi, size, nLo, nHi)) return this.exception(pcLo, pcHi);
    if (rd2 !== 0) {
      st[rd2] = oLo;
      st[rd2 + 1] = oHi;
    }
    return Flow.Next;
  }

  /** The combining step of AMO funct5 f5 on (old, operand) halves, result in (rLo, rHi). */
  private amoCombine(f5: number, oLo: number, oHi: number, cLo: number, cHi: number): void {
    let nLo: number;
    let nHi: number;
    switch (f5) {
      case 1: nLo = cLo; nHi = cHi; break;
      case 0: nLo = (oLo + cLo) | 0; nHi = (oHi + cHi + ((nLo >>> 0) < (oLo >>> 0) ? 1 : 0)) | 0; break;
      case 4: nLo = oLo ^ cLo; nHi = oHi ^ cHi; break;
      case 0xc: nLo = oLo & cLo; nHi = oHi & cHi; break;
      case 8: nLo = oLo | cLo; nHi = oHi | cHi; break;
      default: {
        const less = f5 === 0x10 || f5 === 0x14
          ? oHi < cHi || (oHi === cHi && (oLo >>> 0) < (cLo >>> 0))
          : (oHi >>> 0) < (cHi >>> 0) || (oHi === cHi && (oLo >>> 0) < (cLo >>> 0));
        const takeOld = f5 === 0x10 || f5 === 0x18 ? less : !less;
        nLo = takeOld ? oLo : cLo;
        nHi = takeOld ? oHi : cHi;
      }
    }
    this.rLo = nLo;
    this.rHi = nHi;
  }

  /**
   * SC and AMOs on RAM shared with other threads: one Atomics compare-and-swap loop on the aligned
   * word (SC is a single compare-and-swap against the value its LR read).
   */
  private amoShared(f5: number, size: number, pa: number, rd2: number, bLo: number, bHi: number): Flow {
    const st = this.st;
    const off = this.ramOffset + (pa - this.ramBase);
    this.mem.markDirty(pa, size);
    if (f5 === 3) {
      let ok = st[S.RESERVATION_VALID] === size && this.st64[S.RESERVATION_ADDR / 2] === pa;
      st[S.RESERVATION_VALID] = 0;
      if (ok) {
        if (size === 4) {
          ok = Atomics.compareExchange(this.i32, off >> 2, st[S.RESERVATION_VALUE]!, bLo) === st[S.RESERVATION_VALUE];
        } else {
          const expect = (BigInt(st[S.RESERVATION_VALUE + 1]!) << 32n) | BigInt(st[S.RESERVATION_VALUE]! >>> 0);
          ok = Atomics.compareExchange(this.i64!, off >> 3, expect, (BigInt(bHi) << 32n) | BigInt(bLo >>> 0)) === expect;
        }
      }
      this.setXReg(rd2 >> 1, ok ? 0 : 1, 0);
      return Flow.Next;
    }
    if (size === 4) {
      const idx = off >> 2;
      for (;;) {
        const old = Atomics.load(this.i32, idx);
        this.amoCombine(f5, old, old >> 31, bLo, bLo >> 31);
        if (Atomics.compareExchange(this.i32, idx, old, this.rLo) === old) {
          this.setXReg(rd2 >> 1, old, old >> 31);
          return Flow.Next;
        }
      }
    }
    const idx = off >> 3;
    const i64 = this.i64!;
    for (;;) {
      const old = Atomics.load(i64, idx);
      const oLo = Number(BigInt.asIntN(32, old));
      const oHi = Number(old >> 32n);
      this.amoCombine(f5, oLo, oHi, bLo, bHi);
      if (Atomics.compareExchange(i64, idx, old, (BigInt(this.rHi) << 32n) | BigInt(this.rLo >>> 0)) === old) {
        this.setXReg(rd2 >> 1, oLo, oHi);
        return Flow.Next;
      }
    }
  }

  // ---------------------------------------------------------------- SYSTEM

  private execSystem(insn: number, raw: number, pcLo: number, pcHi: number, npLo: number, npHi: number): Flow {
    const st = this.st;
    const f3 = (insn >> 12) & 7;
    const priv = st[S.PRIV]!;
    if (f3 === 0) {
      const rd = (insn >> 7) & 31;
      const rs1 = (insn >> 15) & 31;
      const f12 = insn >>> 20;
      const f7 = insn >>> 25;
      if (f7 === 0x09) { // SFENCE.VMA
        if (rd !== 0 || priv === 0 || (priv === 1 && (st[S.MSTATUS]! & MS_TVM) !== 0)) return this.illegal(raw, pcLo, pcHi);
        if (rs1 === 0) this.flushTlb();
        else this.flushTlbPage(st[2 * rs1]!, st[2 * rs1 + 1]!); // one address (any ASID)
        return Flow.NextCheck;
      }
      if (rd !== 0 || rs1 !== 0) return this.illegal(raw, pcLo, pcHi);
      switch (f12) {
        case 0x000: { // ECALL
          if (priv === 1 && this.env.sbi !== undefined) {
            if (this.env.sbi(this)) {
              // the hook may have moved this hart (reset, hart stop): then its pc wins over pc + 4
              if (st[S.PC] !== pcLo || st[S.PC + 1] !== pcHi) return Flow.Redirect;
              return Flow.NextCheck;
            }
          }
          return this.raise(8 + priv, 0, 0, pcLo, pcHi);
        }
        case 0x001: // EBREAK
          return this.raise(3, pcLo, pcHi, pcLo, pcHi);
        case 0x102: { // SRET
          if (priv === 0 || (priv === 1 && (st[S.MSTATUS]! & MS_TSR) !== 0)) return this.illegal(raw, pcLo, pcHi);
          let mst = st[S.MSTATUS]!;
          const spp = (mst >> 8) & 1;
          mst = (mst & ~(MS_SIE | MS_SPP)) | ((mst & MS_SPIE) >> 4) | MS_SPIE;
          if (spp !== 3) mst &= ~MS_MPRV;
          st[S.MSTATUS] = mst;
          st[S.PRIV] = spp;
          st[S.RESERVATION_VALID] = 0;
          st[S.PC] = st[S.SEPC]!;
          st[S.PC + 1] = st[S.SEPC + 1]!;
          this.selectBanks();
          return Flow.Redirect;
        }
        case 0x302: { // MRET
          if (priv !== 3) return this.illegal(raw, pcLo, pcHi);
          let mst = st[S.MSTATUS]!;
          const mpp = (mst >> 11) & 3;
          mst = (mst & ~(MS_MIE | MS_MPP)) | ((mst & MS_MPIE) >> 4) | MS_MPIE;
          if (mpp !== 3) mst &= ~MS_MPRV;
          st[S.MSTATUS] = mst;
          st[S.PRIV] = mpp;
          st[S.RESERVATION_VALID] = 0;
          st[S.PC] = st[S.MEPC]!;
          st[S.PC + 1] = st[S.MEPC + 1]!;
          this.selectBanks();
          return Flow.Redirect;
        }
        case 0x105: { // WFI
          if (priv === 0 || (priv === 1 && (st[S.MSTATUS]! & MS_TW) !== 0)) return this.illegal(raw, pcLo, pcHi);
          this.updateSstc();
          if ((this.mipValue() & st[S.MIE]!) === 0) st[S.WAITING] = 1;
          return Flow.NextCheck;
        }
        default:
          return this.illegal(raw, pcLo, pcHi);
      }
    }
    if (f3 === 4) return this.illegal(raw, pcLo, pcHi);
    // Zicsr
    const csr = insn >>> 20;
    const rd2 = (insn >> 6) & 62;
    const rs1 = (insn >> 15) & 31;
    const op = f3 & 3;
    const writes = op === 1 || rs1 !== 0;
    if (((csr >> 8) & 3) > priv) return this.illegal(raw, pcLo, pcHi);
    if (writes && (csr >>> 10) === 3) return this.illegal(raw, pcLo, pcHi);
    if (!this.csrAccessible(csr, priv)) return this.illegal(raw, pcLo, pcHi);
    if (!this.csrRead(csr)) return this.illegal(raw, pcLo, pcHi);
    const oldLo = this.rLo;
    const oldHi = this.rHi;
    if (writes) {
      let sLo: number;
      let sHi: number;
      if (f3 >= 4) {
        sLo = rs1;
        sHi = 0;
      } else {
        sLo = st[2 * rs1]!;
        sHi = st[2 * rs1 + 1]!;
      }
      let nLo = sLo;
      let nHi = sHi;
      // read-modify-write of mip/sip works on the software-writable bits only: a pending external
      // line (SEIP from the PLIC) must not be latched into the software SEIP bit (priv. 1.12 §3.1.9)
      const baseLo = csr === 0x344 || csr === 0x144 ? st[S.MIP_SW]! : oldLo;
      if (op === 2) { nLo = baseLo | sLo; nHi = oldHi | sHi; } else if (op === 3) { nLo = baseLo & ~sLo; nHi = oldHi & ~sHi; }
      this.csrWrite(csr, nLo, nHi);
      // the writing instruction itself retires after the write and must not count
      if (csr === 0xb00) this.st64[S.CYCLE_OFFSET / 2] -= 1;
      else if (csr === 0xb02) this.st64[S.INSTRET_OFFSET / 2] -= 1;
    }
    if (rd2 !== 0) {
      st[rd2] = oldLo;
      st[rd2 + 1] = oldHi;
    }
    return Flow.NextCheck;
  }

  /** Access gates beyond the privilege field of the number: counters, Sstc, TVM, FS. */
  private csrAccessible(csr: number, priv: number): boolean {
    const st = this.st;
    if (csr >= 0xc00 && csr <= 0xc1f) {
      const bit = 1 << (csr - 0xc00);
      if (priv < 3 && (st[S.MCOUNTEREN]! & bit) === 0) return false;
      if (priv === 0 && (st[S.SCOUNTEREN]! & bit) === 0) return false;
      return true;
    }
    if (csr === 0x14d) { // stimecmp
      if (priv < 3 && (st[S.MENVCFG + 1]! >= 0 || (st[S.MCOUNTEREN]! & 2) === 0)) return false;
      return true;
    }
    if (csr === 0x180) return !(priv === 1 && (st[S.MSTATUS]! & MS_TVM) !== 0);
    if (csr >= 1 && csr <= 3) return (st[S.MSTATUS]! & MS_FS) !== 0;
    return true;
  }

  private counterValue(offsetSlot: number): number {
    return this.retiredBase + this.runCount + this.st64[offsetSlot / 2]!;
  }

  /** Reads CSR `csr` into (rLo, rHi); false if the CSR does not exist. */
  private csrRead(csr: number): boolean {
    const st = this.st;
    let lo = 0;
    let hi = 0;
    switch (csr) {
      case 0x001: lo = st[S.FCSR]! & 0x1f; break;
      case 0x002: lo = (st[S.FCSR]! >> 5) & 7; break;
      case 0x003: lo = st[S.FCSR]! & 0xff; break;
      case 0xc00: case 0xb00: { const v = this.counterValue(S.CYCLE_OFFSET); lo = toLo(v); hi = toHi(v); break; }
      case 0xc02: case 0xb02: { const v = this.counterValue(S.INSTRET_OFFSET); lo = toLo(v); hi = toHi(v); break; }
      case 0xc01: { const v = this.env.clock.ticks(); lo = toLo(v); hi = toHi(v); break; }
      case 0x100: lo = st[S.MSTATUS]! & SSTATUS_MASK; hi = st[S.MSTATUS + 1]! & (SD_HI | 3); break;
      case 0x104: lo = st[S.MIE]! & st[S.MIDELEG]!; break;
      case 0x105: lo = st[S.STVEC]!; hi = st[S.STVEC + 1]!; break;
      case 0x106: lo = st[S.SCOUNTEREN]!; break;
      case 0x10a: lo = st[S.SENVCFG]!; break;
      case 0x140: lo = st[S.SSCRATCH]!; hi = st[S.SSCRATCH + 1]!; break;
      case 0x141: lo = st[S.SEPC]!; hi = st[S.SEPC + 1]!; break;
      case 0x142: lo = st[S.SCAUSE]!; hi = st[S.SCAUSE + 1]!; break;
      case 0x143: lo = st[S.STVAL]!; hi = st[S.STVAL + 1]!; break;
      case 0x144: lo = this.mipValue() & st[S.MIDELEG]!; break;
      case 0x14d: lo = st[S.STIMECMP]!; hi = st[S.STIMECMP + 1]!; break;
      case 0x180: lo = st[S.SATP]!; hi = st[S.SATP + 1]!; break;
      case 0xf11: lo = HART_MVENDORID; break;
      case 0xf12: lo = HART_MARCHID; break;
      case 0xf13: lo = HART_MIMPID; break;
      case 0xf14: lo = this.hartId; break;
      case 0xf15: break; // mconfigptr: no configuration structure
      case 0x300: lo = st[S.MSTATUS]!; hi = st[S.MSTATUS + 1]!; break;
      case 0x301: lo = MISA_LO; hi = 2 << 30; break;
      case 0x302: lo = st[S.MEDELEG]!; break;
      case 0x303: lo = st[S.MIDELEG]!; break;
      case 0x304: lo = st[S.MIE]!; break;
      case 0x305: lo = st[S.MTVEC]!; hi = st[S.MTVEC + 1]!; break;
      case 0x306: lo = st[S.MCOUNTEREN]!; break;
      case 0x30a: lo = st[S.MENVCFG]!; hi = st[S.MENVCFG + 1]!; break;
      case 0x320: lo = st[S.MCOUNTINHIBIT]!; break;
      case 0x340: lo = st[S.MSCRATCH]!; hi = st[S.MSCRATCH + 1]!; break;
      case 0x341: lo = st[S.MEPC]!; hi = st[S.MEPC + 1]!; break;
      case 0x342: lo = st[S.MCAUSE]!; hi = st[S.MCAUSE + 1]!; break;
      case 0x343: lo = st[S.MTVAL]!; hi = st[S.MTVAL + 1]!; break;
      case 0x344: lo = this.mipValue(); break;
      default:
        if ((csr >= 0xc03 && csr <= 0xc1f) || (csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) break;
        if (csr >= 0x3a0 && csr <= 0x3af) {
          if (csr & 1) return false; // odd pmpcfg registers exist only on RV32
          const k = csr - 0x3a0; // entries 4k .. 4k+7
          lo = st[S.PMPCFG + k]!;
          hi = st[S.PMPCFG + k + 1]!;
          break;
        }
        if (csr >= 0x3b0 && csr <= 0x3ef) {
          const i = csr - 0x3b0;
          lo = st[S.PMPADDR + 2 * i]!;
          hi = st[S.PMPADDR + 2 * i + 1]!;
          break;
        }
        return false;
    }
    this.rLo = lo;
    this.rHi = hi;
    return true;
  }

  /** Writes CSR `csr` with WARL rules; unknown or read-only CSRs ignore the write. */
  private csrWrite(csr: number, lo: number, hi: number): void {
    const st = this.st;
    switch (csr) {
      case 0x001: st[S.FCSR] = (st[S.FCSR]! & ~0x1f) | (lo & 0x1f); this.setFsDirty(); break;
      case 0x002: st[S.FCSR] = (st[S.FCSR]! & 0x1f) | ((lo & 7) << 5); this.setFsDirty(); break;
      case 0x003: st[S.FCSR] = lo & 0xff; this.setFsDirty(); break;
      case 0xb00: this.st64[S.CYCLE_OFFSET / 2] = (hi >>> 0) * TWO32 + (lo >>> 0) - this.retiredBase - this.runCount; break;
      case 0xb02: this.st64[S.INSTRET_OFFSET / 2] = (hi >>> 0) * TWO32 + (lo >>> 0) - this.retiredBase - this.runCount; break;
      case 0x100: this.writeMstatus((st[S.MSTATUS]! & ~SSTATUS_WMASK) | (lo & SSTATUS_WMASK)); break;
      case 0x104: { const m = st[S.MIDELEG]!; st[S.MIE] = (st[S.MIE]! & ~m) | (lo & m & MIE_WMASK); break; }
      case 0x105: st[S.STVEC] = lo & ~2; st[S.STVEC + 1] = hi; break;
      case 0x106: st[S.SCOUNTEREN] = lo; break;
      case 0x10a: st[S.SENVCFG] = lo & 1; break;
      case 0x140: st[S.SSCRATCH] = lo; st[S.SSCRATCH + 1] = hi; break;
      case 0x141: st[S.SEPC] = lo & ~1; st[S.SEPC + 1] = hi; break;
      case 0x142: st[S.SCAUSE] = lo; st[S.SCAUSE + 1] = hi & (1 << 31); break;
      case 0x143: st[S.STVAL] = lo; st[S.STVAL + 1] = hi; break;
      case 0x144: { // sip: only SSIP is writable, and only when delegated
        const m = st[S.MIDELEG]! & MIP_SSIP;
        st[S.MIP_SW] = (st[S.MIP_SW]! & ~m) | (lo & m);
        break;
      }
      case 0x14d: st[S.STIMECMP] = lo; st[S.STIMECMP + 1] = hi; this.updateSstc(); break;
      case 0x180: {
        const mode = hi >>> 28;
        if (mode !== 0 && mode !== 8 && mode !== 9) break; // unsupported mode: write ignored
        st[S.SATP] = lo;
        st[S.SATP + 1] = hi;
        this.flushTlb();
        break;
      }
      case 0x300: this.writeMstatus(lo); break;
      case 0x302: st[S.MEDELEG] = lo & MEDELEG_WMASK; break;
      case 0x303: st[S.MIDELEG] = lo & MIDELEG_WMASK; break;
      case 0x304: st[S.MIE] = lo & MIE_WMASK; break;
      case 0x305: st[S.MTVEC] = lo & ~2; st[S.MTVEC + 1] = hi; break;
      case 0x306: st[S.MCOUNTEREN] = lo; break;
      case 0x30a: st[S.MENVCFG] = lo & 1; st[S.MENVCFG + 1] = hi & (1 << 31); this.updateSstc(); break;
      case 0x320: st[S.MCOUNTINHIBIT] = lo & ~2; break;
      case 0x340: st[S.MSCRATCH] = lo; st[S.MSCRATCH + 1] = hi; break;
      case 0x341: st[S.MEPC] = lo & ~1; st[S.MEPC + 1] = hi; break;
      case 0x342: st[S.MCAUSE] = lo; st[S.MCAUSE + 1] = hi & (1 << 31); break;
      case 0x343: st[S.MTVAL] = lo; st[S.MTVAL + 1] = hi; break;
      case 0x344: { // mip: SSIP, STIP (unless Sstc owns it), SEIP are software-writable
        const m = MIP_SSIP | MIP_SEIP | (st[S.MENVCFG + 1]! < 0 ? 0 : MIP_STIP);
        st[S.MIP_SW] = (st[S.MIP_SW]! & ~m) | (lo & m);
        break;
      }
      default:
        if (csr >= 0x3a0 && csr <= 0x3af && (csr & 1) === 0) {
          const k = csr - 0x3a0;
          this.writePmpcfgWord(k, lo);
          this.writePmpcfgWord(k + 1, hi);
          this.rebuildPmp();
          this.flushTlb();
        } else if (csr >= 0x3b0 && csr <= 0x3ef) {
          const i = csr - 0x3b0;
          if (this.pmpAddrLocked(i)) break;
          st[S.PMPADDR + 2 * i] = lo;
          st[S.PMPADDR + 2 * i + 1] = hi & 0x3fffff;
          this.rebuildPmp();
          this.flushTlb();
        }
        break;
    }
  }

  private writePmpcfgWord(slot: number, v: number): void {
    const st = this.st;
    let cur = st[S.PMPCFG + slot]!;
    for (let b = 0; b < 4; b++) {
      const shift = 8 * b;
      if (((cur >>> shift) & PMP_L) !== 0) continue; // locked entry: ignored
      let cfg = (v >>> shift) & 0x9f;
      if ((cfg & (PMP_R | PMP_W)) === PMP_W) cfg &= ~PMP_W; // R=0 W=1 is reserved
      cur = (cur & ~(0xff << shift)) | (cfg << shift);
    }
    st[S.PMPCFG + slot] = cur;
  }

  private pmpCfg(i: number): number {
    return (this.st[S.PMPCFG + (i >> 2)]! >>> ((i & 3) * 8)) & 0xff;
  }

  private pmpAddrLocked(i: number): boolean {
    if ((this.pmpCfg(i) & PMP_L) !== 0) return true;
    if (i < 63) {
      const next = this.pmpCfg(i + 1);
      if ((next & PMP_L) !== 0 && (next & PMP_A) === 0x08) return true; // TOR top of a locked entry
    }
    return false;
  }

  private writeMstatus(v: number): void {
    const st = this.st;
    const old = st[S.MSTATUS]!;
    let nv = (old & ~MSTATUS_WMASK) | (v & MSTATUS_WMASK);
    if ((nv & MS_MPP) === (2 << 11)) nv = (nv & ~MS_MPP) | (old & MS_MPP); // MPP = 2 is reserved: keep
    st[S.MSTATUS] = nv;
    st[S.MSTATUS + 1] = MSTATUS_HI_FIXED | ((nv & MS_FS) === MS_FS ? SD_HI : 0);
    if (((old ^ nv) & MS_MXR) !== 0) this.flushTlb(); // MXR changes what the cached pages allow
    else if (((old ^ nv) & (MS_MPRV | MS_SUM | MS_MPP)) !== 0) this.selectBanks();
  }

  private setFsDirty(): void {
    const st = this.st;
    st[S.MSTATUS] |= MS_FS;
    st[S.MSTATUS + 1] |= SD_HI;
  }

  // ---------------------------------------------------------------- F and D

  /** Resolves the rm field (7 = frm); -1 for a reserved mode. */
  private roundingMode(insn: number): number {
    let rm = (insn >> 12) & 7;
    if (rm === 7) rm = (this.st[S.FCSR]! >> 5) & 7;
    return rm >= 5 ? -1 : rm;
  }

  /** binary32 operand from f register r, unboxed (improperly boxed values read as the canonical NaN). */
  private f32(r: number): number {
    const st = this.st;
    return st[S.F + 2 * r + 1] === -1 ? st[S.F + 2 * r]! : 0x7fc00000;
  }

  private setF32(r: number, v: number): void {
    this.st[S.F + 2 * r] = v;
    this.st[S.F + 2 * r + 1] = -1;
    this.setFsDirty();
  }

  private setF64(r: number, lo: number, hi: number): void {
    this.st[S.F + 2 * r] = lo;
    this.st[S.F + 2 * r + 1] = hi;
    this.setFsDirty();
  }

  private accrue(flags: number): void {
    if (flags !== 0) {
      this.st[S.FCSR] |= flags;
      this.setFsDirty();
    }
  }

  private execFp(insn: number, raw: number, pcLo: number, pcHi: number): Flow {
    const st = this.st;
    if ((st[S.MSTATUS]! & MS_FS) === 0) return this.illegal(raw, pcLo, pcHi);
    const op = insn & 0x7f;
    const rd = (insn >> 7) & 31;
    const f3 = (insn >> 12) & 7;
    const rs1 = (insn >> 15) & 31;
    const rs2 = (insn >> 20) & 31;
    if (op === 0x07 || op === 0x27) { // FLW/FLD, FSW/FSD
      if (f3 !== 2 && f3 !== 3) return this.illegal(raw, pcLo, pcHi);
      const imm = op === 0x07 ? insn >> 20 : ((insn >> 25) << 5) | ((insn >>> 7) & 31);
      const b = st[2 * rs1]!;
      const aLo = (b + imm) | 0;
      const aHi = (st[2 * rs1 + 1]! + (imm >> 31) + ((aLo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
      const size = f3 === 2 ? 4 : 8;
      // the TLB fast path, as for integer loads and stores
      const t = this.dataBank + (op === 0x07 ? Acc.Load : Acc.Store);
      const idx = (aLo >>> 12) & TLB_MASK;
      if (this.tlbTag[t]![idx] === (aLo & -4096) && this.tlbTagHi[t]![idx] === aHi && (aLo & 0xfff) <= 4096 - size) {
        const off = this.tlbOff[t]![idx]! + (aLo & 0xfff);
        const dv = this.dv;
        if (op === 0x07) {
          if (size === 4) this.setF32(rd, dv.getInt32(off, true));
          else this.setF64(rd, dv.getInt32(off, true), dv.getInt32(off + 4, true));
        } else {
          dv.setInt32(off, st[S.F + 2 * rs2]!, true);
          if (size === 8) dv.setInt32(off + 4, st[S.F + 2 * rs2 + 1]!, true);
        }
        return Flow.Next;
      }
      if (op === 0x07) {
        if (!this.loadSlow(aLo, aHi, size, Acc.Load)) return this.exception(pcLo, pcHi);
        if (size === 4) this.setF32(rd, this.rLo);
        else this.setF64(rd, this.rLo, this.rHi);
      } else if (!this.storeSlow(aLo, aHi, size, st[S.F + 2 * rs2]!, st[S.F + 2 * rs2 + 1]!)) {
        return this.exception(pcLo, pcHi);
      }
      return Flow.Next;
    }
    const sf = this.fpu;
    if (sf === undefined) return this.illegal(raw, pcLo, pcHi);
    const fmt = (insn >> 25) & 3;
    if (fmt > 1) return this.illegal(raw, pcLo, pcHi);
    const dbl = fmt === 1;
    const aLo = st[S.F + 2 * rs1]!;
    const aHi = st[S.F + 2 * rs1 + 1]!;
    const bLo = st[S.F + 2 * rs2]!;
    const bHi = st[S.F + 2 * rs2 + 1]!;
    if (op !== 0x53) { // fused multiply-add family
      const rm = this.roundingMode(insn);
      if (rm < 0) return this.illegal(raw, pcLo, pcHi);
      const rs3 = insn >>> 27;
      const negProduct = op === 0x4b || op === 0x4f;
      const negAddend = op === 0x47 || op === 0x4f;
      if (dbl) {
        sf.fma64(aLo, aHi, bLo, bHi, st[S.F + 2 * rs3]!, st[S.F + 2 * rs3 + 1]!, rm, negProduct, negAddend);
        this.setF64(rd, sf.lo, sf.hi);
      } else {
        sf.fma32(this.f32(rs1), this.f32(rs2), this.f32(rs3), rm, negProduct, negAddend);
        this.setF32(rd, sf.lo);
      }
      this.accrue(sf.flags);
      return Flow.Next;
    }
    const f5 = insn >>> 27;
    const a32 = dbl ? 0 : this.f32(rs1);
    const b32 = dbl ? 0 : this.f32(rs2);
    switch (f5) {
      case 0x00: case 0x01: case 0x02: case 0x03: { // fadd fsub fmul fdiv
        const rm = this.roundingMode(insn);
        if (rm < 0) return this.illegal(raw, pcLo, pcHi);
        if (dbl) {
          if (f5 === 0) sf.add64(aLo, aHi, bLo, bHi, rm);
          else if (f5 === 1) sf.sub64(aLo, aHi, bLo, bHi, rm);
          else if (f5 === 2) sf.mul64(aLo, aHi, bLo, bHi, rm);
          else sf.div64(aLo, aHi, bLo, bHi, rm);
          this.setF64(rd, sf.lo, sf.hi);
        } else {
          if (f5 === 0) sf.add32(a32, b32, rm);
          else if (f5 === 1) sf.sub32(a32, b32, rm);
          else if (f5 === 2) sf.mul32(a32, b32, rm);
          else sf.div32(a32, b32, rm);
          this.setF32(rd, sf.lo);
        }
        this.accrue(sf.flags);
        return Flow.Next;
      }
      case 0x0b: { // fsqrt
        const rm = this.roundingMode(insn);
        if (rm < 0 || rs2 !== 0) return this.illegal(raw, pcLo, pcHi);
        if (dbl) {
          sf.sqrt64(aLo, aHi, rm);
          this.setF64(rd, sf.lo, sf.hi);
        } else {
          sf.sqrt32(a32, rm);
          this.setF32(rd, sf.lo);
        }
        this.accrue(sf.flags);
        return Flow.Next;
      }
      case 0x04: { // fsgnj / fsgnjn / fsgnjx
        if (f3 > 2) return this.illegal(raw, pcLo, pcHi);
        const sa = dbl ? aHi : a32;
        const sb = dbl ? bHi : b32;
        const sign = f3 === 0 ? sb & (1 << 31) : f3 === 1 ? ~sb & (1 << 31) : (sa ^ sb) & (1 << 31);
        if (dbl) this.setF64(rd, aLo, (aHi & 0x7fffffff) | sign);
        else this.setF32(rd, (a32 & 0x7fffffff) | sign);
        return Flow.Next;
      }
      case 0x05: { // fmin / fmax
        if (f3 > 1) return this.illegal(raw, pcLo, pcHi);
        if (dbl) {
          if (f3 === 0) sf.min64(aLo, aHi, bLo, bHi);
          else sf.max64(aLo, aHi, bLo, bHi);
          this.setF64(rd, sf.lo, sf.hi);
        } else {
          if (f3 === 0) sf.min32(a32, b32);
          else sf.max32(a32, b32);
          this.setF32(rd, sf.lo);
        }
        this.accrue(sf.flags);
        return Flow.Next;
      }
      case 0x08: { // fcvt.s.d / fcvt.d.s
        const rm = this.roundingMode(insn);
        if (rm < 0) return this.illegal(raw, pcLo, pcHi);
        if (dbl && rs2 === 0) {
          sf.f32ToF64(this.f32(rs1));
          this.setF64(rd, sf.lo, sf.hi);
        } else if (!dbl && rs2 === 1) {
          sf.f64ToF32(aLo, aHi, rm);
          this.setF32(rd, sf.lo);
        } else {
          return this.illegal(raw, pcLo, pcHi);
        }
        this.accrue(sf.flags);
        return Flow.Next;
      }
      case 0x14: { // feq flt fle
        if (f3 > 2) return this.illegal(raw, pcLo, pcHi);
        if (dbl) {
          if (f3 === 2) sf.eq64(aLo, aHi, bLo, bHi);
          else if (f3 === 1) sf.lt64(aLo, aHi, bLo, bHi);
          else sf.le64(aLo, aHi, bLo, bHi);
        } else {
          if (f3 === 2) sf.eq32(a32, b32);
          else if (f3 === 1) sf.lt32(a32, b32);
          else sf.le32(a32, b32);
        }
        this.setXReg(rd, sf.lo, 0);
        this.accrue(sf.flags);
        return Flow.Next;
      }
      case 0x18: { // fcvt.{w,wu,l,lu}.{s,d}
        const rm = this.roundingMode(insn);
        if (rm < 0 || rs2 > 3) return this.illegal(raw, pcLo, pcHi);
        switch (rs2) {
          case 0: if (dbl) sf.f64ToI32(aLo, aHi, rm); else sf.f32ToI32(a32, rm); this.setXReg(rd, sf.lo, sf.lo >> 31); break;
          case 1: if (dbl) sf.f64ToU32(aLo, aHi, rm); else sf.f32ToU32(a32, rm); this.setXReg(rd, sf.lo, sf.lo >> 31); break;
          case 2: if (dbl) sf.f64ToI64(aLo, aHi, rm); else sf.f32ToI64(a32, rm); this.setXReg(rd, sf.lo, sf.hi); break;
          default: if (dbl) sf.f64ToU64(aLo, aHi, rm); else sf.f32ToU64(a32, rm); this.setXReg(rd, sf.lo, sf.hi); break;
        }
        this.accrue(sf.flags);
        return Flow.Next;
      }
      case 0x1a: { // fcvt.{s,d}.{w,wu,l,lu}
        const rm = this.roundingMode(insn);
        if (rm < 0 || rs2 > 3) return this.illegal(raw, pcLo, pcHi);
        const xLo = st[2 * rs1]!;
        const xHi = st[2 * rs1 + 1]!;
        if (dbl) {
          if (rs2 === 0) sf.i32ToF64(xLo, rm);
          else if (rs2 === 1) sf.u32ToF64(xLo, rm);
          else if (rs2 === 2) sf.i64ToF64(xLo, xHi, rm);
          else sf.u64ToF64(xLo, xHi, rm);
          this.setF64(rd, sf.lo, sf.hi);
        } else {
          if (rs2 === 0) sf.i32ToF32(xLo, rm);
          else if (rs2 === 1) sf.u32ToF32(xLo, rm);
          else if (rs2 === 2) sf.i64ToF32(xLo, xHi, rm);
          else sf.u64ToF32(xLo, xHi, rm);
          this.setF32(rd, sf.lo);
        }
        this.accrue(sf.flags);
        return Flow.Next;
      }
      case 0x1c: { // fmv.x.{w,d} / fclass
        if (rs2 !== 0 || f3 > 1) return this.illegal(raw, pcLo, pcHi);
        if (f3 === 0) {
          if (dbl) this.setXReg(rd, aLo, aHi);
          else this.setXReg(rd, aLo, aLo >> 31);
        } else {
          if (dbl) sf.class64(aLo, aHi);
          else sf.class32(a32);
          this.setXReg(rd, sf.lo, 0);
        }
        return Flow.Next;
      }
      case 0x1e: { // fmv.{w,d}.x
        if (rs2 !== 0 || f3 !== 0) return this.illegal(raw, pcLo, pcHi);
        if (dbl) this.setF64(rd, st[2 * rs1]!, st[2 * rs1 + 1]!);
        else this.setF32(rd, st[2 * rs1]!);
        return Flow.Next;
      }
      default:
        return this.illegal(raw, pcLo, pcHi);
    }
  }

  private setXReg(rd: number, lo: number, hi: number): void {
    if (rd !== 0) {
      this.st[2 * rd] = lo;
      this.st[2 * rd + 1] = hi;
    }
  }
}
