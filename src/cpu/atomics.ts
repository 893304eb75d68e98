// The A extension (ISA manual vol. I ch. 8): LR/SC with a reservation on the physical address
// and the loaded value (as QEMU), AMOs through the slow memory paths, and Atomics-based SC/AMOs
// when RAM is shared with other threads. Internal to src/cpu/: free functions over a Hart.
import type { Hart } from './hart.js';
import { HartSlot as S } from './hart-layout.js';
import { Flow } from './flow.js';
import { Acc, translate } from './mmu.js';
import { isRam, loadSlow, storeSlow } from './slow-access.js';
import { exception, illegal, raise } from './trap.js';

/** Executes an AMO-major-opcode instruction (LR, SC, AMO*.W/D). */
export function execAmo(h: Hart, insn: number, raw: number, pcLo: number, pcHi: number): Flow {
  const st = h.st;
  const f3 = (insn >> 12) & 7;
  const f5 = insn >>> 27;
  if (f3 !== 2 && f3 !== 3) return illegal(h, raw, pcLo, pcHi);
  const size = f3 === 2 ? 4 : 8;
  const rd2 = (insn >> 6) & 62;
  const rs1 = (insn >> 14) & 62;
  const rs2 = (insn >> 19) & 62;
  const aLo = st[rs1]!;
  const aHi = st[rs1 + 1]!;
  const isLr = f5 === 2;
  if (isLr && rs2 !== 0) return illegal(h, raw, pcLo, pcHi);
  if (!isLr && f5 !== 3 && f5 !== 1 && f5 !== 0 && f5 !== 4 && f5 !== 0xc && f5 !== 8 && f5 !== 0x10 &&
    f5 !== 0x14 && f5 !== 0x18 && f5 !== 0x1c) {
    return illegal(h, raw, pcLo, pcHi);
  }
  if ((aLo & (size - 1)) !== 0) return raise(h, isLr ? 4 : 6, aLo, aHi, pcLo, pcHi);
  const pa = translate(h, aLo, aHi, isLr ? Acc.Load : Acc.Store, size);
  if (pa < 0) return exception(h, pcLo, pcHi);
  const ram = isRam(h, pa, size);
  if (isLr) {
    if (!loadSlow(h, aLo, aHi, size, Acc.Load)) return exception(h, pcLo, pcHi);
    st[S.RESERVATION_VALID] = size;
    h.st64[S.RESERVATION_ADDR / 2] = pa;
    st[S.RESERVATION_VALUE] = h.rLo;
    st[S.RESERVATION_VALUE + 1] = h.rHi;
    if (rd2 !== 0) {
      st[rd2] = h.rLo;
      st[rd2 + 1] = size === 4 ? h.rLo >> 31 : h.rHi;
    }
    return Flow.Next;
  }
  const bLo = st[rs2]!;
  const bHi = st[rs2 + 1]!;
  if (ram && h.i64 !== undefined) return amoShared(h, f5, size, pa, rd2, bLo, bHi);
  if (f5 === 3) { // SC: succeeds if the reservation matches and memory still holds the LR value
    let ok = st[S.RESERVATION_VALID] === size && h.st64[S.RESERVATION_ADDR / 2] === pa;
    st[S.RESERVATION_VALID] = 0;
    if (ok) {
      if (!loadSlow(h, aLo, aHi, size, Acc.Store)) return exception(h, pcLo, pcHi);
      ok = h.rLo === st[S.RESERVATION_VALUE] && (size === 4 || h.rHi === st[S.RESERVATION_VALUE + 1]);
    }
    if (ok && !storeSlow(h, aLo, aHi, size, bLo, bHi)) return exception(h, pcLo, pcHi);
    if (rd2 !== 0) {
      st[rd2] = ok ? 0 : 1;
      st[rd2 + 1] = 0;
    }
    return Flow.Next;
  }
  if (!ram && !h.bus.find(pa)) return raise(h, 7, aLo, aHi, pcLo, pcHi);
  if (!loadSlow(h, aLo, aHi, size, Acc.Store)) return exception(h, pcLo, pcHi);
  const oLo = h.rLo;
  const oHi = size === 4 ? h.rLo >> 31 : h.rHi;
  amoCombine(h, f5, oLo, oHi, bLo, size === 4 ? bLo >> 31 : bHi);
  const nLo = h.rLo;
  const nHi = h.rHi;
  if (!storeSlow(h, aLo, aHi, size, nLo, nHi)) return exception(h, pcLo, pcHi);
  if (rd2 !== 0) {
    st[rd2] = oLo;
    st[rd2 + 1] = oHi;
  }
  return Flow.Next;
}

/** The combining step of AMO funct5 f5 on (old, operand) halves, result in (rLo, rHi). */
function amoCombine(h: Hart, f5: number, oLo: number, oHi: number, cLo: number, cHi: number): void {
  let nLo: number;
  let nHi: number;
  switch (f5) {
    case 1: nLo = cLo; nHi = cHi; break;
    case 0: nLo = (oLo + cLo) | 0; nHi = (oHi + cHi + ((nLo >>> 0) < (oLo >>> 0) ? 1 : 0)) | 0; break;
    case 4: nLo = oLo ^ cLo; nHi = oHi ^ cHi; break;
    case 0xc: nLo = oLo & cLo; nHi = oHi & cHi; break;
    case 8: nLo = oLo | cLo; nHi = oHi | cHi; break;
    default: {
      const less = f5 === 0x10 || f5 === 0x14
        ? oHi < cHi || (oHi === cHi && (oLo >>> 0) < (cLo >>> 0))
        : (oHi >>> 0) < (cHi >>> 0) || (oHi === cHi && (oLo >>> 0) < (cLo >>> 0));
      const takeOld = f5 === 0x10 || f5 === 0x18 ? less : !less;
      nLo = takeOld ? oLo : cLo;
      nHi = takeOld ? oHi : cHi;
    }
  }
  h.rLo = nLo;
  h.rHi = nHi;
}

/**
 * SC and AMOs on RAM shared with other threads: one Atomics compare-and-swap loop on the aligned
 * word (SC is a single compare-and-swap against the value its LR read).
 */
function amoShared(h: Hart, f5: number, size: number, pa: number, rd2: number, bLo: number, bHi: number): Flow {
  const st = h.st;
  const off = h.ramOffset + (pa - h.ramBase);
  h.mem.markDirty(pa, size);
  if (f5 === 3) {
    let ok = st[S.RESERVATION_VALID] === size && h.st64[S.RESERVATION_ADDR / 2] === pa;
    st[S.RESERVATION_VALID] = 0;
    if (ok) {
      if (size === 4) {
        ok = Atomics.compareExchange(h.i32, off >> 2, st[S.RESERVATION_VALUE]!, bLo) === st[S.RESERVATION_VALUE];
      } else {
        const expect = (BigInt(st[S.RESERVATION_VALUE + 1]!) << 32n) | BigInt(st[S.RESERVATION_VALUE]! >>> 0);
        ok = Atomics.compareExchange(h.i64!, off >> 3, expect, (BigInt(bHi) << 32n) | BigInt(bLo >>> 0)) === expect;
      }
    }
    h.setXReg(rd2 >> 1, ok ? 0 : 1, 0);
    return Flow.Next;
  }
  if (size === 4) {
    const idx = off >> 2;
    for (;;) {
      const old = Atomics.load(h.i32, idx);
      amoCombine(h, f5, old, old >> 31, bLo, bLo >> 31);
      if (Atomics.compareExchange(h.i32, idx, old, h.rLo) === old) {
        h.setXReg(rd2 >> 1, old, old >> 31);
        return Flow.Next;
      }
    }
  }
  const idx = off >> 3;
  const i64 = h.i64!;
  for (;;) {
    const old = Atomics.load(i64, idx);
    const oLo = Number(BigInt.asIntN(32, old));
    const oHi = Number(old >> 32n);
    amoCombine(h, f5, oLo, oHi, bLo, bHi);
    if (Atomics.compareExchange(i64, idx, old, (BigInt(h.rHi) << 32n) | BigInt(h.rLo >>> 0)) === old) {
      h.setXReg(rd2 >> 1, oLo, oHi);
      return Flow.Next;
    }
  }
}
