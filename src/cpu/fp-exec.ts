// The F and D extensions (ISA manual vol. I ch. 11, 12): FLW/FLD/FSW/FSD with the same TLB fast
// path as integer accesses, and the arithmetic through SoftFloat (src/cpu/fpu). NaN boxing,
// rounding-mode resolution, fflags accrual and mstatus.FS dirtiness live here. Internal to
// src/cpu/: free functions over a Hart.
import type { Hart } from './hart.js';
import { HartSlot as S, TLB_ENTRIES } from './hart-layout.js';
import { Mstatus } from './csr-bits.js';
import { setFsDirty } from './csr.js';
import { Flow } from './flow.js';
import { Acc } from './mmu.js';
import { loadSlow, storeSlow } from './slow-access.js';
import { exception, illegal } from './trap.js';

const TLB_MASK = TLB_ENTRIES - 1;

/** Resolves the rm field (7 = frm); -1 for a reserved mode. */
function roundingMode(h: Hart, insn: number): number {
  let rm = (insn >> 12) & 7;
  if (rm === 7) rm = (h.st[S.FCSR]! >> 5) & 7;
  return rm >= 5 ? -1 : rm;
}

/** binary32 operand from f register r, unboxed (improperly boxed values read as the canonical NaN). */
function f32(h: Hart, r: number): number {
  const st = h.st;
  return st[S.F + 2 * r + 1] === -1 ? st[S.F + 2 * r]! : 0x7fc00000;
}

/** Writes binary32 v to f register r, NaN-boxed; marks FS dirty. */
function setF32(h: Hart, r: number, v: number): void {
  h.st[S.F + 2 * r] = v;
  h.st[S.F + 2 * r + 1] = -1;
  setFsDirty(h);
}

/** Writes binary64 (lo, hi) to f register r; marks FS dirty. */
function setF64(h: Hart, r: number, lo: number, hi: number): void {
  h.st[S.F + 2 * r] = lo;
  h.st[S.F + 2 * r + 1] = hi;
  setFsDirty(h);
}

/** ORs exception flags into fflags. */
function accrue(h: Hart, flags: number): void {
  if (flags !== 0) {
    h.st[S.FCSR] |= flags;
    setFsDirty(h);
  }
}

/** Executes an F/D instruction (LOAD-FP, STORE-FP, the FMA family, OP-FP). */
export function execFp(h: Hart, insn: number, raw: number, pcLo: number, pcHi: number): Flow {
  const st = h.st;
  if ((st[S.MSTATUS]! & Mstatus.FS) === 0) return illegal(h, raw, pcLo, pcHi);
  const op = insn & 0x7f;
  const rd = (insn >> 7) & 31;
  const f3 = (insn >> 12) & 7;
  const rs1 = (insn >> 15) & 31;
  const rs2 = (insn >> 20) & 31;
  if (op === 0x07 || op === 0x27) { // FLW/FLD, FSW/FSD
    if (f3 !== 2 && f3 !== 3) return illegal(h, raw, pcLo, pcHi);
    const imm = op === 0x07 ? insn >> 20 : ((insn >> 25) << 5) | ((insn >>> 7) & 31);
    const b = st[2 * rs1]!;
    const aLo = (b + imm) | 0;
    const aHi = (st[2 * rs1 + 1]! + (imm >> 31) + ((aLo >>> 0) < (b >>> 0) ? 1 : 0)) | 0;
    const size = f3 === 2 ? 4 : 8;
    // the TLB fast path, as for integer loads and stores
    const t = h.dataBank + (op === 0x07 ? Acc.Load : Acc.Store);
    const idx = (aLo >>> 12) & TLB_MASK;
    if (h.tlbTag[t]![idx] === (aLo & -4096) && h.tlbTagHi[t]![idx] === aHi && (aLo & 0xfff) <= 4096 - size) {
      const off = h.tlbOff[t]![idx]! + (aLo & 0xfff);
      const dv = h.dv;
      if (op === 0x07) {
        if (size === 4) setF32(h, rd, dv.getInt32(off, true));
        else setF64(h, rd, dv.getInt32(off, true), dv.getInt32(off + 4, true));
      } else {
        dv.setInt32(off, st[S.F + 2 * rs2]!, true);
        if (size === 8) dv.setInt32(off + 4, st[S.F + 2 * rs2 + 1]!, true);
      }
      return Flow.Next;
    }
    if (op === 0x07) {
      if (!loadSlow(h, aLo, aHi, size, Acc.Load)) return exception(h, pcLo, pcHi);
      if (size === 4) setF32(h, rd, h.rLo);
      else setF64(h, rd, h.rLo, h.rHi);
    } else if (!storeSlow(h, aLo, aHi, size, st[S.F + 2 * rs2]!, st[S.F + 2 * rs2 + 1]!)) {
      return exception(h, pcLo, pcHi);
    }
    return Flow.Next;
  }
  const sf = h.fpu;
  if (sf === undefined) return illegal(h, raw, pcLo, pcHi);
  const fmt = (insn >> 25) & 3;
  if (fmt > 1) return illegal(h, raw, pcLo, pcHi);
  const dbl = fmt === 1;
  const aLo = st[S.F + 2 * rs1]!;
  const aHi = st[S.F + 2 * rs1 + 1]!;
  const bLo = st[S.F + 2 * rs2]!;
  const bHi = st[S.F + 2 * rs2 + 1]!;
  if (op !== 0x53) { // fused multiply-add family
    const rm = roundingMode(h, insn);
    if (rm < 0) return illegal(h, raw, pcLo, pcHi);
    const rs3 = insn >>> 27;
    const negProduct = op === 0x4b || op === 0x4f;
    const negAddend = op === 0x47 || op === 0x4f;
    if (dbl) {
      sf.fma64(aLo, aHi, bLo, bHi, st[S.F + 2 * rs3]!, st[S.F + 2 * rs3 + 1]!, rm, negProduct, negAddend);
      setF64(h, rd, sf.lo, sf.hi);
    } else {
      sf.fma32(f32(h, rs1), f32(h, rs2), f32(h, rs3), rm, negProduct, negAddend);
      setF32(h, rd, sf.lo);
    }
    accrue(h, sf.flags);
    return Flow.Next;
  }
  const f5 = insn >>> 27;
  const a32 = dbl ? 0 : f32(h, rs1);
  const b32 = dbl ? 0 : f32(h, rs2);
  switch (f5) {
    case 0x00: case 0x01: case 0x02: case 0x03: { // fadd fsub fmul fdiv
      const rm = roundingMode(h, insn);
      if (rm < 0) return illegal(h, raw, pcLo, pcHi);
      if (dbl) {
        if (f5 === 0) sf.add64(aLo, aHi, bLo, bHi, rm);
        else if (f5 === 1) sf.sub64(aLo, aHi, bLo, bHi, rm);
        else if (f5 === 2) sf.mul64(aLo, aHi, bLo, bHi, rm);
        else sf.div64(aLo, aHi, bLo, bHi, rm);
        setF64(h, rd, sf.lo, sf.hi);
      } else {
        if (f5 === 0) sf.add32(a32, b32, rm);
        else if (f5 === 1) sf.sub32(a32, b32, rm);
        else if (f5 === 2) sf.mul32(a32, b32, rm);
        else sf.div32(a32, b32, rm);
        setF32(h, rd, sf.lo);
      }
      accrue(h, sf.flags);
      return Flow.Next;
    }
    case 0x0b: { // fsqrt
      const rm = roundingMode(h, insn);
      if (rm < 0 || rs2 !== 0) return illegal(h, raw, pcLo, pcHi);
      if (dbl) {
        sf.sqrt64(aLo, aHi, rm);
        setF64(h, rd, sf.lo, sf.hi);
      } else {
        sf.sqrt32(a32, rm);
        setF32(h, rd, sf.lo);
      }
      accrue(h, sf.flags);
      return Flow.Next;
    }
    case 0x04: { // fsgnj / fsgnjn / fsgnjx
      if (f3 > 2) return illegal(h, raw, pcLo, pcHi);
      const sa = dbl ? aHi : a32;
      const sb = dbl ? bHi : b32;
      const sign = f3 === 0 ? sb & (1 << 31) : f3 === 1 ? ~sb & (1 << 31) : (sa ^ sb) & (1 << 31);
      if (dbl) setF64(h, rd, aLo, (aHi & 0x7fffffff) | sign);
      else setF32(h, rd, (a32 & 0x7fffffff) | sign);
      return Flow.Next;
    }
    case 0x05: { // fmin / fmax
      if (f3 > 1) return illegal(h, raw, pcLo, pcHi);
      if (dbl) {
        if (f3 === 0) sf.min64(aLo, aHi, bLo, bHi);
        else sf.max64(aLo, aHi, bLo, bHi);
        setF64(h, rd, sf.lo, sf.hi);
      } else {
        if (f3 === 0) sf.min32(a32, b32);
        else sf.max32(a32, b32);
        setF32(h, rd, sf.lo);
      }
      accrue(h, sf.flags);
      return Flow.Next;
    }
    case 0x08: { // fcvt.s.d / fcvt.d.s
      const rm = roundingMode(h, insn);
      if (rm < 0) return illegal(h, raw, pcLo, pcHi);
      if (dbl && rs2 === 0) {
        sf.f32ToF64(f32(h, rs1));
        setF64(h, rd, sf.lo, sf.hi);
      } else if (!dbl && rs2 === 1) {
        sf.f64ToF32(aLo, aHi, rm);
        setF32(h, rd, sf.lo);
      } else {
        return illegal(h, raw, pcLo, pcHi);
      }
      accrue(h, sf.flags);
      return Flow.Next;
    }
    case 0x14: { // feq flt fle
      if (f3 > 2) return illegal(h, raw, pcLo, pcHi);
      if (dbl) {
        if (f3 === 2) sf.eq64(aLo, aHi, bLo, bHi);
        else if (f3 === 1) sf.lt64(aLo, aHi, bLo, bHi);
        else sf.le64(aLo, aHi, bLo, bHi);
      } else {
        if (f3 === 2) sf.eq32(a32, b32);
        else if (f3 === 1) sf.lt32(a32, b32);
        else sf.le32(a32, b32);
      }
      h.setXReg(rd, sf.lo, 0);
      accrue(h, sf.flags);
      return Flow.Next;
    }
    case 0x18: { // fcvt.{w,wu,l,lu}.{s,d}
      const rm = roundingMode(h, insn);
      if (rm < 0 || rs2 > 3) return illegal(h, raw, pcLo, pcHi);
      switch (rs2) {
        case 0: if (dbl) sf.f64ToI32(aLo, aHi, rm); else sf.f32ToI32(a32, rm); h.setXReg(rd, sf.lo, sf.lo >> 31); break;
        case 1: if (dbl) sf.f64ToU32(aLo, aHi, rm); else sf.f32ToU32(a32, rm); h.setXReg(rd, sf.lo, sf.lo >> 31); break;
        case 2: if (dbl) sf.f64ToI64(aLo, aHi, rm); else sf.f32ToI64(a32, rm); h.setXReg(rd, sf.lo, sf.hi); break;
        default: if (dbl) sf.f64ToU64(aLo, aHi, rm); else sf.f32ToU64(a32, rm); h.setXReg(rd, sf.lo, sf.hi); break;
      }
      accrue(h, sf.flags);
      return Flow.Next;
    }
    case 0x1a: { // fcvt.{s,d}.{w,wu,l,lu}
      const rm = roundingMode(h, insn);
      if (rm < 0 || rs2 > 3) return illegal(h, raw, pcLo, pcHi);
      const xLo = st[2 * rs1]!;
      const xHi = st[2 * rs1 + 1]!;
      if (dbl) {
        if (rs2 === 0) sf.i32ToF64(xLo, rm);
        else if (rs2 === 1) sf.u32ToF64(xLo, rm);
        else if (rs2 === 2) sf.i64ToF64(xLo, xHi, rm);
        else sf.u64ToF64(xLo, xHi, rm);
        setF64(h, rd, sf.lo, sf.hi);
      } else {
        if (rs2 === 0) sf.i32ToF32(xLo, rm);
        else if (rs2 === 1) sf.u32ToF32(xLo, rm);
        else if (rs2 === 2) sf.i64ToF32(xLo, xHi, rm);
        else sf.u64ToF32(xLo, xHi, rm);
        setF32(h, rd, sf.lo);
      }
      accrue(h, sf.flags);
      return Flow.Next;
    }
    case 0x1c: { // fmv.x.{w,d} / fclass
      if (rs2 !== 0 || f3 > 1) return illegal(h, raw, pcLo, pcHi);
      if (f3 === 0) {
        if (dbl) h.setXReg(rd, aLo, aHi);
        else h.setXReg(rd, aLo, aLo >> 31);
      } else {
        if (dbl) sf.class64(aLo, aHi);
        else sf.class32(a32);
        h.setXReg(rd, sf.lo, 0);
      }
      return Flow.Next;
    }
    case 0x1e: { // fmv.{w,d}.x
      if (rs2 !== 0 || f3 !== 0) return illegal(h, raw, pcLo, pcHi);
      if (dbl) setF64(h, rd, st[2 * rs1]!, st[2 * rs1 + 1]!);
      else setF32(h, rd, st[2 * rs1]!);
      return Flow.Next;
    }
    default:
      return illegal(h, raw, pcLo, pcHi);
  }
}
