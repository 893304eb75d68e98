// 64-bit helpers for values held as two 32-bit halves (the interpreter's representation) and for
// converting guest-supplied 64-bit values without losing precision.

const TWO_32 = 4294967296;

/** Joins two 32-bit halves into an unsigned BigInt. */
export function u64FromHalves(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Low 32 bits of a BigInt, as a signed int32. */
export function lo32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** Bits 63:32 of a BigInt, as a signed int32. */
export function hi32(v: bigint): number {
  return Number(BigInt.asIntN(32, v >> 32n));
}

/**
 * Unsigned value of two halves as a JS number, or -1 if it is not exactly representable
 * (>= 2^53). Guest addresses pass through this before being used as numbers.
 */
export function halvesToSafeNumber(lo: number, hi: number): number {
  const h = hi >>> 0;
  if (h >= 0x200000) return -1;
  return h * TWO_32 + (lo >>> 0);
}

/** Parses a size such as `256M`, `1G`, `4096`, `64K` into bytes; undefined if malformed. */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+)([KMGT]i?B?)?$/i.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').charAt(0).toUpperCase();
  const mult = unit === '' ? 1 : unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1024 ** 4;
  const v = n * mult;
  return Number.isSafeInteger(v) ? v : undefined;
}
