// CONTRACT STUB — the FPU work replaces the bodies, keeping these exported names and signatures.

/** RISC-V rounding modes (frm / instruction rm field). 5 and 6 are reserved; 7 = dynamic. */
export const enum RoundingMode {
  RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4,
}

/** fflags bits. */
export const enum FFlag {
  NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16,
}

/**
 * IEEE 754-2008 binary32/binary64 arithmetic exactly as RISC-V F/D specify it (canonical NaN
 * results, tininess detected after rounding, all five rounding modes, exact FMA).
 * Operands are raw bit patterns: binary32 as one int32, binary64 as (lo, hi) int32 halves.
 * Each call sets `lo` (and `hi` for 64-bit results) to the result and `flags` to the exception
 * flags it raised (the caller ORs them into fflags). No allocation on the common paths.
 * `rm` is always a resolved mode 0..4 (the CPU handles DYN and reserved modes).
 */
export declare class SoftFloat {
  /** Low 32 bits of the last result (the whole result for binary32, int32 and booleans). */
  lo: number;
  /** High 32 bits of the last 64-bit result (binary64, int64/uint64). */
  hi: number;
  /** FFlag bits raised by the last operation. */
  flags: number;

  add32(a: number, b: number, rm: number): void;
  sub32(a: number, b: number, rm: number): void;
  mul32(a: number, b: number, rm: number): void;
  div32(a: number, b: number, rm: number): void;
  sqrt32(a: number, rm: number): void;
  /** (±a·b) ± c with one rounding: negProduct negates a·b, negAddend negates c (FMSUB/FNMADD…). */
  fma32(a: number, b: number, c: number, rm: number, negProduct: boolean, negAddend: boolean): void;
  /** IEEE 754-2019 minimumNumber/maximumNumber as RISC-V F 2.2 defines them. */
  min32(a: number, b: number): void;
  max32(a: number, b: number): void;
  /** Comparisons: lo = 1 or 0. feq signals NV only for sNaN; flt/fle for any NaN. */
  eq32(a: number, b: number): void;
  lt32(a: number, b: number): void;
  le32(a: number, b: number): void;
  /** fclass: lo = the 10-bit class mask. */
  class32(a: number): void;

  add64(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): void;
  sub64(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): void;
  mul64(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): void;
  div64(aLo: number, aHi: number, bLo: number, bHi: number, rm: number): void;
  sqrt64(aLo: number, aHi: number, rm: number): void;
  fma64(aLo: number, aHi: number, bLo: number, bHi: number, cLo: number, cHi: number, rm: number, negProduct: boolean, negAddend: boolean): void;
  min64(aLo: number, aHi: number, bLo: number, bHi: number): void;
  max64(aLo: number, aHi: number, bLo: number, bHi: number): void;
  eq64(aLo: number, aHi: number, bLo: number, bHi: number): void;
  lt64(aLo: number, aHi: number, bLo: number, bHi: number): void;
  le64(aLo: number, aHi: number, bLo: number, bHi: number): void;
  class64(aLo: number, aHi: number): void;

  /** Float → integer with RISC-V saturation (NaN → max positive) and NV/NX flags.
   *  32-bit results in lo (as int32 bit pattern); 64-bit results in lo/hi. */
  f32ToI32(a: number, rm: number): void;
  f32ToU32(a: number, rm: number): void;
  f32ToI64(a: number, rm: number): void;
  f32ToU64(a: number, rm: number): void;
  f64ToI32(aLo: number, aHi: number, rm: number): void;
  f64ToU32(aLo: number, aHi: number, rm: number): void;
  f64ToI64(aLo: number, aHi: number, rm: number): void;
  f64ToU64(aLo: number, aHi: number, rm: number): void;
  /** Integer → float; 64-bit integer sources as (lo, hi). */
  i32ToF32(v: number, rm: number): void;
  u32ToF32(v: number, rm: number): void;
  i64ToF32(lo: number, hi: number, rm: number): void;
  u64ToF32(lo: number, hi: number, rm: number): void;
  i32ToF64(v: number, rm: number): void;
  u32ToF64(v: number, rm: number): void;
  i64ToF64(lo: number, hi: number, rm: number): void;
  u64ToF64(lo: number, hi: number, rm: number): void;
  /** Precision conversions (FCVT.D.S is exact except sNaN → NV; FCVT.S.D rounds). */
  f32ToF64(a: number): void;
  f64ToF32(aLo: number, aHi: number, rm: number): void;
}
