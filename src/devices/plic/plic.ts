// RISC-V Platform-Level Interrupt Controller, per "RISC-V Platform-Level Interrupt Controller
// Specification" v1.0.0 (riscv/riscv-plic-spec), as instantiated on QEMU's `virt` board
// (`sifive,plic-1.0.0`): 7 priority levels, level-triggered gateways, one context per hart
// privilege mode (context 2h = hart h M-mode, 2h+1 = hart h S-mode).
import { BanquiseError } from '../../base/errors.js';
import type { MmioDevice } from '../../memory/mmio-bus.js';
import type { IrqLine } from '../../memory/irq-line.js';

/** Plain-data snapshot of the PLIC. */
export interface PlicState {
  /** Priority of sources 0..sourceCount (index 0 unused). */
  priority: number[];
  /** Input line levels, one bit per source, in 32-bit words. */
  level: number[];
  /** Pending bits (the spec's "IP" bits), one bit per source. */
  pending: number[];
  /** Sources claimed and not yet completed (gateway closed), one bit per source. */
  claimed: number[];
  /** Enable bits: `words` words per context, contexts one after another. */
  enable: number[];
  /** Priority threshold per context. */
  threshold: number[];
}

/** Offset of the source priority registers (4 bytes per source, source 0 reserved). */
export const PLIC_PRIORITY = 0x0;
/** Offset of the pending bit array. */
export const PLIC_PENDING = 0x1000;
/** Offset of the enable bit arrays, PLIC_ENABLE_STRIDE per context. */
export const PLIC_ENABLE = 0x2000;
/** Distance between two contexts' enable arrays. */
export const PLIC_ENABLE_STRIDE = 0x80;
/** Offset of the per-context threshold register; claim/complete is at +4. */
export const PLIC_CONTEXT = 0x200000;
/** Distance between two contexts' threshold/claim pages. */
export const PLIC_CONTEXT_STRIDE = 0x1000;
/** Highest priority a source or threshold can hold (priorities are WARL to 0..7). */
export const PLIC_MAX_PRIORITY = 7;
/** Sources the register map can address (ids 1..1023). */
export const PLIC_MAX_SOURCES = 1023;
/** Contexts the register map can address. */
export const PLIC_MAX_CONTEXTS = 15872;

/** The wire a device drives into one PLIC source; created once per source. */
class PlicSource implements IrqLine {
  constructor(
    private readonly plic: Plic,
    private readonly id: number,
  ) {}
  set(level: boolean): void {
    this.plic.setLevel(this.id, level);
  }
}

/**
 * The PLIC. A level-triggered gateway per source: the pending bit follows the input line
 * while the source is not claimed; a claimed source stays non-pending until its completion,
 * after which a line still high makes it pending again.
 */
export class Plic implements MmioDevice {
  /** 32-bit words of a bit array covering sources 0..sourceCount. */
  private readonly words: number;
  private readonly priority: Uint8Array;
  private readonly level: Uint32Array;
  private readonly pending: Uint32Array;
  private readonly claimed: Uint32Array;
  private readonly enable: Uint32Array;
  private readonly threshold: Uint8Array;
  /** Level last driven on each context output. */
  private readonly outLevel: Uint8Array;
  private readonly sources: PlicSource[];
  /** Claims per source id (interrupts a hart took and read from the claim register). */
  readonly claims: Float64Array;

  constructor(
    /** Number of interrupt sources; ids 1..sourceCount are valid. */
    readonly sourceCount: number,
    private readonly contexts: readonly IrqLine[],
  ) {
    if (!Number.isInteger(sourceCount) || sourceCount < 1 || sourceCount > PLIC_MAX_SOURCES) {
      throw new Error(`PLIC supports 1..${PLIC_MAX_SOURCES} sources, got ${sourceCount}`);
    }
    if (contexts.length < 1 || contexts.length > PLIC_MAX_CONTEXTS) {
      throw new Error(`PLIC supports 1..${PLIC_MAX_CONTEXTS} contexts, got ${contexts.length}`);
    }
    this.words = (sourceCount >>> 5) + 1;
    this.priority = new Uint8Array(sourceCount + 1);
    this.level = new Uint32Array(this.words);
    this.pending = new Uint32Array(this.words);
    this.claimed = new Uint32Array(this.words);
    this.enable = new Uint32Array(this.words * contexts.length);
    this.threshold = new Uint8Array(contexts.length);
    this.outLevel = new Uint8Array(contexts.length);
    this.claims = new Float64Array(sourceCount + 1);
    this.sources = [];
    for (let id = 0; id <= sourceCount; id++) this.sources.push(new PlicSource(this, id));
    for (const c of contexts) c.set(false);
  }

  /** The line a device drives for source `n` (1..sourceCount); throws on a wiring bug. */
  source(n: number): IrqLine {
    if (!Number.isInteger(n) || n < 1 || n > this.sourceCount) {
      throw new Error(`PLIC has no interrupt source ${n} (valid: 1..${this.sourceCount})`);
    }
    return this.sources[n];
  }

  /** Gateway input: called through `source(n).set(level)`. */
  setLevel(id: number, high: boolean): void {
    const w = id >>> 5;
    const bit = 1 << (id & 31);
    const was = (this.level[w] & bit) !== 0;
    if (was === high) return;
    if (high) {
      this.level[w] |= bit;
      if ((this.claimed[w] & bit) === 0) this.pending[w] |= bit;
    } else {
      this.level[w] &= ~bit;
      this.pending[w] &= ~bit;
    }
    this.updateOutputs();
  }

  /** Highest-priority pending, enabled source above the context's threshold; ties go to the lowest id. 0 if none. */
  private best(ctx: number): number {
    const base = ctx * this.words;
    let bestId = 0;
    let bestPrio = this.threshold[ctx];
    for (let w = 0; w < this.words; w++) {
      let bits = this.pending[w] & this.enable[base + w];
      while (bits !== 0) {
        const low = bits & -bits;
        const id = (w << 5) + (31 - Math.clz32(low));
        const p = this.priority[id];
        if (p > bestPrio) {
          bestPrio = p;
          bestId = id;
        }
        bits ^= low;
      }
    }
    return bestId;
  }

  /** Drives every context's output line (EIP) from the current state. */
  private updateOutputs(): void {
    for (let ctx = 0; ctx < this.contexts.length; ctx++) {
      const lvl = this.best(ctx) !== 0 ? 1 : 0;
      if (lvl !== this.outLevel[ctx]) {
        this.outLevel[ctx] = lvl;
        this.contexts[ctx].set(lvl === 1);
      }
    }
  }

  /** Claim (spec §"Interrupt Claim Process"): returns the id and clears its pending bit. */
  private claim(ctx: number): number {
    const id = this.best(ctx);
    if (id !== 0) {
      const w = id >>> 5;
      const bit = 1 << (id & 31);
      this.pending[w] &= ~bit;
      this.claimed[w] |= bit;
      this.claims[id]!++;
      this.updateOutputs();
    }
    return id;
  }

  /** Completion (spec §"Interrupt Completion"): ignored unless the id is a source enabled for the context. */
  private complete(ctx: number, id: number): void {
    if (id < 1 || id > this.sourceCount) return;
    const w = id >>> 5;
    const bit = 1 << (id & 31);
    if ((this.enable[ctx * this.words + w] & bit) === 0) return;
    if ((this.claimed[w] & bit) === 0) return;
    this.claimed[w] &= ~bit;
    if ((this.level[w] & bit) !== 0) this.pending[w] |= bit;
    this.updateOutputs();
  }

  /** Mask of implemented bits of enable/pending word `w` (source 0 and ids past sourceCount read 0). */
  private wordMask(w: number): number {
    let m = -1;
    if (w === 0) m &= ~1;
    const last = this.sourceCount >>> 5;
    if (w === last) {
      const n = (this.sourceCount & 31) + 1;
      m &= n === 32 ? -1 : (1 << n) - 1;
    }
    return w > last ? 0 : m;
  }

  /** MmioDevice read: registers are 32-bit; other sizes or misaligned offsets read 0. */
  read(offset: number, size: 1 | 2 | 4): number {
    if (size !== 4 || !(offset >= 0) || (offset & 3) !== 0 || offset >= 0x4000000) return 0;
    if (offset < PLIC_PENDING) {
      const id = offset >>> 2;
      return id <= this.sourceCount ? this.priority[id] : 0;
    }
    if (offset < PLIC_ENABLE) {
      const w = (offset - PLIC_PENDING) >>> 2;
      return w < this.words ? (this.pending[w] & this.wordMask(w)) >>> 0 : 0;
    }
    if (offset < PLIC_CONTEXT) {
      const ctx = ((offset - PLIC_ENABLE) / PLIC_ENABLE_STRIDE) | 0;
      const w = ((offset - PLIC_ENABLE) % PLIC_ENABLE_STRIDE) >>> 2;
      if (ctx >= this.contexts.length || w >= this.words) return 0;
      return this.enable[ctx * this.words + w] >>> 0;
    }
    const ctx = ((offset - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE) | 0;
    if (ctx >= this.contexts.length) return 0;
    const reg = (offset - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE;
    if (reg === 0) return this.threshold[ctx];
    if (reg === 4) return this.claim(ctx);
    return 0;
  }

  /** MmioDevice write: registers are 32-bit; other sizes, misaligned or read-only targets are ignored. */
  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (size !== 4 || !(offset >= 0) || (offset & 3) !== 0 || offset >= 0x4000000) return;
    const v = value >>> 0;
    if (offset < PLIC_PENDING) {
      const id = offset >>> 2;
      if (id === 0 || id > this.sourceCount) return;
      this.priority[id] = v > PLIC_MAX_PRIORITY ? PLIC_MAX_PRIORITY : v;
      this.updateOutputs();
      return;
    }
    if (offset < PLIC_ENABLE) return; // pending bits are read-only
    if (offset < PLIC_CONTEXT) {
      const ctx = ((offset - PLIC_ENABLE) / PLIC_ENABLE_STRIDE) | 0;
      const w = ((offset - PLIC_ENABLE) % PLIC_ENABLE_STRIDE) >>> 2;
      if (ctx >= this.contexts.length || w >= this.words) return;
      this.enable[ctx * this.words + w] = v & this.wordMask(w);
      this.updateOutputs();
      return;
    }
    const ctx = ((offset - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE) | 0;
    if (ctx >= this.contexts.length) return;
    const reg = (offset - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE;
    if (reg === 0) {
      this.threshold[ctx] = v > PLIC_MAX_PRIORITY ? PLIC_MAX_PRIORITY : v;
      this.updateOutputs();
    } else if (reg === 4) {
      this.complete(ctx, v);
    }
  }

  /** Plain-data snapshot. */
  save(): PlicState {
    return {
      priority: Array.from(this.priority),
      level: Array.from(this.level),
      pending: Array.from(this.pending),
      claimed: Array.from(this.claimed),
      enable: Array.from(this.enable),
      threshold: Array.from(this.threshold),
    };
  }

  /** Restores a snapshot of a PLIC with the same source and context counts, and re-drives the outputs. */
  restore(state: PlicState): void {
    if (
      state.priority.length !== this.priority.length ||
      state.level.length !== this.words ||
      state.pending.length !== this.words ||
      state.claimed.length !== this.words ||
      state.enable.length !== this.enable.length ||
      state.threshold.length !== this.threshold.length
    ) {
      throw new BanquiseError('PLIC state does not match this board (source or context count differs)', 64);
    }
    for (let i = 0; i < this.priority.length; i++) this.priority[i] = Math.min(state.priority[i] >>> 0, PLIC_MAX_PRIORITY);
    this.priority[0] = 0;
    for (let w = 0; w < this.words; w++) {
      const m = this.wordMask(w);
      this.level[w] = state.level[w] & m;
      this.pending[w] = state.pending[w] & m;
      this.claimed[w] = state.claimed[w] & m;
    }
    for (let i = 0; i < this.enable.length; i++) this.enable[i] = state.enable[i] & this.wordMask(i % this.words);
    for (let c = 0; c < this.threshold.length; c++) this.threshold[c] = Math.min(state.threshold[c] >>> 0, PLIC_MAX_PRIORITY);
    for (let c = 0; c < this.contexts.length; c++) {
      this.outLevel[c] = this.best(c) !== 0 ? 1 : 0;
      this.contexts[c].set(this.outLevel[c] === 1);
    }
  }
}
