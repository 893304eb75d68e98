// Physical memory protection (privileged spec 1.12 §3.7): the pmpcfg/pmpaddr WARL rules and the
// access check. The CSRs live in the hart state; the active entries are kept as decoded
// [lo, hi) ranges, rebuilt on every pmp write. Internal to src/cpu/.
import { HartSlot as S } from './hart-layout.js';
import { Acc } from './mmu.js';

const TWO32 = 4294967296;

const PMP_R = 1;
const PMP_W = 2;
const PMP_X = 4;
const PMP_A = 0x18;
const PMP_L = 0x80;

/** The PMP of one hart: CSR writes, and the check used by address translation. */
export class Pmp {
  private readonly st: Int32Array;
  // derived ranges of the active entries, in priority order
  private readonly lo = new Float64Array(64);
  private readonly hi = new Float64Array(64);
  private readonly perm = new Uint8Array(64);
  private count = 0;
  /** Some entry is locked: M-mode accesses are checked too (read-only outside this class). */
  anyLocked = false;

  /** `st` is the hart state (pmpcfg at HartSlot.PMPCFG, pmpaddr at HartSlot.PMPADDR). */
  constructor(st: Int32Array) {
    this.st = st;
  }

  /** PMP check of [pa, pa + size) for privilege priv (spec §3.7.1): lowest matching entry wins. */
  check(pa: number, size: number, acc: Acc, priv: number): boolean {
    const n = this.count;
    if (n === 0) return priv === 3;
    const end = pa + size;
    for (let i = 0; i < n; i++) {
      const lo = this.lo[i]!;
      const hi = this.hi[i]!;
      if (end <= lo || pa >= hi) continue;
      if (pa < lo || end > hi) return false; // partially matching access fails
      const perm = this.perm[i]!;
      if (priv === 3 && (perm & PMP_L) === 0) return true;
      const need = acc === Acc.Fetch ? PMP_X : acc === Acc.Load ? PMP_R : PMP_W;
      return (perm & need) !== 0;
    }
    return priv === 3;
  }

  /** True if one PMP entry (or none) decides for the whole 4 KiB page: the TLB may cache it. */
  pageUniform(page: number): boolean {
    const n = this.count;
    const end = page + 4096;
    for (let i = 0; i < n; i++) {
      const lo = this.lo[i]!;
      const hi = this.hi[i]!;
      if (end <= lo || page >= hi) continue;
      return page >= lo && end <= hi;
    }
    return true;
  }

  /** Writes pmpcfg register k (even, entries 4k .. 4k+7) as (lo, hi); locked entries ignore it. */
  writeCfg(k: number, lo: number, hi: number): void {
    this.writeCfgWord(k, lo);
    this.writeCfgWord(k + 1, hi);
    this.rebuild();
  }

  /** Writes pmpaddr i as (lo, hi) unless the entry is locked; false if the write was ignored. */
  writeAddr(i: number, lo: number, hi: number): boolean {
    if (this.addrLocked(i)) return false;
    this.st[S.PMPADDR + 2 * i] = lo;
    this.st[S.PMPADDR + 2 * i + 1] = hi & 0x3fffff;
    this.rebuild();
    return true;
  }

  /** Rebuilds the active PMP ranges (in priority order) from pmpcfg/pmpaddr. */
  rebuild(): void {
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
        this.lo[n] = lo;
        this.hi[n] = hi;
        this.perm[n] = cfg;
        if ((cfg & PMP_L) !== 0) locked = true;
        n++;
      } else if (a !== 0 && (cfg & PMP_L) !== 0) {
        locked = true;
      }
    }
    this.count = n;
    this.anyLocked = locked;
  }

  /** Writes one 32-bit word (4 entries) of pmpcfg with the WARL rules: L entries keep their value. */
  private writeCfgWord(slot: number, v: number): void {
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

  private cfg(i: number): number {
    return (this.st[S.PMPCFG + (i >> 2)]! >>> ((i & 3) * 8)) & 0xff;
  }

  private addrLocked(i: number): boolean {
    if ((this.cfg(i) & PMP_L) !== 0) return true;
    if (i < 63) {
      const next = this.cfg(i + 1);
      if ((next & PMP_L) !== 0 && (next & PMP_A) === 0x08) return true; // TOR top of a locked entry
    }
    return false;
  }
}
