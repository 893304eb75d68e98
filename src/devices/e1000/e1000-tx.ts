// Transmit packet assembly of the 8254x (§3.3): gathers the data descriptors of one packet into
// a fixed buffer, then inserts the IP and TCP/UDP checksums the context asked for (§3.3.6) or
// cuts a TCP segmentation job into MSS-sized frames with their headers fixed up (§3.5). All
// offsets come from the guest's context descriptor: each is checked against the packet.

/** The offload context last loaded by a context descriptor. */
export interface TxContext {
  ipcss: number;
  ipcso: number;
  ipcse: number;
  tucss: number;
  tucso: number;
  tucse: number;
  /** TUCMD.TCP: the L4 header is TCP (else UDP). */
  tcp: boolean;
  /** TUCMD.IP: IPv4 (else IPv6). */
  ipv4: boolean;
  mss: number;
  hdrLen: number;
  payLen: number;
}

const POPTS_IXSM = 1;
const POPTS_TXSM = 2;

/** Ones-complement sum of [start, end) (RFC 1071), not folded past 32 bits. */
function sum16(b: Uint8Array, start: number, end: number, seed = 0): number {
  let s = seed;
  let i = start;
  for (; i + 1 < end; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (i < end) s += b[i]! << 8;
  return s;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

function put16(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 8) & 0xff;
  b[at + 1] = v & 0xff;
}

/** Packet assembly and offloads, with buffers allocated once. */
export class TxOffload {
  private readonly buf: Uint8Array;
  private readonly seg: Uint8Array;
  private len = 0;
  private failed = false;
  private popts = 0;
  private tse = false;

  constructor(private readonly maxBytes: number) {
    this.buf = new Uint8Array(maxBytes);
    this.seg = new Uint8Array(maxBytes);
  }

  /** Adds a data descriptor's bytes; false when the packet would exceed the buffer. */
  append(data: Uint8Array): boolean {
    if (this.failed) return true;
    if (this.len + data.length > this.maxBytes) return false;
    this.buf.set(data, this.len);
    this.len += data.length;
    return true;
  }

  /** Marks the packet in progress as bad: it is dropped at EOP. */
  fail(): void {
    this.failed = true;
  }

  /** POPTS and TSE of the packet's (first) data descriptor. */
  setOptions(popts: number, tse: boolean): void {
    if (this.len === 0 || this.popts === 0) this.popts = popts;
    this.tse ||= tse;
  }

  /** Ends the packet (EOP): sends one frame or, for TSO, the segments. False if it was dropped. */
  finish(ctx: TxContext, extended: boolean, send: (frame: Uint8Array) => void): boolean {
    const len = this.len;
    const ok = !this.failed && len >= 14;
    const popts = extended ? this.popts : 0;
    const tse = extended && this.tse;
    this.len = 0;
    this.failed = false;
    this.popts = 0;
    this.tse = false;
    if (!ok) return false;
    if (!tse) {
      if (!this.checksums(this.buf, len, ctx, popts, -1)) return false;
      send(this.buf.subarray(0, len));
      return true;
    }
    return this.segment(ctx, len, popts, send);
  }

  /** Inserts the checksums POPTS asks for; `l4Len` >= 0 adds that length to the pseudo-header seed (TSO). */
  private checksums(b: Uint8Array, len: number, c: TxContext, popts: number, l4Len: number): boolean {
    if ((popts & POPTS_IXSM) !== 0) {
      const end = c.ipcse === 0 ? len : c.ipcse + 1;
      if (c.ipcss >= end || end > len || c.ipcso + 2 > len) return false;
      if (l4Len >= 0) put16(b, c.ipcso, 0);
      put16(b, c.ipcso, ~fold(sum16(b, c.ipcss, end)) & 0xffff);
    }
    if ((popts & POPTS_TXSM) !== 0) {
      const end = c.tucse === 0 ? len : c.tucse + 1;
      if (c.tucss >= end || end > len || c.tucso + 2 > len) return false;
      let s = fold(sum16(b, c.tucss, end, l4Len >= 0 ? l4Len : 0));
      s = ~s & 0xffff;
      if (s === 0 && !c.tcp) s = 0xffff; // UDP: 0 means "no checksum"
      put16(b, c.tucso, s);
    }
    return true;
  }

  /** TCP/UDP segmentation (§3.5): header replicated, lengths, IP id, sequence and flags fixed up. */
  private segment(c: TxContext, len: number, popts: number, send: (frame: Uint8Array) => void): boolean {
    const hdr = c.hdrLen;
    const mss = c.mss;
    if (hdr < 14 || hdr >= len || mss === 0 || c.ipcss + 20 > hdr || c.tucss + (c.tcp ? 20 : 8) > hdr) return false;
    const payload = len - hdr;
    const ipId = (this.buf[c.ipcss + 4]! << 8) | this.buf[c.ipcss + 5]!;
    const seq0 = c.tcp ? new DataView(this.buf.buffer).getUint32(c.tucss + 4, false) : 0;
    const flags0 = this.buf[c.tucss + 13]!;
    const b = this.seg;
    for (let off = 0, n = 0; off < payload; off += mss, n++) {
      const chunk = Math.min(mss, payload - off);
      const last = off + chunk >= payload;
      b.set(this.buf.subarray(0, hdr), 0);
      b.set(this.buf.subarray(hdr + off, hdr + off + chunk), hdr);
      const flen = hdr + chunk;
      if (c.ipv4) {
        put16(b, c.ipcss + 2, flen - c.ipcss);
        put16(b, c.ipcss + 4, (ipId + n) & 0xffff);
      } else {
        put16(b, c.ipcss + 4, flen - c.ipcss - 40);
      }
      if (c.tcp) {
        new DataView(b.buffer).setUint32(c.tucss + 4, (seq0 + off) >>> 0, false);
        if (!last) b[c.tucss + 13] = flags0 & ~(0x01 | 0x08); // FIN, PSH only on the last segment
      } else {
        put16(b, c.tucss + 4, flen - c.tucss);
      }
      const segCtx = { ...c, ipcse: c.ipv4 ? 0 : c.ipcse, tucse: 0 };
      if (c.ipv4) segCtx.ipcse = c.tucss - 1; // the IP header ends where the L4 header starts
      if (!this.checksums(b, flen, segCtx, popts, flen - c.tucss)) return false;
      send(b.subarray(0, flen));
    }
    return true;
  }
}
