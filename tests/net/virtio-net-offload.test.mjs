// virtio-net transmit offloads through the mock guest driver: checksum completion (NEEDS_CSUM)
// and TCP segmentation (GSO TCPv4/TCPv6), checked the way a receiver would (every segment's IP
// and TCP checksums recomputed here, payload reassembled by sequence number), and hostile
// headers (refused and counted, nothing sent, no throw).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mockHarness } from '../../dist/devices/virtio/mock-driver.js';
import { VirtioNetDevice, VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS } from '../../dist/devices/virtio/net/virtio-net.js';
import {
  VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_HOST_ECN,
} from '../../dist/devices/virtio/net/virtio-net-offload.js';
import { NET_MAX_FRAME_BYTES } from '../../dist/devices/virtio/net/net-backend.js';
import { checksum, tcp, udp, GUEST_IP, GW_IP, GW_MAC, GUEST_MAC } from './guest-frames.mjs';

const MAC = GUEST_MAC;
const FIN = 0x01, PSH = 0x08, ACK = 0x10, CWR = 0x80;
const SRC6 = Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : i * 7) & 255);
const DST6 = Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : 200 - i) & 255);

class FakeBackend {
  constructor() { this.sent = []; this.cb = undefined; }
  send(f) { this.sent.push(f.slice()); }
  onReceive(cb) { this.cb = cb; }
  close() {}
}

function setup(features = ~0n) {
  const be = new FakeBackend();
  const dev = new VirtioNetDevice(be, { mac: MAC });
  const h = mockHarness(dev);
  h.drv.init(features, [256, 256]);
  return { be, dev, ...h };
}

function netHdr({ flags = 0, gsoType = 0, hdrLen = 0, gsoSize = 0, csumStart = 0, csumOffset = 0 } = {}) {
  const h = new Uint8Array(12);
  const v = new DataView(h.buffer);
  h[0] = flags; h[1] = gsoType;
  v.setUint16(2, hdrLen, true); v.setUint16(4, gsoSize, true);
  v.setUint16(6, csumStart, true); v.setUint16(8, csumOffset, true);
  return h;
}

function pattern(len, seed) {
  const d = new Uint8Array(len);
  for (let i = 0; i < len; i++) d[i] = (i * 131 + seed * 17 + (i >> 8)) & 255;
  return d;
}

/** An Ethernet + IPv4/IPv6 + TCP frame (12 bytes of options) as a GSO-capable driver hands it over: checksum field not final. */
function tcpFrame({ v6 = false, payload, seq = 0xfffff000, flags = ACK | PSH, ipId = 0xfffe, check = 0xbeef }) {
  const l3 = 14, ipLen = v6 ? 40 : 20, l4 = l3 + ipLen, thl = 32;
  const f = new Uint8Array(l4 + thl + payload.length);
  const v = new DataView(f.buffer);
  f.set(GW_MAC, 0); f.set(MAC, 6);
  v.setUint16(12, v6 ? 0x86dd : 0x0800);
  if (v6) {
    f[l3] = 0x60; v.setUint16(l3 + 4, thl + payload.length); f[l3 + 6] = 6; f[l3 + 7] = 64;
    f.set(SRC6, l3 + 8); f.set(DST6, l3 + 24);
  } else {
    f[l3] = 0x45; v.setUint16(l3 + 2, f.length - l3); v.setUint16(l3 + 4, ipId); v.setUint16(l3 + 6, 0x4000);
    f[l3 + 8] = 64; f[l3 + 9] = 6; v.setUint32(l3 + 12, GUEST_IP); v.setUint32(l3 + 16, GW_IP);
  }
  v.setUint16(l4, 40000); v.setUint16(l4 + 2, 80); v.setUint32(l4 + 4, seq); v.setUint32(l4 + 8, 12345);
  f[l4 + 12] = (thl / 4) << 4; f[l4 + 13] = flags; v.setUint16(l4 + 14, 501);
  f[l4 + 20] = 1; f[l4 + 21] = 1; f[l4 + 22] = 8; f[l4 + 23] = 10; // NOP NOP timestamps
  v.setUint32(l4 + 24, 0x11223344); v.setUint32(l4 + 28, 0x55667788);
  v.setUint16(l4 + 16, check);
  f.set(payload, l4 + thl);
  return { f, l4, thl };
}

/** Receiver-side parse with checksums recomputed independently (IPv4 or IPv6). */
function receive(frame) {
  const v = new DataView(frame.buffer, frame.byteOffset, frame.length);
  const v6 = v.getUint16(12) === 0x86dd;
  const l3 = 14;
  let l4, end, pseudo;
  if (v6) {
    l4 = l3 + 40; end = l4 + v.getUint16(l3 + 4);
    pseudo = 6 + (end - l4);
    for (let i = l3 + 8; i < l3 + 40; i += 2) pseudo += v.getUint16(i);
  } else {
    l4 = l3 + (frame[l3] & 15) * 4; end = l3 + v.getUint16(l3 + 2);
    pseudo = 6 + (end - l4);
    for (let i = l3 + 12; i < l3 + 20; i += 2) pseudo += v.getUint16(i);
  }
  return {
    end,
    ipOk: v6 || checksum(frame, l3, l4) === 0,
    ipId: v6 ? -1 : v.getUint16(l3 + 4),
    tcpOk: checksum(frame, l4, end, pseudo) === 0,
    seq: v.getUint32(l4 + 4), flags: frame[l4 + 13],
    options: frame.slice(l4 + 20, l4 + (frame[l4 + 12] >> 4) * 4),
    data: frame.slice(l4 + (frame[l4 + 12] >> 4) * 4, end),
  };
}

function sendOne(ctx, hdr, frame, split = 3) {
  // The driver may scatter header and frame over several descriptors.
  const segs = [{ data: hdr }];
  const step = Math.ceil(frame.length / split);
  for (let i = 0; i < frame.length; i += step) segs.push({ data: frame.slice(i, i + step) });
  ctx.drv.post(1, segs);
  ctx.drv.notify(1);
  ctx.sched.run();
  assert.equal(ctx.drv.reap(1).length, 1);
}

test('features: CSUM, HOST_TSO4/6, HOST_ECN offered; no GUEST_TSO (the receive side never builds GSO frames)', () => {
  const { drv } = setup();
  const f = drv.deviceFeatures();
  for (const bit of [VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_HOST_ECN]) assert.ok(f & bit);
  assert.equal(f & (1n << 7n), 0n); // GUEST_TSO4
  assert.equal(f & (1n << 8n), 0n); // GUEST_TSO6
});

test('NEEDS_CSUM: the device completes TCP and UDP checksums from csum_start to the end', () => {
  const ctx = setup();
  const { f, l4 } = tcpFrame({ payload: pattern(333, 1) });
  // Linux's partial checksum: the folded pseudo-header sum (with length) in the field, not complemented.
  const dv = new DataView(f.buffer);
  let ps = 6 + (f.length - l4);
  for (let i = 26; i < 34; i += 2) ps += dv.getUint16(i);
  while (ps > 0xffff) ps = (ps & 0xffff) + (ps >>> 16);
  dv.setUint16(l4 + 16, ps);
  dv.setUint16(24, checksum(f, 14, 34));
  sendOne(ctx, netHdr({ flags: 1, csumStart: l4, csumOffset: 16 }), f);
  assert.equal(ctx.be.sent.length, 1);
  const r = receive(ctx.be.sent[0]);
  assert.ok(r.ipOk && r.tcpOk);
  assert.deepEqual(r.data, pattern(333, 1));
  // UDP: build a correct datagram, then turn its checksum into the partial one a driver would leave.
  const u = udp(GUEST_IP, 5000, GW_IP, 53, pattern(101, 2));
  const good = new DataView(u.buffer).getUint16(40);
  const uv = new DataView(u.buffer);
  let ups = 17 + (u.length - 34);
  for (let i = 26; i < 34; i += 2) ups += uv.getUint16(i);
  while (ups > 0xffff) ups = (ups & 0xffff) + (ups >>> 16);
  uv.setUint16(40, ups);
  sendOne(ctx, netHdr({ flags: 1, csumStart: 34, csumOffset: 6 }), u);
  assert.equal(new DataView(ctx.be.sent[1].buffer).getUint16(40), good);
  assert.equal(ctx.dev.stats.txCsum, 2);
  assert.equal(ctx.dev.stats.txErrors, 0);
});

for (const v6 of [false, true]) {
  test(`GSO TCPv${v6 ? 6 : 4}: MSS-sized segments with valid checksums, lengths, ids, sequence numbers and flags`, () => {
    const ctx = setup();
    const mss = 1448;
    const payload = pattern(60000, v6 ? 3 : 4);
    const { f, l4, thl } = tcpFrame({ v6, payload, flags: ACK | PSH | FIN | CWR });
    sendOne(ctx, netHdr({ flags: 1, gsoType: (v6 ? 4 : 1) | 0x80, hdrLen: l4 + thl, gsoSize: mss, csumStart: l4, csumOffset: 16 }), f, 7);
    const segs = ctx.be.sent;
    assert.equal(segs.length, Math.ceil(payload.length / mss));
    assert.equal(ctx.dev.stats.txGso, 1);
    assert.equal(ctx.dev.stats.txFrames, segs.length);
    const got = new Uint8Array(payload.length);
    segs.forEach((s, i) => {
      const r = receive(s);
      const last = i === segs.length - 1;
      assert.equal(r.end, s.length, 'IP length matches the frame');
      assert.ok(r.ipOk, `segment ${i}: IPv4 header checksum`);
      assert.ok(r.tcpOk, `segment ${i}: TCP checksum`);
      assert.equal(r.data.length, last ? payload.length - i * mss : mss);
      assert.equal(r.seq, (0xfffff000 + i * mss) >>> 0); // wraps past 2^32
      if (!v6) assert.equal(r.ipId, (0xfffe + i) & 0xffff);
      assert.equal(r.flags & (FIN | PSH), last ? FIN | PSH : 0);
      assert.equal(r.flags & CWR, i === 0 ? CWR : 0);
      assert.equal(r.flags & ACK, ACK);
      assert.deepEqual(r.options, f.slice(l4 + 20, l4 + thl));
      got.set(r.data, r.seq - 0xfffff000 >= 0 ? r.seq - 0xfffff000 : r.seq + 0x1000);
    });
    assert.deepEqual(got, payload);
  });
}

test('GSO: Linux-style hdr_len (whole linear part) is a hint only; a payload smaller than one MSS gives one segment', () => {
  const ctx = setup();
  const { f, l4, thl } = tcpFrame({ payload: pattern(700, 5) });
  sendOne(ctx, netHdr({ flags: 1, gsoType: 1, hdrLen: f.length, gsoSize: 1448, csumStart: l4, csumOffset: 16 }), f);
  assert.equal(ctx.be.sent.length, 1);
  const r = receive(ctx.be.sent[0]);
  assert.ok(r.ipOk && r.tcpOk);
  assert.deepEqual(r.data, pattern(700, 5));
  assert.equal(ctx.be.sent[0].length, l4 + thl + 700);
});

test('hostile headers: refused and counted, nothing sent, the queue keeps going', () => {
  const { f, l4 } = tcpFrame({ payload: pattern(5000, 6) });
  const ok = { flags: 1, gsoType: 1, hdrLen: 66, gsoSize: 1000, csumStart: l4, csumOffset: 16 };
  const u = udp(GUEST_IP, 1, GW_IP, 2, pattern(3000, 7));
  const arp = new Uint8Array(60); arp[12] = 8; arp[13] = 6;
  const frag = f.slice(); frag[20] = 0x20; // IPv4 MF
  const badDoff = f.slice(); badDoff[l4 + 12] = 0x40; // data offset 16 bytes
  const hugeDoff = tcpFrame({ payload: pattern(20, 8) }).f; hugeDoff[l4 + 12] = 0xf0; // header runs past the frame
  const cases = [
    ['csum_offset past the end', f, { flags: 1, csumStart: l4, csumOffset: 0xffff }],
    ['csum_start past the end', f, { flags: 1, csumStart: 0xfff0, csumOffset: 0 }],
    ['GSO without NEEDS_CSUM', f, { ...ok, flags: 0 }],
    ['gso_size 0', f, { ...ok, gsoSize: 0 }],
    ['hdr_len past the end', f, { ...ok, hdrLen: f.length + 1 }],
    ['csum_start not the TCP header', f, { ...ok, csumStart: l4 + 4 }],
    ['csum_offset not the TCP checksum', f, { ...ok, csumOffset: 6 }],
    ['GSO TCPv6 on an IPv4 frame', f, { ...ok, gsoType: 4 }],
    ['GSO UDP (not offered)', u, { ...ok, gsoType: 3, csumStart: 34, csumOffset: 6 }],
    ['GSO TCPv4 on a UDP frame', u, { ...ok, csumStart: 34, csumOffset: 6 }],
    ['GSO TCPv4 on an ARP frame', arp, { ...ok, csumStart: 34, csumOffset: 6 }],
    ['GSO on an IPv4 fragment', frag, ok],
    ['TCP data offset below 20', badDoff, ok],
    ['TCP header past the end', hugeDoff, { ...ok, hdrLen: 0 }],
    ['unknown gso_type', f, { ...ok, gsoType: 0x41 }],
  ];
  const ctx = setup();
  for (const [what, frame, h] of cases) {
    sendOne(ctx, netHdr(h), frame);
    assert.equal(ctx.be.sent.length, 0, what);
  }
  assert.equal(ctx.dev.stats.txErrors, cases.length);
  assert.equal(ctx.dev.counters.badRequests, cases.length);
  sendOne(ctx, netHdr(ok), f);
  assert.equal(ctx.be.sent.length, 5); // the same frame, well described, still goes out
});

test('offloads the driver did not accept are refused (CSUM, TSO6, ECN)', () => {
  const base = VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | (1n << 32n);
  const { f, l4 } = tcpFrame({ payload: pattern(3000, 9) });
  const v6 = tcpFrame({ v6: true, payload: pattern(3000, 9) });
  const none = setup(base);
  sendOne(none, netHdr({ flags: 1, csumStart: l4, csumOffset: 16 }), f);
  const tso4 = setup(base | VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO4);
  sendOne(tso4, netHdr({ flags: 1, gsoType: 4, gsoSize: 1000, csumStart: v6.l4, csumOffset: 16 }), v6.f);
  sendOne(tso4, netHdr({ flags: 1, gsoType: 0x81, gsoSize: 1000, csumStart: l4, csumOffset: 16 }), f);
  // TSO without CSUM does not count (§5.1.3.1).
  const noCsum = setup(base | VIRTIO_NET_F_HOST_TSO4);
  sendOne(noCsum, netHdr({ flags: 1, gsoType: 1, gsoSize: 1000, csumStart: l4, csumOffset: 16 }), f);
  for (const c of [none, tso4, noCsum]) assert.equal(c.be.sent.length, 0);
  assert.equal(none.dev.stats.txErrors + tso4.dev.stats.txErrors + noCsum.dev.stats.txErrors, 4);
  sendOne(tso4, netHdr({ flags: 1, gsoType: 1, gsoSize: 1000, csumStart: l4, csumOffset: 16 }), f);
  assert.equal(tso4.be.sent.length, 3);
});

test('fuzz: random headers over valid and mangled frames never throw; every frame sent fits the frame limit', () => {
  let seed = 12345;
  const rnd = (n) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
  const ctx = setup();
  const { f: v4 } = tcpFrame({ payload: pattern(9000, 10) });
  const { f: v6 } = tcpFrame({ v6: true, payload: pattern(9000, 11) });
  for (let i = 0; i < 400; i++) {
    const isV4 = rnd(2) === 1;
    const frame = (isV4 ? v4 : v6).slice(0, 14 + rnd(9100));
    if (rnd(4) === 0) frame[rnd(frame.length)] = rnd(256);
    const pick = [0, 0, isV4 ? 1 : 4, isV4 ? 1 : 4, 1, 4, 0x81, 0x84, 3, rnd(256)];
    const h = netHdr({
      flags: rnd(4) === 0 ? rnd(4) : 1, gsoType: pick[rnd(pick.length)], hdrLen: rnd(4) ? rnd(100) : rnd(65536),
      gsoSize: rnd(4) ? rnd(2000) : rnd(65536), csumStart: rnd(4) ? (isV4 ? 34 : 54) : rnd(65536),
      csumOffset: rnd(4) ? 16 : rnd(65536),
    });
    if (frame.length < 14) continue;
    sendOne(ctx, h, frame);
  }
  for (const s of ctx.be.sent) assert.ok(s.length <= NET_MAX_FRAME_BYTES && s.length >= 14);
  const st = ctx.dev.stats;
  assert.ok(st.txErrors > 0 && st.txGso >= 5 && st.txCsum >= 5, JSON.stringify(st));
});

test('receive with GUEST_CSUM: DATA_VALID only on frames whose TCP/UDP checksum the device verified', () => {
  const good = tcp(GW_IP, 80, GUEST_IP, 40000, 1, 2, ACK, pattern(999, 12));
  const bad = good.slice(); bad[bad.length - 1] ^= 0x40;
  const ipBad = good.slice(); ipBad[22] ^= 1; // TTL changed, IPv4 header checksum now wrong
  const u = udp(GW_IP, 53, GUEST_IP, 5000, pattern(50, 13));
  const uNone = u.slice(); uNone[40] = 0; uNone[41] = 0; // UDP without checksum
  const padded = new Uint8Array(good.length + 6); padded.set(good); // Ethernet padding after the IP packet
  const v6 = tcpFrame({ v6: true, payload: pattern(200, 14) }).f;
  { // give the IPv6 frame its real checksum
    let ps = 6 + (v6.length - 54);
    const dv = new DataView(v6.buffer);
    for (let i = 22; i < 54; i += 2) ps += dv.getUint16(i);
    dv.setUint16(54 + 16, 0);
    dv.setUint16(54 + 16, checksum(v6, 54, v6.length, ps));
  }
  const arp = new Uint8Array(60); arp[12] = 8; arp[13] = 6;
  const cases = [[good, 2], [bad, 0], [ipBad, 0], [u, 2], [uNone, 0], [padded, 2], [v6, 2], [arp, 0], [good.slice(0, 40), 0]];
  const flagsOf = (features) => {
    const ctx = setup(features);
    const be = ctx.be;
    const out = [];
    for (const [f] of cases) {
      ctx.drv.post(0, [{ writableBytes: 2048 }]);
      ctx.drv.notify(0);
      ctx.sched.run();
      be.cb(f);
      const used = ctx.drv.reap(0);
      assert.equal(used.length, 1);
      out.push(ctx.drv.written(used[0])[0]);
    }
    return { out, stats: ctx.dev.stats };
  };
  const on = flagsOf(~0n);
  assert.deepEqual(on.out, cases.map(([, want]) => want));
  assert.equal(on.stats.rxCsumValid, 4);
  const off = flagsOf(VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | (1n << 32n));
  assert.deepEqual(off.out, cases.map(() => 0)); // §5.1.6.4.1: flags zero unless GUEST_CSUM
});
