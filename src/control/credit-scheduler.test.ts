import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocateCredit, limitMs, schedParamsProblem, type SchedDemand } from './credit-scheduler.js';

const P = 100;
const busy = (id: number, weight = 256, cap = 0, vcpus = 1): SchedDemand => ({ id, weight, cap, vcpus, wantMs: limitMs({ vcpus, cap }, P) });

test('two busy domains on one host CPU share it in proportion to weight (512:256 = 2:1)', () => {
  const b = allocateCredit([busy(1, 512), busy(2, 256)], 1, P);
  assert.ok(Math.abs(b.get(1)! - 200 / 3) < 1e-6);
  assert.ok(Math.abs(b.get(2)! - 100 / 3) < 1e-6);
});

test('a cap holds even when the host is idle', () => {
  const b = allocateCredit([busy(1, 256, 25)], 2, P);
  assert.equal(b.get(1), 25);
});

test('what an idle domain does not want goes to the busy ones; it keeps what it uses', () => {
  const b = allocateCredit([busy(1), { id: 2, weight: 256, cap: 0, vcpus: 1, wantMs: 3 }], 1, P);
  assert.equal(b.get(2), 3);
  assert.equal(b.get(1), 97);
});

test('enough host CPUs: every busy domain gets its vCPUs whatever the weights', () => {
  const b = allocateCredit([busy(1, 512), busy(2, 1)], 2, P);
  assert.deepEqual([b.get(1), b.get(2)], [100, 100]);
});

test('a capped domain leaves the rest of its weighted share to the others', () => {
  const b = allocateCredit([busy(1, 256, 10), busy(2, 256), busy(3, 256)], 1, P);
  assert.equal(b.get(1), 10);
  assert.ok(Math.abs(b.get(2)! - 45) < 1e-6 && Math.abs(b.get(3)! - 45) < 1e-6);
});

test('parameters are checked', () => {
  assert.equal(schedParamsProblem({ weight: 256, cap: 0 }), undefined);
  assert.match(schedParamsProblem({ weight: 0 })!, /weight/);
  assert.match(schedParamsProblem({ cap: -1 })!, /cap/);
  assert.match(schedParamsProblem({ weight: 1.5 })!, /weight/);
});
