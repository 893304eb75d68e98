// The socket backend: two backends (listen + connect) exchange length-prefixed frames; a peer
// sending a bad length is disconnected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { SocketNetBackend } from '../../dist/platform/node/net/socket-backend.js';
import { until } from './guest-frames.mjs';

test('two backends share a segment over TCP', async () => {
  const a = new SocketNetBackend({ mode: 'listen', host: '127.0.0.1', port: 0 });
  const port = await a.port();
  const b = new SocketNetBackend({ mode: 'connect', host: '127.0.0.1', port });
  const atA = [], atB = [];
  a.onReceive((f) => atA.push(f.slice()));
  b.onReceive((f) => atB.push(f.slice()));
  try {
    await until(() => a.connected() && b.connected(), 5000, 'connection');
    const big = new Uint8Array(9000).map((_, i) => i & 255);
    a.send(big);
    a.send(Uint8Array.from({ length: 60 }, (_, i) => i));
    b.send(Uint8Array.from({ length: 14 }, () => 7));
    await until(() => atB.length === 2 && atA.length === 1, 5000, 'frames');
    assert.deepEqual(atB[0], big);
    assert.equal(atB[1].length, 60);
    assert.deepEqual(atA[0], new Uint8Array(14).fill(7));
    assert.equal(a.stats.txFrames, 2);
  } finally {
    a.close();
    b.close();
  }
});

test('a peer announcing an impossible frame length is disconnected; frames without a peer are dropped', async () => {
  const a = new SocketNetBackend({ mode: 'listen', host: '127.0.0.1', port: 0 });
  const port = await a.port();
  a.send(new Uint8Array(60));
  assert.equal(a.stats.txDropped, 1);
  const s = net.connect(port, '127.0.0.1');
  let closed = false;
  s.on('close', () => { closed = true; });
  s.on('error', () => {});
  try {
    await until(() => a.connected(), 5000, 'peer');
    s.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    await until(() => closed, 5000, 'disconnect');
    assert.equal(a.stats.protocolErrors, 1);
    assert.equal(a.connected(), false);
  } finally {
    s.destroy();
    a.close();
  }
});

test('connect= to a port where nothing listens says so once, retries, and says when the peer is there', async () => {
  const { createServer } = await import('node:net');
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
  const lines = [];
  const b = new SocketNetBackend({ mode: 'connect', host: '127.0.0.1', port }, (l) => lines.push(l));
  try {
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 20));
    assert.equal(lines.length, 1);
    assert.match(lines[0], new RegExp(`connect=127\\.0\\.0\\.1:${port}: nothing listens there yet; retrying`));
    const peer = new SocketNetBackend({ mode: 'listen', host: '127.0.0.1', port });
    try {
      await peer.port();
      while (!b.connected()) await new Promise((r) => setTimeout(r, 50));
      assert.equal(lines.length, 2);
      assert.match(lines[1], /connected to the peer/);
    } finally {
      peer.close();
    }
  } finally {
    b.close();
  }
});
