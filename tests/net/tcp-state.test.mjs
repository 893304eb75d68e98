// The TCP state machine with scripted host sockets and manual timers (deterministic):
// retransmission on timeout and after three duplicate ACKs, the guest's window respected,
// zero-window probes, flow control towards the host, RST handling, DNS relay settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserNet } from '../../dist/devices/net-user/user-net.js';
import * as G from './guest-frames.mjs';

const { GUEST_IP, GW_IP, SYN, ACK, FIN, RST, PSH } = G;

class ScriptedSockets {
  constructor() { this.timers = []; this.sockets = []; }
  connectTcp(host, port, ev) {
    const s = { host, port, ev, written: [], ended: false, destroyed: false, paused: false, buffered: 0,
      write(d) { this.written.push(Buffer.from(d)); this.buffered += d.length; }, bufferedBytes() { return this.buffered; },
      end() { this.ended = true; }, destroy() { this.destroyed = true; }, pause() { this.paused = true; }, resume() { this.paused = false; } };
    this.sockets.push(s);
    return s;
  }
  listenTcp() { return { close() {} }; }
  openUdp() { return { send() {}, close() {} }; }
  setTimer(ms, cb) { const t = { ms, cb, cancelled: false, cancel() { this.cancelled = true; } }; this.timers.push(t); return t; }
  fire() { const ts = this.timers.filter((t) => !t.cancelled); this.timers = []; for (const t of ts) t.cb(); return ts.length; }
}

function setup() {
  const sk = new ScriptedSockets();
  const n = new UserNet(sk, { hostForwards: [] });
  const frames = [];
  n.onReceive((f) => frames.push(G.parse(f.slice())));
  n.send(G.arpRequest(GW_IP));
  frames.length = 0;
  return { sk, n, frames };
}

/** Opens a connection guest:5000 → 10.0.2.2:80 with the given guest window. */
function open(sk, n, frames, window = 65535) {
  frames.length = 0;
  n.send(G.tcp(GUEST_IP, 5000, GW_IP, 80, 100, 0, SYN, undefined, { mss: 1000, window }));
  assert.equal(frames.length, 0, 'no SYN-ACK before the host connects');
  const sock = sk.sockets.at(-1);
  assert.equal(sock.host, '127.0.0.1');
  assert.equal(sock.port, 80);
  sock.ev.onConnect();
  const synAck = frames.shift().tcp;
  assert.equal(synAck.flags, SYN | ACK);
  assert.equal(synAck.ack, 101);
  const iss = synAck.seq;
  n.send(G.tcp(GUEST_IP, 5000, GW_IP, 80, 101, iss + 1, ACK, undefined, { window }));
  return { sock, iss };
}

test('data to the guest: MSS-sized segments within the window, retransmitted on timeout', () => {
  const { sk, n, frames } = setup();
  const { sock, iss } = open(sk, n, frames, 2500);
  sock.ev.onData(new Uint8Array(4000).fill(9));
  // MSS 1000 from the guest's SYN, window 2500: 1000 + 1000 + 500.
  assert.deepEqual(frames.map((f) => f.tcp.data.length), [1000, 1000, 500]);
  assert.equal(frames[0].tcp.seq, iss + 1);
  frames.length = 0;
  // The guest acks the first segment only (the others were "lost"); window 2500 again.
  n.send(G.tcp(GUEST_IP, 5000, GW_IP, 80, 101, iss + 1001, ACK, undefined, { window: 2500 }));
  assert.deepEqual(frames.map((f) => f.tcp.data.length), [1000]); // 1000 more fits the window
  frames.length = 0;
  assert.ok(sk.fire() >= 1);
  // Timeout: everything in flight again from snd.una.
  assert.deepEqual(frames.map((f) => [f.tcp.seq - iss - 1, f.tcp.data.length]), [[1000, 1000], [2000, 1000], [3000, 500]]);
  n.close();
});

test('three duplicate ACKs retransmit the first unacknowledged segment', () => {
  const { sk, n, frames } = setup();
  const { sock, iss } = open(sk, n, frames, 65535);
  sock.ev.onData(new Uint8Array(5000).fill(1));
  assert.equal(frames.length, 5);
  frames.length = 0;
  // One ACK that advances, then three duplicates of it.
  for (let i = 0; i < 4; i++) n.send(G.tcp(GUEST_IP, 5000, GW_IP, 80, 101, iss + 2001, ACK));
  assert.equal(frames.length, 1);
  assert.equal(frames[0].tcp.seq, iss + 2001);
  assert.equal(frames[0].tcp.data.length, 1000);
  n.close();
});

test('zero window: nothing sent, then a one-byte probe on the timer; flow control pauses the host', () => {
  const { sk, n, frames } = setup();
  const { sock, iss } = open(sk, n, frames, 0);
  sock.ev.onData(new Uint8Array(300 * 1024).fill(2));
  assert.equal(frames.length, 0);
  assert.equal(sock.paused, true, 'more than the send buffer holds: host socket paused');
  sk.fire();
  assert.equal(frames.length, 1);
  assert.equal(frames[0].tcp.data.length, 1);
  assert.equal(frames[0].tcp.seq, iss + 1);
  frames.length = 0;
  // The guest opens its window and acks the probe byte: sending resumes, the host resumes once drained.
  n.send(G.tcp(GUEST_IP, 5000, GW_IP, 80, 101, iss + 2, ACK, undefined, { window: 60000 }));
  assert.equal(frames.reduce((a, f) => a + f.tcp.data.length, 0), 60000 - 0);
  n.close();
});

test('data from the guest goes to the host; the window shrinks with what the host has not taken', () => {
  const { sk, n, frames } = setup();
  const { sock, iss } = open(sk, n, frames);
  sock.buffered = 65000;
  n.send(G.tcp(GUEST_IP, 5000, GW_IP, 80, 101, iss + 1, ACK | PSH, new Uint8Array(1000).fill(5)));
  // Only 535 bytes fit what the host socket can take.
  assert.equal(Buffer.concat(sock.written).length, 535);
  const a = frames.at(-1).tcp;
  assert.equal(a.ack, 101 + 535);
  assert.equal(a.window, 0);
  // Out of order data: a duplicate ACK, nothing written.
  sock.buffered = 0;
  n.send(G.tcp(GUEST_IP, 5000, GW_IP, 80, 2000, iss + 1, ACK, new Uint8Array(10)));
  assert.equal(frames.at(-1).tcp.ack, 101 + 535);
  assert.equal(Buffer.concat(sock.written).length, 535);
  // Retransmitted overlap: only the new part is taken.
  n.send(G.tcp(GUEST_IP, 5000, GW_IP, 80, 101, iss + 1, ACK, new Uint8Array(1000).fill(5)));
  assert.equal(Buffer.concat(sock.written).length, 1000);
  n.close();
});

test('FIN both ways, then the connection leaves the table; RST from the guest destroys the host socket', () => {
  const { sk, n, frames } = setup();
  const { sock, iss } = open(sk, n, frames);
  n.send(G.tcp(GUEST_IP, 5000, GW_IP, 80, 101, iss + 1, FIN | ACK));
  assert.equal(sock.ended, true);
  assert.equal(frames.at(-1).tcp.ack, 102);
  sock.ev.onData(new Uint8Array(10));
  sock.ev.onEnd();
  const fin = frames.at(-1).tcp;
  assert.ok(fin.flags & FIN);
  assert.equal(fin.seq, iss + 11);
  n.send(G.tcp(GUEST_IP, 5000, GW_IP, 80, 102, iss + 12, ACK));
  assert.equal(n.tcpConnectionCount(), 0);
  assert.equal(sock.destroyed, false, 'graceful close: the host socket closes by itself');
  // A second connection reset by the guest.
  const c2 = open(sk, n, frames);
  n.send(G.tcp(GUEST_IP, 5000, GW_IP, 80, 101, 0, RST));
  assert.equal(c2.sock.destroyed, true);
  assert.equal(n.tcpConnectionCount(), 0);
  n.close();
});

test('a failed host connect answers the SYN with RST|ACK', () => {
  const { sk, n, frames } = setup();
  n.send(G.tcp(GUEST_IP, 5001, GW_IP, 81, 700, 0, SYN, undefined, { mss: 1460 }));
  sk.sockets.at(-1).ev.onClose(true);
  const r = frames.at(-1).tcp;
  assert.equal(r.flags, RST | ACK);
  assert.equal(r.ack, 701);
  assert.equal(n.tcpConnectionCount(), 0);
  n.close();
});

test('with dns=, DHCP offers 10.0.2.3 and ARP answers for it', () => {
  const n = new UserNet(new ScriptedSockets(), { hostForwards: [], dnsServer: '192.0.2.53' });
  const frames = [];
  n.onReceive((f) => frames.push(G.parse(f.slice())));
  n.send(G.dhcp(1));
  assert.deepEqual([...G.dhcpOptions(frames[0].udp.data).get(6)], [10, 0, 2, 3]);
  n.send(G.arpRequest(G.ip('10.0.2.3')));
  assert.equal(frames[1].arp.senderIp, G.ip('10.0.2.3'));
  n.close();
});
