import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MIGRATION_PORT, parseDestination, progressLine } from './migrate-verb.js';

test('HOST[:PORT] destinations, IPv6 in brackets, bad ones refused', () => {
  assert.deepEqual(parseDestination('10.0.0.2:7700'), { host: '10.0.0.2', port: 7700 });
  assert.deepEqual(parseDestination('otherhost'), { host: 'otherhost', port: DEFAULT_MIGRATION_PORT });
  assert.deepEqual(parseDestination('[::1]:9000'), { host: '::1', port: 9000 });
  assert.deepEqual(parseDestination('fe80::1'), { host: 'fe80::1', port: DEFAULT_MIGRATION_PORT });
  assert.throws(() => parseDestination('host:99999'), /not HOST\[:PORT\]/);
  assert.throws(() => parseDestination(':80'), /not HOST\[:PORT\]/);
});

test('the progress line: a bar of bytes sent against memory, the phase and the dirty rate', () => {
  const m = 1 << 20;
  assert.equal(progressLine({ phase: 'full-pass', bytes_sent: 64 * m, round: 0, dirty_rate: 0 }, 256 * m, 8), '[##......] 64.0 MiB sent, full pass, dirty 0 pages/s');
  assert.equal(progressLine({ phase: 'rounds', bytes_sent: 300 * m, round: 3, dirty_rate: 812.4 }, 256 * m, 8), '[########] 300.0 MiB sent, round 3, dirty 812 pages/s');
  assert.equal(progressLine({}, 256 * m, 4), '[....] 0.0 MiB sent, connecting, dirty 0 pages/s');
});
