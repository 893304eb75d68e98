/**
 * The Internet checksum (RFC 1071) over `buf[start, end)`, folded into `initial` (a partial
 * 32-bit sum, e.g. of a pseudo-header). Returns the one's-complement 16-bit result: 0 means a
 * received header with its checksum field included is valid.
 */
export function inetChecksum(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The partial sum of the TCP/UDP IPv4 pseudo-header (RFC 793 §3.1, RFC 768). */
export function pseudoHeaderSum(srcIp: number, dstIp: number, protocol: number, length: number): number {
  return (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff) + protocol + length;
}
