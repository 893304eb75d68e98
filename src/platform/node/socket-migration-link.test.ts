import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { MiniMachine } from '../../test-support/mini-machine.js';
import { migrateIn, migrateOut } from '../../control/migration/precopy.js';
import { socketMigrationLink } from './socket-migration-link.js';
import { zlibPageCompressor } from './zlib-page-compressor.js';

test('live migration of a running two-hart machine over loopback TCP', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const client = connect(port, '127.0.0.1');
  await new Promise<void>((r) => client.once('connect', () => r()));
  const serverSide = await accepted;
  try {
    const src = new MiniMachine();
    for (let p = 64; p < 2000; p++) src.mem.writeU32(0x8000_0000 + p * 4096, p);
    src.start();
    let atPause: Uint8Array | undefined;
    const incoming = migrateIn(socketMigrationLink(serverSide), { compressor: zlibPageCompressor() });
    const outgoing = migrateOut(src, socketMigrationLink(client), {
      banquiseVersion: 'test', wallClockNs: () => 0n, nowMs: () => performance.now(),
      pause: () => {
        src.stop();
        atPause = src.ram().slice();
      },
      resume: () => src.start(),
      yieldToGuest: () => new Promise((r) => setImmediate(r)),
      compressor: zlibPageCompressor(),
    });
    const got = await incoming;
    const dst = MiniMachine.fromState(got.state);
    assert.ok(Buffer.from(dst.ram()).equals(Buffer.from(atPause!)));
    await got.confirmRunning();
    const info = await outgoing;
    assert.ok(info.pagesSent >= 1936);
    assert.ok(info.bytesSent > 0);
  } finally {
    client.destroy();
    serverSide.destroy();
    server.close();
  }
});
