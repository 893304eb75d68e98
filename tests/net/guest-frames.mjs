// Test helpers: a tiny "guest" network stack that builds Ethernet/ARP/IPv4/ICMP/UDP/TCP frames
// with correct checksums and parses the frames the user-mode network sends back.
export const GUEST_MAC = Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, 0x56);
export const GW_MAC = Uint8Array.of(0x52, 0x55, 0x0a, 0x00, 0x02, 0x02);
export const BCAST = Uint8Array.of(255, 255, 255, 255, 255, 255);
export const GUEST_IP = ip('10.0.2.15');
export const GW_IP = ip('10.0.2.2');
export const FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16;

export function ip(s) { return s.split('.').reduce((a, b) => a * 256 + Number(b), 0); }

export function checksum(buf, start, end, initial = 0) {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
const pseudo = (s, d, p, l) => (s >>> 16) + (s & 0xffff) + (d >>> 16) + (d & 0xffff) + p + l;

export function eth(dst, type, payload, src = GUEST_MAC) {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst, 0); f.set(src, 6);
  f[12] = type >> 8; f[13] = type & 255;
  f.set(payload, 14);
  return f;
}

export function arpRequest(targetIp, senderIp = GUEST_IP) {
  const a = new Uint8Array(28);
  const v = new DataView(a.buffer);
  v.setUint16(0, 1); v.setUint16(2, 0x0800); a[4] = 6; a[5] = 4; v.setUint16(6, 1);
  a.set(GUEST_MAC, 8); v.setUint32(14, senderIp); v.setUint32(24, targetIp);
  return eth(BCAST, 0x0806, a);
}

export function ipv4(proto, src, dst, payload, { id = 1, flags = 0x4000 } = {}) {
  const p = new Uint8Array(20 + payload.length);
  const v = new DataView(p.buffer);
  p[0] = 0x45; v.setUint16(2, p.length); v.setUint16(4, id); v.setUint16(6, flags); p[8] = 64; p[9] = proto;
  v.setUint32(12, src); v.setUint32(16, dst);
  v.setUint16(10, checksum(p, 0, 20));
  p.set(payload, 20);
  return p;
}

export function udp(src, sport, dst, dport, data) {
  const u = new Uint8Array(8 + data.length);
  const v = new DataView(u.buffer);
  v.setUint16(0, sport); v.setUint16(2, dport); v.setUint16(4, u.length); u.set(data, 8);
  const c = checksum(u, 0, u.length, pseudo(src, dst, 17, u.length));
  v.setUint16(6, c === 0 ? 0xffff : c);
  return eth(dst === 0xffffffff ? BCAST : GW_MAC, 0x0800, ipv4(17, src, dst, u));
}

export function tcp(src, sport, dst, dport, seq, ack, flags, data = new Uint8Array(0), { window = 65535, mss = 0 } = {}) {
  const optLen = mss ? 4 : 0;
  const t = new Uint8Array(20 + optLen + data.length);
  const v = new DataView(t.buffer);
  v.setUint16(0, sport); v.setUint16(2, dport); v.setUint32(4, seq >>> 0); v.setUint32(8, ack >>> 0);
  t[12] = ((20 + optLen) / 4) << 4; t[13] = flags; v.setUint16(14, window);
  if (mss) { t[20] = 2; t[21] = 4; v.setUint16(22, mss); }
  t.set(data, 20 + optLen);
  v.setUint16(16, checksum(t, 0, t.length, pseudo(src, dst, 6, t.length)));
  return eth(GW_MAC, 0x0800, ipv4(6, src, dst, t));
}

export function icmpEcho(dst, id, seqNo, data) {
  const m = new Uint8Array(8 + data.length);
  const v = new DataView(m.buffer);
  m[0] = 8; v.setUint16(4, id); v.setUint16(6, seqNo); m.set(data, 8);
  v.setUint16(2, checksum(m, 0, m.length));
  return eth(GW_MAC, 0x0800, ipv4(1, GUEST_IP, dst, m));
}

export function dhcp(type, { xid = 0x12345678, requested, serverId, chaddr = GUEST_MAC } = {}) {
  const b = new Uint8Array(300);
  const v = new DataView(b.buffer);
  b[0] = 1; b[1] = 1; b[2] = 6; v.setUint32(4, xid); b.set(chaddr, 28); v.setUint32(236, 0x63825363);
  let o = 240;
  b[o++] = 53; b[o++] = 1; b[o++] = type;
  if (requested !== undefined) { b[o++] = 50; b[o++] = 4; v.setUint32(o, requested); o += 4; }
  if (serverId !== undefined) { b[o++] = 54; b[o++] = 4; v.setUint32(o, serverId); o += 4; }
  b[o++] = 255;
  return udp(0, 68, 0xffffffff, 67, b);
}

/** Parses a frame sent to the guest; verifies the IPv4/L4 checksums it carries. */
export function parse(frame) {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.length);
  const out = { dst: frame.subarray(0, 6), src: frame.subarray(6, 12), type: v.getUint16(12) };
  if (out.type === 0x0806) {
    out.arp = { op: v.getUint16(20), senderMac: frame.subarray(22, 28), senderIp: v.getUint32(28), targetIp: v.getUint32(38) };
    return out;
  }
  if (out.type !== 0x0800) return out;
  const ihl = (frame[14] & 15) * 4;
  const total = v.getUint16(16);
  out.ipChecksumOk = checksum(frame, 14, 14 + ihl) === 0;
  out.proto = frame[23];
  out.srcIp = v.getUint32(26);
  out.dstIp = v.getUint32(30);
  const l4 = 14 + ihl, end = 14 + total;
  if (out.proto === 6) {
    out.l4ChecksumOk = checksum(frame, l4, end, pseudo(out.srcIp, out.dstIp, 6, end - l4)) === 0;
    const off = (frame[l4 + 12] >> 4) * 4;
    out.tcp = { sport: v.getUint16(l4), dport: v.getUint16(l4 + 2), seq: v.getUint32(l4 + 4), ack: v.getUint32(l4 + 8), flags: frame[l4 + 13], window: v.getUint16(l4 + 14), data: frame.slice(l4 + off, end), mss: off > 20 && frame[l4 + 20] === 2 ? v.getUint16(l4 + 22) : 0 };
  } else if (out.proto === 17) {
    out.l4ChecksumOk = v.getUint16(l4 + 6) === 0 || checksum(frame, l4, end, pseudo(out.srcIp, out.dstIp, 17, end - l4)) === 0;
    out.udp = { sport: v.getUint16(l4), dport: v.getUint16(l4 + 2), data: frame.slice(l4 + 8, end) };
  } else if (out.proto === 1) {
    out.l4ChecksumOk = checksum(frame, l4, end) === 0;
    out.icmp = { type: frame[l4], code: frame[l4 + 1], id: v.getUint16(l4 + 4), seq: v.getUint16(l4 + 6), data: frame.slice(l4 + 8, end) };
  }
  return out;
}

/** DHCP options of a reply payload, as a Map code → bytes. */
export function dhcpOptions(payload) {
  const m = new Map();
  let i = 240;
  while (i < payload.length && payload[i] !== 255) {
    if (payload[i] === 0) { i++; continue; }
    m.set(payload[i], payload.slice(i + 2, i + 2 + payload[i + 1]));
    i += 2 + payload[i + 1];
  }
  return m;
}

/** Waits until `cond()` is true (polling), or throws after `ms`. */
export async function until(cond, ms = 5000, what = 'condition') {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
