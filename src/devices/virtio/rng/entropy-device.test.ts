import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeEntropySource } from '../../../platform/node/virtio/entropy-source.js';
import { mockHarness } from '../mock-driver.js';
import { ENTROPY_MAX_BYTES_PER_REQUEST, VirtioEntropyDevice } from './entropy-device.js';

test('rng fills writable buffers with random bytes that differ between requests', () => {
  const dev = new VirtioEntropyDevice(new NodeEntropySource());
  const h = mockHarness(dev);
  h.drv.init(~0n, [8]);
  h.drv.post(0, [{ writableBytes: 64 }]);
  h.drv.post(0, [{ writableBytes: 32 }, { writableBytes: 32 }]);
  h.drv.notify(0);
  h.sched.run();
  const used = h.drv.reap(0);
  assert.equal(used.length, 2);
  assert.equal(used[0]!.len, 64);
  assert.equal(used[1]!.len, 64);
  const a = h.drv.written(used[0]!);
  const b = h.drv.written(used[1]!);
  assert.notDeepEqual(a, b);
  assert.ok(new Set(a).size > 16, 'looks random');
  assert.equal(h.irq.level, true);
  assert.equal(dev.bytesServed, 128);
});

test('rng uses the injected source and caps a request at 64 KiB', () => {
  let calls = 0;
  const dev = new VirtioEntropyDevice({ fill: (d) => { calls++; d.fill(0xab); } });
  const h = mockHarness(dev);
  h.drv.init(~0n, [8]);
  h.drv.post(0, [{ writableBytes: ENTROPY_MAX_BYTES_PER_REQUEST + 100 }]);
  h.drv.notify(0);
  h.sched.run();
  const [u] = h.drv.reap(0);
  assert.equal(u!.len, ENTROPY_MAX_BYTES_PER_REQUEST);
  const w = h.drv.written(u!);
  assert.ok(w.subarray(0, ENTROPY_MAX_BYTES_PER_REQUEST).every((x) => x === 0xab));
  assert.ok(w.subarray(ENTROPY_MAX_BYTES_PER_REQUEST).every((x) => x === 0));
  assert.equal(calls, 1);
});

test('readable buffers are ignored and counted', () => {
  const dev = new VirtioEntropyDevice({ fill: (d) => d.fill(1) });
  const h = mockHarness(dev);
  h.drv.init(~0n, [8]);
  h.drv.post(0, [{ data: new Uint8Array(4) }]);
  h.drv.notify(0);
  h.sched.run();
  const [u] = h.drv.reap(0);
  assert.equal(u!.len, 0);
  assert.equal(dev.counters.badRequests, 1);
});
