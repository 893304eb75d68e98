import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mockHarness } from '../mock-driver.js';
import { VirtioBalloonDevice, VIRTIO_BALLOON_F_DEFLATE_ON_OOM, VIRTIO_BALLOON_F_STATS_VQ } from './balloon-device.js';

const RAM = 4 << 20;

function pfns(list: number[]): Uint8Array {
  const b = new Uint8Array(4 * list.length);
  const v = new DataView(b.buffer);
  list.forEach((p, i) => v.setUint32(4 * i, p, true));
  return b;
}

function setup() {
  const dev = new VirtioBalloonDevice(RAM / 4096);
  const h = mockHarness(dev, RAM);
  h.drv.init(~0n, [16, 16, 16]);
  return { dev, h };
}

test('features and target: setTargetBytes raises a config change the guest reads', () => {
  const { dev, h } = setup();
  const f = h.drv.features;
  assert.ok(f & VIRTIO_BALLOON_F_STATS_VQ && f & VIRTIO_BALLOON_F_DEFLATE_ON_OOM);
  dev.setTargetBytes(1 << 20);
  assert.equal(h.drv.ackInterrupt(), 2);
  assert.equal(Number(h.drv.config(0, 4)), 256);
  dev.setTargetPages(1e12);
  assert.equal(Number(h.drv.config(0, 4)), RAM / 4096, 'clamped to RAM');
  h.drv.setConfig(4, 4, 3);
  h.drv.setConfig(0, 4, 99); // num_pages is read-only for the driver
  assert.deepEqual(dev.info(), { targetPages: RAM / 4096, actualPages: 3, inflatedPages: 0 });
});

test('inflate zero-fills and tracks pages; deflate releases them; bad PFNs counted', () => {
  const { dev, h } = setup();
  const base = 0x8000_0000 / 4096;
  const page = (n: number) => h.mem.slice((base + n) * 4096, 4096)!;
  page(900).fill(0x5a);
  page(901).fill(0x5a);
  h.drv.post(0, [{ data: pfns([base + 900, base + 901, base + 900, 7, 0xffffffff]) }]);
  h.drv.notify(0);
  h.sched.run();
  assert.equal(h.drv.reap(0).length, 1);
  assert.ok(page(900).every((b) => b === 0) && page(901).every((b) => b === 0));
  assert.equal(dev.info().inflatedPages, 2);
  assert.equal(dev.counters.badRequests, 2);
  h.drv.post(1, [{ data: pfns([base + 901]) }]);
  h.drv.notify(1);
  h.sched.run();
  assert.equal(h.drv.reap(1).length, 1);
  assert.equal(dev.info().inflatedPages, 1);
});

function statsBuf(entries: [number, bigint][]): Uint8Array {
  const b = new Uint8Array(10 * entries.length);
  const v = new DataView(b.buffer);
  entries.forEach(([t, x], i) => {
    v.setUint16(10 * i, t, true);
    v.setBigUint64(10 * i + 2, x, true);
  });
  return b;
}

test('stats: the guest posts a buffer, the host requests an update and reads it', () => {
  const { dev, h } = setup();
  const seen: unknown[] = [];
  dev.onStats = (s) => seen.push(s);
  assert.equal(dev.requestStats(), false, 'no buffer yet');
  h.drv.post(2, [{ data: statsBuf([[4, 1000n], [5, 4000n], [99, 1n]]) }]);
  h.drv.notify(2);
  h.sched.run();
  assert.deepEqual(dev.stats, { freeMemory: 1000n, totalMemory: 4000n });
  assert.equal(h.drv.reap(2).length, 0, 'device holds the buffer');
  assert.equal(dev.requestStats(), true);
  assert.equal(h.drv.reap(2).length, 1, 'buffer returned so the guest refreshes it');
  assert.equal(h.irq.level, true);
  h.drv.post(2, [{ data: statsBuf([[4, 900n]]) }]);
  h.drv.notify(2);
  h.sched.run();
  assert.deepEqual(dev.stats, { freeMemory: 900n });
  assert.equal(seen.length, 2);
});

test('reset forgets inflated pages and actual', () => {
  const { dev, h } = setup();
  h.drv.post(0, [{ data: pfns([0x8000_0000 / 4096 + 1000]) }]);
  h.drv.notify(0);
  h.sched.run();
  h.drv.setConfig(4, 4, 1);
  h.drv.init(~0n, [16, 16, 16]);
  assert.deepEqual(dev.info(), { targetPages: 0, actualPages: 0, inflatedPages: 0 });
});

test('save/restore keeps target, actual, inflated pages and the held stats buffer', async () => {
  const { virtioMmio } = await import('../virtio-mmio.js');
  const { dev, h } = setup();
  dev.setTargetPages(40);
  h.drv.setConfig(4, 4, 2);
  h.drv.post(0, [{ data: pfns([0x8000_0000 / 4096 + 700, 0x8000_0000 / 4096 + 701]) }]);
  h.drv.post(2, [{ data: statsBuf([[5, 77n]]) }]);
  h.drv.notify(0);
  h.drv.notify(2);
  h.sched.run();
  const state = JSON.parse(JSON.stringify((h.mmio as unknown as { save(): unknown }).save()));
  const dev2 = new VirtioBalloonDevice(RAM / 4096);
  const t2 = virtioMmio(dev2, h.sched.schedule)(h.mem, h.irq) as unknown as { restore(s: unknown): void };
  t2.restore(state);
  h.sched.run();
  assert.deepEqual(dev2.info(), { targetPages: 40, actualPages: 2, inflatedPages: 2 });
  assert.equal(dev2.requestStats(), true, 'still holds the guest stats buffer');
});
