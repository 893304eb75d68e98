// Ones-complement arithmetic of the Internet checksum (RFC 1071) over frame bytes, shared by the
// NICs that complete checksums for the guest (e1000, virtio-net) and by the user-mode network.

/** Ones-complement sum of the big-endian 16-bit words of [start, end), added to `seed`, unfolded. */
export function sum16(b: Uint8Array, start: number, end: number, seed = 0): number {
  let s = seed;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return s;
}

/** Folds a sum from `sum16` into 16 bits (end-around carries). */
export function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** Writes a big-endian 16-bit value. */
export function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

/** Reads a big-endian 16-bit value. */
export function get16(b: Uint8Array, at: number): number {
  return (b[at]! << 8) | b[at + 1]!;
}

/**
 * Stores at `at` the complemented sum of [start, end) plus `seed`. With `zeroAsOnes` a result of 0
 * is written 0xFFFF (UDP: 0 means "no checksum"; Linux does the same for any protocol).
 */
export function insertChecksum(b: Uint8Array, start: number, end: number, at: number, seed: number, zeroAsOnes: boolean): void {
  let s = ~fold(sum16(b, start, end, seed)) & 0xffff;
  if (s === 0 && zeroAsOnes) s = 0xffff;
  put16(b, at, s);
}

/**
 * The Internet checksum over `b[start, end)` with `seed` (a partial sum, e.g. of a pseudo-header)
 * folded in: the complemented 16-bit result, 0 for a received header whose checksum is valid.
 */
export function inetChecksum(b: Uint8Array, start: number, end: number, seed = 0): number {
  return ~fold(sum16(b, start, end, seed)) & 0xffff;
}

/** The partial sum of the TCP/UDP IPv4 pseudo-header (RFC 793 §3.1, RFC 768). */
export function pseudoHeaderSum(srcIp: number, dstIp: number, protocol: number, length: number): number {
  return (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff) + protocol + length;
}
