import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { StreamConsoleBackend } from '../../../platform/node/virtio/console-backend.js';
import { mockHarness } from '../mock-driver.js';
import { VirtioConsoleDevice, CONSOLE_INPUT_LIMIT } from './console-device.js';

function fakeBackend() {
  const out: number[] = [];
  let input: (d: Uint8Array) => void = () => {};
  return {
    out,
    type: (s: string) => input(new TextEncoder().encode(s)),
    backend: { write: (d: Uint8Array) => out.push(...d), onInput: (h: (d: Uint8Array) => void) => (input = h) },
  };
}

test('guest output reaches the backend', () => {
  const f = fakeBackend();
  const dev = new VirtioConsoleDevice(f.backend);
  const h = mockHarness(dev);
  h.drv.init(~0n, [16, 16]);
  h.drv.post(1, [{ data: new TextEncoder().encode('hello ') }, { data: new TextEncoder().encode('world') }]);
  h.drv.notify(1);
  h.sched.run();
  assert.equal(new TextDecoder().decode(new Uint8Array(f.out)), 'hello world');
  assert.equal(h.drv.reap(1).length, 1);
});

test('host input waits for receive buffers, then fills them in order', () => {
  const f = fakeBackend();
  const dev = new VirtioConsoleDevice(f.backend);
  const h = mockHarness(dev);
  h.drv.init(~0n, [16, 16]);
  f.type('abcdefgh');
  h.sched.run();
  assert.equal(dev.pendingInput, 8);
  h.drv.post(0, [{ writableBytes: 5 }]);
  h.drv.post(0, [{ writableBytes: 5 }]);
  h.drv.notify(0);
  h.sched.run();
  const used = h.drv.reap(0);
  assert.deepEqual(used.map((u) => u.len), [5, 3]);
  assert.equal(new TextDecoder().decode(h.drv.written(used[0]!)), 'abcde');
  assert.equal(new TextDecoder().decode(h.drv.written(used[1]!).subarray(0, 3)), 'fgh');
  // Input with a buffer already posted is delivered through the scheduler.
  h.drv.post(0, [{ writableBytes: 8 }]);
  h.drv.notify(0);
  h.sched.run();
  f.type('xy');
  assert.equal(h.drv.reap(0).length, 0, 'not inside the input callback');
  h.sched.run();
  const [u] = h.drv.reap(0);
  assert.equal(new TextDecoder().decode(h.drv.written(u!).subarray(0, u!.len)), 'xy');
});

test('input beyond the limit is dropped and counted', () => {
  const f = fakeBackend();
  const dev = new VirtioConsoleDevice(f.backend);
  f.type('z'.repeat(CONSOLE_INPUT_LIMIT + 10));
  assert.equal(dev.droppedInput, 10);
  assert.equal(dev.pendingInput, CONSOLE_INPUT_LIMIT);
});

test('config: cols/rows, resize raises config change, emerg_wr prints', () => {
  const f = fakeBackend();
  const dev = new VirtioConsoleDevice(f.backend, 100, 40);
  const h = mockHarness(dev);
  h.drv.init(~0n, [16, 16]);
  assert.equal(Number(h.drv.config(0, 2)), 100);
  assert.equal(Number(h.drv.config(2, 2)), 40);
  dev.resize(120, 50);
  assert.equal(h.drv.ackInterrupt(), 2);
  assert.equal(Number(h.drv.config(0, 2)), 120);
  h.drv.setConfig(8, 4, 0x21);
  assert.deepEqual(f.out, [0x21]);
});

test('node stream backend relays both ways', async () => {
  const input = new PassThrough();
  const output = new PassThrough();
  const be = new StreamConsoleBackend(input, output);
  const dev = new VirtioConsoleDevice(be);
  const h = mockHarness(dev);
  h.drv.init(~0n, [16, 16]);
  h.drv.post(0, [{ writableBytes: 16 }]);
  h.drv.notify(0);
  h.sched.run();
  input.write('ls\n');
  await new Promise((r) => setImmediate(r));
  h.sched.run();
  const [u] = h.drv.reap(0);
  assert.equal(new TextDecoder().decode(h.drv.written(u!).subarray(0, u!.len)), 'ls\n');
  h.drv.post(1, [{ data: new TextEncoder().encode('out') }]);
  h.drv.notify(1);
  h.sched.run();
  assert.equal(String(output.read()), 'out');
  be.close();
});
