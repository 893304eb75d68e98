import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { StdioConsole } from './stdio-console.js';
import { startRunLoop } from './run-loop.js';

function setup(tty: boolean): { c: StdioConsole; got: number[]; quits: number[]; out: PassThrough; rawModes: boolean[] } {
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  const rawModes: boolean[] = [];
  if (tty) {
    stdin.isTTY = true;
    stdin.setRawMode = (raw: boolean) => rawModes.push(raw);
  }
  const out = new PassThrough();
  const got: number[] = [];
  const quits: number[] = [];
  const c = new StdioConsole({ stdin, stdout: out }, (b) => got.push(...b), () => quits.push(1));
  c.start();
  return { c, got, quits, out, rawModes };
}

test('terminal: Ctrl-A X quits, Ctrl-A Ctrl-A sends one Ctrl-A, other bytes pass', () => {
  const { c, got, quits, rawModes } = setup(true);
  assert.deepEqual(rawModes, [true]);
  c.input(Uint8Array.of(0x61, 0x01, 0x01, 0x62));
  assert.deepEqual(got, [0x61, 0x01, 0x62]);
  c.input(Uint8Array.of(0x63, 0x01));
  c.input(Uint8Array.of(0x78, 0x64));
  assert.deepEqual(got, [0x61, 0x01, 0x62, 0x63]);
  assert.equal(quits.length, 1);
  c.stop();
  assert.deepEqual(rawModes, [true, false]);
});

test('pipe: bytes pass through untouched, Ctrl-A included; end of input is not an exit', async () => {
  const { c, got, quits } = setup(false);
  c.input(Uint8Array.of(0x01, 0x78, 0x0a));
  assert.deepEqual(got, [0x01, 0x78, 0x0a]);
  assert.equal(quits.length, 0);
  c.stop();
});

test('output is buffered until flush and copied (the source may change)', () => {
  const { c, out } = setup(false);
  const chunks: Buffer[] = [];
  out.on('data', (d: Buffer) => chunks.push(d));
  const live = Uint8Array.of(0x68, 0x69);
  c.write(live);
  live[0] = 0x7a;
  assert.equal(chunks.length, 0);
  c.flush();
  assert.equal(Buffer.concat(chunks).toString(), 'hi');
  c.stop();
});

test('run loop: busy steps run back to back, idle steps sleep, wake() cuts a sleep short', async () => {
  let steps = 0;
  const t0 = performance.now();
  const loop = startRunLoop<number>(() => {
    steps++;
    if (steps < 3) return { sleepMs: 0 };
    if (steps === 3) {
      // Woken once the loop sleeps (a wake during busy steps has nothing to cut short).
      setTimeout(() => loop.wake(), 20);
      return { sleepMs: 60_000 };
    }
    return { done: steps, sleepMs: 0 };
  });
  assert.equal(await loop.done, 4);
  assert.ok(performance.now() - t0 < 5_000, 'the 60 s sleep was cut short');
});
