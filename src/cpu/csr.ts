// The CSR file (privileged spec 1.12 ch. 2, 3, 4; Zicntr; Sstc): existence, access gates beyond
// the privilege encoded in the number, reads, and writes with their WARL rules, including mstatus
// and the counters. The CSR instructions themselves are decoded in system.ts. Internal to
// src/cpu/: free functions over a Hart.
import type { Hart } from './hart.js';
import { HartSlot as S } from './hart-layout.js';
import { CsrWmask, Mip, Mstatus, MstatusHi } from './csr-bits.js';
import { toHi, toLo } from './int-pair.js';
import { flushTlb, selectBanks } from './mmu.js';
import { mipValue, updateSstc } from './trap.js';

const TWO32 = 4294967296;

/** mvendorid of the virtual hart: 0, the spec's "not implemented" (stable across hosts). */
export const HART_MVENDORID = 0;
/** marchid of the virtual hart: 0 ("not implemented"). */
export const HART_MARCHID = 0;
/** mimpid of the virtual hart: 0 ("not implemented"). */
export const HART_MIMPID = 0;

/** misa bits 31:0: extensions A C D F I M S U (bits 63:62 hold MXL = 2, RV64). */
export const MISA_LO = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);

/** Access gates beyond the privilege field of the number: counters, Sstc, TVM, FS. */
export function csrAccessible(h: Hart, csr: number, priv: number): boolean {
  const st = h.st;
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
  if (csr === 0x180) return !(priv === 1 && (st[S.MSTATUS]! & Mstatus.TVM) !== 0);
  if (csr >= 1 && csr <= 3) return (st[S.MSTATUS]! & Mstatus.FS) !== 0;
  return true;
}

/** mcycle/minstret: instructions retired so far plus the CSR's offset slot. */
function counterValue(h: Hart, offsetSlot: number): number {
  return h.retiredBase + h.runCount + h.st64[offsetSlot / 2]!;
}

/** Reads CSR `csr` into (rLo, rHi); false if the CSR does not exist. */
export function csrRead(h: Hart, csr: number): boolean {
  const st = h.st;
  let lo = 0;
  let hi = 0;
  switch (csr) {
    case 0x001: lo = st[S.FCSR]! & 0x1f; break;
    case 0x002: lo = (st[S.FCSR]! >> 5) & 7; break;
    case 0x003: lo = st[S.FCSR]! & 0xff; break;
    case 0xc00: case 0xb00: { const v = counterValue(h, S.CYCLE_OFFSET); lo = toLo(v); hi = toHi(v); break; }
    case 0xc02: case 0xb02: { const v = counterValue(h, S.INSTRET_OFFSET); lo = toLo(v); hi = toHi(v); break; }
    case 0xc01: { const v = h.env.clock.ticks(); lo = toLo(v); hi = toHi(v); break; }
    case 0x100: lo = st[S.MSTATUS]! & Mstatus.SSTATUS_MASK; hi = st[S.MSTATUS + 1]! & (MstatusHi.SD | 3); break;
    case 0x104: lo = st[S.MIE]! & st[S.MIDELEG]!; break;
    case 0x105: lo = st[S.STVEC]!; hi = st[S.STVEC + 1]!; break;
    case 0x106: lo = st[S.SCOUNTEREN]!; break;
    case 0x10a: lo = st[S.SENVCFG]!; break;
    case 0x140: lo = st[S.SSCRATCH]!; hi = st[S.SSCRATCH + 1]!; break;
    case 0x141: lo = st[S.SEPC]!; hi = st[S.SEPC + 1]!; break;
    case 0x142: lo = st[S.SCAUSE]!; hi = st[S.SCAUSE + 1]!; break;
    case 0x143: lo = st[S.STVAL]!; hi = st[S.STVAL + 1]!; break;
    case 0x144: lo = mipValue(h) & st[S.MIDELEG]!; break;
    case 0x14d: lo = st[S.STIMECMP]!; hi = st[S.STIMECMP + 1]!; break;
    case 0x180: lo = st[S.SATP]!; hi = st[S.SATP + 1]!; break;
    case 0xf11: lo = HART_MVENDORID; break;
    case 0xf12: lo = HART_MARCHID; break;
    case 0xf13: lo = HART_MIMPID; break;
    case 0xf14: lo = h.hartId; break;
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
    case 0x344: lo = mipValue(h); break;
    default:
      if ((csr >= 0xc03 && csr <= 0xc1f) || (csr >= 0xb03 && csr <= 0xb1f) || (csr >= 0x323 && csr <= 0x33f)) break;
      // Sdtrig with zero triggers: tselect/tdata1..3 read 0 (tdata1.type 0 = "no trigger here"),
      // tinfo reads 1 (the same, per the debug spec); writes are ignored. Software that probes
      // for triggers (debuggers, test suites) finds none instead of trapping.
      if (csr >= 0x7a0 && csr <= 0x7a3) break;
      if (csr === 0x7a4) { lo = 1; break; }
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
  h.rLo = lo;
  h.rHi = hi;
  return true;
}

/** Writes CSR `csr` with WARL rules; unknown or read-only CSRs ignore the write. */
export function csrWrite(h: Hart, csr: number, lo: number, hi: number): void {
  const st = h.st;
  switch (csr) {
    case 0x001: st[S.FCSR] = (st[S.FCSR]! & ~0x1f) | (lo & 0x1f); setFsDirty(h); break;
    case 0x002: st[S.FCSR] = (st[S.FCSR]! & 0x1f) | ((lo & 7) << 5); setFsDirty(h); break;
    case 0x003: st[S.FCSR] = lo & 0xff; setFsDirty(h); break;
    case 0xb00: h.st64[S.CYCLE_OFFSET / 2] = (hi >>> 0) * TWO32 + (lo >>> 0) - h.retiredBase - h.runCount; break;
    case 0xb02: h.st64[S.INSTRET_OFFSET / 2] = (hi >>> 0) * TWO32 + (lo >>> 0) - h.retiredBase - h.runCount; break;
    case 0x100: writeMstatus(h, (st[S.MSTATUS]! & ~Mstatus.SSTATUS_WMASK) | (lo & Mstatus.SSTATUS_WMASK)); break;
    case 0x104: { const m = st[S.MIDELEG]!; st[S.MIE] = (st[S.MIE]! & ~m) | (lo & m & CsrWmask.MIE); break; }
    case 0x105: st[S.STVEC] = lo & ~2; st[S.STVEC + 1] = hi; break;
    case 0x106: st[S.SCOUNTEREN] = lo; break;
    case 0x10a: st[S.SENVCFG] = lo & 1; break;
    case 0x140: st[S.SSCRATCH] = lo; st[S.SSCRATCH + 1] = hi; break;
    case 0x141: st[S.SEPC] = lo & ~1; st[S.SEPC + 1] = hi; break;
    case 0x142: st[S.SCAUSE] = lo; st[S.SCAUSE + 1] = hi & (1 << 31); break;
    case 0x143: st[S.STVAL] = lo; st[S.STVAL + 1] = hi; break;
    case 0x144: { // sip: only SSIP is writable, and only when delegated
      const m = st[S.MIDELEG]! & Mip.SSIP;
      st[S.MIP_SW] = (st[S.MIP_SW]! & ~m) | (lo & m);
      break;
    }
    case 0x14d: st[S.STIMECMP] = lo; st[S.STIMECMP + 1] = hi; updateSstc(h); break;
    case 0x180: {
      const mode = hi >>> 28;
      if (mode !== 0 && mode !== 8 && mode !== 9) break; // unsupported mode: write ignored
      st[S.SATP] = lo;
      st[S.SATP + 1] = hi;
      flushTlb(h);
      break;
    }
    case 0x300: writeMstatus(h, lo); break;
    case 0x302: st[S.MEDELEG] = lo & CsrWmask.MEDELEG; break;
    case 0x303: st[S.MIDELEG] = lo & CsrWmask.MIDELEG; break;
    case 0x304: st[S.MIE] = lo & CsrWmask.MIE; break;
    case 0x305: st[S.MTVEC] = lo & ~2; st[S.MTVEC + 1] = hi; break;
    case 0x306: st[S.MCOUNTEREN] = lo; break;
    case 0x30a: st[S.MENVCFG] = lo & 1; st[S.MENVCFG + 1] = hi & (1 << 31); updateSstc(h); break;
    case 0x320: st[S.MCOUNTINHIBIT] = lo & ~2; break;
    case 0x340: st[S.MSCRATCH] = lo; st[S.MSCRATCH + 1] = hi; break;
    case 0x341: st[S.MEPC] = lo & ~1; st[S.MEPC + 1] = hi; break;
    case 0x342: st[S.MCAUSE] = lo; st[S.MCAUSE + 1] = hi & (1 << 31); break;
    case 0x343: st[S.MTVAL] = lo; st[S.MTVAL + 1] = hi; break;
    case 0x344: { // mip: SSIP, STIP (unless Sstc owns it), SEIP are software-writable
      const m = Mip.SSIP | Mip.SEIP | (st[S.MENVCFG + 1]! < 0 ? 0 : Mip.STIP);
      st[S.MIP_SW] = (st[S.MIP_SW]! & ~m) | (lo & m);
      break;
    }
    default:
      if (csr >= 0x3a0 && csr <= 0x3af && (csr & 1) === 0) {
        h.pmp.writeCfg(csr - 0x3a0, lo, hi);
        flushTlb(h);
      } else if (csr >= 0x3b0 && csr <= 0x3ef) {
        if (h.pmp.writeAddr(csr - 0x3b0, lo, hi)) flushTlb(h);
      }
      break;
  }
}

/** Writes mstatus with its WARL rules (fixed UXL/SXL, SD, reserved MPP) and keeps the TLB banks right. */
export function writeMstatus(h: Hart, v: number): void {
  const st = h.st;
  const old = st[S.MSTATUS]!;
  let nv = (old & ~Mstatus.WMASK) | (v & Mstatus.WMASK);
  if ((nv & Mstatus.MPP) === (2 << 11)) nv = (nv & ~Mstatus.MPP) | (old & Mstatus.MPP); // MPP = 2 is reserved: keep
  st[S.MSTATUS] = nv;
  st[S.MSTATUS + 1] = MstatusHi.FIXED | ((nv & Mstatus.FS) === Mstatus.FS ? MstatusHi.SD : 0);
  if (((old ^ nv) & Mstatus.MXR) !== 0) flushTlb(h); // MXR changes what the cached pages allow
  else if (((old ^ nv) & (Mstatus.MPRV | Mstatus.SUM | Mstatus.MPP)) !== 0) selectBanks(h);
}

/** mstatus.FS = Dirty (and SD): an F/D register or fcsr was written. */
export function setFsDirty(h: Hart): void {
  const st = h.st;
  st[S.MSTATUS] |= Mstatus.FS;
  st[S.MSTATUS + 1] |= MstatusHi.SD;
}
