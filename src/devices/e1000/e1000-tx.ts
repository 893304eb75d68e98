// Transmit packet assembly of the 8254x (§3.3): gathers the data descriptors of one packet into
// a fixed buffer, then inserts the IP and TCP/UDP checksums the context asked for (§3.3.6) or
// cuts a TCP segmentation job into MSS-sized frames with their headers fixed up (§3.5; the
// cutting itself is src/devices/net-offload/, shared with virtio-net). All offsets come from the
// guest's context descriptor: each is checked against the packet.
import { insertChecksum } from '../net-offload/inet-sum.js';
import { segmentPacket } from '../net-offload/segment.js';

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
      if (!this.checksums(this.buf, len, ctx, popts)) return false;
      send(this.buf.subarray(0, len));
      return true;
    }
    return this.segment(ctx, len, popts, send);
  }

  /** Inserts the checksums POPTS asks for (§3.3.6): each over [xxCSS, xxCSE] into xxCSO. */
  private checksums(b: Uint8Array, len: number, c: TxContext, popts: number): boolean {
    if ((popts & POPTS_IXSM) !== 0) {
      const end = c.ipcse === 0 ? len : c.ipcse + 1;
      if (c.ipcss >= end || end > len || c.ipcso + 2 > len) return false;
      insertChecksum(b, c.ipcss, end, c.ipcso, 0, false);
    }
    if ((popts & POPTS_TXSM) !== 0) {
      const end = c.tucse === 0 ? len : c.tucse + 1;
      if (c.tucss >= end || end > len || c.tucso + 2 > len) return false;
      insertChecksum(b, c.tucss, end, c.tucso, 0, !c.tcp); // UDP: 0 means "no checksum"
    }
    return true;
  }

  /**
   * TCP/UDP segmentation (§3.5). The driver seeds the L4 checksum field with the pseudo-header
   * sum without the length; the IPv4 header checksum covers [IPCSS, TUCSS). IPv6 has none.
   */
  private segment(c: TxContext, len: number, popts: number, send: (frame: Uint8Array) => void): boolean {
    return segmentPacket(this.buf, len, {
      l3: c.ipcss,
      l4: c.tucss,
      hdrLen: c.hdrLen,
      mss: c.mss,
      ipv4: c.ipv4,
      tcp: c.tcp,
      ipCsumAt: c.ipv4 && (popts & POPTS_IXSM) !== 0 ? c.ipcso : -1,
      l4CsumAt: (popts & POPTS_TXSM) !== 0 ? c.tucso : -1,
      clearCwr: false,
    }, this.seg, send);
  }
}
