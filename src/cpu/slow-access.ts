// The memory accesses the run loop's inline TLB probe did not serve: TLB misses (translate, then
// fill), MMIO through the bus, misaligned accesses that cross a page, and fetches from the boot
// ROM or across a page. Values come back in the hart's (rLo, rHi) scratch; a fault is recorded
// with setExc for the caller to raise. Internal to src/cpu/: free functions over a Hart.
import type { Hart } from './hart.js';
import { Acc, fillTlb, translate } from './mmu.js';
import { setExc } from './trap.js';

/** Instruction fetch outside the fast path: fills the fetch TLB, reads MMIO (boot ROM), joins
 *  a 32-bit instruction straddling two pages. The instruction is left in rLo. */
export function fetchSlow(h: Hart, lo: number, hi: number): boolean {
  const pa = translate(h, lo, hi, Acc.Fetch, 2);
  if (pa < 0) return false;
  fillTlb(h, Acc.Fetch, lo, hi, pa);
  const low = physRead(h, pa, 2, Acc.Fetch, lo, hi);
  if (low < 0) return false;
  if ((low & 3) !== 3) {
    h.rLo = low;
    return true;
  }
  const lo2 = (lo + 2) | 0;
  const hi2 = (lo2 >>> 0) < 2 ? (hi + 1) | 0 : hi;
  const pa2 = (lo & 0xfff) === 0xffe ? translate(h, lo2, hi2, Acc.Fetch, 2) : pa + 2;
  if (pa2 < 0) return false;
  const high = physRead(h, pa2, 2, Acc.Fetch, lo2, hi2);
  if (high < 0) return false;
  h.rLo = low | (high << 16);
  return true;
}

/** Reads size (1, 2, 4) bytes at physical pa; -1 after setting an access fault. */
function physRead(h: Hart, pa: number, size: number, acc: Acc, vLo: number, vHi: number): number {
  if (pa >= h.ramBase && pa + size <= h.ramEnd) {
    const off = h.ramOffset + (pa - h.ramBase);
    return size === 1 ? h.dv.getUint8(off) : size === 2 ? h.dv.getUint16(off, true) : h.dv.getUint32(off, true);
  }
  const r = h.bus.find(pa);
  if (r === undefined || pa + size > r.baseGpa + r.sizeBytes ||
    (acc === Acc.Fetch && (h.env.isExecutable === undefined || !h.env.isExecutable(pa)))) {
    setExc(h, acc === Acc.Fetch ? 1 : acc === Acc.Load ? 5 : 7, vLo, vHi);
    return -1;
  }
  return r.device.read(pa - r.baseGpa, size as 1 | 2 | 4) >>> 0;
}

/** Load of size bytes at virtual (lo, hi) the TLB did not serve; raw value in rLo/rHi. */
export function loadSlow(h: Hart, lo: number, hi: number, size: number, acc: Acc): boolean {
  if ((lo & 0xfff) + size > 4096) return crossPage(h, lo, hi, size, false, 0, 0);
  const pa = translate(h, lo, hi, acc, size);
  if (pa < 0) return false;
  if (pa >= h.ramBase && pa + size <= h.ramEnd) {
    fillTlb(h, Acc.Load, lo, hi, pa);
    const off = h.ramOffset + (pa - h.ramBase);
    const dv = h.dv;
    switch (size) {
      case 1: h.rLo = dv.getUint8(off); h.rHi = 0; break;
      case 2: h.rLo = dv.getUint16(off, true); h.rHi = 0; break;
      case 4: h.rLo = dv.getInt32(off, true); h.rHi = 0; break;
      default: h.rLo = dv.getInt32(off, true); h.rHi = dv.getInt32(off + 4, true); break;
    }
    return true;
  }
  if (pa % size !== 0) return setExc(h, 4, lo, hi);
  const r = h.bus.find(pa);
  if (r === undefined || pa + size > r.baseGpa + r.sizeBytes) return setExc(h, 5, lo, hi);
  h.mmioTouched = true;
  const o = pa - r.baseGpa;
  if (size === 8) {
    h.rLo = r.device.read(o, 4) | 0;
    h.rHi = r.device.read(o + 4, 4) | 0;
  } else {
    h.rLo = r.device.read(o, size as 1 | 2 | 4) | 0;
    h.rHi = 0;
  }
  return true;
}

/** Store of size bytes of (vLo, vHi) at virtual (lo, hi) the TLB did not serve. */
export function storeSlow(h: Hart, lo: number, hi: number, size: number, vLo: number, vHi: number): boolean {
  if ((lo & 0xfff) + size > 4096) return crossPage(h, lo, hi, size, true, vLo, vHi);
  const pa = translate(h, lo, hi, Acc.Store, size);
  if (pa < 0) return false;
  if (pa >= h.ramBase && pa + size <= h.ramEnd) {
    fillTlb(h, Acc.Store, lo, hi, pa);
    h.mem.markDirty(pa, size);
    const off = h.ramOffset + (pa - h.ramBase);
    const dv = h.dv;
    switch (size) {
      case 1: dv.setInt8(off, vLo); break;
      case 2: dv.setInt16(off, vLo, true); break;
      case 4: dv.setInt32(off, vLo, true); break;
      default: dv.setInt32(off, vLo, true); dv.setInt32(off + 4, vHi, true); break;
    }
    return true;
  }
  if (pa % size !== 0) return setExc(h, 6, lo, hi);
  const r = h.bus.find(pa);
  if (r === undefined || pa + size > r.baseGpa + r.sizeBytes) return setExc(h, 7, lo, hi);
  h.mmioTouched = true;
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
function crossPage(h: Hart, lo: number, hi: number, size: number, store: boolean, vLo: number, vHi: number): boolean {
  const acc = store ? Acc.Store : Acc.Load;
  const first = 4096 - (lo & 0xfff);
  const lo2 = (lo + first) | 0;
  const hi2 = (lo2 >>> 0) < (lo >>> 0) ? (hi + 1) | 0 : hi;
  const pa1 = translate(h, lo, hi, acc, first);
  if (pa1 < 0) return false;
  const pa2 = translate(h, lo2, hi2, acc, size - first);
  if (pa2 < 0) return false;
  if (!isRam(h, pa1, first) || !isRam(h, pa2, size - first)) {
    return setExc(h, store ? 6 : 4, lo, hi); // misaligned MMIO access
  }
  const dv = h.dv;
  if (store) {
    for (let i = 0; i < size; i++) {
      const byte = i < 4 ? vLo >>> (8 * i) : vHi >>> (8 * (i - 4));
      const pa = i < first ? pa1 + i : pa2 + (i - first);
      dv.setUint8(h.ramOffset + (pa - h.ramBase), byte & 0xff);
    }
    h.mem.markDirty(pa1, first);
    h.mem.markDirty(pa2, size - first);
    return true;
  }
  let rLo = 0;
  let rHi = 0;
  for (let i = 0; i < size; i++) {
    const pa = i < first ? pa1 + i : pa2 + (i - first);
    const byte = dv.getUint8(h.ramOffset + (pa - h.ramBase));
    if (i < 4) rLo |= byte << (8 * i);
    else rHi |= byte << (8 * (i - 4));
  }
  h.rLo = rLo;
  h.rHi = rHi;
  return true;
}

/** True if [pa, pa + size) is inside RAM. */
export function isRam(h: Hart, pa: number, size: number): boolean {
  return pa >= h.ramBase && pa + size <= h.ramEnd;
}
