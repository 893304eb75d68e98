// The JIT of one hart: runs the hart through translated WebAssembly where a hot block has been
// translated and through the interpreter (Hart.run, the reference) everywhere else. Design and
// invariants: docs/jit.md.
import { Acc } from '../cpu/mmu.js';
import { HartSlot as S, TLB_ENTRIES } from '../cpu/hart-layout.js';
import { JIT_ENTRY, JIT_SKIP, StopReason, type Hart } from '../cpu/hart.js';
import { JitExit, PAGE_TYPES, blockSuccessors, translatePage } from './translate.js';
import { FuncWriter, Op, ValType, buildModule, type MemoryImport } from './wasm-emitter.js';

/** How the JIT of a hart behaves. */
export interface JitConfig {
  /** Times a block start must be reached before it is translated (0 = at once; at most 65533, the
   *  interpreter counts in 16 bits). */
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
  /** Generated code tail-calls the next page's module (when the engine has tail calls). */
  readonly chain: boolean;
}

/** Defaults: see docs/jit.md ("Hotness", "Code cache"). */
export const DEFAULT_JIT_CONFIG: JitConfig = {
  threshold: 20000,
  compile: 'sync',
  maxModules: 4096,
  maxCacheBytes: 64 * 1024 * 1024,
  pageHeat: 254,
  chain: true,
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
  /** Returns from generated code because pc left the page or reached an entry of another module. */
  exitsNext: number;
  /** Returns from generated code to the interpreter (untranslated instruction, TLB miss, budget). */
  exitsInterp: number;
  /** Runner look-ups at a watched block start with no translation there (yet). */
  lookupsMissed: number;
  /** Calls of the interpreter by the runner. */
  interpreterRuns: number;
  /** Milliseconds in generated code and in the interpreter, estimated by timing 1 call in SAMPLE_EVERY. */
  jitMsSampled: number;
  interpreterMsSampled: number;
}

/** The counters of several harts' JITs added up (a domain's figure). */
export function sumJitInfo(infos: readonly JitInfo[]): JitInfo {
  const total: Record<string, number> = {};
  for (const info of infos) {
    for (const [k, v] of Object.entries(info)) total[k] = (total[k] ?? 0) + v;
  }
  return total as unknown as JitInfo;
}

/** One call in this many into generated code (and into the interpreter) is timed for `info jit`. */
export const SAMPLE_EVERY = 64;

type RunFn = (budget: number, loadTlb: number, storeTlb: number, fetchTlb: number, retiredBefore: number, pageOffset: number) => number;

/** The hub's entry: (slot, budget, loadTlb, storeTlb, fetchTlb, pageOffset) -> retired << 2 | exit. */
type HubFn = (slot: number, budget: number, loadTlb: number, storeTlb: number, fetchTlb: number, pageOffset: number) => number;

/**
 * The hub: one small module per hart that the runner calls instead of the page modules (one JS
 * call site, one signature). It calls the newest module of the page in table slot `slot` and,
 * while that makes progress and returns Normal with budget left, looks the new pc up in the
 * fetch TLB and calls the module of that physical page: chaining across pages without returning
 * to JavaScript. Only the hub imports the table (V8 copies an imported table into each instance).
 */
function buildHub(stateOffset: number, mem: MemoryImport, slots: number): Uint8Array {
  const w = new FuncWriter();
  const SLOT = 0, BUDGET = 1, LT = 2, WT = 3, FT = 4, PAGE = 5, TOTAL = 6, R = 7, PC = 8, E = 9;
  w.open(Op.Loop, 'l');
  w.get(BUDGET).get(TOTAL).op(Op.I32Sub).get(LT).get(WT).get(FT).i32(0).get(PAGE).get(SLOT);
  w.op(Op.CallIndirect).u32(1).u32(0).set(R);
  w.get(TOTAL).get(R).i32(2).op(Op.I32ShrU).op(Op.I32Add).set(TOTAL);
  // not Normal, no progress (the runner looks the block up), or no budget left: return
  w.get(R).i32(3).op(Op.I32And).get(R).i32(4).op(Op.I32LtU).op(Op.I32Or).get(BUDGET).get(TOTAL).op(Op.I32LeS).op(Op.I32Or);
  w.open(Op.If);
  w.get(TOTAL).i32(2).op(Op.I32Shl).get(R).i32(3).op(Op.I32And).op(Op.I32Or).op(Op.Return);
  w.end();
  w.i32(0).mem(Op.I64Load, 3, stateOffset + S.PC * 4).set(PC);
  w.get(PC).op(Op.I32WrapI64).i32(12).op(Op.I32ShrU).i32(TLB_ENTRIES - 1).op(Op.I32And).i32(2).op(Op.I32Shl).get(FT).op(Op.I32Add).set(E);
  w.get(E).mem(Op.I32Load, 2, 0).get(PC).op(Op.I32WrapI64).i32(-4096).op(Op.I32And).op(Op.I32Ne);
  w.get(E).mem(Op.I32Load, 2, TLB_ENTRIES * 4).get(PC).i64(32).op(Op.I64ShrU).op(Op.I32WrapI64).op(Op.I32Ne).op(Op.I32Or);
  w.open(Op.If);
  w.get(TOTAL).i32(2).op(Op.I32Shl).op(Op.Return); // fetch TLB miss: the interpreter fills it
  w.end();
  w.get(E).mem(Op.I32Load, 2, TLB_ENTRIES * 8).tee(PAGE).i32(12).op(Op.I32ShrU).set(SLOT);
  w.get(SLOT).i32(slots).op(Op.I32GeU).open(Op.If);
  w.get(TOTAL).i32(2).op(Op.I32Shl).op(Op.Return);
  w.end();
  w.br('l');
  w.end();
  w.op(Op.Unreachable);
  const types = [
    { params: [ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I32, ValType.I32], result: ValType.I32 },
    PAGE_TYPES[1]!,
  ];
  return buildModule(types, [{ type: 0, locals: [ValType.I32, ValType.I32, ValType.I64, ValType.I32], code: w.code }], 0, mem, slots);
}

/** A page module's entry for the table slots without one: no progress, Normal (the runner looks up). */
function buildStub(mem: MemoryImport): Uint8Array {
  const w = new FuncWriter();
  w.get(4).i32(2).op(Op.I32Shl);
  return buildModule(PAGE_TYPES, [{ type: 1, locals: [], code: w.code }], 0, mem);
}

/** Most block starts added to a compile by following the hot ones' successors. */
const MAX_MODULE_BLOCKS = 256;

/** Modules a page may have before its next compile merges them into one. */
const MAX_PAGE_MODULES = 4;

/** One physical page's translation state. */
interface PageUnit {
  /** Buffer offset of the page. */
  readonly pageOffset: number;
  /** The page's modules, oldest first; each translated only the entries that were new then. */
  runs: RunFn[];
  /** Entries of each module (parallel to `runs`). */
  moduleEntries: number[][];
  /** Per entry (page offset / 2): 1 + index in `runs` of its module, 0 if none (allocated with the first module). */
  owner: Uint8Array | undefined;
  /** Per half-word of the page: arrivals at that block start, or JIT_ENTRY where there is code
   *  (shared with the interpreter through Hart.jitCounts, which counts most arrivals itself). */
  readonly counts: Uint16Array;
  /** Entries to translate at the next compile. */
  readonly wanted: Set<number>;
  /** Entries of the compile in flight (async). */
  pending: readonly number[];
  compiling: boolean;
  bytes: number;
  /** False once dropped from the cache (late async compiles are discarded). */
  live: boolean;
}

/** The JIT driver of one hart. */
export class Jit {
  readonly info: JitInfo = {
    blocksTranslated: 0, instructionsTranslated: 0, modulesCompiled: 0, modulesLive: 0, cacheBytes: 0, compileMs: 0,
    invalidations: 0, evictions: 0, jitInstructions: 0, jitEntries: 0, exitsNext: 0, exitsInterp: 0, lookupsMissed: 0,
    interpreterRuns: 0, jitMsSampled: 0, interpreterMsSampled: 0,
  };
  /** Called after every return from generated code (the lock-step test compares state here). */
  onBlockExit: (() => void) | undefined = undefined;
  private readonly pages = new Map<number, PageUnit>();
  private readonly hart: Hart;
  private readonly config: JitConfig;
  private readonly imports: Record<string, Record<string, unknown>>;
  /** Per physical page: the interpreter's jump count into it, or JIT_WATCHED (Hart.jitPages). */
  private readonly watched: Uint8Array;
  /** Per physical page: its PageUnit's `counts` (Hart.jitCounts). */
  private readonly counts: (Uint16Array | undefined)[];
  private readonly memoryImport: MemoryImport;
  /** With chaining: slot p holds the newest module of physical page p (else the stub). */
  private readonly table: WebAssembly.Table | undefined;
  private readonly stub: RunFn | undefined;
  private readonly hub: HubFn | undefined;

  constructor(hart: Hart, config: Partial<JitConfig> = {}) {
    this.hart = hart;
    this.config = { ...DEFAULT_JIT_CONFIG, ...config };
    const pages = hart.mem.buffer.byteLength >>> 12;
    const memory = hart.mem.memory;
    this.memoryImport = { pages: hart.mem.buffer.byteLength / 65536, shared: hart.i64 !== undefined };
    this.imports = { m: { mem: memory } };
    this.watched = new Uint8Array(pages);
    this.counts = new Array<Uint16Array | undefined>(pages).fill(undefined);
    if (this.config.chain) {
      this.stub = new WebAssembly.Instance(new WebAssembly.Module(buildStub(this.memoryImport)), this.imports).exports['run'] as RunFn;
      this.table = new WebAssembly.Table({ element: 'anyfunc', initial: pages }, this.stub);
      const hub = new WebAssembly.Module(buildHub(hart.stateOffset, this.memoryImport, pages));
      this.hub = new WebAssembly.Instance(hub, { m: { mem: memory, tab: this.table } }).exports['run'] as HubFn;
    } else {
      this.stub = undefined;
      this.table = undefined;
      this.hub = undefined;
    }
  }

  /** Runs up to `budget` instructions like `Hart.run`, in translated code where there is some. */
  run(budget: number): StopReason {
    const h = this.hart;
    if (h.tracer !== undefined) return h.run(budget);
    const start = h.steps;
    h.exitAtJump = true;
    h.jitPages = this.watched;
    h.jitPageHeat = this.config.threshold === 0 ? 1 : Math.min(254, Math.max(1, this.config.pageHeat));
    h.jitCounts = this.counts;
    h.jitThreshold = Math.min(JIT_SKIP - 1, Math.max(0, this.config.threshold));
    h.paused = false;
    try {
      let reason = this.interpret(budget); // takes pending interrupts and leaves WFI first, as always
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
        reason = this.interpret(left, true);
      }
    } finally {
      h.exitAtJump = false;
    }
  }

  /**
   * The interpreter, counted and sampled for `info jit`. `continuing` after generated code: the
   * quantum goes on, so the Sstc timer is not re-evaluated (Hart.run), and interrupts are taken
   * where the interpreter alone would take them.
   */
  private interpret(budget: number, continuing = false): StopReason {
    const n = ++this.info.interpreterRuns;
    if (n % SAMPLE_EVERY !== 0) return this.hart.run(budget, continuing);
    const t0 = performance.now();
    const r = this.hart.run(budget, continuing);
    this.info.interpreterMsSampled += (performance.now() - t0) * SAMPLE_EVERY;
    return r;
  }

  /** Drops every translation (e.g. after a snapshot restore). */
  flush(): void {
    for (const u of this.pages.values()) u.live = false;
    this.pages.clear();
    this.watched.fill(0);
    this.counts.fill(undefined);
    if (this.table !== undefined) for (let p = 0; p < this.watched.length; p++) this.table.set(p, this.stub);
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
        pageOffset, runs: [], moduleEntries: [], owner: undefined, counts: new Uint16Array(2048), wanted: new Set(),
        pending: [], compiling: false, bytes: 0, live: true,
      };
      this.pages.set(pageOffset, unit);
      this.counts[pageOffset >>> 12] = unit.counts;
    }
    const m = unit.owner === undefined ? 0 : unit.owner[entry >>> 1]!;
    if (m === 0) {
      this.info.lookupsMissed++;
      this.countHot(unit, entry);
      return JitExit.Interp;
    }
    const run = unit.runs[m - 1]!;
    const db = h.dataBank;
    const tlbBytes = TLB_ENTRIES * 4;
    const tlb0 = h.stateOffset + S.TLB * 4;
    const lt = tlb0 + 3 * (db + Acc.Load) * tlbBytes;
    const wt = tlb0 + 3 * (db + Acc.Store) * tlbBytes;
    const ft = tlb0 + 3 * fb * tlbBytes;
    const info = this.info;
    let r: number;
    // the newest module of a page is in the hub's table: enter through the hub, which chains
    const hub = m === unit.runs.length ? this.hub : undefined;
    if (++info.jitEntries % SAMPLE_EVERY !== 0) {
      r = hub !== undefined ? hub(pageOffset >>> 12, left, lt, wt, ft, pageOffset) : run(left, lt, wt, ft, 0, pageOffset);
    } else {
      const t0 = performance.now();
      r = hub !== undefined ? hub(pageOffset >>> 12, left, lt, wt, ft, pageOffset) : run(left, lt, wt, ft, 0, pageOffset);
      info.jitMsSampled += (performance.now() - t0) * SAMPLE_EVERY;
    }
    const retired = r >>> 2;
    h.retiredBase += retired;
    info.jitInstructions += retired;
    const exit = (r & 3) as JitExit;
    if (exit === JitExit.Normal) info.exitsNext++;
    else if (exit === JitExit.Interp) info.exitsInterp++;
    if (this.onBlockExit !== undefined) this.onBlockExit();
    if (exit === JitExit.Stale) { // the stale block is at pc, on the page the fetch TLB maps it to
      const lo = st[S.PC]!;
      const i = (lo >>> 12) & (TLB_ENTRIES - 1);
      const f = h.fetchBank;
      if (h.tlbTag[f]![i] === (lo & -4096) && h.tlbTagHi[f]![i] === st[S.PC + 1]) this.drop(h.tlbOff[f]![i]!);
      else this.drop(pageOffset);
      this.info.invalidations++;
      return JitExit.Interp;
    }
    return exit;
  }

  /** Counts one arrival at a block start; translates the page when the start is hot enough. */
  private countHot(unit: PageUnit, entry: number): void {
    if (unit.wanted.has(entry) || unit.pending.includes(entry)) return; // compile in flight
    const counts = unit.counts;
    const seen = counts[entry >>> 1]!;
    if (seen === JIT_SKIP) return; // nothing to translate there
    if (seen < this.config.threshold && seen < JIT_SKIP - 1) {
      counts[entry >>> 1] = seen + 1;
      return;
    }
    unit.wanted.add(entry);
    if (!unit.compiling) this.compile(unit);
  }

  /**
   * Translates the wanted entries of a page into a new module (sync or async per config); when
   * the page has MAX_PAGE_MODULES modules already, the new one takes all its entries instead.
   */
  private compile(unit: PageUnit): void {
    const t0 = performance.now();
    const h = this.hart;
    // every block start seen on the page so far goes in too: one compile instead of one per entry
    const counts = unit.counts;
    for (let i = 0; i < 2048; i++) {
      const c = counts[i]!;
      if (c !== 0 && c < JIT_SKIP) unit.wanted.add(i << 1);
    }
    // and the block starts they lead to on this page (the rest of the hot code, before it is seen)
    const work = [...unit.wanted];
    while (work.length > 0 && unit.wanted.size < MAX_MODULE_BLOCKS) {
      for (const o of blockSuccessors(h.dv, unit.pageOffset, work.pop()!)) {
        if (unit.wanted.has(o) || unit.counts[o >>> 1]! >= JIT_SKIP || unit.pending.includes(o)) continue;
        unit.wanted.add(o);
        work.push(o);
      }
    }
    const merge = unit.runs.length >= MAX_PAGE_MODULES;
    const entries = [...unit.wanted];
    if (merge) for (const es of unit.moduleEntries) entries.push(...es);
    unit.wanted.clear();
    unit.pending = entries;
    const page = translatePage({
      view: h.dv, pageOffset: unit.pageOffset, stateOffset: h.stateOffset, memory: this.memoryImport,
    }, entries);
    this.info.blocksTranslated += entries.length;
    this.info.instructionsTranslated += page.instructions;
    const install = (module: WebAssembly.Module): void => {
      unit.compiling = false;
      unit.pending = [];
      if (!unit.live) return;
      const instance = new WebAssembly.Instance(module, this.imports);
      if (merge) {
        this.info.modulesLive -= unit.runs.length;
        this.info.cacheBytes -= unit.bytes;
        unit.runs = [];
        unit.moduleEntries = [];
        unit.bytes = 0;
        unit.owner?.fill(0);
      }
      const run = instance.exports['run'] as RunFn;
      unit.runs.push(run);
      this.table?.set(unit.pageOffset >>> 12, run);
      unit.moduleEntries.push(page.entries.slice());
      const owner = unit.owner ?? (unit.owner = new Uint8Array(2048));
      page.entries.forEach((e, i) => { // an empty block (untranslated first instruction) is no entry
        owner[e >>> 1] = page.sizes[i] === 0 ? 0 : unit.runs.length;
        unit.counts[e >>> 1] = page.sizes[i] === 0 ? JIT_SKIP : JIT_ENTRY;
      });
      this.info.modulesLive++;
      this.info.cacheBytes += page.bytes.length;
      unit.bytes += page.bytes.length;
      this.info.modulesCompiled++;
      this.info.compileMs += performance.now() - t0;
      // most recently installed last: the eviction order
      this.pages.delete(unit.pageOffset);
      this.pages.set(unit.pageOffset, unit);
      this.evict();
      if (unit.wanted.size > 0 && !unit.compiling && unit.live) this.compile(unit);
    };
    unit.compiling = true;
    if (this.config.compile === 'sync') {
      install(new WebAssembly.Module(page.bytes));
    } else {
      WebAssembly.compile(page.bytes).then(install, () => { unit.compiling = false; unit.pending = []; });
    }
  }

  /** Drops pages, oldest compiled first, until under the module and byte caps. */
  private evict(): void {
    if (this.info.modulesLive <= this.config.maxModules && this.info.cacheBytes <= this.config.maxCacheBytes) return;
    for (const u of this.pages.values()) {
      if (this.info.modulesLive <= this.config.maxModules && this.info.cacheBytes <= this.config.maxCacheBytes) break;
      if (u.runs.length === 0) continue;
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
    this.counts[pageOffset >>> 12] = undefined;
    if (u.runs.length > 0) this.table?.set(pageOffset >>> 12, this.stub);
    this.info.modulesLive -= u.runs.length;
    this.info.cacheBytes -= u.bytes;
  }
}
