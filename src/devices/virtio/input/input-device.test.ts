import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mockHarness } from '../mock-driver.js';
import { EV_KEY, EV_SYN, KEY_POWER, KEY_RESTART, VIRTIO_ID_INPUT, VirtioInputCfg, VirtioInputDevice } from './input-device.js';

function events(bytes: Uint8Array): [number, number, number] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 8);
  return [dv.getUint16(0, true), dv.getUint16(2, true), dv.getUint32(4, true)];
}

test('config space answers name, devids and the EV_KEY bitmap with KEY_POWER and KEY_RESTART (§5.8.4)', () => {
  const dev = new VirtioInputDevice('test keys');
  const h = mockHarness(dev);
  assert.equal(h.drv.reg(0x008), VIRTIO_ID_INPUT);
  h.drv.setConfig(0, 1, VirtioInputCfg.VIRTIO_INPUT_CFG_ID_NAME);
  h.drv.setConfig(1, 1, 0);
  const size = Number(h.drv.config(2, 1));
  assert.equal(size, 'test keys'.length);
  let name = '';
  for (let i = 0; i < size; i++) name += String.fromCharCode(Number(h.drv.config(8 + i, 1)));
  assert.equal(name, 'test keys');

  h.drv.setConfig(0, 1, VirtioInputCfg.VIRTIO_INPUT_CFG_EV_BITS);
  h.drv.setConfig(1, 1, EV_KEY);
  const bits = Number(h.drv.config(2, 1));
  assert.ok(bits >= (KEY_RESTART >> 3) + 1);
  const bit = (code: number): boolean => (Number(h.drv.config(8 + (code >> 3), 1)) & (1 << (code & 7))) !== 0;
  assert.ok(bit(KEY_POWER));
  assert.ok(bit(KEY_RESTART));
  assert.ok(!bit(KEY_POWER + 1));

  // Event types the device does not have: size 0 (the driver then skips them).
  h.drv.setConfig(1, 1, 0x03 /* EV_ABS */);
  assert.equal(Number(h.drv.config(2, 1)), 0);
  h.drv.setConfig(0, 1, 0x7f);
  assert.equal(Number(h.drv.config(2, 1)), 0);
});

test('a power key press becomes press, SYN, release, SYN in the event queue', () => {
  const dev = new VirtioInputDevice();
  const h = mockHarness(dev);
  h.drv.init(~0n, [8, 8]);
  for (let i = 0; i < 6; i++) h.drv.post(0, [{ writableBytes: 8 }]);
  h.drv.notify(0);
  h.sched.run();
  assert.equal(h.drv.reap(0).length, 0, 'no event before a key press');
  dev.pressKey('power');
  h.sched.run();
  const used = h.drv.reap(0);
  assert.deepEqual(used.map((u) => events(h.drv.written(u))), [
    [EV_KEY, KEY_POWER, 1],
    [EV_SYN, 0, 0],
    [EV_KEY, KEY_POWER, 0],
    [EV_SYN, 0, 0],
  ]);
  assert.equal(h.irq.level, true);
  assert.equal(dev.eventsDelivered, 4);
});

test('events wait for buffers; too-small buffers are answered empty and counted', () => {
  const dev = new VirtioInputDevice();
  const h = mockHarness(dev);
  h.drv.init(~0n, [8, 8]);
  dev.pressKey('restart');
  h.sched.run();
  h.drv.post(0, [{ writableBytes: 4 }]);
  h.drv.post(0, [{ writableBytes: 8 }]);
  h.drv.notify(0);
  h.sched.run();
  const used = h.drv.reap(0);
  assert.equal(used.length, 2);
  assert.equal(used[0]!.len, 0);
  assert.equal(dev.counters.badRequests, 1);
  assert.deepEqual(events(h.drv.written(used[1]!)), [EV_KEY, KEY_RESTART, 1]);
});

test('status queue buffers (LEDs) are consumed; a reset drops pending events', () => {
  const dev = new VirtioInputDevice();
  const h = mockHarness(dev);
  h.drv.init(~0n, [8, 8]);
  h.drv.post(1, [{ data: new Uint8Array(8) }]);
  h.drv.notify(1);
  h.sched.run();
  assert.equal(h.drv.reap(1).length, 1);
  dev.pressKey('power');
  dev.reset();
  assert.equal(dev.driverReady, false);
});

test('a flood of key presses with no buffers stays bounded', () => {
  const dev = new VirtioInputDevice();
  for (let i = 0; i < 1000; i++) dev.pressKey('power');
  assert.ok(dev.eventsDropped > 0);
});
