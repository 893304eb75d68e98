// Traps and interrupts: the software view of mip (with the Sstc timer), interrupt selection by
// priority and delegation, and trap entry into M or S mode (privileged spec 1.12 §3.1.6.1,
// §3.1.9, §3.3.1, §4.1.1). xRET is in system.ts. Internal to src/cpu/: free functions over a Hart.
import type { Hart } from './hart.js';
import { HartSlot as S } from './hart-layout.js';
import { Mip, Mstatus } from './csr-bits.js';
import { Flow } from './flow.js';
import { selectBanks } from './mmu.js';

const TWO32 = 4294967296;

/** mip as software sees it: hardware lines, software-set bits, Sstc timer. */
export function mipValue(h: Hart): number {
  const st = h.st;
  let v = st[S.MIP_HW]! | st[S.MIP_SW]!;
  if (st[S.MENVCFG + 1]! < 0) {
    v = (v & ~Mip.STIP) | (st[S.MIP_HW]! & Mip.STIP) | (h.sstcFired ? Mip.STIP : 0);
  }
  return v;
}

/** Re-evaluates Sstc STIP = (time >= stimecmp) when menvcfg.STCE is set. */
export function updateSstc(h: Hart): void {
  const st = h.st;
  if (st[S.MENVCFG + 1]! >= 0) {
    h.sstcFired = false;
    return;
  }
  const cmp = (st[S.STIMECMP + 1]! >>> 0) * TWO32 + (st[S.STIMECMP]! >>> 0);
  h.sstcFired = h.env.clock.ticks() >= cmp;
  if (h.sstcFired && st[S.WAITING] !== 0 && (st[S.MIE]! & Mip.STIP) !== 0) st[S.WAITING] = 0;
}

/** The interrupt to take now (cause number), or -1, following priority MEI MSI MTI SEI SSI STI. */
export function pendingInterrupt(h: Hart): number {
  const st = h.st;
  const pending = mipValue(h) & st[S.MIE]!;
  if (pending === 0) return -1;
  const priv = st[S.PRIV]!;
  const mst = st[S.MSTATUS]!;
  const deleg = st[S.MIDELEG]!;
  const mEnabled = priv < 3 || (mst & Mstatus.MIE) !== 0;
  const sEnabled = priv < 1 || (priv === 1 && (mst & Mstatus.SIE) !== 0);
  let set = 0;
  if (mEnabled) set = pending & ~deleg;
  if (set === 0 && sEnabled) set = pending & deleg;
  if (set === 0) return -1;
  if (set & Mip.MEIP) return 11;
  if (set & Mip.MSIP) return 3;
  if (set & Mip.MTIP) return 7;
  if (set & Mip.SEIP) return 9;
  if (set & Mip.SSIP) return 1;
  if (set & Mip.STIP) return 5;
  return -1;
}

/** Takes a trap: cause, whether it is an interrupt, tval, and the pc of the trapping instruction. */
export function trap(h: Hart, cause: number, interrupt: boolean, tvalLo: number, tvalHi: number, epcLo: number, epcHi: number): void {
  const st = h.st;
  const priv = st[S.PRIV]!;
  const deleg = interrupt ? st[S.MIDELEG]! : st[S.MEDELEG]!;
  let mst = st[S.MSTATUS]!;
  st[S.RESERVATION_VALID] = 0;
  st[S.WAITING] = 0;
  let vecLo: number;
  let vecHi: number;
  if (priv <= 1 && ((deleg >>> cause) & 1) !== 0) {
    st[S.SEPC] = epcLo;
    st[S.SEPC + 1] = epcHi;
    st[S.SCAUSE] = cause;
    st[S.SCAUSE + 1] = interrupt ? 1 << 31 : 0;
    st[S.STVAL] = tvalLo;
    st[S.STVAL + 1] = tvalHi;
    mst = (mst & ~(Mstatus.SPP | Mstatus.SPIE | Mstatus.SIE)) | (priv << 8) | ((mst & Mstatus.SIE) << 4);
    st[S.PRIV] = 1;
    vecLo = st[S.STVEC]!;
    vecHi = st[S.STVEC + 1]!;
  } else {
    const m = h.trapsToM;
    if (interrupt) m.interrupt++;
    else if (cause === 8 || cause === 9 || cause === 11) m.ecall++;
    else m.exception++;
    st[S.MEPC] = epcLo;
    st[S.MEPC + 1] = epcHi;
    st[S.MCAUSE] = cause;
    st[S.MCAUSE + 1] = interrupt ? 1 << 31 : 0;
    st[S.MTVAL] = tvalLo;
    st[S.MTVAL + 1] = tvalHi;
    mst = (mst & ~(Mstatus.MPP | Mstatus.MPIE | Mstatus.MIE)) | (priv << 11) | ((mst & Mstatus.MIE) << 4);
    st[S.PRIV] = 3;
    vecLo = st[S.MTVEC]!;
    vecHi = st[S.MTVEC + 1]!;
  }
  st[S.MSTATUS] = mst;
  let pcLo = vecLo & ~3;
  if (interrupt && (vecLo & 1) !== 0) pcLo = (pcLo + 4 * cause) | 0;
  st[S.PC] = pcLo;
  st[S.PC + 1] = (vecLo & ~3) >>> 0 > pcLo >>> 0 ? (vecHi + 1) | 0 : vecHi;
  if (priv !== st[S.PRIV]) selectBanks(h);
}

/** Raises the exception recorded by a slow path (excCause/excTval) for the instruction at pc. */
export function exception(h: Hart, pcLo: number, pcHi: number): Flow {
  trap(h, h.excCause, false, h.excTvalLo, h.excTvalHi, pcLo, pcHi);
  return Flow.Trapped;
}

/** Illegal-instruction exception with the instruction bits in tval. */
export function illegal(h: Hart, raw: number, pcLo: number, pcHi: number): Flow {
  trap(h, 2, false, raw, 0, pcLo, pcHi);
  return Flow.Trapped;
}

/** Exception `cause` with tval (tvalLo, tvalHi) for the instruction at pc. */
export function raise(h: Hart, cause: number, tvalLo: number, tvalHi: number, pcLo: number, pcHi: number): Flow {
  trap(h, cause, false, tvalLo, tvalHi, pcLo, pcHi);
  return Flow.Trapped;
}

/** Records an exception for the caller to raise (slow paths); returns false for `return setExc(...)`. */
export function setExc(h: Hart, cause: number, lo: number, hi: number): false {
  h.excCause = cause;
  h.excTvalLo = lo;
  h.excTvalHi = hi;
  return false;
}
