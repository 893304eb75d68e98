import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CountingLogger, RECENT_EVENTS, type LogEvent } from './logger.js';

test('CountingLogger counts per source and counter, sorted', () => {
  const l = new CountingLogger();
  l.count('virtio-blk.1', 'malformed');
  l.count('virtio-blk.0', 'needsReset', 2);
  l.count('virtio-blk.1', 'malformed');
  assert.deepEqual(l.snapshot(), { 'virtio-blk.0': { needsReset: 2 }, 'virtio-blk.1': { malformed: 2 } });
  assert.equal(l.counter('virtio-blk.1', 'malformed'), 2);
  assert.equal(l.counter('nope', 'malformed'), 0);
});

test('CountingLogger keeps the last events, bounded, and forwards each to the sink', () => {
  const seen: LogEvent[] = [];
  const l = new CountingLogger((e) => seen.push(e));
  for (let i = 0; i < RECENT_EVENTS + 10; i++) l.log('warn', 'dev', `e${i}`);
  const r = l.recent();
  assert.equal(r.length, RECENT_EVENTS);
  assert.equal(r[0]!.message, 'e10');
  assert.equal(r.at(-1)!.message, `e${RECENT_EVENTS + 9}`);
  assert.equal(seen.length, RECENT_EVENTS + 10);
});
