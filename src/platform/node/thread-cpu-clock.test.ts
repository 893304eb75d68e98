import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { openThreadCpuClock } from './thread-cpu-clock.js';

const linux = process.platform === 'linux';

test('the clock advances with work done on this thread', { skip: !linux && 'Linux only' }, () => {
  const clock = openThreadCpuClock();
  assert.ok(clock !== undefined, '/proc/thread-self/schedstat is readable on Linux');
  const before = clock.cpuMs();
  let x = 0;
  for (let i = 0; i < 30_000_000; i++) x = (x + i * 7) % 1_000_003;
  assert.ok(x >= 0);
  const after = clock.cpuMs();
  assert.ok(after > before, `cpu ${before} -> ${after}`);
  assert.ok(clock.runQueueMs() >= 0);
  clock.close();
  assert.equal(clock.cpuMs(), 0, 'a closed clock reads 0');
});

test('it counts its own thread only: a busy worker does not move the main thread\'s clock', { skip: !linux && 'Linux only' }, async () => {
  const clock = openThreadCpuClock()!;
  // The worker spins for 300 ms of its own CPU time while this thread blocks in Atomics.wait
  // (asleep in the kernel: no CPU time).
  const url = new URL('./thread-cpu-clock.js', import.meta.url).href;
  const src = `
    const { workerData } = require('node:worker_threads');
    import(${JSON.stringify(url)}).then(({ openThreadCpuClock }) => {
      const c = openThreadCpuClock();
      const t0 = c.cpuMs();
      let x = 0;
      while (c.cpuMs() - t0 < 300) for (let i = 0; i < 100000; i++) x = (x + i) % 1000003;
      workerData.done[1] = Math.round(c.cpuMs() - t0);
      Atomics.store(workerData.done, 0, 1);
      Atomics.notify(workerData.done, 0);
    });`;
  const done = new Int32Array(new SharedArrayBuffer(8));
  const before = clock.cpuMs();
  const w = new Worker(src, { eval: true, workerData: { done } });
  while (Atomics.load(done, 0) === 0) Atomics.wait(done, 0, 0, 50);
  const mine = clock.cpuMs() - before;
  await w.terminate();
  assert.ok(done[1]! >= 300, `worker measured ${done[1]} ms of its own CPU`);
  assert.ok(mine < done[1]! / 2, `main thread used ${mine.toFixed(1)} ms while the worker used ${done[1]} ms`);
  clock.close();
});
