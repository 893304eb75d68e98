import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedRunQueue, WAKE_LAG_MS } from './shared-run-queue.js';

/** Runs busy domains on the queue in 1 ms steps: each step, those admitted run and are billed. */
function simulate(q: SharedRunQueue, slots: number[], steps: number): number[] {
  const used = slots.map(() => 0);
  for (let t = 0; t < steps; t++) {
    const admitted = slots.map((s) => q.wantsToRun(s));
    slots.forEach((s, i) => {
      if (!admitted[i]) return;
      q.charge(s, 1);
      used[i]! += 1;
    });
  }
  return used;
}

test('busy domains on one host CPU run in proportion to weight (512:256 = 2:1), one at a time', () => {
  const q = SharedRunQueue.create(8, 1);
  const a = q.claim();
  const b = q.claim();
  q.setWeight(a, 512);
  q.setWeight(b, 256);
  const [ua, ub] = simulate(q, [a, b], 3000);
  assert.equal(ua! + ub!, 3000, 'exactly one runs at each step');
  assert.ok(Math.abs(ua! / ub! - 2) < 0.01, `${ua}:${ub}`);
});

test('with two host CPUs two busy domains both run, whatever the weights', () => {
  const q = SharedRunQueue.create(8, 2);
  const a = q.claim();
  const b = q.claim();
  q.setWeight(a, 4096);
  assert.deepEqual(simulate(q, [a, b], 100), [100, 100]);
});

test('a blocked (idle) domain leaves the CPU to the others and does not bank its sleep', () => {
  const q = SharedRunQueue.create(8, 1);
  const a = q.claim();
  const b = q.claim();
  simulate(q, [a], 1000); // b sleeps meanwhile
  assert.equal(q.vtime(a), 1000);
  assert.equal(q.vtime(b), 0);
  q.block(a);
  q.wantsToRun(a);
  assert.equal(q.wantsToRun(b), true, 'b is behind: its turn');
  assert.equal(q.vtime(b), 1000 - WAKE_LAG_MS, 'it caught up to within the wake lag');
  const [ua, ub] = simulate(q, [a, b], 200);
  assert.equal(ua! + ub!, 200);
  assert.ok(ua! >= 80 && ub! >= 80, `${ua}:${ub}: after the lag they alternate`);
});

test('slots are claimed and released; a full table says so', () => {
  const q = SharedRunQueue.create(2, 1);
  const a = q.claim();
  assert.equal(q.claim(), 1);
  assert.equal(q.claim(), -1);
  q.release(a);
  assert.equal(q.claim(), a);
  const other = new SharedRunQueue(q.buffer);
  assert.equal(other.hostCpus, 1, 'another thread sees the same table');
});
