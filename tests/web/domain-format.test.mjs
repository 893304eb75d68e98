// Unit tests of the web console's list arithmetic. They live here, not beside the code: a
// src/web/*.test.ts would compile into dist/web/, which is the static site build:web produces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandsFor, cpuPercent, formatUptime } from '../../dist/web-tsc/console/domain-format.js';

test('CPU % is host CPU seconds over wall seconds between two polls', () => {
  assert.equal(cpuPercent(undefined, 5, 1000), undefined, 'first sight: no rate yet');
  assert.equal(cpuPercent({ cpuTime: 10, atMs: 1000 }, 10.5, 2000), 50);
  assert.equal(cpuPercent({ cpuTime: 10, atMs: 1000 }, 12, 2000), 200, 'several vCPUs can exceed 100 %');
  assert.equal(cpuPercent({ cpuTime: 10, atMs: 1000 }, 3, 2000), undefined, 'counter went back (domain recreated)');
  assert.equal(cpuPercent({ cpuTime: 10, atMs: 1000 }, 11, 1000), undefined, 'no time passed');
});

test('uptime as m:ss or h:mm:ss', () => {
  assert.equal(formatUptime(0), '0:00');
  assert.equal(formatUptime(62.9), '1:02');
  assert.equal(formatUptime(3723), '1:02:03');
  assert.equal(formatUptime(-5), '0:00');
});

test('buttons follow the lifecycle state', () => {
  assert.deepEqual(commandsFor('running'), ['console', 'pause', 'shutdown', 'reboot', 'destroy']);
  assert.deepEqual(commandsFor('blocked'), commandsFor('running'));
  assert.deepEqual(commandsFor('paused'), ['console', 'unpause', 'destroy']);
  assert.deepEqual(commandsFor('crashed'), ['console', 'destroy']);
  assert.deepEqual(commandsFor('dying'), []);
});
