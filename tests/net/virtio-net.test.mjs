// virtio-net through the mock guest driver: config space, transmit, receive (one buffer and
// merged), bounded backlog while the guest posts no buffers, offload headers refused when the
// driver did not accept the offloads (the offloads themselves: virtio-net-offload.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mockHarness } from '../../dist/devices/virtio/mock-driver.js';
import { VirtioNetDevice, VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_MAC, VIRTIO_NET_F_STATUS } from '../../dist/devices/virtio/net/virtio-net.js';

const MAC = Uint8Array.of(0x52, 0x54, 0, 0x12, 0x34, 0x56);

class FakeBackend {
  constructor() { this.sent = []; this.cb = undefined; }
  send(f) { this.sent.push(f.slice()); }
  onReceive(cb) { this.cb = cb; }
  close() {}
}

function frame(len, seed = 1) {
  const f = new Uint8Array(len);
  for (let i = 0; i < len; i++) f[i] = (i * 31 + seed) & 255;
  return f;
}

function setup(features = ~0n) {
  const be = new FakeBackend();
  const dev = new VirtioNetDevice(be, { mac: MAC });
  const h = mockHarness(dev);
  h.drv.init(features, [64, 64]);
  return { be, dev, ...h };
}

test('config space: MAC and link up; features offered', () => {
  const { drv } = setup();
  const f = drv.deviceFeatures();
  assert.ok(f & VIRTIO_NET_F_MAC && f & VIRTIO_NET_F_STATUS && f & VIRTIO_NET_F_MRG_RXBUF);
  assert.ok(f & 1n && f & (1n << 11n)); // VIRTIO_NET_F_CSUM, HOST_TSO4
  for (let i = 0; i < 6; i++) assert.equal(Number(drv.config(i, 1)), MAC[i]);
  assert.equal(Number(drv.config(6, 2)), 1);
});

test('transmit: header stripped, frame to the backend; offload headers refused when not negotiated', () => {
  const { drv, sched, be, dev } = setup(VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_NET_F_MRG_RXBUF);
  const hdr = new Uint8Array(12);
  const f = frame(100);
  drv.post(1, [{ data: hdr }, { data: f }]);
  const bad = new Uint8Array(12); bad[0] = 1; // NEEDS_CSUM, never negotiated
  drv.post(1, [{ data: bad }, { data: f }]);
  const gso = new Uint8Array(12); gso[1] = 1; // GSO_TCPV4
  drv.post(1, [{ data: gso }, { data: f }]);
  drv.post(1, [{ data: new Uint8Array(5) }]); // too short
  drv.notify(1);
  sched.run();
  assert.equal(be.sent.length, 1);
  assert.deepEqual(be.sent[0], f);
  assert.equal(drv.reap(1).length, 4);
  assert.equal(dev.stats.txErrors, 3);
});

test('receive: one buffer per frame with num_buffers = 1 (no MRG_RXBUF)', () => {
  const { drv, sched, be, irq } = setup(VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS);
  drv.post(0, [{ writableBytes: 1526 }]);
  drv.notify(0);
  sched.run();
  const f = frame(1514, 3);
  be.cb(f);
  const used = drv.reap(0);
  assert.equal(used.length, 1);
  assert.equal(used[0].len, 12 + 1514);
  const w = drv.written(used[0]);
  assert.equal(w[10] | (w[11] << 8), 1);
  assert.deepEqual(w.subarray(12, 12 + 1514), f);
  assert.ok(irq.raises >= 1);
  // A frame larger than the posted buffers is dropped and the buffer stays posted.
  drv.post(0, [{ writableBytes: 200 }]);
  be.cb(frame(500));
  assert.equal(drv.reap(0).length, 0);
  be.cb(frame(150, 9));
  const u2 = drv.reap(0);
  assert.equal(u2.length, 1);
  assert.deepEqual(drv.written(u2[0]).subarray(12, 162), frame(150, 9));
});

test('receive: merged buffers carry one frame across several chains', () => {
  const { drv, be } = setup();
  for (let i = 0; i < 4; i++) drv.post(0, [{ writableBytes: 1000 }]);
  const f = frame(2500, 5);
  be.cb(f);
  const used = drv.reap(0);
  assert.equal(used.length, 3);
  const all = new Uint8Array(used.reduce((a, u) => a + u.len, 0));
  let o = 0;
  for (const u of used) { all.set(drv.written(u).subarray(0, u.len), o); o += u.len; }
  assert.equal(all.length, 12 + 2500);
  assert.equal(all[10] | (all[11] << 8), 3);
  assert.deepEqual(all.subarray(12), f);
});

test('receive: frames wait in a bounded backlog until the guest posts buffers', () => {
  const { drv, sched, be, dev } = setup();
  for (let i = 0; i < 300; i++) be.cb(frame(60, i));
  assert.equal(dev.stats.rxDropped, 300 - 256);
  for (let i = 0; i < 64; i++) drv.post(0, [{ writableBytes: 1526 }]);
  drv.notify(0);
  sched.run();
  const used = drv.reap(0);
  assert.equal(used.length, 64);
  assert.deepEqual(drv.written(used[0]).subarray(12, 72), frame(60, 0));
  assert.deepEqual(drv.written(used[63]).subarray(12, 72), frame(60, 63));
});

test('nothing is delivered before DRIVER_OK', () => {
  const be = new FakeBackend();
  const dev = new VirtioNetDevice(be, { mac: MAC });
  mockHarness(dev);
  be.cb(frame(60));
  assert.equal(dev.stats.rxDropped, 1);
});

test('a backend answering inside send (like the user network) completes both queues correctly', () => {
  let deliver;
  const be = { send: (f) => deliver(f.slice().reverse()), onReceive: (cb) => { deliver = cb; }, close() {} };
  const dev = new VirtioNetDevice(be, { mac: MAC });
  const { drv, sched } = mockHarness(dev);
  drv.init(~0n, [64, 64]);
  const rxHeads = [];
  for (let i = 0; i < 3; i++) rxHeads.push(drv.post(0, [{ writableBytes: 1526 }]));
  const txHeads = [];
  for (let i = 0; i < 3; i++) txHeads.push(drv.post(1, [{ data: new Uint8Array(12) }, { data: frame(60, i) }]));
  drv.notify(1);
  sched.run();
  assert.deepEqual(drv.reap(1).map((u) => u.id), txHeads);
  const rx = drv.reap(0);
  assert.deepEqual(rx.map((u) => u.id), rxHeads);
  assert.deepEqual(drv.written(rx[2]).subarray(12, 72), frame(60, 2).reverse());
});
