import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SifiveTest, type ExitRequest } from './sifive-test.js';

function make() {
  const got: ExitRequest[] = [];
  const dev = new SifiveTest((r) => got.push(r));
  return { dev, got };
}

test('poweroff, reboot and fail with a code', () => {
  const { dev, got } = make();
  dev.write(0, 4, 0x5555);
  dev.write(0, 4, 0x7777);
  dev.write(0, 4, (3 << 16) | 0x3333);
  dev.write(0, 4, 0xffff3333);
  dev.write(0, 2, 0x3333);
  assert.deepEqual(got, [
    { kind: 'poweroff' },
    { kind: 'reboot' },
    { kind: 'fail', code: 3 },
    { kind: 'fail', code: 0xffff },
    { kind: 'fail', code: 0 },
  ]);
});

test('other values, offsets and sizes are ignored; reads return 0', () => {
  const { dev, got } = make();
  for (const v of [0, 1, 0x5554, 0x3334, 0x1234_0000, -1, NaN, 2 ** 40]) dev.write(0, 4, v);
  dev.write(4, 4, 0x5555);
  dev.write(0, 1, 0x55);
  dev.write(-4, 4, 0x5555);
  dev.write(NaN, 4, 0x5555);
  dev.write(0x1000, 4, 0x5555);
  assert.deepEqual(got, []);
  assert.equal(dev.read(0, 4), 0);
  assert.deepEqual(JSON.parse(JSON.stringify(dev.save())), {});
  dev.restore({});
});
