// The JIT of one hart: runs the hart through translated WebAssembly where a hot block has been
// translated and through the interpreter (Hart.run, the reference) everywhere else. Design and
// invariants: docs/jit.md.
import { Acc } from '../cpu/mmu.js';
import { HartSlot as S, TLB_ENTRIES } from '../cpu/hart-layout.js';
import { JIT_WATCHED, StopReason, type Hart } from '../cpu/hart.js';
import { JitExit, translatePage } from './translate.js';

/** How the JIT of a hart behaves. */
export interface JitConfig {
  /** Times a block start must be reached by the interpreter before it is translated (0 = at once). */
  readonly threshold: number;
  /** 'sync' compiles on the spot (tests, lock-step); 'async' compiles off the hot path with
   *  `WebAssembly.compile` while the interpreter keeps running. */
  readonly compile: 'sync' | 'async';
  /** Most translated pages (one module each) kept live. */
  readonly maxModules: number;
  /** Bound on the code cache, as the sum of the modules' WebAssembly bytes. */
  readonly maxCacheBytes: number;
  /** Jumps the interpreter makes into a page before the runner watches it (counts its block
   *  starts); 1..254, and 1 whenever `threshold` is 0. */
  readonly pageHeat: number;
}

/** Defaults: see docs/jit.md ("Hotness", "Code cache"). */
export const DEFAULT_JIT_CONFIG: JitConfig = {
  threshold: 50,
  compile: 'sync',
  maxModules: 4096,
  maxCacheBytes: 64 * 1024 * 1024,
  pageHeat: 64,
};

/** JIT counters (the monitor's `info jit`). */
export interface JitInfo {
  /** Blocks translated (a page retranslated with more entries counts all of them again). */
  blocksTranslated: number;
  /** Guest instructions in translated blocks. */
  instructionsTranslated: number;
  /** Modules compiled. */
  modulesCompiled: number;
  /** Modules live in the cache. */
  modulesLive: number;
  /** WebAssembly bytes of the live modules. */
  cacheBytes: number;
  /** Milliseconds spent translating and compiling (async compiles: until the module was ready). */
  compileMs: number;
  /** Pages dropped because their guest code changed. */
  invalidations: number;
  /** Pages dropped to stay under the module/byte caps. */
  evictions: number;
  /** Guest instructions retired in generated code. */
  jitInstructions: number;
  /** Calls into generated code. */
  jitEntries: number;
}

type RunFn = (budget: number, loadTlb: number, storeTlb: number) => number;

/** One physical page's translation state. */
interface PageUnit {
  /** Buffer offset of the page. */
  readonly pageOffset: number;
  run: RunFn | undefined;
  /** Entries (page offset / 2) that `run` dispatches on (allocated with the first module). */
  compiled: Uint8Array | undefined;
  /** Hotness of block starts not yet compiled: page offset → times seen. */
  readonly hot: Map<number, number>;
  /** Entries to translate at the next compile (compiled ones included). */
  readonly wanted: Set<number>;
  compiling: boolean;
  bytes: number;
  /** False once dropped from the cache (late async compiles are discarded). */
  live: boolean;
}

/** The JIT driver of one hart. */
export class Jit {
  readonly info: JitInfo = {
    blocksTranslated: 0, instructionsTranslated: 0, modulesCompiled: 0, modulesLive: 0, cacheBytes: 0, compileMs: 0,
    invalidations: 0, evictions: 0, jitInstructions: 0, jitEntries: 0,
  };
  /** Called after every return from generated code (the lock-step test compares state here). */
  onBlockExit: (() => void) | undefined = undefined;
  private readonly pages = new Map<number, PageUnit>();
  private readonly hart: Hart;
  private readonly config: JitConfig;
  private readonly imports: Record<string, Record<string, unknown>>;
  /** Per physical page: the interpreter's jump count into it, or JIT_WATCHED (Hart.jitPages). */
  private readonly watched: Uint8Array;

  constructor(hart: Hart, config: Partial<JitConfig> = {}) {
    this.hart = hart;
    this.config = { ...DEFAULT_JIT_CONFIG, ...config };
    this.imports = { m: { mem: hart.mem.memory } };
    this.watched = new Uint8Array(hart.mem.buffer.byteLength >>> 12);
  }

  /** Runs up to `budget` instructions like `Hart.run`, in translated code where there is some. */
  run(budget: number): StopReason {
    const h = this.hart;
    if (h.tracer !== undefined) return h.run(budget);
    const start = h.steps;
    h.exitAtJump = true;
    h.jitPages = this.watched;
    h.jitPageHeat = this.config.threshold === 0 ? 1 : Math.min(254, Math.max(1, this.config.pageHeat));
    h.paused = false;
    try {
      let reason = h.run(budget); // takes pending interrupts and leaves WFI first, as always
      for (;;) {
        if (reason !== StopReason.Budget) return reason;
        if (h.paused) { // PAUSE: give the host thread away, as the interpreter does
          h.paused = false;
          return reason;
        }
        let left = budget - (h.steps - start);
        while (left > 0) {
          const exit = this.enter(left);
          if (exit !== JitExit.Normal) break;
          left = budget - (h.steps - start);
        }
        left = budget - (h.steps - start);
        if (left <= 0) return StopReason.Budget;
        reason = h.run(left);
      }
    } finally {
      h.exitAtJump = false;
    }
  }

  /** Drops every translation (e.g. after a snapshot restore). */
  flush(): void {
    for (const u of this.pages.values()) u.live = false;
    this.pages.clear();
    this.watched.fill(0);
    this.info.modulesLive = 0;
    this.info.cacheBytes = 0;
  }

  /**
   * Runs translated code at the current pc if there is some. Returns JitExit.Normal when it ran
   * and the next block may be looked up, else the reason the interpreter must go on (Interp also
   * stands for "nothing translated here").
   */
  private enter(left: number): JitExit {
    const h = this.hart;
    const st = h.st;
    if (st[S.MCOUNTINHIBIT] !== 0) return JitExit.Interp; // the interpreter adjusts frozen counters
    const pcLo = st[S.PC]!;
    const pcHi = st[S.PC + 1]!;
    const idx = (pcLo >>> 12) & (TLB_ENTRIES - 1);
    const fb = h.fetchBank;
    if (h.tlbTag[fb]![idx] !== (pcLo & -4096) || h.tlbTagHi[fb]![idx] !== pcHi) return JitExit.Interp;
    const pageOffset = h.tlbOff[fb]![idx]!;
    const entry = pcLo & 0xfff;
    let unit = this.pages.get(pageOffset);
    if (unit === undefined) {
      unit = {
        pageOffset, run: undefined, compiled: undefined, hot: new Map(), wanted: new Set(), compiling: false,
        bytes: 0, live: true,
      };
      this.pages.set(pageOffset, unit);
    }
    const run = unit.run;
    if (run === undefined || unit.compiled![entry >>> 1] === 0) {
      this.countHot(unit, entry);
      return JitExit.Interp;
    }
    const db = h.dataBank;
    const tlbBytes = 3 * TLB_ENTRIES * 4;
    const tlb0 = h.stateOffset + S.TLB * 4;
    const r = run(left, tlb0 + (db + Acc.Load) * tlbBytes, tlb0 + (db + Acc.Store) * tlbBytes);
    const retired = r >>> 2;
    h.retiredBase += retired;
    this.info.jitInstructions += retired;
    this.info.jitEntries++;
    const exit = (r & 3) as JitExit;
    if (this.onBlockExit !== undefined) this.onBlockExit();
    if (exit === JitExit.Stale) { // generated code never leaves its page: the stale block is here
      this.drop(pageOffset);
      this.info.invalidations++;
      return JitExit.Interp;
    }
    return exit;
  }

  /** Counts one arrival at a block start; translates the page when the start is hot enough. */
  private countHot(unit: PageUnit, entry: number): void {
    if (unit.wanted.has(entry)) return; // compile in flight
    const seen = (unit.hot.get(entry) ?? 0) + 1;
    if (seen <= this.config.threshold) {
      unit.hot.set(entry, seen);
      return;
    }
    unit.hot.delete(entry);
    unit.wanted.add(entry);
    if (!unit.compiling) this.compile(unit);
  }

  /** Translates and compiles the wanted entries of a page (sync or async per config). */
  private compile(unit: PageUnit): void {
    const t0 = performance.now();
    const h = this.hart;
    // every block start seen on the page so far goes in too: one compile instead of one per entry
    for (const e of unit.hot.keys()) unit.wanted.add(e);
    unit.hot.clear();
    const entries = [...unit.wanted];
    const page = translatePage({
      view: h.dv, pageOffset: unit.pageOffset, stateOffset: h.stateOffset,
      memory: { pages: h.mem.buffer.byteLength / 65536, shared: h.i64 !== undefined },
    }, entries);
    this.info.blocksTranslated += entries.length;
    this.info.instructionsTranslated += page.instructions;
    const install = (module: WebAssembly.Module): void => {
      unit.compiling = false;
      if (!unit.live) return;
      const instance = new WebAssembly.Instance(module, this.imports);
      if (unit.run === undefined) this.info.modulesLive++;
      unit.run = instance.exports['run'] as RunFn;
      const compiled = new Uint8Array(2048);
      for (const e of page.entries) compiled[e >>> 1] = 1;
      unit.compiled = compiled;
      this.info.cacheBytes += page.bytes.length - unit.bytes;
      unit.bytes = page.bytes.length;
      this.info.modulesCompiled++;
      this.info.compileMs += performance.now() - t0;
      // most recently installed last: the eviction order
      this.pages.delete(unit.pageOffset);
      this.pages.set(unit.pageOffset, unit);
      this.evict();
      if (unit.wanted.size > entries.length && !unit.compiling) this.compile(unit);
    };
    unit.compiling = true;
    if (this.config.compile === 'sync') {
      install(new WebAssembly.Module(page.bytes));
    } else {
      WebAssembly.compile(page.bytes).then(install, () => { unit.compiling = false; });
    }
  }

  /** Drops pages, oldest compiled first, until under the module and byte caps. */
  private evict(): void {
    if (this.info.modulesLive <= this.config.maxModules && this.info.cacheBytes <= this.config.maxCacheBytes) return;
    for (const u of this.pages.values()) {
      if (this.info.modulesLive <= this.config.maxModules && this.info.cacheBytes <= this.config.maxCacheBytes) break;
      if (u.run === undefined) continue;
      this.drop(u.pageOffset);
      this.info.evictions++;
    }
  }

  /** Forgets a page's translation and hotness. */
  private drop(pageOffset: number): void {
    const u = this.pages.get(pageOffset);
    if (u === undefined) return;
    u.live = false;
    this.pages.delete(pageOffset);
    this.watched[pageOffset >>> 12] = 0;
    if (u.run !== undefined) {
      this.info.modulesLive--;
      this.info.cacheBytes -= u.bytes;
    }
  }
}
