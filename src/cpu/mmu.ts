// Address translation: the context's TLB banks, Sv39/Sv48 page walks with hardware A/D update,
// PMP on the result, and filling/flushing the software TLBs (privileged spec 1.12 §4.3, §4.4,
// §3.7). The run loop probes the TLBs inline; this file is its miss path. Internal to src/cpu/:
// free functions over a Hart.
import type { Hart } from './hart.js';
import { HartSlot as S, TLB_BANKS, TLB_ENTRIES } from './hart-layout.js';
import { Mstatus } from './csr-bits.js';
import { setExc } from './trap.js';

const TWO32 = 4294967296;

/** Access type of a memory access, also the TLB array index within a bank. */
export const enum Acc { Fetch = 0, Load = 1, Store = 2 }

/** Special TLB tag values (a const enum: inlined into the run loop's fetch check). */
export const enum TlbTag {
  /** Never equals a page address (addr & -4096): an empty entry. */
  INVALID = 1,
}

const TLB_MASK = TLB_ENTRIES - 1;

/** TLB bank of a translation context (see TLB_BANKS). */
function tlbBank(priv: number, sum: boolean): number {
  return priv === 3 ? 3 : priv === 1 ? (sum ? 2 : 1) : 0;
}

/** Flushes every TLB and re-selects the banks of the current context. */
export function flushTlb(h: Hart): void {
  for (let t = 0; t < 3 * TLB_BANKS; t++) h.tlbTag[t]!.fill(TlbTag.INVALID);
  selectBanks(h);
}

/** Flushes the fetch TLBs of every bank (fence.i from outside the hart). */
export function flushIcache(h: Hart): void {
  for (let b = 0; b < TLB_BANKS; b++) h.tlbTag[b * 3 + Acc.Fetch]!.fill(TlbTag.INVALID);
}

/**
 * Drops every store translation of every bank. The next store to each page then misses, and
 * the fill (fillTlb) marks the page dirty: how a dirty-tracking round starts (live migration).
 */
export function flushStoreTlb(h: Hart): void {
  for (let b = 0; b < TLB_BANKS; b++) h.tlbTag[b * 3 + Acc.Store]!.fill(TlbTag.INVALID);
}

/** Picks the TLB banks of the current context (privilege, MPRV/MPP, SUM); no flush needed. */
export function selectBanks(h: Hart): void {
  const st = h.st;
  const priv = st[S.PRIV]!;
  const mst = st[S.MSTATUS]!;
  const sum = (mst & Mstatus.SUM) !== 0;
  h.fetchBank = tlbBank(priv, sum) * 3;
  const dataPriv = priv === 3 && (mst & Mstatus.MPRV) !== 0 ? (mst >>> 11) & 3 : priv;
  h.dataBank = tlbBank(dataPriv, sum) * 3;
}

/** Drops the cached translations of the 4 KiB page holding virtual address (lo, hi), every bank. */
export function flushTlbPage(h: Hart, lo: number, hi: number): void {
  const idx = (lo >>> 12) & TLB_MASK;
  const tag = lo & -4096;
  for (let t = 0; t < 3 * TLB_BANKS; t++) {
    if (h.tlbTag[t]![idx] === tag && h.tlbTagHi[t]![idx] === hi) h.tlbTag[t]![idx] = TlbTag.INVALID;
  }
}

/** Privilege used for the translation/protection of an access of type acc. */
function effectivePriv(h: Hart, acc: Acc): number {
  const st = h.st;
  const priv = st[S.PRIV]!;
  if (acc !== Acc.Fetch && priv === 3 && (st[S.MSTATUS]! & Mstatus.MPRV) !== 0) return (st[S.MSTATUS]! >>> 11) & 3;
  return priv;
}

/**
 * Translates virtual address (lo, hi) for an access of `size` bytes within one page. Returns the
 * physical address, or -1 with excCause/excTval set. Sets tlbFillable when the page may be cached.
 */
export function translate(h: Hart, lo: number, hi: number, acc: Acc, size: number): number {
  const st = h.st;
  const priv = effectivePriv(h, acc);
  const mode = st[S.SATP + 1]! >>> 28;
  let pa: number;
  h.tlbFillable = false;
  if (priv === 3 || mode === 0) {
    if ((hi >>> 0) >= 0x200000) {
      setExc(h, acc === Acc.Fetch ? 1 : acc === Acc.Load ? 5 : 7, lo, hi);
      return -1;
    }
    pa = (hi >>> 0) * TWO32 + (lo >>> 0);
  } else {
    pa = walk(h, lo, hi, acc, priv, mode);
    if (pa < 0) return -1;
  }
  if (priv !== 3 || h.pmp.anyLocked) {
    if (!h.pmp.check(pa, size, acc, priv)) {
      setExc(h, acc === Acc.Fetch ? 1 : acc === Acc.Load ? 5 : 7, lo, hi);
      return -1;
    }
    h.tlbFillable = h.pmp.pageUniform(pa - (pa % 4096));
  } else {
    h.tlbFillable = true;
  }
  return pa;
}

/** Sv39/Sv48 page walk (privileged spec 1.12 §4.3.2) with hardware A/D update. */
function walk(h: Hart, lo: number, hi: number, acc: Acc, priv: number, mode: number): number {
  const st = h.st;
  const pageFault = acc === Acc.Fetch ? 12 : acc === Acc.Load ? 13 : 15;
  const accessFault = acc === Acc.Fetch ? 1 : acc === Acc.Load ? 5 : 7;
  let levels: number;
  let vpnAll: number;
  if (mode === 8) {
    const top = hi >> 6;
    if (top !== 0 && top !== -1) return setExc(h, pageFault, lo, hi) ? 0 : -1;
    levels = 3;
    vpnAll = (hi & 0x7f) * 1048576 + (lo >>> 12);
  } else if (mode === 9) {
    const top = hi >> 15;
    if (top !== 0 && top !== -1) return setExc(h, pageFault, lo, hi) ? 0 : -1;
    levels = 4;
    vpnAll = (hi & 0xffff) * 1048576 + (lo >>> 12);
  } else {
    return setExc(h, pageFault, lo, hi) ? 0 : -1;
  }
  const mst = st[S.MSTATUS]!;
  const dv = h.dv;
  for (;;) { // restarts if the A/D update races with another writer
    let a = ((st[S.SATP + 1]! & 0xfff) * TWO32 + (st[S.SATP]! >>> 0)) * 4096;
    let i = levels - 1;
    for (;;) {
      const vpn = Math.floor(vpnAll / 2 ** (9 * i)) % 512;
      const pteAddr = a + vpn * 8;
      if (pteAddr < h.ramBase || pteAddr + 8 > h.ramEnd || !h.pmp.check(pteAddr, 8, Acc.Load, 1)) {
        return setExc(h, accessFault, lo, hi) ? 0 : -1;
      }
      const off = h.ramOffset + (pteAddr - h.ramBase);
      const pLo = dv.getInt32(off, true);
      const pHi = dv.getInt32(off + 4, true);
      if ((pLo & 1) === 0 || (pLo & 6) === 4 || (pHi >>> 22) !== 0) return setExc(h, pageFault, lo, hi) ? 0 : -1;
      const ppn = (pHi & 0x3fffff) * 4194304 + (pLo >>> 10);
      if ((pLo & 0xa) === 0) { // pointer to the next level
        if (i === 0) return setExc(h, pageFault, lo, hi) ? 0 : -1;
        i--;
        a = ppn * 4096;
        continue;
      }
      // leaf
      const u = (pLo & 0x10) !== 0;
      if (acc === Acc.Fetch) {
        if ((pLo & 8) === 0 || (u ? priv !== 0 : priv === 0)) return setExc(h, pageFault, lo, hi) ? 0 : -1;
      } else {
        if (acc === Acc.Load) {
          if ((pLo & 2) === 0 && !((mst & Mstatus.MXR) !== 0 && (pLo & 8) !== 0)) return setExc(h, pageFault, lo, hi) ? 0 : -1;
        } else if ((pLo & 4) === 0) {
          return setExc(h, pageFault, lo, hi) ? 0 : -1;
        }
        if (u ? priv === 1 && (mst & Mstatus.SUM) === 0 : priv === 0) return setExc(h, pageFault, lo, hi) ? 0 : -1;
      }
      const span = 2 ** (9 * i);
      if (ppn % span !== 0) return setExc(h, pageFault, lo, hi) ? 0 : -1;
      const need = acc === Acc.Store ? 0xc0 : 0x40;
      if ((pLo & need) !== need) {
        const nLo = pLo | need;
        if (Atomics.compareExchange(h.i32, off >>> 2, pLo, nLo) !== pLo) break; // retry walk
        h.mem.markDirty(pteAddr, 8);
      }
      return (ppn + (vpnAll % span)) * 4096 + (lo & 0xfff);
    }
  }
}

/** Caches the translation of virtual page (lo, hi) → pa for acc if translate allowed it and the page is RAM. */
export function fillTlb(h: Hart, acc: Acc, lo: number, hi: number, pa: number): void {
  if (!h.tlbFillable) return;
  const page = pa - (pa % 4096);
  if (page < h.ramBase || page + 4096 > h.ramEnd) return;
  const idx = (lo >>> 12) & TLB_MASK;
  const t = (acc === Acc.Fetch ? h.fetchBank : h.dataBank) + acc;
  h.tlbTag[t]![idx] = lo & -4096;
  h.tlbTagHi[t]![idx] = hi;
  h.tlbOff[t]![idx] = h.ramOffset + (page - h.ramBase);
  if (acc === Acc.Store) h.mem.markDirty(page, 4096);
}
