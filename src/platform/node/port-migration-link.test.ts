import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { linkPair, pipeLinks } from '../../control/migration/migration-link.js';
import { portMigrationLink, WINDOW_BYTES } from './port-migration-link.js';

const MIB = 1 << 20;

test('bytes cross in order, and a sender waits while WINDOW_BYTES are unread', async () => {
  const { port1, port2 } = new MessageChannel();
  const a = portMigrationLink(port1);
  const b = portMigrationLink(port2);
  let sent = 0;
  const sending = (async () => {
    for (let i = 0; i < 24; i++) {
      await a.send(new Uint8Array(MIB).fill(i));
      sent++;
    }
    a.close();
  })();
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(sent * MIB <= WINDOW_BYTES + MIB, `the sender stopped at the window (${sent} MiB sent, nothing read)`);
  const got: number[] = [];
  for await (const c of b.receive) {
    assert.equal(c.length, MIB);
    got.push(c[0]!);
  }
  await sending;
  assert.deepEqual(got, Array.from({ length: 24 }, (_, i) => i));
  port1.close();
});

test('fail: the other side reads the reason, its sends reject', async () => {
  const { port1, port2 } = new MessageChannel();
  const a = portMigrationLink(port1);
  const b = portMigrationLink(port2);
  await a.send(new Uint8Array([1, 2, 3]));
  a.fail('connection reset by the destination');
  const it = b.receive[Symbol.asyncIterator]();
  assert.deepEqual([...(await it.next()).value!], [1, 2, 3]);
  await assert.rejects(it.next(), /connection reset by the destination/);
  await assert.rejects(async () => b.send(new Uint8Array(1)), /connection reset/);
  port1.close();
});

test('pipeLinks relays both ways and closes both once one side ends', async () => {
  const { port1, port2 } = new MessageChannel();
  const [outer, inner] = linkPair(); // outer: the "socket" side
  const worker = portMigrationLink(port2);
  const piping = pipeLinks(inner, portMigrationLink(port1));
  await outer.send(new TextEncoder().encode('stream'));
  const wit = worker.receive[Symbol.asyncIterator]();
  assert.equal(new TextDecoder().decode((await wit.next()).value!), 'stream');
  await worker.send(new TextEncoder().encode('RUNNING'));
  worker.close();
  const oit = outer.receive[Symbol.asyncIterator]();
  assert.equal(new TextDecoder().decode((await oit.next()).value!), 'RUNNING');
  assert.equal((await oit.next()).done, true, 'the worker closed: the socket side ends');
  outer.close();
  await piping;
  assert.equal((await wit.next()).done, true);
  port1.close();
});
