import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pvpanic, PVPANIC_CRASH_LOADED, PVPANIC_PANICKED, type PvpanicEvent } from './pvpanic.js';

function make() {
  const got: PvpanicEvent[] = [];
  return { dev: new Pvpanic((e) => got.push(e)), got };
}

test('a read says which events are supported, as Linux probes it', () => {
  const { dev } = make();
  assert.equal(dev.read(0, 1), PVPANIC_PANICKED | PVPANIC_CRASH_LOADED);
  assert.equal(dev.read(1, 1), 0);
});

test('writes report panicked and crash-loaded and count them', () => {
  const { dev, got } = make();
  dev.write(0, 1, PVPANIC_PANICKED);
  dev.write(0, 1, PVPANIC_CRASH_LOADED);
  dev.write(0, 1, 3);
  assert.deepEqual(got, ['panicked', 'crash-loaded', 'panicked', 'crash-loaded']);
  assert.deepEqual(dev.save(), { panicked: 2, crashLoaded: 2 });
  const copy = new Pvpanic(() => undefined);
  copy.restore(JSON.parse(JSON.stringify(dev.save())));
  assert.deepEqual(copy.info(), { panicked: 2, crashLoaded: 2 });
});

test('other offsets, other bits and odd values do nothing', () => {
  const { dev, got } = make();
  for (const v of [0, 4, 0x80, 0x100, NaN, Infinity, -4]) dev.write(0, 1, v);
  dev.write(1, 1, 1);
  dev.write(-1, 4, 1);
  dev.write(NaN, 4, 1);
  assert.deepEqual(got, []);
});
