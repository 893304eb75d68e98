// Lock-step oracle for the JIT: the same random program runs on two identical harts, one through
// the interpreter (Hart.run) and one through the JIT (threshold 0, synchronous compiles), in
// chunks of random budgets; after every chunk the whole architectural state (registers, pc, CSRs,
// privilege, instret, steps) and the program's RAM must be identical. Programs run in S-mode
// under Sv39 with data pages, an unmapped page, a read-only page and a writable alias of the code
// pages (self-modifying code, with and without fence.i), compressed and 2-byte-aligned code, and
// instructions the JIT leaves to the interpreter (CSRs, FP, AMOs, ecall), all trapping to an
// M-mode handler that resumes a little further on.
import { HartSlot as S } from '../cpu/hart-layout.js';
import { Jit } from '../jit/jit.js';
import { makeHartRig, RAM_BASE, type HartRig } from './hart-rig.js';
import { bType, iType, jal, rType, sType } from './rv-asm.js';

/** Result of a lock-step campaign. */
export interface LockstepResult {
  rounds: number;
  /** Comparisons made (one per chunk). */
  checks: number;
  /** Entries into generated code (blocks run, chained blocks not counted). */
  jitEntries: number;
  /** Instructions retired in generated code / in total. */
  jitInstructions: number;
  instructions: number;
  /** First difference, or undefined when the two harts always agreed. */
  mismatch: string | undefined;
}

const CODE_PA = RAM_BASE + 0x1000; // 2 pages of random code
const CODE_VA = 0x4000_0000;
const ALIAS_VA = 0x6000_0000; // the same code pages, writable
const DATA_PA = RAM_BASE + 0x10000; // 4 RW pages, then unmapped, then read-only
const DATA_VA = 0x5000_0000;
const PT_PA = RAM_BASE + 0x20000;
const REGION_END = RAM_BASE + 0x30000;

/** Deterministic xorshift32. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

function pte(pa: number, flags: number): bigint {
  return (BigInt(Math.floor(pa / 4096)) << 10n) | BigInt(flags);
}

/** Writes the page tables and the M-mode handler (identical on both rigs). */
function setupMachine(r: HartRig): void {
  const m = r.mem;
  // handler: mepc = 0x4000_0000 | ((mepc + 4) & 0x1ffe); mret
  r.load([
    0x34102ff3, // csrr x31, mepc
    iType(0x13, 31, 0, 31, 4),
    iType(0x13, 31, 1, 31, 51), // slli 51
    iType(0x13, 31, 5, 31, 51), // srli 51
    0x40000f37, // lui x30, 0x40000
    rType(0x33, 31, 6, 31, 30, 0), // or
    0x341f9073, // csrw mepc, x31
    0x30200073, // mret
  ], RAM_BASE);
  const root = PT_PA;
  const l1 = PT_PA + 0x1000;
  const l0code = PT_PA + 0x2000;
  const l0data = PT_PA + 0x3000;
  const l0alias = PT_PA + 0x4000;
  const V = 1, R = 2, W = 4, X = 8, A = 64, D = 128;
  m.writeU64(root + 8 * 1, pte(l1, V));
  m.writeU64(l1 + 8 * 0, pte(l0code, V));
  m.writeU64(l1 + 8 * 128, pte(l0data, V));
  m.writeU64(l1 + 8 * 256, pte(l0alias, V));
  for (let i = 0; i < 2; i++) {
    m.writeU64(l0code + 8 * i, pte(CODE_PA + i * 4096, V | R | X | (i === 0 ? A : 0)));
    m.writeU64(l0alias + 8 * i, pte(CODE_PA + i * 4096, V | R | W));
  }
  for (let i = 0; i < 4; i++) m.writeU64(l0data + 8 * i, pte(DATA_PA + i * 4096, V | R | W | (i < 2 ? A | D : 0)));
  m.writeU64(l0data + 8 * 5, pte(DATA_PA + 5 * 4096, V | R | A));
}

const RD_ALU = [1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26]; // x27, x28: SMC words, x29: loop counter

/** One random instruction: a 32-bit word, or a 16-bit parcel (then `half`). */
function randomInsn(next: () => number, straight: boolean): { word: number; half: boolean } {
  let k = next() % 100;
  if (straight) k = next() % 16 === 0 ? [k % 65, 65, 85, 92, 95][next() % 5]! : k % 65; // loop bodies: mostly what the JIT translates
  const rd = RD_ALU[next() % RD_ALU.length]!;
  const rs1 = next() % 32;
  const rs2 = next() % 32;
  const w = next();
  if (k < 40) { // integer ALU, M
    const op = [0x13, 0x13, 0x33, 0x33, 0x1b, 0x3b, 0x37, 0x17][next() % 8]!;
    let word = (w & ~0xfff) | (rd << 7) | op;
    if (op === 0x33 || op === 0x3b) { // mostly valid funct3/funct7 pairs
      const valid = op === 0x33
        ? [[0, 0], [1, 0], [2, 0], [3, 0], [4, 0], [5, 0], [6, 0], [7, 0], [0, 0x20], [5, 0x20], [0, 1], [1, 1], [2, 1], [3, 1], [4, 1], [5, 1], [6, 1], [7, 1]]
        : [[0, 0], [1, 0], [5, 0], [0, 0x20], [5, 0x20], [0, 1], [4, 1], [5, 1], [6, 1], [7, 1]];
      const [f3, f7] = next() % 10 === 0 ? [next() % 8, [0, 0x20, 1][next() % 3]!] : valid[next() % valid.length]!;
      word = rType(op, rd, f3!, rs1, rs2, f7!);
    }
    if (op === 0x1b && next() % 10 !== 0) {
      const f3 = [0, 1, 5][next() % 3]!;
      word = f3 === 0 ? iType(0x1b, rd, 0, rs1, w >> 20) : iType(0x1b, rd, f3, rs1, (next() % 32) | (f3 === 5 && next() % 2 ? 0x400 : 0));
    }
    if (op === 0x13 && next() % 3 === 0) word = iType(0x13, rd, [1, 5][next() % 2]!, rs1, (next() % 64) | (next() % 2 ? 0x400 : 0));
    return { word: word | 0, half: false };
  }
  if (k < 52) { // load from a data base (or anywhere: faults)
    const base = next() % 8 === 0 ? rs1 : [2, 3][next() % 2]!;
    return { word: iType(0x03, rd, next() % 7, base, (w % 4096) - 2048), half: false };
  }
  if (k < 62) { // store
    const base = next() % 8 === 0 ? rs1 : [2, 3][next() % 2]!;
    return { word: sType(0x23, next() % 4, base, rs2, (w % 4096) - 2048), half: false };
  }
  if (k < 65) return { word: sType(0x23, 2 + (next() % 2), 4, rs2, (w % 512) * 4 - 1024), half: false }; // store into code
  if (k < 67) return { word: 0x0000100f, half: false }; // fence.i
  if (k < 77) return { word: bType([0, 1, 4, 5, 6, 7][next() % 6]!, rs1, rs2, ((w % 64) - 32) * 2), half: false };
  if (k < 80) return { word: jal(next() % 2, ((w % 64) - 24) * 2), half: false };
  if (k < 81) return { word: iType(0x67, next() % 2, 0, 1, (w % 16) - 8), half: false };
  if (k < 91) return { word: (w & 0xffff) === 0 ? 1 : (w & 0xfffc) | (next() % 3), half: true }; // RVC
  // left to the interpreter: CSRs (instret, cycle, sscratch), FP, AMO, ecall, fence
  switch (next() % 6) {
    case 0: return { word: iType(0x73, rd, 2, 0, 0xc02), half: false }; // csrr instret
    case 1: return { word: iType(0x73, rd, 1, rs1, 0x140), half: false }; // csrrw sscratch
    case 2: return { word: (w & ~0x7f) | 0x53, half: false };
    case 3: return { word: rType(0x2f, rd, 2 + (next() % 2), 2, rs2, (next() % 32) << 2), half: false };
    case 4: return { word: 0x00000073, half: false }; // ecall
    default: return { word: 0x0ff0000f, half: false }; // fence
  }
}

/** Fills both code pages and the data pages with a random program and data. */
function fill(r: HartRig, next: () => number): void {
  let pa = CODE_PA;
  const put = (word: number, half: boolean): void => {
    if (half) {
      r.mem.writeU16(pa, word);
      pa += 2;
    } else {
      r.mem.writeU32(pa, word >>> 0);
      pa += 4;
    }
  };
  const end = CODE_PA + 8192 - 4;
  while (pa < end) {
    if (next() % 10 < 3 || pa > end - 160) {
      const { word, half } = randomInsn(next, false);
      put(word, half);
      continue;
    }
    // a counted loop: li x29, n; body; addi x29, x29, -1; bnez x29, body. Some loops rewrite an
    // instruction of their own body through the writable alias (x4), with or without fence.i.
    const len = 2 + (next() % 14);
    const body: { word: number; half: boolean }[] = [];
    for (let i = 0; i < len; i++) body.push(randomInsn(next, true));
    const smc = next() % 3 === 0;
    if (smc) {
      const alu = (): number => iType(0x13, RD_ALU[next() % RD_ALU.length]!, [0, 4, 6, 7][next() % 4]!, next() % 32, (next() % 4096) - 2048);
      const newWord = alu();
      const flip = (newWord ^ alu()) | 0; // x28 alternates between two instructions, one per iteration
      const li = (rd: number, v: number): void => {
        put(0x00000037 | (rd << 7) | ((((v + 0x800) >>> 12) & 0xfffff) << 12), false); // lui rd, hi
        put(iType(0x1b, rd, 0, rd, v & 0xfff), false); // addiw rd, rd, lo
      };
      const auipcPa = pa;
      put(0x00000217, false); // auipc x4, 0
      put(0x20000d37, false); // lui x26, 0x20000 (code VA -> alias VA)
      put(rType(0x33, 4, 0, 4, 26, 0), false); // add x4, x4, x26
      li(28, newWord);
      li(27, flip);
      put(iType(0x13, 29, 0, 0, 1 + (next() % 20)), false);
      const bodyPa = pa;
      // the store comes first; its target is a later 32-bit instruction of the body
      let off = bodyPa + 8;
      const targets: number[] = [];
      for (const b of body) {
        if (!b.half) targets.push(off);
        off += b.half ? 2 : 4;
      }
      const target = targets.length > 0 ? targets[next() % targets.length]! : bodyPa;
      put(sType(0x23, 2, 4, 28, target - auipcPa), false);
      put(rType(0x33, 28, 4, 28, 27, 0), false); // xor x28, x28, x27
      for (const b of body) put(b.word, b.half);
      if (next() % 2 === 0) put(0x0000100f, false); // fence.i
      put(iType(0x13, 29, 0, 29, -1), false);
      put(bType(1, 29, 0, bodyPa - pa), false);
      continue;
    }
    put(iType(0x13, 29, 0, 0, 1 + (next() % 20)), false);
    const bodyPa = pa;
    for (const b of body) put(b.word, b.half);
    put(iType(0x13, 29, 0, 29, -1), false);
    put(bType(1, 29, 0, bodyPa - pa), false);
  }
  for (let a = DATA_PA; a < DATA_PA + 6 * 4096; a += 4) r.mem.writeU32(a, next());
}

/** Puts the hart at the start of the program in S-mode with Sv39 and fresh registers. */
function start(r: HartRig, next: () => number, fp: boolean): void {
  const h = r.hart;
  h.reset(BigInt(CODE_VA));
  h.writeCsr(0x305, BigInt(RAM_BASE)); // mtvec
  h.writeCsr(0x3b0, (1n << 54n) - 1n); // pmpaddr0: all of memory
  h.writeCsr(0x3a0, 0x1fn); // pmpcfg0: NAPOT RWX
  h.writeCsr(0x306, 7n); // mcounteren: S may read cycle, time, instret
  h.writeCsr(0x300, fp ? 1n << 13n : 0n); // mstatus.FS
  h.writeCsr(0x180, (8n << 60n) | BigInt(PT_PA / 4096)); // satp Sv39
  for (let x = 1; x < 32; x++) h.setX(x, (BigInt(next()) << 32n) | BigInt(next()));
  h.setX(2, BigInt(DATA_VA + 0x800 + (next() % 0x800)));
  h.setX(3, BigInt(DATA_VA + 0x2800 + (next() % 0x2000)));
  h.setX(4, BigInt(ALIAS_VA + 0x400 + (next() % 0x1800) * 4 / 4));
  h.priv = 1;
}

/** The first difference between two harts' state (and, with `ram`, program RAM), or undefined. */
function compare(a: HartRig, b: HartRig, ram: boolean): string | undefined {
  const sa = a.hart.st;
  const sb = b.hart.st;
  for (let i = 0; i < S.TLB; i++) {
    if (sa[i] !== sb[i]) return `state slot ${i}: interpreter ${sa[i]} jit ${sb[i]} (pc ${a.hart.getPc().toString(16)} / ${b.hart.getPc().toString(16)})`;
  }
  if (a.hart.instret !== b.hart.instret) return `instret: interpreter ${a.hart.instret} jit ${b.hart.instret}`;
  if (a.hart.steps !== b.hart.steps) return `steps: interpreter ${a.hart.steps} jit ${b.hart.steps}`;
  if (!ram) return undefined;
  const ua = a.mem.u8;
  const ub = b.mem.u8;
  const from = a.mem.offsetOf(RAM_BASE);
  const to = a.mem.offsetOf(REGION_END);
  for (let i = from; i < to; i++) {
    if (ua[i] !== ub[i]) return `RAM byte at 0x${(RAM_BASE + i - from).toString(16)}: interpreter ${ua[i]} jit ${ub[i]}`;
  }
  return undefined;
}

/** Runs `rounds` random programs for `steps` instructions each in lock-step (see file header). */
export function runLockstep(opts: { seed: number; rounds: number; steps: number; maxChunk?: number }): LockstepResult {
  const next = rng(opts.seed);
  const a = makeHartRig({ ramSizeBytes: 1 << 20 });
  const b = makeHartRig({ ramSizeBytes: 1 << 20 });
  const jit = new Jit(b.hart, { threshold: 0, compile: 'sync' });
  const result: LockstepResult = { rounds: 0, checks: 0, jitEntries: 0, jitInstructions: 0, instructions: 0, mismatch: undefined };
  let blockMismatch: string | undefined;
  jit.onBlockExit = () => { // catch the interpreter up to the JIT's step count, then compare
    const d = b.hart.steps - a.hart.steps;
    if (d > 0) a.hart.run(d);
    result.checks++;
    blockMismatch ??= compare(a, b, false);
  };
  setupMachine(a);
  setupMachine(b);
  for (let round = 0; round < opts.rounds; round++) {
    const seed = next();
    const fp = (seed & 1) !== 0;
    fill(a, rng(seed));
    fill(b, rng(seed));
    start(a, rng(seed + 1), fp);
    start(b, rng(seed + 1), fp);
    jit.flush();
    let done = 0;
    while (done < opts.steps) {
      const k = 1 + (next() % (opts.maxChunk ?? 300));
      const target = a.hart.steps + k;
      jit.run(k);
      if (a.hart.steps < target) a.hart.run(target - a.hart.steps);
      done += k;
      result.checks++;
      const diff = blockMismatch ?? compare(a, b, true);
      if (diff !== undefined) {
        result.mismatch = `round ${round} (seed ${seed}): ${diff}`;
        return result;
      }
    }
    result.rounds++;
    result.instructions += a.hart.instret;
  }
  result.jitEntries = jit.info.jitEntries;
  result.jitInstructions = jit.info.jitInstructions;
  return result;
}
