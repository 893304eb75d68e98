// One RV64IMAFDC hart: the reference interpreter. Integer registers, pc, CSRs and the software
// TLBs live in the domain's WebAssembly.Memory at stateOffset (layout in hart-layout.ts); 64-bit
// values are (lo, hi) int32 pairs. Traps are state changes, never JavaScript exceptions.
// This file holds the Hart API and the run loop (fetch, RVC expansion, the inline integer
// instructions and the TLB fast path of loads and stores). The rest of the hart is split by job
// (src/cpu/README.md): free functions over this class's internal members in trap.ts, system.ts,
// csr.ts, mmu.ts, slow-access.ts, atomics.ts, fp-exec.ts and trace.ts, and two helper objects
// that own their own derived state, Pmp (pmp.ts) and MulDiv (mul-div.ts).
import type { Clock } from '../base/clock.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { MmioBus } from '../memory/mmio-bus.js';
import * as softFloatModule from './fpu/soft-float.js';
import type { SoftFloat } from './fpu/soft-float.js';
import { COMPRESSED_EXPANSION } from './compressed.js';
import { HartSlot as S, HART_STATE_BYTES, TLB_BANKS, TLB_ENTRIES } from './hart-layout.js';
import { Mstatus, MstatusHi } from './csr-bits.js';
import { csrRead, csrWrite, writeMstatus } from './csr.js';
import { Flow } from './flow.js';
import { Acc, TlbTag, flushIcache, flushStoreTlb, flushTlb, selectBanks } from './mmu.js';
import { Pmp } from './pmp.js';
import { fetchSlow, loadSlow, storeSlow } from './slow-access.js';
import { exception, illegal, mipValue, pendingInterrupt, trap, updateSstc } from './trap.js';
import { execSystem } from './system.js';
import { MulDiv } from './mul-div.js';
import { execAmo } from './atomics.js';
import { execFp } from './fp-exec.js';
import { traceOne } from './trace.js';

const TWO32 = 4294967296;

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

/** mvendorid, marchid and mimpid of the virtual hart, and misa bits 31:0 (defined with the CSR file). */
export { HART_MARCHID, HART_MIMPID, HART_MVENDORID, MISA_LO } from './csr.js';

const TLB_MASK = TLB_ENTRIES - 1;
/** Hart.jitPages value of a page the JIT's runner watches. */
export const JIT_WATCHED = 255;

/** Hart.jitCounts value of a block start that has generated code: run() stops at jumps to it. */
export const JIT_ENTRY = 0xffff;

/** Hart.jitCounts value of a block start with nothing to translate (its first instruction is not
 *  translated): run() never stops there. */
export const JIT_SKIP = 0xfffe;

/** Illegal-instruction sentinel from the compressed table. */
const CX = COMPRESSED_EXPANSION;

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

  // ---- Internal state. The members marked @internal are not part of the Hart API: they are
  // public only so that the files of src/cpu/ implementing the hart as free functions over it
  // (trap.ts, system.ts, csr.ts, mmu.ts, slow-access.ts, atomics.ts, fp-exec.ts, trace.ts) can
  // reach them. Nothing outside src/cpu/ may use them.

  /** @internal The board this hart sits on. */
  readonly env: HartEnv;
  /** @internal */
  readonly mem: GuestMemory;
  /** @internal */
  readonly bus: MmioBus;
  /** @internal Hart state (x, f, pc, CSRs, TLBs), int32 slots. */
  readonly st: Int32Array;
  /** @internal The same state as float64 slots (counter offsets, reservation address). */
  readonly st64: Float64Array;
  /** @internal Views of the whole guest memory buffer. */
  readonly dv: DataView;
  private readonly u16: Uint16Array;
  /** @internal */
  readonly i32: Int32Array;
  /** @internal 64-bit view for atomic AMOs when the memory is shared between threads (else undefined). */
  readonly i64: BigInt64Array | undefined;
  /** @internal RAM as [ramBase, ramEnd) in guest-physical addresses, at ramOffset in the buffer. */
  readonly ramBase: number;
  /** @internal */
  readonly ramEnd: number;
  /** @internal */
  readonly ramOffset: number;
  /** @internal TLBs, indexed by bank * 3 + access type: tag low/high halves, buffer offset of the page. */
  readonly tlbTag: Int32Array[];
  /** @internal */
  readonly tlbTagHi: Int32Array[];
  /** @internal */
  readonly tlbOff: Uint32Array[];
  /** @internal Derived PMP ranges (rebuilt from the CSRs on every pmp write). */
  readonly pmp: Pmp;
  /** @internal undefined when the soft-float module is a contract stub without SoftFloat. */
  readonly fpu: SoftFloat | undefined;
  /** The M extension, with its own scratch. */
  private readonly mulDiv: MulDiv;
  /** @internal Scratch result of slow paths: a 64-bit value as (rLo, rHi). */
  rLo = 0;
  /** @internal */
  rHi = 0;
  /** @internal The exception a slow path recorded (setExc): cause and tval. */
  excCause = 0;
  /** @internal */
  excTvalLo = 0;
  /** @internal */
  excTvalHi = 0;
  /** @internal Set by translate when the translated page may be cached in a TLB. */
  tlbFillable = false;
  /** @internal Set when a slow path reached a device: the device may have raised an interrupt line. */
  mmioTouched = false;
  /** @internal TLB array index (bank * 3) for fetches and for loads/stores in the current context. */
  fetchBank = 0;
  /** @internal */
  dataBank = 0;
  private stopRequested = false;
  /** @internal Sstc: time >= stimecmp at the last evaluation (updateSstc). */
  sstcFired = false;
  /** @internal Instructions retired before the current run; runCount is the count within it,
   *  published at SYSTEM instructions and for the tracer. */
  retiredBase = 0;
  /** @internal Instructions that trapped instead of retiring, since reset. */
  trapSteps = 0;
  /** @internal */
  runCount = 0;
  /** Traps taken into M-mode since reset (or restore): in full mode, the firmware's work. */
  readonly trapsToM = { ecall: 0, exception: 0, interrupt: 0 };
  /** Instructions retired per privilege (0 U, 1 S, 3 M) up to `privMark`. */
  private readonly privRetired = [0, 0, 0, 0];
  /** instret when the privilege last changed, and the privilege counted since then. */
  private privMark = 0;
  private countedPriv = 3;
  /** @internal The installed tracer (the JIT runs only while there is none). */
  tracer: HartTracer | undefined = undefined;
  /** @internal Set by the JIT's runner: run() returns (Budget) after every jump or taken branch,
   *  so that the runner can enter translated code at block starts. */
  exitAtJump = false;
  /** @internal Set by the JIT's runner with exitAtJump: per physical 4 KiB page of the buffer, the
   *  jumps seen into it (0..heat-1), or JIT_WATCHED when run() must stop at every jump into it. */
  jitPages: Uint8Array | undefined = undefined;
  /** @internal Jumps into a page before it becomes watched (1..254). */
  jitPageHeat = 1;
  /** @internal Set by the JIT's runner: per physical page, per half-word of the page, the arrivals
   *  at that block start (from jumps into the watched page), or JIT_ENTRY where there is generated
   *  code. run() stops at a jump into a watched page only when its target is JIT_ENTRY or has been
   *  reached `jitThreshold` times (the runner translates it), so that cold code in a watched page
   *  costs no round trip. A watched page without an array stops at every jump (the runner makes one). */
  jitCounts: (Uint16Array | undefined)[] | undefined = undefined;
  /** @internal Arrivals at a block start before run() hands it to the runner (0..JIT_SKIP-1). */
  jitThreshold = 0;
  /** @internal Set when PAUSE ended a run (the JIT runner then returns too); the runner clears it. */
  paused = false;
  /** @internal Byte offset of this hart's state area in the memory buffer. */
  readonly stateOffset: number;

  /** Hart state lives in `env.mem.buffer` at [stateOffset, stateOffset + HART_STATE_BYTES). */
  constructor(env: HartEnv, hartId: number, stateOffset: number) {
    if (stateOffset % 8 !== 0 || stateOffset + HART_STATE_BYTES > env.mem.ramOffset) {
      throw new RangeError(`hart state at ${stateOffset} must be 8-aligned and end before RAM`);
    }
    this.env = env;
    this.hartId = hartId;
    this.stateOffset = stateOffset;
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
      this.tlbOff.push(new Uint32Array(buf, base + TLB_ENTRIES * 8, TLB_ENTRIES));
    }
    this.pmp = new Pmp(this.st);
    this.mulDiv = new MulDiv(this);
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
    this.countPriv(this.instret);
    this.st[S.PRIV] = p === 3 || p === 1 ? p : 0;
    selectBanks(this);
  }

  /** Instructions retired since reset (exact up to 2^53). */
  get instret(): number {
    return this.retiredBase + this.runCount;
  }

  /**
   * Instructions retired since reset (or restore) in U, S and M mode: exact, charged at every
   * privilege change (traps, xRET) to the privilege they ran in.
   */
  retiredByPriv(): { user: number; supervisor: number; machine: number } {
    const r = this.privRetired.slice();
    r[this.countedPriv]! += this.instret - this.privMark;
    return { user: r[0]!, supervisor: r[1]!, machine: r[3]! };
  }

  /** @internal Charges the instructions retired since the last privilege change (instret now: `instret`). */
  countPriv(instret: number): void {
    this.privRetired[this.countedPriv]! += instret - this.privMark;
    this.privMark = instret;
    this.countedPriv = this.st[S.PRIV]!;
  }

  /**
   * Instructions executed since reset, counting those that trapped (which retire nothing): what
   * a run limit must count, or a guest stuck in a fault loop would never reach it.
   */
  get steps(): number {
    return this.retiredBase + this.runCount + this.trapSteps;
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
    if (st[S.WAITING] !== 0 && (mipValue(this) & st[S.MIE]!) !== 0) st[S.WAITING] = 0;
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
    if (!csrRead(this, csr)) return 0n;
    return (BigInt(this.rHi >>> 0) << 32n) | BigInt(this.rLo >>> 0);
  }

  /** Raw CSR write with the CSR's WARL rules (unknown or read-only CSRs ignore it). */
  writeCsr(csr: number, value: bigint): void {
    csrWrite(this, csr, Number(BigInt.asIntN(32, value)), Number(BigInt.asIntN(32, value >> 32n)));
  }

  /** Flushes every TLB (remote sfence.vma, satp changes done by the machine). */
  flushTlb(): void {
    flushTlb(this);
  }

  /** Flushes cached decoded instructions / fetch pages (remote fence.i). Instructions are decoded
   *  on every fetch, so only the cached fetch page (re-derived at each block boundary) matters. */
  flushIcache(): void {
    flushIcache(this);
  }

  /**
   * Drops the cached store translations: the next store to each page marks it dirty in
   * GuestMemory.dirty again (a dirty-tracking round starts; see machine/dirty-tracking.ts).
   */
  dropStoreTranslations(): void {
    flushStoreTlb(this);
  }

  /** Architectural reset: M-mode, pc = resetPc, CSRs at reset values, not waiting. */
  reset(resetPc: bigint): void {
    const st = this.st;
    st.fill(0, 0, S.TLB);
    st[S.MSTATUS + 1] = MstatusHi.FIXED;
    st[S.PRIV] = 3;
    this.st64[S.RESERVATION_ADDR / 2] = -1;
    this.st64[S.INSTRET_OFFSET / 2] = 0;
    this.st64[S.CYCLE_OFFSET / 2] = 0;
    this.retiredBase = 0;
    this.trapSteps = 0;
    this.runCount = 0;
    this.resetCounters(3);
    this.sstcFired = false;
    this.stopRequested = false;
    this.pmp.rebuild();
    flushTlb(this);
    this.setPc(resetPc);
  }

  /** Zeroes the per-privilege and trap counters (they count from now, in privilege `priv`). */
  private resetCounters(priv: number): void {
    this.privRetired.fill(0);
    this.privMark = this.instret;
    this.countedPriv = priv;
    this.trapsToM.ecall = 0;
    this.trapsToM.exception = 0;
    this.trapsToM.interrupt = 0;
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
    if (((this.st[S.MSTATUS]! >>> 11) & 3) === 2) this.st[S.MSTATUS] &= ~Mstatus.MPP;
    writeMstatus(this, this.st[S.MSTATUS]!); // re-applies the fixed fields (UXL/SXL, SD)
    this.retiredBase = state.instret;
    this.runCount = 0;
    this.resetCounters(this.st[S.PRIV]!);
    this.stopRequested = false;
    this.pmp.rebuild();
    flushTlb(this);
    updateSstc(this);
  }

  // ---------------------------------------------------------------- interpreter

  /**
   * With exitAtJump: whether run() stops at this jump target for the JIT's runner. Only pages the
   * runner watches (translated, or hot enough to count block starts) stop it; a jump into another
   * page mapped for fetch counts towards that page's heat.
   */
  private jitWatches(lo: number, hi: number): boolean {
    const pages = this.jitPages;
    if (pages === undefined) return true;
    const fb = this.fetchBank;
    const idx = (lo >>> 12) & TLB_MASK;
    if (this.tlbTag[fb]![idx] !== (lo & -4096) || this.tlbTagHi[fb]![idx] !== hi) return false;
    const p = this.tlbOff[fb]![idx]! >>> 12;
    const v = pages[p]!;
    if (v === JIT_WATCHED) {
      const counts = this.jitCounts?.[p];
      if (counts === undefined) return true;
      const i = (lo & 0xfff) >>> 1;
      const c = counts[i]!;
      if (c < this.jitThreshold) {
        counts[i] = c + 1;
        return false;
      }
      return c !== JIT_SKIP;
    }
    if (v + 1 < this.jitPageHeat) {
      pages[p] = v + 1;
      return false;
    }
    pages[p] = JIT_WATCHED;
    return true;
  }

  /**
   * Runs up to `budget` instructions (interrupts checked at block boundaries). `continuing`: the
   * caller goes on with a quantum it began with a plain run (the JIT's runner, between pieces of
   * generated code): the Sstc timer is not re-evaluated, so interrupts are taken exactly where
   * the interpreter alone takes them, whatever is translated.
   */
  run(budget: number, continuing = false): StopReason {
    const st = this.st;
    if (!continuing) updateSstc(this);
    if (st[S.WAITING] !== 0) {
      if ((mipValue(this) & st[S.MIE]!) === 0) return StopReason.Wfi;
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
    const exitAtJump = this.exitAtJump;
    let pcLo = st[S.PC]!;
    let pcHi = st[S.PC + 1]!;
    let n = 0;
    let limit = 0; // n >= limit forces a boundary check (0 = check now, else the budget)
    let fetchPage: number = TlbTag.INVALID;
    let fetchHi = 0;
    let fetchBase = 0;
    let reason = StopReason.Budget;
    for (;;) {
      if (n >= limit) {
        limit = budget;
        if (st[S.PRIV] !== this.countedPriv) this.countPriv(this.retiredBase + n); // every privilege change ends a block
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
        if ((mipValue(this) & st[S.MIE]!) !== 0) {
          const cause = pendingInterrupt(this);
          if (cause >= 0) {
            trap(this, cause, true, 0, 0, pcLo, pcHi);
            if (st[S.PRIV] !== this.countedPriv) this.countPriv(this.retiredBase + n);
            pcLo = st[S.PC]!;
            pcHi = st[S.PC + 1]!;
            fetchPage = TlbTag.INVALID;
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
          fetchPage = TlbTag.INVALID;
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
          if ((insn & 3) === 3 && !fetchSlow(this, pcLo, pcHi)) {
            trap(this, this.excCause, false, this.excTvalLo, this.excTvalHi, pcLo, pcHi);
            pcLo = st[S.PC]!;
            pcHi = st[S.PC + 1]!;
            limit = 0;
            fetchPage = TlbTag.INVALID;
            budget--;
            this.trapSteps++;
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
        if (!fetchSlow(this, pcLo, pcHi)) {
          trap(this, this.excCause, false, this.excTvalLo, this.excTvalHi, pcLo, pcHi);
          pcLo = st[S.PC]!;
          pcHi = st[S.PC + 1]!;
          limit = 0;
          budget--;
          this.trapSteps++;
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
          if (exitAtJump && this.jitWatches(npLo, npHi)) { // end the run after this instruction (the JIT runner's block start)
            budget = n + 1;
            limit = 0;
          }
          break;
        }
        case 0x67: { // JALR
          if (f3 !== 0) {
            flow = illegal(this, raw, pcLo, pcHi);
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
          if (exitAtJump && this.jitWatches(npLo, npHi)) { // end the run after this instruction (the JIT runner's block start)
            budget = n + 1;
            limit = 0;
          }
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
              flow = illegal(this, raw, pcLo, pcHi);
              taken = false;
          }
          if (taken) {
            const imm = ((insn >> 31) << 12) | (((insn >>> 25) & 0x3f) << 5) | (((insn >>> 8) & 0xf) << 1) |
              (((insn >>> 7) & 1) << 11);
            npLo = (pcLo + imm) | 0;
            npHi = (pcHi + (imm >> 31) + ((npLo >>> 0) < (pcLo >>> 0) ? 1 : 0)) | 0;
            // not a boundary: nothing that decides an interrupt changed (docs/architecture.md)
            if (exitAtJump && this.jitWatches(npLo, npHi)) {
              budget = n + 1;
              limit = 0;
            }
          }
          break;
        }
        case 0x03: { // LOAD
          if (f3 === 7) {
            flow = illegal(this, raw, pcLo, pcHi);
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
            if (!loadSlow(this, aLo, aHi, size, Acc.Load)) {
              flow = exception(this, pcLo, pcHi);
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
            flow = illegal(this, raw, pcLo, pcHi);
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
            if (!storeSlow(this, aLo, aHi, size, st[rs2]!, st[rs2 + 1]!)) flow = exception(this, pcLo, pcHi);
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
                flow = illegal(this, raw, pcLo, pcHi);
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
                flow = illegal(this, raw, pcLo, pcHi);
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
            flow = this.mulDiv.exec(insn, raw, pcLo, pcHi);
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
            flow = illegal(this, raw, pcLo, pcHi);
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
            flow = illegal(this, raw, pcLo, pcHi);
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
            flow = this.mulDiv.exec(insn, raw, pcLo, pcHi);
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
            flow = illegal(this, raw, pcLo, pcHi);
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
              this.paused = true;
            }
            break;
          }
          if (f3 === 1) {
            limit = 0;
            break;
          }
          flow = illegal(this, raw, pcLo, pcHi);
          break;
        case 0x73: // SYSTEM
          st[S.PC] = pcLo;
          st[S.PC + 1] = pcHi;
          this.runCount = n;
          flow = execSystem(this, insn, raw, pcLo, pcHi);
          break;
        case 0x2f: // AMO
          flow = execAmo(this, insn, raw, pcLo, pcHi);
          if (this.mmioTouched) {
            this.mmioTouched = false;
            limit = 0;
          }
          break;
        case 0x07: case 0x27: case 0x43: case 0x47: case 0x4b: case 0x4f: case 0x53:
          flow = execFp(this, insn, raw, pcLo, pcHi);
          if (this.mmioTouched) {
            this.mmioTouched = false;
            limit = 0;
          }
          break;
        default:
          flow = illegal(this, raw, pcLo, pcHi);
          break;
      }
      if (flow !== Flow.Next) {
        limit = 0;
        fetchPage = TlbTag.INVALID; // translation may have changed (trap, xRET, CSR write, fence)
        if (flow === Flow.Trapped) {
          pcLo = st[S.PC]!;
          pcHi = st[S.PC + 1]!;
          budget--; // a trapping instruction retires nothing but still costs a step
          this.trapSteps++;
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
        traceOne(this, tracer, pcLo, pcHi, insn, raw);
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

  /** @internal Writes x[rd] = (lo, hi) unless rd is x0. */
  setXReg(rd: number, lo: number, hi: number): void {
    if (rd !== 0) {
      this.st[2 * rd] = lo;
      this.st[2 * rd + 1] = hi;
    }
  }
}

