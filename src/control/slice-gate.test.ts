import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SharedRunQueue } from './shared-run-queue.js';
import { SliceGate, TURN_WAIT_MS } from './slice-gate.js';

test('a budget of 25 ms per 100 ms period: overuse is carried as debt, every elapsed period refills', () => {
  let cpu = 0;
  const g = new SliceGate({ cpuMs: () => cpu }, 0);
  g.setBudget(25, 100);
  assert.equal(g.admit(0), 0);
  cpu += 60; // one slice overran the budget by 35 ms
  g.done(60, false);
  assert.equal(g.admit(60), 40, 'out of credit: wait for the next period');
  assert.equal(g.admit(100), 100, 'one refill (-35 + 25) is not enough: wait a whole period');
  assert.equal(g.admit(200), 0, 'the second refill pays the debt off');
  assert.equal(g.waitMs, 140);
  // A long pause in admissions (500 ms) refills several periods at once, but never banks more
  // than one budget.
  cpu += 10;
  g.done(210, false);
  assert.equal(g.admit(710), 0);
  cpu += 26;
  g.done(720, false);
  assert.ok(g.admit(720) > 0, 'only one budget was available');
});

test('CPU the host gave to others is not billed: the thread clock, not the wall clock', () => {
  let cpu = 0;
  const g = new SliceGate({ cpuMs: () => cpu }, 0);
  g.setBudget(25, 100);
  assert.equal(g.admit(0), 0);
  cpu += 10; // a slice of 50 ms wall time in which the thread ran 10 ms
  g.done(50, false);
  assert.equal(g.admit(50), 0, '15 ms of credit left');
  assert.equal(g.cpuMs(), 10);
});

test('without a thread clock the wall time of the slices is billed', () => {
  const g = new SliceGate({}, 0);
  g.setBudget(25, 100);
  g.admit(0);
  g.done(30, false);
  assert.equal(g.cpuMs(), 30);
  assert.ok(g.admit(30) > 0);
});

test('the run queue decides whose turn it is; an idle or paused domain leaves it', () => {
  const q = SharedRunQueue.create(4, 1);
  const cpu = [0, 0];
  const gates = [0, 1].map((i) => new SliceGate({ cpuMs: () => cpu[i]!, queue: { queue: q, slot: q.claim() } }, 0));
  assert.equal(gates[0]!.admit(0), 0);
  const g0 = q.generation();
  assert.equal(gates[1]!.admit(0), TURN_WAIT_MS, 'one host CPU: the other waits its turn');
  assert.deepEqual(gates[1]!.turnWait(), { signal: q.signal, value: g0 }, 'on the queue\'s signal');
  cpu[0]! += 20;
  gates[0]!.done(20, false);
  assert.equal(q.generation(), g0, 'billing a slice wakes nobody');
  assert.ok(gates[0]!.admit(20) > 0, 'now it is behind the other');
  const g1 = q.generation();
  assert.ok(g1 > g0, 'giving up its turn moved the signal (wakes the waiter)');
  assert.ok(gates[0]!.admit(20) > 0);
  assert.equal(q.generation(), g1, 'a waiting domain that declines again wakes nobody');
  assert.equal(gates[1]!.admit(21), 0);
  assert.equal(gates[1]!.turnWait(), undefined);
  assert.equal(gates[1]!.waitMs, 21);
  cpu[1]! += 5;
  gates[1]!.done(26, true); // idle: blocked
  assert.equal(gates[0]!.admit(27), 0, 'the idle domain does not hold the CPU');
  gates[0]!.pause();
  assert.equal(gates[1]!.admit(28), 0, 'nor does a paused one');
});
