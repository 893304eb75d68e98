#!/usr/bin/env node
// Benchmark (run on demand, not part of npm test): the paravirtual I/O paths without a CPU.
//   node tests/net/bench-io.mjs
// 1. host → guest TCP through the user-mode network: a host server streams N MiB to a fake
//    guest endpoint that acknowledges every segment (frames built/parsed in JS on both sides).
// 2. guest → host TCP: the fake guest sends N MiB in MSS segments within the advertised window.
// 3. 9p sequential read of a file through virtio-9p + mock driver, 128 KiB Tread messages.
import net from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserNet } from '../../dist/devices/net-user/user-net.js';
import { NodeHostSockets } from '../../dist/platform/node/net/node-host-sockets.js';
import { HostDirBackend } from '../../dist/platform/node/p9/host-dir-backend.js';
import * as G from './guest-frames.mjs';
import { P9Client, T } from '../p9/p9-helpers.mjs';

const MIB = 1 << 20;
const SIZE = 32 * MIB;

async function hostToGuest() {
  const chunk = Buffer.alloc(64 * 1024, 7);
  const server = net.createServer((s) => {
    let sent = 0;
    const pump = () => {
      while (sent < SIZE) {
        sent += chunk.length;
        if (!s.write(chunk)) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const n = new UserNet(new NodeHostSockets(), { hostForwards: [] });
  let ack = 0, seq = 1001, got = 0, fin = false;
  n.onReceive((f) => {
    // Minimal parse of the TCP header (no copies): ack what arrives in order.
    const v = new DataView(f.buffer, f.byteOffset, f.length);
    if (v.getUint16(12) !== 0x0800 || f[23] !== 6) return;
    const ihl = (f[14] & 15) * 4, l4 = 14 + ihl, total = v.getUint16(16);
    const flags = f[l4 + 13], s = v.getUint32(l4 + 4), off = (f[l4 + 12] >> 4) * 4;
    const len = 14 + total - l4 - off;
    if (flags & G.SYN) { ack = (s + 1) >>> 0; return; }
    if (len === 0 && !(flags & G.FIN)) return; // never acknowledge a pure ACK
    if (s === ack && len > 0) { ack = (ack + len) >>> 0; got += len; }
    if (flags & G.FIN && s + len === ack) { ack = (ack + 1) >>> 0; fin = true; }
    queueMicrotask(() => n.send(G.tcp(G.GUEST_IP, 40000, G.GW_IP, port, seq, ack, G.ACK)));
  });
  n.send(G.arpRequest(G.GW_IP));
  const t0 = process.hrtime.bigint();
  n.send(G.tcp(G.GUEST_IP, 40000, G.GW_IP, port, 1000, 0, G.SYN, undefined, { mss: 1460 }));
  await G.until(() => ack !== 0, 5000, 'SYN-ACK');
  n.send(G.tcp(G.GUEST_IP, 40000, G.GW_IP, port, seq, ack, G.ACK));
  await G.until(() => fin, 120000, 'all data');
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  n.close();
  server.close();
  return { what: 'TCP host → guest (user net)', mib: got / MIB, s };
}

async function guestToHost() {
  let received = 0;
  const server = net.createServer((s) => s.on('data', (d) => { received += d.length; }));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const n = new UserNet(new NodeHostSockets(), { hostForwards: [] });
  let una = 0, wnd = 0, synAck = false, ack = 0;
  n.onReceive((f) => {
    const v = new DataView(f.buffer, f.byteOffset, f.length);
    if (v.getUint16(12) !== 0x0800 || f[23] !== 6) return;
    const l4 = 14 + (f[14] & 15) * 4;
    const flags = f[l4 + 13];
    if (flags & G.SYN) { synAck = true; ack = (v.getUint32(l4 + 4) + 1) >>> 0; }
    una = v.getUint32(l4 + 8);
    wnd = v.getUint16(l4 + 14);
  });
  n.send(G.arpRequest(G.GW_IP));
  const t0 = process.hrtime.bigint();
  n.send(G.tcp(G.GUEST_IP, 40001, G.GW_IP, port, 1000, 0, G.SYN, undefined, { mss: 1460 }));
  await G.until(() => synAck, 5000, 'SYN-ACK');
  let seq = 1001;
  n.send(G.tcp(G.GUEST_IP, 40001, G.GW_IP, port, seq, ack, G.ACK));
  const payload = new Uint8Array(1460).fill(3);
  const start = seq;
  while (seq - start < SIZE) {
    const inFlight = (seq - una) >>> 0;
    if (inFlight + 1460 > wnd) { await new Promise((r) => setImmediate(r)); continue; }
    n.send(G.tcp(G.GUEST_IP, 40001, G.GW_IP, port, seq, ack, G.ACK, payload));
    seq += 1460;
  }
  await G.until(() => received >= seq - start, 60000, 'host received all');
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  n.close();
  server.close();
  return { what: 'TCP guest → host (user net)', mib: received / MIB, s };
}

async function p9Read() {
  const dir = mkdtempSync(join(tmpdir(), 'banquise-bench-'));
  writeFileSync(join(dir, 'big'), Buffer.alloc(SIZE, 1));
  const c = new P9Client(new HostDirBackend({ root: dir, readOnly: true }), { msize: 128 * 1024 + 11, ramBytes: 128 << 20 });
  await c.attach(0);
  await c.ok(T.Twalk, [['u32', 0], ['u32', 1], ['u16', 1], ['s', 'big']]);
  await c.ok(T.Tlopen, [['u32', 1], ['u32', 0]]);
  const t0 = process.hrtime.bigint();
  let off = 0;
  for (;;) {
    const r = await c.ok(T.Tread, [['u32', 1], ['u64', off], ['u32', 128 * 1024]], 128 * 1024 + 11);
    const n = r.u32();
    if (n === 0) break;
    off += n;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  rmSync(dir, { recursive: true, force: true });
  return { what: '9p read, 128 KiB Tread (virtio-9p + mock driver)', mib: off / MIB, s };
}

const rows = [await hostToGuest(), await guestToHost(), await p9Read()];
console.log('| path | MiB | seconds | MiB/s |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.what} | ${r.mib.toFixed(1)} | ${r.s.toFixed(2)} | ${(r.mib / r.s).toFixed(1)} |`);
