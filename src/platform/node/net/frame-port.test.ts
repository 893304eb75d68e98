import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { FramePort, FRAME_PORT_WINDOW } from './frame-port.js';

const frame = (n: number): Uint8Array => Uint8Array.from({ length: 60 }, (_, i) => (i === 14 ? n : 0));
/** Waits (no time limit but the test runner's) until `pred` holds. */
async function until(pred: () => boolean): Promise<void> {
  while (!pred()) await new Promise((r) => setTimeout(r, 5));
}

test('frames cross a channel both ways, copied', async () => {
  const ch = new MessageChannel();
  const a = new FramePort(ch.port1);
  const b = new FramePort(ch.port2);
  const gotA: number[] = [];
  const gotB: number[] = [];
  a.onReceive((f) => gotA.push(f[14]!));
  b.onReceive((f) => gotB.push(f[14]!));
  const f = frame(1);
  a.send(f);
  f[14] = 99; // the sender's buffer is reused at once
  b.send(frame(2));
  await until(() => gotA.length + gotB.length === 2);
  assert.deepEqual(gotB, [1]);
  assert.deepEqual(gotA, [2]);
  a.close();
  b.close();
});

test('at most FRAME_PORT_WINDOW frames wait unacknowledged; more are dropped and counted', async () => {
  const ch = new MessageChannel();
  const a = new FramePort(ch.port1);
  ch.port2.on('message', () => {}); // a peer that never acknowledges
  for (let i = 0; i < FRAME_PORT_WINDOW + 10; i++) a.send(frame(i & 255));
  assert.equal(a.stats.sent, FRAME_PORT_WINDOW);
  assert.equal(a.stats.dropped, 10);
  a.close();
  ch.port2.close();
});

test('acknowledgements reopen the window', async () => {
  const ch = new MessageChannel();
  const a = new FramePort(ch.port1);
  const b = new FramePort(ch.port2);
  let n = 0;
  b.onReceive(() => n++);
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < FRAME_PORT_WINDOW; i++) a.send(frame(i & 255));
    await until(() => a.inFlight() === 0);
  }
  assert.equal(a.stats.dropped, 0);
  assert.equal(n, 3 * FRAME_PORT_WINDOW);
  a.close();
  b.close();
});

test('messages that are not frames are dropped and counted', async () => {
  const ch = new MessageChannel();
  const b = new FramePort(ch.port2);
  let n = 0;
  b.onReceive(() => n++);
  ch.port1.postMessage({ f: new Uint8Array(3) });
  ch.port1.postMessage({ f: 'x' });
  await until(() => b.stats.received === 2);
  assert.equal(n, 0);
  assert.equal(b.stats.malformed, 2);
  b.close();
  ch.port1.close();
});
