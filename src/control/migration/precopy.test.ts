import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { MiniMachine } from '../../test-support/mini-machine.js';
import { zlibPageCompressor } from '../../platform/node/zlib-page-compressor.js';
import { SnapshotError } from '../snapshot/snapshot-error.js';
import { linkPair } from './migration-link.js';
import { migrateIn, migrateOut, type MigrationProgress } from './precopy.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function outOptions(src: MiniMachine, extra: { onPause?: () => void; progress?: MigrationProgress[]; budget?: number } = {}) {
  return {
    banquiseVersion: 'test',
    wallClockNs: () => 1n,
    nowMs: () => performance.now(),
    pause: () => {
      src.stop();
      extra.onPause?.();
    },
    resume: () => src.start(),
    yieldToGuest: async () => {
      for (let i = 0; i < 3; i++) await turn();
    },
    compressor: zlibPageCompressor(),
    ...(extra.budget !== undefined ? { downtimeBudgetMs: extra.budget } : {}),
    onProgress: (p: MigrationProgress) => extra.progress?.push(p),
  };
}

test('pre-copy migration of a running two-hart machine: the destination gets exactly the paused source', async () => {
  const src = new MiniMachine(16 << 20);
  for (let i = 0; i < 5; i++) src.slice();
  // Fill a few MiB with data so the full pass takes several turns of the run loop.
  for (let p = 64; p < 900; p++) src.mem.writeU32(0x8000_0000 + p * 4096 + (p % 1000), p * 2654435761);
  src.start();
  const [a, b] = linkPair();
  let atPause: { ram: Uint8Array; counters: bigint[]; dma: number } | undefined;
  const progress: MigrationProgress[] = [];
  const incoming = migrateIn(b, { compressor: zlibPageCompressor() });
  const outgoing = migrateOut(src, a, outOptions(src, {
    progress,
    budget: 0, // force pre-copy rounds until maxRounds: the loop keeps dirtying its pages
    onPause: () => (atPause = { ram: src.ram().slice(), counters: [src.counter(0), src.counter(1)], dma: src.dmaCount }),
  }));
  const received = await incoming;
  const dst = { ...received, machine: MiniMachine.fromState(received.state) };
  // Exactness: before the destination runs, its RAM and state equal the source's at the pause.
  assert.ok(atPause !== undefined);
  assert.ok(Buffer.from(dst.machine.ram()).equals(Buffer.from(atPause.ram)), 'RAM differs from the source at its pause');
  assert.deepEqual([dst.machine.counter(0), dst.machine.counter(1)], atPause.counters);
  assert.equal(dst.machine.dmaCount, atPause.dma);
  dst.machine.start();
  await dst.confirmRunning();
  const info = await outgoing;
  for (let i = 0; i < 3; i++) await turn();
  dst.machine.stop();
  assert.equal(info.rounds, 30, 'budget 0: every round taken');
  assert.equal(progress.length, 31);
  assert.ok(progress.slice(1).every((p) => p.dirtyPages >= 8), 'both harts dirty their 4 pages every round');
  assert.ok(atPause.counters[0]! > 0n && dst.machine.counter(0) > atPause.counters[0]!, 'the destination continued the counter');
  assert.ok(info.downtimeMs >= 0 && info.pagesSent > 800);
});

test('the pre-copy stops early once the remaining pages fit the budget', async () => {
  const src = new MiniMachine(16 << 20);
  src.start();
  const [a, b] = linkPair();
  const incoming = migrateIn(b, { compressor: zlibPageCompressor() });
  const outgoing = migrateOut(src, a, outOptions(src, { budget: 1e9 }));
  const dst = await incoming;
  assert.equal(dst.header.purpose, 'migration');
  await dst.confirmRunning();
  const info = await outgoing;
  assert.equal(info.rounds, 0);
  assert.ok(info.finalPages >= 8);
});

test('a destination that refuses leaves the source running, with the reason', async () => {
  const src = new MiniMachine(16 << 20);
  src.start();
  const [a, b] = linkPair();
  const incoming = migrateIn(b, {
    prepare: () => {
      throw new SnapshotError('not enough memory on this host for a 16 MiB domain');
    },
  });
  let paused = false;
  await assert.rejects(migrateOut(src, a, outOptions(src, { onPause: () => (paused = true) })), /destination refused: not enough memory/);
  await assert.rejects(incoming, /not enough memory/);
  assert.equal(paused, false);
  const before = src.counter(0);
  await turn();
  await turn();
  assert.ok(src.counter(0) > before, 'the source still runs');
  src.stop();
});

test('a destination that fails after the stop makes the source resume', async () => {
  const src = new MiniMachine(16 << 20);
  src.start();
  const [a, b] = linkPair();
  const incoming = migrateIn(b, { compressor: zlibPageCompressor() });
  const outgoing = migrateOut(src, a, outOptions(src));
  const dst = await incoming;
  await dst.fail('could not start the guest');
  await assert.rejects(outgoing, /destination failed: could not start the guest/);
  const before = src.counter(0);
  await turn();
  await turn();
  assert.ok(src.counter(0) > before, 'the source runs again');
  src.stop();
});

test('a link that breaks mid-stream: the destination discards its machine, the source resumes', async () => {
  const src = new MiniMachine(16 << 20);
  src.start();
  const [a, b] = linkPair();
  let sent = 0;
  const cut = { ...a, send: (c: Uint8Array) => { sent += c.length; if (sent > 1000) { a.close(); throw new Error('connection reset'); } return a.send(c); } };
  const incoming = migrateIn(b, { compressor: zlibPageCompressor() });
  await assert.rejects(migrateOut(src, cut, outOptions(src)), /connection reset/);
  await assert.rejects(incoming, /truncated/);
  const before = src.counter(0);
  await turn();
  await turn();
  assert.ok(src.counter(0) > before);
  src.stop();
});
