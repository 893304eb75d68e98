// Conversions between a non-negative integer held in a double (< 2^64, exact below 2^53) and the
// interpreter's (lo, hi) int32 pair. Internal to src/cpu/.

const TWO32 = 4294967296;

/** Low half of v as an int32. */
export function toLo(v: number): number {
  return v >>> 0 | 0;
}

/** High half of v as an int32. */
export function toHi(v: number): number {
  return Math.floor(v / TWO32) | 0;
}
