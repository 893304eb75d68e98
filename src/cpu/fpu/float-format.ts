// Parameters of the IEEE 754-2008 binary interchange formats used by RISC-V F and D.

/** Shape of one IEEE 754 binary format (IEEE 754-2008 §3.6, table 3.5). */
export interface FloatFormat {
  /** Significand precision p in bits, hidden bit included (24 or 53). */
  readonly precision: number;
  /** Width of the biased exponent field w (8 or 11). */
  readonly expBits: number;
  /** emin = 1 - emax: exponent of the smallest normal number. */
  readonly emin: number;
  /** emax: exponent of the largest finite number. */
  readonly emax: number;
  /** Exponent bias (= emax). */
  readonly bias: number;
  /** The RISC-V canonical NaN bit pattern (positive, quiet, payload zero). */
  readonly canonicalNaN: bigint;
}

/** binary32 (RISC-V F). */
export const BINARY32: FloatFormat = {
  precision: 24, expBits: 8, emin: -126, emax: 127, bias: 127, canonicalNaN: 0x7fc00000n,
};

/** binary64 (RISC-V D). */
export const BINARY64: FloatFormat = {
  precision: 53, expBits: 11, emin: -1022, emax: 1023, bias: 1023, canonicalNaN: 0x7ff8000000000000n,
};
