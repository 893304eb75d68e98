// Hostile input: seeded random and mutated frames into the user-mode network (with fake host
// sockets, so nothing leaves the process) and random chains into virtio-net. No exception, no
// hang, every malformed frame counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserNet } from '../../dist/devices/net-user/user-net.js';
import { mockHarness } from '../../dist/devices/virtio/mock-driver.js';
import { VirtioNetDevice } from '../../dist/devices/virtio/net/virtio-net.js';
import * as G from './guest-frames.mjs';

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Host sockets that connect instantly, echo nothing, and keep timers for manual firing. */
class FakeSockets {
  constructor(rand) { this.rand = rand; this.timers = []; this.tcp = []; this.udp = 0; }
  connectTcp(host, port, ev) {
    const s = { ev, buffered: 0, write: () => {}, bufferedBytes: () => 0, end: () => {}, destroy: () => {}, pause: () => {}, resume: () => {} };
    this.tcp.push(s);
    // Half the connects succeed, some fail, some stay pending.
    const r = this.rand();
    if (r < 0.5) queueMicrotask(() => ev.onConnect());
    else if (r < 0.7) queueMicrotask(() => ev.onClose(true));
    return s;
  }
  listenTcp(host, port, onAccept) { this.accept = onAccept; return { close() {} }; }
  openUdp() { this.udp++; return { send() {}, close() {} }; }
  setTimer(ms, cb) { const t = { cb, cancelled: false, cancel() { this.cancelled = true; } }; this.timers.push(t); return t; }
  fireTimers() { const ts = this.timers; this.timers = []; for (const t of ts) if (!t.cancelled) t.cb(); }
}

/** Re-computes IPv4 and L4 checksums of a frame so mutated frames reach deeper code. */
function fixChecksums(f) {
  if (f.length < 34 || f[12] !== 8 || f[13] !== 0) return;
  const ihl = (f[14] & 15) * 4;
  if (ihl < 20 || 14 + ihl > f.length) return;
  f[24] = f[25] = 0;
  const c = G.checksum(f, 14, 14 + ihl);
  f[24] = c >> 8; f[25] = c & 255;
  const total = (f[16] << 8) | f[17];
  const l4 = 14 + ihl, end = Math.min(14 + total, f.length);
  const v = new DataView(f.buffer, f.byteOffset, f.length);
  const src = v.getUint32(26), dst = v.getUint32(30);
  const ps = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + f[23] + (end - l4);
  if (f[23] === 6 && end - l4 >= 20) { v.setUint16(l4 + 16, 0); v.setUint16(l4 + 16, G.checksum(f, l4, end, ps)); }
  if (f[23] === 17 && end - l4 >= 8) { v.setUint16(l4 + 6, 0); }
  if (f[23] === 1 && end - l4 >= 4) { v.setUint16(l4 + 2, 0); v.setUint16(l4 + 2, G.checksum(f, l4, end)); }
}

test('user-mode network survives 30000 random and mutated frames', async () => {
  const rand = rng(0xbadc0de);
  const sockets = new FakeSockets(rand);
  const n = new UserNet(sockets, { hostForwards: [{ protocol: 'tcp', hostAddr: '', hostPort: 1, guestPort: 22 }], dnsServer: '192.0.2.53' });
  let out = 0;
  n.onReceive((f) => { out++; assert.ok(f.length >= 14 && f.length <= 65535); });
  n.send(G.arpRequest(G.GW_IP));
  const seeds = [
    G.arpRequest(G.GW_IP), G.dhcp(1), G.dhcp(3, { requested: G.GUEST_IP }), G.icmpEcho(G.GW_IP, 1, 2, new Uint8Array(32)),
    G.tcp(G.GUEST_IP, 1234, G.GW_IP, 80, 1, 0, G.SYN, undefined, { mss: 1460 }),
    G.tcp(G.GUEST_IP, 1234, G.GW_IP, 80, 2, 0, G.ACK | G.PSH, new Uint8Array(100)),
    G.tcp(G.GUEST_IP, 1234, G.GW_IP, 80, 2, 0, G.FIN | G.ACK), G.udp(G.GUEST_IP, 99, G.GW_IP, 53, new Uint8Array(20)),
    G.udp(G.GUEST_IP, 99, G.ip('10.0.2.3'), 53, new Uint8Array(20)),
  ];
  for (let i = 0; i < 30000; i++) {
    let f;
    const r = rand();
    if (r < 0.15) {
      f = new Uint8Array(Math.floor(rand() * 200));
      for (let j = 0; j < f.length; j++) f[j] = rand() * 256;
    } else {
      f = seeds[Math.floor(rand() * seeds.length)].slice();
      const k = 1 + Math.floor(rand() * 4);
      for (let j = 0; j < k; j++) f[Math.floor(rand() * f.length)] = rand() * 256;
      if (rand() < 0.3) f = f.subarray(0, Math.floor(rand() * f.length));
      if (rand() < 0.7) fixChecksums(f);
    }
    n.send(f);
    if (i % 500 === 0) {
      sockets.fireTimers();
      await new Promise((r) => setImmediate(r));
    }
    if (i % 1000 === 0 && sockets.accept) sockets.accept((ev) => ({ write() {}, bufferedBytes: () => 0, end() {}, destroy() {}, pause() {}, resume() {}, ev }));
  }
  for (let i = 0; i < 20; i++) sockets.fireTimers();
  assert.ok(n.stats.malformed > 1000);
  assert.ok(out > 0);
  assert.ok(n.tcpConnectionCount() <= 512);
  n.close();
});

test('virtio-net survives random transmit chains and receive buffers', () => {
  const rand = rng(42);
  const sent = [];
  let deliver;
  const be = { send: (f) => sent.push(f.length), onReceive: (cb) => { deliver = cb; }, close() {} };
  const dev = new VirtioNetDevice(be, { mac: Uint8Array.of(2, 0, 0, 0, 0, 1) });
  const { drv, sched } = mockHarness(dev, 16 << 20);
  const init = () => drv.init(rand() < 0.7 ? ~0n : 0n, [16, 16]);
  init();
  let resets = 0;
  for (let i = 0; i < 400; i++) {
    if (drv.status() & 64 && resets < 20) { // DEVICE_NEEDS_RESET: a driver resets and starts over
      resets++;
      init();
    }
    const nseg = 1 + Math.floor(rand() * 3);
    const segs = [];
    for (let j = 0; j < nseg; j++) {
      const d = new Uint8Array(Math.floor(rand() * 300));
      for (let k = 0; k < d.length; k++) d[k] = rand() < 0.8 ? 0 : rand() * 256;
      segs.push({ data: d });
    }
    if (rand() < 0.2) segs.push({ writableBytes: 10 });
    const post = (q, sg) => {
      try {
        drv.post(q, sg, rand() < 0.3);
      } catch (e) {
        if (e.message !== 'queue full') throw e; // the ring is full of buffers too small to use
      }
    };
    post(1, segs);
    post(0, [{ writableBytes: Math.floor(rand() * 2000) }]);
    drv.notify(rand() < 0.5 ? 0 : 1);
    drv.notify(1);
    sched.run();
    const f = new Uint8Array(Math.floor(rand() * 3000) + 1);
    deliver(f);
    drv.reap(0);
    drv.reap(1);
  }
  assert.ok(sent.length > 0);
  assert.ok(dev.stats.txErrors > 0);
});
