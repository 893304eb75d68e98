// Receive checksum verification, as a NIC with receive checksum offload does it: the device
// checks a frame's TCP/UDP checksum so the guest may skip it (virtio-net DATA_VALID).
import { fold, get16, sum16 } from './inet-sum.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/**
 * True when `frame` is an untagged IPv4 (unfragmented, valid header checksum) or IPv6 (no
 * extension headers) packet carrying TCP or UDP (with a checksum) whose L4 checksum verifies.
 * False for anything else, including every malformed frame: "not verified", never "bad".
 */
export function l4ChecksumValid(frame: Uint8Array): boolean {
  const len = frame.length;
  if (len < 14 + 20) return false;
  const type = get16(frame, 12);
  let l4: number;
  let end: number;
  let proto: number;
  let pseudo: number;
  if (type === ETHERTYPE_IPV4) {
    const ihl = (frame[14]! & 0xf) * 4;
    if (frame[14]! >>> 4 !== 4 || ihl < 20) return false;
    l4 = 14 + ihl;
    end = 14 + get16(frame, 16);
    if (end > len || end < l4 || (get16(frame, 20) & 0x3fff) !== 0) return false;
    if (fold(sum16(frame, 14, l4)) !== 0xffff) return false;
    proto = frame[23]!;
    pseudo = sum16(frame, 26, 34, proto + (end - l4));
  } else if (type === ETHERTYPE_IPV6) {
    if (len < 14 + 40 || frame[14]! >>> 4 !== 6) return false;
    l4 = 14 + 40;
    end = l4 + get16(frame, 18);
    if (end > len) return false;
    proto = frame[20]!;
    pseudo = sum16(frame, 22, 54, proto + (end - l4));
  } else {
    return false;
  }
  if (proto === IPPROTO_TCP) {
    if (end - l4 < 20) return false;
  } else if (proto === IPPROTO_UDP) {
    if (end - l4 < 8 || get16(frame, l4 + 6) === 0) return false; // no checksum: nothing verified
  } else {
    return false;
  }
  return fold(sum16(frame, l4, end, pseudo)) === 0xffff;
}
