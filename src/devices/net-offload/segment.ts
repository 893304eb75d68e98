// TCP (and, for the 8254x, UDP) segmentation: one large packet in, MSS-sized frames out, each
// with the headers replicated and fixed up: IPv4 total length, id and header checksum, IPv6
// payload length, TCP sequence number, FIN/PSH only on the last segment (CWR only on the first
// when asked), and the L4 checksum. Buffers belong to the caller and are allocated once.
import { fold, get16, insertChecksum, put16, sum16 } from './inet-sum.js';

const TCP_FIN = 0x01;
const TCP_PSH = 0x08;
const TCP_CWR = 0x80;

/** Where the headers of the packet to segment are, and what to fix up in each segment. */
export interface SegmentLayout {
  /** Offset of the IP header in the frame. */
  l3: number;
  /** Offset of the TCP/UDP header. */
  l4: number;
  /** Bytes copied in front of every segment (Ethernet + IP + L4 headers). */
  hdrLen: number;
  /** Payload bytes per segment (all but the last). */
  mss: number;
  ipv4: boolean;
  /** TCP (else UDP: each segment a datagram with its own length). */
  tcp: boolean;
  /** Where the IPv4 header checksum goes, or -1 for none; it covers [l3, l4). */
  ipCsumAt: number;
  /**
   * Where the L4 checksum goes, or -1 for none. The field must hold the folded pseudo-header sum
   * without the length (the 8254x convention, §3.5.1.2): each segment's L4 length is added to it.
   */
  l4CsumAt: number;
  /** Clear TCP CWR on every segment but the first (as Linux's software GSO does). */
  clearCwr: boolean;
}

/** Checks that the layout fits a packet of `len` bytes and leaves payload to cut. */
export function layoutFits(c: SegmentLayout, len: number): boolean {
  const ipMin = c.ipv4 ? 20 : 40;
  const l4Min = c.tcp ? 20 : 8;
  return c.l3 >= 14 && c.l3 + ipMin <= c.hdrLen && c.l4 > c.l3 && c.l4 + l4Min <= c.hdrLen &&
    c.hdrLen < len && c.mss > 0 &&
    (c.ipCsumAt < 0 || c.ipCsumAt + 2 <= c.hdrLen) && (c.l4CsumAt < 0 || c.l4CsumAt + 2 <= c.hdrLen);
}

/**
 * Cuts `src[0, len)` into segments built in `out` (at least `len` bytes) and hands each to `send`
 * (valid only during the call). False, and nothing sent, if the layout does not fit the packet.
 */
export function segmentPacket(src: Uint8Array, len: number, c: SegmentLayout, out: Uint8Array, send: (frame: Uint8Array) => void): boolean {
  if (!layoutFits(c, len) || out.length < len) return false;
  const hdr = c.hdrLen;
  const payload = len - hdr;
  const ipId = get16(src, c.l3 + 4);
  const seq0 = c.tcp ? ((src[c.l4 + 4]! << 24) | (src[c.l4 + 5]! << 16) | (src[c.l4 + 6]! << 8) | src[c.l4 + 7]!) >>> 0 : 0;
  const flags0 = c.tcp ? src[c.l4 + 13]! : 0;
  const l4Seed = c.l4CsumAt >= 0 ? get16(src, c.l4CsumAt) : 0;
  out.set(src.subarray(0, hdr), 0);
  for (let off = 0, n = 0; off < payload; off += c.mss, n++) {
    const chunk = Math.min(c.mss, payload - off);
    const last = off + chunk >= payload;
    const flen = hdr + chunk;
    if (n > 0) out.set(src.subarray(0, hdr), 0);
    out.set(src.subarray(hdr + off, hdr + off + chunk), hdr);
    if (c.ipv4) {
      put16(out, c.l3 + 2, flen - c.l3);
      put16(out, c.l3 + 4, (ipId + n) & 0xffff);
    } else {
      put16(out, c.l3 + 4, flen - c.l3 - 40);
    }
    if (c.tcp) {
      const seq = (seq0 + off) >>> 0;
      out[c.l4 + 4] = seq >>> 24;
      out[c.l4 + 5] = (seq >>> 16) & 0xff;
      out[c.l4 + 6] = (seq >>> 8) & 0xff;
      out[c.l4 + 7] = seq & 0xff;
      let flags = flags0;
      if (!last) flags &= ~(TCP_FIN | TCP_PSH);
      if (n > 0 && c.clearCwr) flags &= ~TCP_CWR;
      out[c.l4 + 13] = flags;
    } else {
      put16(out, c.l4 + 4, flen - c.l4);
    }
    if (c.ipCsumAt >= 0) {
      put16(out, c.ipCsumAt, 0);
      insertChecksum(out, c.l3, c.l4, c.ipCsumAt, 0, false);
    }
    if (c.l4CsumAt >= 0) {
      put16(out, c.l4CsumAt, l4Seed);
      insertChecksum(out, c.l4, flen, c.l4CsumAt, flen - c.l4, !c.tcp);
    }
    send(out.subarray(0, flen));
  }
  return true;
}

/**
 * The folded TCP/UDP pseudo-header sum without the length (RFC 793 §3.1, RFC 8200 §8.1) of the
 * IPv4 or IPv6 header at `l3`: what `SegmentLayout.l4CsumAt` expects to find in the field.
 */
export function pseudoHeaderSeed(b: Uint8Array, l3: number, ipv4: boolean, protocol: number): number {
  return ipv4 ? fold(sum16(b, l3 + 12, l3 + 20, protocol)) : fold(sum16(b, l3 + 8, l3 + 40, protocol));
}
