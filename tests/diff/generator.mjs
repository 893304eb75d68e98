// Seeded generator of random straight-line RV64GC sequences for differential testing against
// qemu-riscv64: integer ALU (with W forms), M, shifts, lui/auipc, loads/stores into a scratch
// buffer (misaligned too), short forward branches, F/D arithmetic with random static rounding
// modes, the fmadd family, conversions, compares, fclass, sign injection, moves; with random
// initial registers drawn from edge values and special floats.
//
// Reserved registers: x26 holds the address of the sequence start (auipc results are made
// position-independent by subtracting it), x27 the scratch buffer; neither is a destination.
// x25 is the address register of AMOs and LR/SC (set just before, zeroed just after), and
// x24 points into the FP log of the 'fp' profile (each tricky operation appends its result
// and its fflags there, so no result is lost to a later overwrite).

/** Size in bytes of the scratch buffer the loads and stores address (through x27). */
export const SCRATCH_BYTES = 512;

/** Deterministic 32-bit PRNG (mulberry32) seeded with a 32-bit integer. */
export class Prng {
  constructor(seed) { this.s = seed >>> 0; }
  /** Next uniform 32-bit unsigned integer. */
  u32() {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform integer in [0, n). */
  below(n) { return this.u32() % n; }
  /** One element of an array. */
  pick(a) { return a[this.below(a.length)]; }
  /** Uniform 64-bit value as an unsigned BigInt. */
  u64() { return (BigInt(this.u32()) << 32n) | BigInt(this.u32()); }
  /** Signed integer in [lo, hi]. */
  range(lo, hi) { return lo + this.below(hi - lo + 1); }
}

const M64 = (1n << 64n) - 1n;
const INT_EDGES = [0n, 1n, 2n, M64, M64 - 1n, 1n << 63n, (1n << 63n) - 1n, 0x7fffffffn, 0x80000000n,
  0xffffffffn, 0xffffffff80000000n, 0xffffffff7fffffffn, 0x100000000n, 31n, 32n, 63n, 64n, 0x8000n, 0xffffn];
const D_SPECIAL = [0n, 1n << 63n, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n,
  0x7ff4000000000000n, 0xfff8000000000001n, 0x0000000000000001n, 0x800fffffffffffffn, 0x0010000000000000n,
  0x7fefffffffffffffn, 0x3ff0000000000000n, 0xbff0000000000000n, 0x3fe0000000000000n, 0x4008000000000000n,
  0x3ca0000000000000n, 0x43e0000000000000n, 0xc3e0000000000000n, 0x41dfffffffc00000n, 0x41efffffffe00000n,
  0x4004000000000000n, 0xc004000000000000n];
const S_SPECIAL = [0x00000000n, 0x80000000n, 0x7f800000n, 0xff800000n, 0x7fc00000n, 0x7fa00000n, 0xffc00001n,
  0x00000001n, 0x807fffffn, 0x00800000n, 0x7f7fffffn, 0x3f800000n, 0xbf800000n, 0x3f000000n, 0x40400000n,
  0x33800000n, 0x5f000000n, 0xdf000000n, 0x4f000000n, 0x40200000n, 0xc0200000n];
const BOX = 0xffffffff00000000n;

function randomX(r) {
  switch (r.below(4)) {
    case 0: return r.pick(INT_EDGES);
    case 1: return BigInt.asUintN(64, BigInt(r.range(-2048, 2047)));
    case 2: return BigInt.asUintN(64, BigInt.asIntN(32, BigInt(r.u32())));
    default: return r.u64();
  }
}

function randomF(r) {
  switch (r.below(6)) {
    case 0: return r.pick(D_SPECIAL);
    case 1: return BOX | r.pick(S_SPECIAL);
    case 2: return BOX | BigInt(r.u32());                       // random boxed single
    case 3: {                                                    // random double near 1
      const exp = BigInt(1023 + r.range(-60, 60));
      return (BigInt(r.below(2)) << 63n) | (exp << 52n) | (r.u64() & ((1n << 52n) - 1n));
    }
    case 4: {                                                    // random boxed single near 1
      const exp = BigInt(127 + r.range(-30, 30));
      return BOX | (BigInt(r.below(2)) << 31n) | (exp << 23n) | BigInt(r.u32() & 0x7fffff);
    }
    default: return r.below(8) === 0 ? r.u64() : r.pick(D_SPECIAL);  // sometimes not NaN-boxed
  }
}

const XREGS = [...Array(32).keys()].filter((i) => i < 24 || i > 27);
const RM = ['rne', 'rtz', 'rdn', 'rup', 'rmm', 'dyn'];
const R_OPS = ['add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and', 'addw', 'subw', 'sllw',
  'srlw', 'sraw', 'mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu', 'mulw', 'divw', 'divuw',
  'remw', 'remuw'];
const I_OPS = ['addi', 'slti', 'sltiu', 'xori', 'ori', 'andi', 'addiw'];
const SH_OPS = [['slli', 63], ['srli', 63], ['srai', 63], ['slliw', 31], ['srliw', 31], ['sraiw', 31]];
const LOADS = [['lb', 1], ['lh', 2], ['lw', 4], ['ld', 8], ['lbu', 1], ['lhu', 2], ['lwu', 4]];
const STORES = [['sb', 1], ['sh', 2], ['sw', 4], ['sd', 8]];
const BRANCHES = ['beq', 'bne', 'blt', 'bge', 'bltu', 'bgeu'];

function x(r) { return `x${r.pick(XREGS)}`; }
function xs(r) { return `x${r.below(32) === 0 ? 0 : r.pick(XREGS)}`; }
function f(r) { return `f${r.below(32)}`; }
function offset(r, size) {
  // mostly naturally aligned, sometimes misaligned (the board and QEMU both handle those)
  const o = r.range(0, SCRATCH_BYTES - 8);
  return r.below(5) === 0 ? o : o - (o % size);
}

/** One random instruction (possibly a tiny forward-branch group) as assembly text. */
function randomInsn(r) {
  const k = r.below(106);
  if (k < 18) return `${r.pick(R_OPS)} ${x(r)}, ${xs(r)}, ${xs(r)}`;
  if (k < 26) return `${r.pick(I_OPS)} ${x(r)}, ${xs(r)}, ${r.range(-2048, 2047)}`;
  if (k < 31) { const [op, max] = r.pick(SH_OPS); return `${op} ${x(r)}, ${xs(r)}, ${r.range(0, max)}`; }
  if (k < 33) return `lui ${x(r)}, ${r.below(1 << 20)}`;
  if (k < 35) { const d = x(r); return `auipc ${d}, ${r.below(1 << 20)}\n  sub ${d}, ${d}, x26`; }
  if (k < 41) { const [op, size] = r.pick(LOADS); return `${op} ${x(r)}, ${offset(r, size)}(x27)`; }
  if (k < 46) { const [op, size] = r.pick(STORES); return `${op} ${xs(r)}, ${offset(r, size)}(x27)`; }
  if (k < 48) return `${r.pick(['flw', 'fld'])} ${f(r)}, ${offset(r, 8)}(x27)`;
  if (k < 50) return `${r.pick(['fsw', 'fsd'])} ${f(r)}, ${offset(r, 8)}(x27)`;
  if (k >= 100 && k < 103) {
    const w = r.below(2) === 0 ? 'w' : 'd';
    const off = r.range(0, SCRATCH_BYTES / 8 - 1) * 8 + (w === 'w' ? 4 * r.below(2) : 0);
    const op = r.pick(['amoswap', 'amoadd', 'amoand', 'amoor', 'amoxor', 'amomin', 'amomax', 'amominu', 'amomaxu', 'lrsc']);
    if (op === 'lrsc') return `addi x25, x27, ${off}\n  lr.${w} ${x(r)}, (x25)\n  sc.${w} ${x(r)}, ${xs(r)}, (x25)\n  li x25, 0`;
    return `addi x25, x27, ${off}\n  ${op}.${w}${r.pick(['', '.aq', '.rl', '.aqrl'])} ${x(r)}, ${xs(r)}, (x25)\n  li x25, 0`;
  }
  if (k >= 103) {
    // read-and-clear the accrued flags (keeps fflags sensitive), sometimes change frm
    return r.below(4) === 0 ? `csrrwi ${x(r)}, frm, ${r.below(5)}` : `csrrw ${x(r)}, fflags, zero`;
  }
  if (k < 52) return `${r.pick(BRANCHES)} ${xs(r)}, ${xs(r)}, 1f\n  ${r.pick(R_OPS)} ${x(r)}, ${xs(r)}, ${xs(r)}\n1:`;
  const p = r.pick(['s', 'd']);
  const rm = r.pick(RM);
  if (k < 66) return `${r.pick(['fadd', 'fsub', 'fmul', 'fdiv'])}.${p} ${f(r)}, ${f(r)}, ${f(r)}, ${rm}`;
  if (k < 68) return `fsqrt.${p} ${f(r)}, ${f(r)}, ${rm}`;
  if (k < 74) return `${r.pick(['fmadd', 'fmsub', 'fnmsub', 'fnmadd'])}.${p} ${f(r)}, ${f(r)}, ${f(r)}, ${f(r)}, ${rm}`;
  if (k < 77) return `${r.pick(['fmin', 'fmax', 'fsgnj', 'fsgnjn', 'fsgnjx'])}.${p} ${f(r)}, ${f(r)}, ${f(r)}`;
  if (k < 80) return `${r.pick(['feq', 'flt', 'fle'])}.${p} ${x(r)}, ${f(r)}, ${f(r)}`;
  if (k < 82) return `fclass.${p} ${x(r)}, ${f(r)}`;
  if (k < 87) return `fcvt.${r.pick(['w', 'wu', 'l', 'lu'])}.${p} ${x(r)}, ${f(r)}, ${rm}`;
  if (k < 92) {
    const src = r.pick(['w', 'wu', 'l', 'lu']);
    // int32 -> double is always exact: the assembler takes no rounding mode for it
    return p === 'd' && (src === 'w' || src === 'wu') ? `fcvt.d.${src} ${f(r)}, ${xs(r)}` : `fcvt.${p}.${src} ${f(r)}, ${xs(r)}, ${rm}`;
  }
  if (k < 94) return p === 's' ? `fcvt.s.d ${f(r)}, ${f(r)}, ${rm}` : `fcvt.d.s ${f(r)}, ${f(r)}`;
  if (k < 97) return p === 's' ? `fmv.x.w ${x(r)}, ${f(r)}` : `fmv.x.d ${x(r)}, ${f(r)}`;
  return p === 's' ? `fmv.w.x ${f(r)}, ${xs(r)}` : `fmv.d.x ${f(r)}, ${xs(r)}`;
}

// ---- the 'fp' profile: fresh, deliberately tricky operands for every FP operation ----------

const F64 = new Float64Array(1);
const U64 = new BigUint64Array(F64.buffer);
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
const bitsD = (v) => { F64[0] = v; return U64[0]; };
const fromD = (b) => { U64[0] = b; return F64[0]; };
const bitsS = (v) => { F32[0] = v; return BigInt(U32[0]); };
const fromS = (b) => { U32[0] = Number(b & 0xffffffffn); return F32[0]; };

/** A random double or single bit pattern anywhere in the range: subnormals, huge, near 1. */
function trickyBits(r, p) {
  const [ebits, mbits] = p === 'd' ? [11n, 52n] : [8n, 23n];
  const emax = (1n << ebits) - 1n;
  const sign = BigInt(r.below(2)) << (ebits + mbits);
  const mant = (r.u64() & ((1n << mbits) - 1n)) >> BigInt(r.below(3) === 0 ? r.below(Number(mbits)) : 0);
  let exp;
  switch (r.below(6)) {
    case 0: exp = 0n; break;                                            // subnormal or zero
    case 1: exp = BigInt(1 + r.below(40)); break;                        // tiny normal
    case 2: exp = emax - 1n - BigInt(r.below(40)); break;                // huge
    case 3: exp = emax; return sign | (exp << mbits) | (r.below(2) ? 0n : mant | 1n);  // inf / NaN
    default: exp = (emax >> 1n) + BigInt(r.range(-40, 40));              // moderate
  }
  return sign | (exp << mbits) | mant;
}

function loadF(reg, bits, p) {
  const v = p === 's' ? BOX | bits : bits;
  return `li x25, 0x${v.toString(16)}\n  fmv.d.x ${reg}, x25`;
}

/** One FP operation on freshly loaded operands chosen to hit rounding and cancellation cases. */
function trickyFp(r) {
  const p = r.pick(['s', 'd']);
  const rm = r.pick(RM);
  const regs = [];
  while (regs.length < 4) { const g = f(r); if (!regs.includes(g)) regs.push(g); }
  const [fa, fb, fc, fd] = regs;
  const from = p === 'd' ? fromD : fromS;
  const bits = p === 'd' ? bitsD : bitsS;
  const round = p === 'd' ? (v) => v : Math.fround;
  let a = trickyBits(r, p);
  let b = trickyBits(r, p);
  let c = trickyBits(r, p);
  const k = r.below(10);
  let op;
  if (k < 4) {
    // fused multiply-add whose addend cancels the rounded product (the result is the exact
    // product error), or nearly so, or is far smaller / larger than the product
    if (r.below(3)) { a = bits(round(1 + r.u32() / 2 ** 32) * 2 ** r.range(-20, 20)); b = bits(round(1 + r.u32() / 2 ** 32)); }
    const prod = round(from(a) * from(b));
    const variant = r.below(4);
    if (variant === 0) c = bits(-prod);
    else if (variant === 1) c = bits(prod);
    else if (variant === 2) c = bits(round(-prod * (1 + (r.below(2) ? 1 : -1) * 2 ** -r.range(20, 60))));
    op = `${r.pick(['fmadd', 'fmsub', 'fnmsub', 'fnmadd'])}.${p} ${fd}, ${fa}, ${fb}, ${fc}, ${rm}`;
  } else if (k < 6) {
    // addition / subtraction of nearly equal or wildly different magnitudes
    if (r.below(2)) b = bits(round(-from(a) * (1 + (r.below(2) ? 1 : -1) * 2 ** -r.range(1, 60))));
    op = `${r.pick(['fadd', 'fsub'])}.${p} ${fd}, ${fa}, ${fb}, ${rm}`;
  } else if (k < 8) {
    op = r.below(3) ? `${r.pick(['fmul', 'fdiv'])}.${p} ${fd}, ${fa}, ${fb}, ${rm}` : `fsqrt.${p} ${fd}, ${fa}, ${rm}`;
  } else {
    // conversions near integer boundaries
    const edges = [2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 63, -(2 ** 63), 2 ** 64, 0.5, -0.5, 1.5, 2.5, -2.5];
    const e = r.pick(edges) + (r.below(2) ? 0 : (r.below(2) ? 1 : -1) * r.pick([0.5, 0.25, 1, 1e-3]));
    a = bits(round(e));
    op = `fcvt.${r.pick(['w', 'wu', 'l', 'lu'])}.${p} ${x(r)}, ${fa}, ${rm}`;
  }
  if (Number.isNaN(from(c)) && r.below(2)) c = trickyBits(r, p);
  const dest = op.split(' ')[1].replace(',', '');
  const log = dest.startsWith('f') ? `fsd ${dest}, 0(x24)` : `sd ${dest}, 0(x24)`;
  return `${loadF(fa, a, p)}\n  ${loadF(fb, b, p)}\n  ${loadF(fc, c, p)}\n  ${op}\n  ${log}\n  csrrw x25, fflags, zero\n  sd x25, 8(x24)\n  addi x24, x24, 16\n  li x25, 0`;
}

/**
 * The program for one seed: initial x/f registers, frm, scratch contents and `length`
 * instructions (assembly lines). Profile 'mixed' (default) draws from the whole ISA subset;
 * 'fp' makes most instructions FP operations on freshly loaded tricky operands.
 */
export function generate(seed, length = 300, profile = 'mixed') {
  const r = new Prng(seed);
  const initX = [0n, ...Array.from({ length: 31 }, () => randomX(r))];
  const initF = Array.from({ length: 32 }, () => randomF(r));
  const frm = r.below(5);
  const scratch = Array.from({ length: SCRATCH_BYTES / 8 }, () => (r.below(3) === 0 ? randomF(r) : randomX(r)));
  const insns = Array.from({ length }, () => (profile === 'fp' && r.below(4) !== 0 ? trickyFp(r) : randomInsn(r)));
  // entries of the FP log (two dwords each: result, fflags), at most one per instruction
  const logSlots = insns.filter((s) => s.includes('(x24)')).length;
  return { seed, initX, initF, frm, scratch, insns, profile, logSlots };
}
