import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VsockUnixBackend } from '../../../platform/node/virtio/vsock-unix-backend.js';
import { mockHarness, type MockHarness } from '../mock-driver.js';
import {
  VirtioVsockDevice, VsockOp, VSOCK_HDR_BYTES, VSOCK_HOST_BUF_ALLOC, VIRTIO_VSOCK_SHUTDOWN_RCV, VIRTIO_VSOCK_SHUTDOWN_SEND,
  type VsockBackend, type VsockConnection,
} from './vsock-device.js';

const CID = 3;

interface Pkt {
  srcCid: bigint; dstCid: bigint; srcPort: number; dstPort: number; len: number; type: number; op: number;
  flags: number; bufAlloc: number; fwdCnt: number; payload: Uint8Array;
}

function pkt(op: number, guestPort: number, hostPort: number, o: Partial<Pkt> = {}): Uint8Array {
  const payload = o.payload ?? new Uint8Array(0);
  const b = new Uint8Array(VSOCK_HDR_BYTES + payload.length);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, o.srcCid ?? BigInt(CID), true);
  v.setBigUint64(8, o.dstCid ?? 2n, true);
  v.setUint32(16, guestPort, true);
  v.setUint32(20, hostPort, true);
  v.setUint32(24, o.len ?? payload.length, true);
  v.setUint16(28, o.type ?? 1, true);
  v.setUint16(30, op, true);
  v.setUint32(32, o.flags ?? 0, true);
  v.setUint32(36, o.bufAlloc ?? 65536, true);
  v.setUint32(40, o.fwdCnt ?? 0, true);
  b.set(payload, VSOCK_HDR_BYTES);
  return b;
}

function parse(b: Uint8Array): Pkt {
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const len = v.getUint32(24, true);
  return {
    srcCid: v.getBigUint64(0, true), dstCid: v.getBigUint64(8, true), srcPort: v.getUint32(16, true),
    dstPort: v.getUint32(20, true), len, type: v.getUint16(28, true), op: v.getUint16(30, true),
    flags: v.getUint32(32, true), bufAlloc: v.getUint32(36, true), fwdCnt: v.getUint32(40, true),
    payload: b.slice(VSOCK_HDR_BYTES, VSOCK_HDR_BYTES + len),
  };
}

class Guest {
  readonly rx: Pkt[] = [];
  constructor(readonly h: MockHarness) {
    h.drv.init(~0n, [64, 64, 8]);
    for (let i = 0; i < 32; i++) h.drv.post(0, [{ writableBytes: VSOCK_HDR_BYTES + 4096 }]);
    h.drv.notify(0);
    h.sched.run();
  }
  send(p: Uint8Array): void {
    this.h.drv.post(1, [{ data: p.subarray(0, VSOCK_HDR_BYTES) }, { data: p.subarray(VSOCK_HDR_BYTES) }]);
    this.h.drv.notify(1);
    this.pump();
  }
  pump(): void {
    this.h.sched.run();
    this.h.drv.reap(1);
    const used = this.h.drv.reap(0);
    for (const u of used) {
      this.rx.push(parse(this.h.drv.written(u).subarray(0, u.len)));
      this.h.drv.post(0, [{ writableBytes: VSOCK_HDR_BYTES + 4096 }]);
    }
    if (used.length > 0) {
      this.h.drv.notify(0);
      this.h.sched.run();
    }
  }
  /** Pumps until a packet matching `pred` arrived (real sockets involved: yields to the event loop). */
  async waitFor(pred: (p: Pkt) => boolean, what: string): Promise<Pkt> {
    for (let i = 0; i < 400; i++) {
      this.pump();
      const idx = this.rx.findIndex(pred);
      if (idx >= 0) return this.rx.splice(idx, 1)[0]!;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.rx.map((p) => p.op))}`);
  }
}

function tmpSock(): string {
  return join(mkdtempSync(join(tmpdir(), 'banquise-vsock-')), 'v.sock');
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

test('config space holds the guest CID', () => {
  const be: VsockBackend = { start() {}, onGuestConnect: (c) => c.reject() };
  const h = mockHarness(new VirtioVsockDevice(1234567, be));
  assert.equal(h.drv.config(0, 8), 1234567n);
});

test('guest → host over a real Unix socket: connect, data both ways, shutdown', async () => {
  const path = tmpSock();
  const backend = new VsockUnixBackend(path);
  const dev = new VirtioVsockDevice(CID, backend);
  const g = new Guest(mockHarness(dev));
  let hostSock: Socket | undefined;
  const received: Buffer[] = [];
  let ended = false;
  const server = createServer({ allowHalfOpen: true }, (s) => {
    hostSock = s;
    s.on('data', (d) => received.push(d));
    s.on('end', () => { ended = true; s.end(); });
  });
  await new Promise<void>((r) => server.listen(`${path}_5000`, r));
  try {
    g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_REQUEST, 40000, 5000));
    const resp = await g.waitFor((p) => p.op === VsockOp.VIRTIO_VSOCK_OP_RESPONSE, 'RESPONSE');
    assert.equal(resp.srcPort, 5000);
    assert.equal(resp.dstPort, 40000);
    assert.equal(resp.dstCid, BigInt(CID));
    assert.equal(resp.bufAlloc, VSOCK_HOST_BUF_ALLOC);
    g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_RW, 40000, 5000, { payload: enc('ping') }));
    for (let i = 0; i < 100 && Buffer.concat(received).length < 4; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(Buffer.concat(received).toString(), 'ping');
    hostSock!.write('pong');
    const rw = await g.waitFor((p) => p.op === VsockOp.VIRTIO_VSOCK_OP_RW, 'RW');
    assert.equal(dec(rw.payload), 'pong');
    g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_SHUTDOWN, 40000, 5000, { flags: VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND }));
    await g.waitFor((p) => p.op === VsockOp.VIRTIO_VSOCK_OP_RST, 'RST after full shutdown');
    for (let i = 0; i < 100 && !ended; i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(ended, 'host socket saw end of stream');
    assert.equal(dev.connectionCount, 0);
  } finally {
    server.close();
    backend.close();
  }
});

test('guest → host port with no listener gets RST', async () => {
  const path = tmpSock();
  const backend = new VsockUnixBackend(path);
  const g = new Guest(mockHarness(new VirtioVsockDevice(CID, backend)));
  try {
    g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_REQUEST, 40001, 6000));
    const rst = await g.waitFor((p) => p.op === VsockOp.VIRTIO_VSOCK_OP_RST, 'RST');
    assert.equal(rst.dstPort, 40001);
  } finally {
    backend.close();
  }
});

test('host → guest: CONNECT <port> on the Unix socket, OK <hostport>, relay', async () => {
  const path = tmpSock();
  const backend = new VsockUnixBackend(path);
  const g = new Guest(mockHarness(new VirtioVsockDevice(CID, backend)));
  await backend.listening();
  const client = connect(path);
  const got: Buffer[] = [];
  client.on('data', (d) => got.push(d));
  try {
    await new Promise<void>((r) => client.once('connect', () => r()));
    client.write('CONNECT 1234\n');
    const req = await g.waitFor((p) => p.op === VsockOp.VIRTIO_VSOCK_OP_REQUEST, 'REQUEST');
    assert.equal(req.dstPort, 1234);
    assert.ok(req.srcPort >= 0x4000_0000);
    g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_RESPONSE, 1234, req.srcPort));
    for (let i = 0; i < 100 && !Buffer.concat(got).includes(10); i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(Buffer.concat(got).toString(), `OK ${req.srcPort}\n`);
    client.write('hello guest');
    const rw = await g.waitFor((p) => p.op === VsockOp.VIRTIO_VSOCK_OP_RW, 'RW');
    assert.equal(dec(rw.payload), 'hello guest');
    g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_RW, 1234, req.srcPort, { payload: enc('hello host') }));
    for (let i = 0; i < 100 && !Buffer.concat(got).toString().includes('hello host'); i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(Buffer.concat(got).toString(), `OK ${req.srcPort}\nhello host`);
    // Guest resets the connection: host socket closes.
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_RST, 1234, req.srcPort));
    await closed;
  } finally {
    client.destroy();
    backend.close();
  }
});

test('bad CONNECT line closes the host socket', async () => {
  const path = tmpSock();
  const backend = new VsockUnixBackend(path);
  new Guest(mockHarness(new VirtioVsockDevice(CID, backend)));
  await backend.listening();
  const client = connect(path);
  const closed = new Promise<void>((r) => client.once('close', () => r()));
  client.on('error', () => {});
  client.write('HELLO\n');
  await closed;
  backend.close();
});

test('closing the device removes the Unix socket; a socket in a missing folder is a clear error', async () => {
  const path = tmpSock();
  const backend = new VsockUnixBackend(path);
  const dev = new VirtioVsockDevice(CID, backend);
  await backend.listening();
  assert.ok(existsSync(path));
  dev.close();
  assert.ok(!existsSync(path), 'socket file removed');
  const missing = join(tmpdir(), `banquise-no-such-dir-${process.pid}`, 'v.sock');
  const bad = new VsockUnixBackend(missing);
  new VirtioVsockDevice(CID, bad);
  await assert.rejects(bad.listening(), (e: Error) => e.name === 'BanquiseError' && /--vsock uds= .*v\.sock: the folder .* does not exist/.test(e.message));
});

/** A backend that accepts every guest connection and records what happens. */
function recorder() {
  const conns: VsockConnection[] = [];
  const data: string[] = [];
  let dev: VirtioVsockDevice | undefined;
  const be: VsockBackend = {
    start(d) { dev = d; },
    onGuestConnect(c) {
      conns.push(c);
      c.onData = (d) => { data.push(dec(d)); c.ack(d.length); };
      c.accept();
    },
  };
  return { be, conns, data, dev: () => dev! };
}

test('credit flow control: host data never exceeds the guest buf_alloc; CREDIT_REQUEST/UPDATE', () => {
  const r = recorder();
  const dev = new VirtioVsockDevice(CID, r.be);
  const g = new Guest(mockHarness(dev));
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_REQUEST, 7, 80, { bufAlloc: 10 }));
  assert.equal(g.rx.shift()!.op, VsockOp.VIRTIO_VSOCK_OP_RESPONSE);
  r.conns[0]!.send(enc('abcdefghijklmnopqrstuvwxy')); // 25 bytes
  g.pump();
  const first = g.rx.shift()!;
  assert.equal(first.op, VsockOp.VIRTIO_VSOCK_OP_RW);
  assert.equal(dec(first.payload), 'abcdefghij');
  assert.equal(g.rx.shift()!.op, VsockOp.VIRTIO_VSOCK_OP_CREDIT_REQUEST);
  assert.equal(g.rx.length, 0);
  // Guest read 10 bytes: CREDIT_UPDATE with fwd_cnt 10.
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_CREDIT_UPDATE, 7, 80, { bufAlloc: 10, fwdCnt: 10 }));
  assert.equal(dec(g.rx.shift()!.payload), 'klmnopqrst');
  assert.equal(g.rx.shift()!.op, VsockOp.VIRTIO_VSOCK_OP_CREDIT_REQUEST, 'out of credit again');
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_CREDIT_UPDATE, 7, 80, { bufAlloc: 10, fwdCnt: 20 }));
  assert.equal(dec(g.rx.shift()!.payload), 'uvwxy');
  assert.equal(g.rx.length, 0, 'all sent: no further credit request');
  // Guest asks for our credit.
  g.rx.length = 0;
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_CREDIT_REQUEST, 7, 80, { bufAlloc: 10, fwdCnt: 25 }));
  const cu = g.rx.shift()!;
  assert.equal(cu.op, VsockOp.VIRTIO_VSOCK_OP_CREDIT_UPDATE);
  assert.equal(cu.bufAlloc, VSOCK_HOST_BUF_ALLOC);
});

test('guest data is delivered, acked into fwd_cnt; exceeding host credit resets the connection', () => {
  const r = recorder();
  const dev = new VirtioVsockDevice(CID, r.be);
  const g = new Guest(mockHarness(dev));
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_REQUEST, 7, 80));
  g.rx.length = 0;
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_RW, 7, 80, { payload: enc('12345') }));
  assert.deepEqual(r.data, ['12345']);
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_CREDIT_REQUEST, 7, 80));
  assert.equal(g.rx.shift()!.fwdCnt, 5);
  // A host that does not consume: the guest fills the window and then overruns it.
  r.conns[0]!.onData = () => {};
  const big = new Uint8Array(4000);
  let sent = 5;
  while (sent + big.length <= VSOCK_HOST_BUF_ALLOC + 5) {
    g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_RW, 7, 80, { payload: big }));
    sent += big.length;
  }
  assert.equal(dev.connectionCount, 1);
  g.rx.length = 0;
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_RW, 7, 80, { payload: big }));
  assert.equal(g.rx.shift()!.op, VsockOp.VIRTIO_VSOCK_OP_RST);
  assert.equal(dev.connectionCount, 0);
  assert.equal(r.conns[0]!.open, false);
});

test('host end() sends SHUTDOWN SEND after queued data; guest half-close reaches onEnd', () => {
  const r = recorder();
  const dev = new VirtioVsockDevice(CID, r.be);
  const g = new Guest(mockHarness(dev));
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_REQUEST, 9, 81));
  g.rx.length = 0;
  let ended = 0;
  r.conns[0]!.onEnd = () => ended++;
  r.conns[0]!.send(enc('bye'));
  r.conns[0]!.end();
  g.pump();
  assert.equal(dec(g.rx.shift()!.payload), 'bye');
  const sd = g.rx.shift()!;
  assert.equal(sd.op, VsockOp.VIRTIO_VSOCK_OP_SHUTDOWN);
  assert.equal(sd.flags, VIRTIO_VSOCK_SHUTDOWN_SEND);
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_SHUTDOWN, 9, 81, { flags: VIRTIO_VSOCK_SHUTDOWN_SEND }));
  assert.equal(ended, 1);
  assert.equal(dev.connectionCount, 1);
  r.conns[0]!.close();
  g.pump();
  const last = g.rx.shift()!;
  assert.equal(last.op, VsockOp.VIRTIO_VSOCK_OP_SHUTDOWN);
  assert.equal(last.flags, 3);
  assert.equal(dev.connectionCount, 0);
});

test('hostile packets: wrong CIDs dropped, unknown connection gets RST, wrong type gets RST, short header counted', () => {
  const r = recorder();
  const dev = new VirtioVsockDevice(CID, r.be);
  const g = new Guest(mockHarness(dev));
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_REQUEST, 1, 2, { srcCid: 99n }));
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_REQUEST, 1, 2, { dstCid: 7n }));
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_RW, 1, 2, { len: 5000 }));
  assert.equal(g.rx.length, 0);
  assert.equal(dev.dropped, 3);
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_RW, 1, 2, { payload: enc('x') }));
  assert.equal(g.rx.shift()!.op, VsockOp.VIRTIO_VSOCK_OP_RST);
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_REQUEST, 1, 2, { type: 2 }));
  assert.equal(g.rx.shift()!.op, VsockOp.VIRTIO_VSOCK_OP_RST);
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_RST, 1, 2));
  assert.equal(g.rx.length, 0, 'never answer an RST');
  g.h.drv.post(1, [{ data: new Uint8Array(10) }]);
  g.h.drv.notify(1);
  g.pump();
  assert.ok(dev.counters.badRequests >= 4);
  assert.equal(r.conns.length, 0);
});

test('device reset closes every connection', () => {
  const r = recorder();
  const dev = new VirtioVsockDevice(CID, r.be);
  const g = new Guest(mockHarness(dev));
  g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_REQUEST, 5, 6));
  let closed = 0;
  r.conns[0]!.onClose = () => closed++;
  g.h.drv.init(~0n, [64, 64, 8]);
  assert.equal(closed, 1);
  assert.equal(dev.connectionCount, 0);
});

test('restore sends VIRTIO_VSOCK_EVENT_TRANSPORT_RESET on the event queue', async () => {
  const { virtioMmio } = await import('../virtio-mmio.js');
  const r = recorder();
  const dev = new VirtioVsockDevice(CID, r.be);
  const g = new Guest(mockHarness(dev));
  g.h.drv.post(2, [{ writableBytes: 4 }]);
  g.h.drv.notify(2);
  g.pump();
  assert.equal(g.h.drv.reap(2).length, 0, 'event buffers are held');
  const state = JSON.parse(JSON.stringify((g.h.mmio as unknown as { save(): unknown }).save()));
  const dev2 = new VirtioVsockDevice(CID, recorder().be);
  const t2 = virtioMmio(dev2, g.h.sched.schedule)(g.h.mem, g.h.irq) as unknown as { restore(s: unknown): void };
  t2.restore(state);
  g.h.sched.run();
  // The used ring of queue 2 lives in guest memory: read it through the old driver's view.
  const [u] = g.h.drv.reap(2);
  assert.equal(u!.len, 4);
  assert.deepEqual([...g.h.drv.written(u!)], [0, 0, 0, 0]);
});

test('a guest opening more than 1024 connections is refused with RST and counted; the table stays bounded', () => {
  const r = recorder();
  const dev = new VirtioVsockDevice(CID, r.be);
  const g = new Guest(mockHarness(dev, 64 << 20)); // the mock driver never frees its buffers
  let refused = 0;
  for (let i = 0; i < 1100; i++) {
    g.send(pkt(VsockOp.VIRTIO_VSOCK_OP_REQUEST, 10_000 + i, 80));
    for (const p of g.rx.splice(0)) if (p.op === VsockOp.VIRTIO_VSOCK_OP_RST) refused++;
  }
  assert.equal(r.conns.length, 1024, 'connections handed to the host');
  assert.equal(refused, 1100 - 1024);
  assert.equal(dev.counters.badRequests, 1100 - 1024);
});
