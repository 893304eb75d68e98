// Transmit offloads of virtio-net (virtio 1.2 §5.1.6.2): a frame whose header says NEEDS_CSUM
// gets its checksum completed; a GSO frame (TCPv4, TCPv6) is cut into MSS-sized frames by the
// segmentation shared with e1000 (src/devices/net-offload/). Every header field is the guest's:
// each is checked against the frame, and a frame that does not check out is refused.
import { get16, insertChecksum, put16 } from '../../net-offload/inet-sum.js';
import { pseudoHeaderSeed, segmentPacket, type SegmentLayout } from '../../net-offload/segment.js';

/** Device completes partial checksums on transmit (§5.1.3). */
export const VIRTIO_NET_F_CSUM = 1n << 0n;
/** Driver accepts received frames with partial or already-verified checksums. */
export const VIRTIO_NET_F_GUEST_CSUM = 1n << 1n;
/** Device segments TCPv4 GSO frames. */
export const VIRTIO_NET_F_HOST_TSO4 = 1n << 11n;
/** Device segments TCPv6 GSO frames. */
export const VIRTIO_NET_F_HOST_TSO6 = 1n << 12n;
/** Device segments GSO frames that carry CWR (ECN). */
export const VIRTIO_NET_F_HOST_ECN = 1n << 13n;

/** virtio_net_hdr.flags: the checksum from csum_start to the end still has to be computed. */
export const VIRTIO_NET_HDR_F_NEEDS_CSUM = 1;
/** virtio_net_hdr.flags (receive): the device verified the frame's checksum. */
export const VIRTIO_NET_HDR_F_DATA_VALID = 2;
/** virtio_net_hdr.gso_type values (§5.1.6). */
export const VIRTIO_NET_HDR_GSO_NONE = 0;
export const VIRTIO_NET_HDR_GSO_TCPV4 = 1;
export const VIRTIO_NET_HDR_GSO_TCPV6 = 4;
export const VIRTIO_NET_HDR_GSO_ECN = 0x80;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const IPPROTO_TCP = 6;
const TCP_CHECK_OFFSET = 16;

/** The offloads the driver accepted. */
export interface TxOffloadFeatures {
  csum: boolean;
  tso4: boolean;
  tso6: boolean;
  ecn: boolean;
}

/** What became of one transmitted frame. */
export const enum TxOutcome {
  /** Sent as is (no offload asked). */
  Plain,
  /** Checksum completed, then sent. */
  Checksummed,
  /** Cut into segments, each sent. */
  Segmented,
  /** Refused: a header field out of range or an offload not negotiated. Nothing sent. */
  Refused,
}

/**
 * Applies the offloads the 12-byte header `hdr` asks for to `frame` (modified in place) and hands
 * the resulting frame(s) to `send`. `out` holds the segments (at least as long as `frame`).
 */
export function transmitWithOffloads(
  hdr: Uint8Array, frame: Uint8Array, f: TxOffloadFeatures, out: Uint8Array, send: (frame: Uint8Array) => void,
): TxOutcome {
  const flags = hdr[0]!;
  const gsoType = hdr[1]!;
  const hdrLen = hdr[2]! | (hdr[3]! << 8);
  const gsoSize = hdr[4]! | (hdr[5]! << 8);
  const csumStart = hdr[6]! | (hdr[7]! << 8);
  const csumOffset = hdr[8]! | (hdr[9]! << 8);
  const len = frame.length;
  const needsCsum = (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) !== 0;
  if (needsCsum && (!f.csum || csumStart + csumOffset + 2 > len)) return TxOutcome.Refused;
  if (gsoType === VIRTIO_NET_HDR_GSO_NONE) {
    if (!needsCsum) {
      send(frame);
      return TxOutcome.Plain;
    }
    insertChecksum(frame, csumStart, len, csumStart + csumOffset, 0, true);
    send(frame);
    return TxOutcome.Checksummed;
  }
  // GSO (§5.1.6.2.1): the driver must also ask for the checksum; hdr_len is only a hint (without
  // GUEST_HDRLEN), so the headers are found by parsing, and csum_start must agree with them.
  const ecn = (gsoType & VIRTIO_NET_HDR_GSO_ECN) !== 0;
  const kind = gsoType & ~VIRTIO_NET_HDR_GSO_ECN;
  const ipv4 = kind === VIRTIO_NET_HDR_GSO_TCPV4;
  if (!needsCsum || (ecn && !f.ecn) || hdrLen > len || gsoSize === 0) return TxOutcome.Refused;
  if (ipv4 ? !f.tso4 : kind !== VIRTIO_NET_HDR_GSO_TCPV6 || !f.tso6) return TxOutcome.Refused;
  const l4 = tcpHeaderOffset(frame, ipv4);
  if (l4 < 0 || csumStart !== l4 || csumOffset !== TCP_CHECK_OFFSET || l4 + 20 > len) return TxOutcome.Refused;
  const headers = l4 + (frame[l4 + 12]! >>> 4) * 4;
  if (headers < l4 + 20 || headers >= len) return TxOutcome.Refused;
  // The driver's checksum field holds a pseudo-header sum of its own choosing: replace it with
  // the one the segmentation adds each segment's length to.
  put16(frame, l4 + TCP_CHECK_OFFSET, pseudoHeaderSeed(frame, 14, ipv4, IPPROTO_TCP));
  const layout: SegmentLayout = {
    l3: 14, l4, hdrLen: headers, mss: gsoSize, ipv4, tcp: true,
    ipCsumAt: ipv4 ? 14 + 10 : -1, l4CsumAt: l4 + TCP_CHECK_OFFSET, clearCwr: true,
  };
  return segmentPacket(frame, len, layout, out, send) ? TxOutcome.Segmented : TxOutcome.Refused;
}

/** Offset of the TCP header of an untagged IPv4/IPv6 TCP frame without fragments or IPv6 extension headers, else -1. */
function tcpHeaderOffset(b: Uint8Array, ipv4: boolean): number {
  const len = b.length;
  if (len < 14 + 40) return -1;
  const type = get16(b, 12);
  if (ipv4) {
    if (type !== ETHERTYPE_IPV4 || b[14]! >>> 4 !== 4 || b[14 + 9] !== IPPROTO_TCP) return -1;
    if ((get16(b, 14 + 6) & 0x3fff) !== 0) return -1; // MF or a fragment offset
    const ihl = (b[14]! & 0xf) * 4;
    return ihl < 20 ? -1 : 14 + ihl;
  }
  if (type !== ETHERTYPE_IPV6 || b[14]! >>> 4 !== 6 || b[14 + 6] !== IPPROTO_TCP) return -1;
  return 14 + 40;
}
