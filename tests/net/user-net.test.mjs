// The user-mode network, frame by frame: ARP, DHCP, ping, malformed frames, TCP to a real HTTP
// server on 127.0.0.1, a refused connection, UDP relay, and a host port forwarded to a fake
// guest TCP endpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { UserNet } from '../../dist/devices/net-user/user-net.js';
import { NodeHostSockets } from '../../dist/platform/node/net/node-host-sockets.js';
import * as G from './guest-frames.mjs';

const { GUEST_IP, GW_IP, SYN, ACK, FIN, RST, PSH } = G;

function makeNet(config = { hostForwards: [] }) {
  const n = new UserNet(new NodeHostSockets(), config);
  const frames = [];
  n.onReceive((f) => frames.push(G.parse(f.slice())));
  return { n, frames };
}

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

test('ARP: the gateway answers, other addresses do not', () => {
  const { n, frames } = makeNet();
  n.send(G.arpRequest(GW_IP));
  assert.equal(frames.length, 1);
  const a = frames[0];
  assert.equal(a.type, 0x0806);
  assert.equal(a.arp.op, 2);
  assert.deepEqual([...a.arp.senderMac], [...G.GW_MAC]);
  assert.equal(a.arp.senderIp, GW_IP);
  assert.equal(a.arp.targetIp, GUEST_IP);
  assert.deepEqual([...a.dst], [...G.GUEST_MAC]);
  n.send(G.arpRequest(G.ip('10.0.2.77')));
  assert.equal(frames.length, 1);
  assert.equal(n.stats.arpReplies, 1);
  n.close();
});

test('DHCP: DISCOVER/OFFER, REQUEST/ACK with router, mask, lease; wrong address NAK', () => {
  const { n, frames } = makeNet();
  n.send(G.dhcp(1));
  assert.equal(frames.length, 1);
  const offer = frames[0];
  assert.ok(offer.ipChecksumOk && offer.l4ChecksumOk);
  assert.equal(offer.udp.sport, 67);
  assert.equal(offer.udp.dport, 68);
  const p = offer.udp.data;
  const dv = new DataView(p.buffer, p.byteOffset, p.length);
  assert.equal(p[0], 2);
  assert.equal(dv.getUint32(4), 0x12345678);
  assert.equal(dv.getUint32(16), GUEST_IP);
  let o = G.dhcpOptions(p);
  assert.deepEqual([...o.get(53)], [2]);
  assert.deepEqual([...o.get(1)], [255, 255, 255, 0]);
  assert.deepEqual([...o.get(3)], [10, 0, 2, 2]);
  assert.deepEqual([...o.get(54)], [10, 0, 2, 2]);
  assert.equal(new DataView(o.get(51).buffer).getUint32(0), 86400);
  n.send(G.dhcp(3, { requested: GUEST_IP, serverId: GW_IP }));
  o = G.dhcpOptions(frames[1].udp.data);
  assert.deepEqual([...o.get(53)], [5]);
  n.send(G.dhcp(3, { requested: G.ip('10.0.2.99') }));
  o = G.dhcpOptions(frames[2].udp.data);
  assert.deepEqual([...o.get(53)], [6]);
  // A REQUEST for another server gets no answer.
  n.send(G.dhcp(3, { requested: GUEST_IP, serverId: G.ip('10.0.2.9') }));
  assert.equal(frames.length, 3);
  n.close();
});

test('DHCP: each client MAC gets its own address (a bridge uplink serves several domains)', () => {
  const { n, frames } = makeNet();
  const other = Uint8Array.of(0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc);
  const yiaddr = (f) => new DataView(f.udp.data.buffer, f.udp.data.byteOffset).getUint32(16);
  n.send(G.dhcp(1));
  n.send(G.dhcp(1, { chaddr: other }));
  n.send(G.dhcp(1));
  assert.deepEqual(frames.map(yiaddr), [GUEST_IP, G.ip('10.0.2.16'), GUEST_IP]);
  n.send(G.dhcp(3, { requested: GUEST_IP, chaddr: other })); // another client's address: NAK
  assert.deepEqual([...G.dhcpOptions(frames[3].udp.data).get(53)], [6]);
  n.send(G.dhcp(3, { requested: G.ip('10.0.2.16'), chaddr: other }));
  assert.deepEqual([...G.dhcpOptions(frames[4].udp.data).get(53)], [5]);
  n.close();
});

test('ICMP echo to the gateway is answered with the same payload', () => {
  const { n, frames } = makeNet();
  const data = new Uint8Array(56).map((_, i) => i);
  n.send(G.icmpEcho(GW_IP, 0x4242, 7, data));
  assert.equal(frames.length, 1);
  const r = frames[0];
  assert.ok(r.ipChecksumOk && r.l4ChecksumOk);
  assert.equal(r.srcIp, GW_IP);
  assert.equal(r.dstIp, GUEST_IP);
  assert.equal(r.icmp.type, 0);
  assert.equal(r.icmp.id, 0x4242);
  assert.equal(r.icmp.seq, 7);
  assert.deepEqual([...r.icmp.data], [...data]);
  n.close();
});

test('malformed frames are dropped and counted', () => {
  const { n, frames } = makeNet();
  const good = G.icmpEcho(GW_IP, 1, 1, new Uint8Array(8));
  const cases = [];
  cases.push(new Uint8Array(10)); // shorter than an Ethernet header
  cases.push(good.slice(0, 30)); // truncated IPv4 header
  let f = good.slice(); f[24] ^= 0xff; cases.push(f); // IP header checksum
  f = good.slice(); f[14] = 0x44; cases.push(f); // IHL 4
  f = good.slice(); f[16] = 0x7f; cases.push(f); // total length beyond frame
  f = good.slice(); f[14] = 0x65; cases.push(f); // version 6 in an IPv4 ethertype
  f = good.slice(); f[40] ^= 1; cases.push(f); // ICMP checksum
  f = G.tcp(GUEST_IP, 1000, GW_IP, 80, 1, 0, SYN); f[f.length - 1] ^= 0x55; f[50] ^= 0x12; cases.push(f); // TCP checksum
  f = G.tcp(GUEST_IP, 1000, GW_IP, 80, 1, 0, SYN); f[46] = 0x30; cases.push(f); // data offset 12 bytes
  f = G.udp(GUEST_IP, 5, GW_IP, 6, new Uint8Array(4)); f[38] = 0; f[39] = 200; cases.push(f); // UDP length
  f = G.arpRequest(GW_IP).slice(0, 30); cases.push(f);
  const before = n.stats.malformed;
  for (const c of cases) n.send(c);
  assert.equal(frames.length, 0);
  assert.equal(n.stats.malformed - before, cases.length);
  n.close();
});

/** A guest-side TCP endpoint driving the stack by hand. */
class GuestTcp {
  constructor(n, frames, sport, dst, dport) {
    Object.assign(this, { n, frames, sport, dst, dport, seq: 1000, ack: 0, received: [], fin: false, rst: false, seen: 0 });
  }
  mine(fr) { return fr.tcp && fr.tcp.dport === this.sport && fr.srcIp === this.dst && fr.tcp.sport === this.dport; }
  /** Consumes new frames: records data in order, acks it. */
  pump() {
    while (this.seen < this.frames.length) {
      const fr = this.frames[this.seen++];
      if (!this.mine(fr)) continue;
      assert.ok(fr.ipChecksumOk && fr.l4ChecksumOk, 'checksums of frames to the guest');
      const t = fr.tcp;
      if (t.flags & RST) { this.rst = true; continue; }
      if (t.flags & SYN) { this.synAck = t; this.ack = (t.seq + 1) >>> 0; continue; }
      if (t.data.length > 0 && t.seq === this.ack) {
        this.received.push(t.data);
        this.ack = (this.ack + t.data.length) >>> 0;
      }
      if ((t.flags & FIN) && ((t.seq + t.data.length) >>> 0) === this.ack) { this.fin = true; this.ack = (this.ack + 1) >>> 0; }
      if (t.data.length > 0 || (t.flags & FIN)) this.sendFlags(ACK);
    }
  }
  sendFlags(flags, data, opts) {
    this.n.send(G.tcp(GUEST_IP, this.sport, this.dst, this.dport, this.seq, this.ack, flags, data, opts));
    if (data) this.seq = (this.seq + data.length) >>> 0;
  }
  async connect() {
    this.n.send(G.tcp(GUEST_IP, this.sport, this.dst, this.dport, this.seq, 0, SYN, undefined, { mss: 1460 }));
    this.seq++;
    await G.until(() => { this.pump(); return this.synAck !== undefined || this.rst; }, 5000, 'SYN-ACK');
    if (this.rst) return false;
    assert.equal(this.synAck.ack, this.seq);
    assert.equal(this.synAck.mss, 1460);
    this.sendFlags(ACK);
    return true;
  }
  text() { return Buffer.concat(this.received).toString('latin1'); }
}

test('TCP from the guest to a real HTTP server on 127.0.0.1 through 10.0.2.2', async () => {
  const body = 'x'.repeat(20000) + 'END';
  const server = http.createServer((req, res) => { res.setHeader('Connection', 'close'); res.end(`${req.url}:${body}`); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const { n, frames } = makeNet();
  n.send(G.arpRequest(GW_IP)); // the stack learns the guest's MAC
  try {
    const c = new GuestTcp(n, frames, 40000, GW_IP, port);
    assert.ok(await c.connect());
    c.sendFlags(ACK | PSH, new TextEncoder().encode(`GET /hello HTTP/1.1\r\nHost: x\r\n\r\n`));
    await G.until(() => { c.pump(); return c.fin; }, 5000, 'response and FIN');
    const text = c.text();
    assert.match(text, /^HTTP\/1.1 200 OK/);
    assert.ok(text.endsWith(`/hello:${body}`));
    // Every data segment respected the MSS.
    for (const fr of frames) if (fr.tcp) assert.ok(fr.tcp.data.length <= 1460);
    // Close our side; the connection leaves the table.
    c.sendFlags(FIN | ACK);
    c.seq++;
    await G.until(() => { c.pump(); return n.tcpConnectionCount() === 0; }, 5000, 'connection closed');
  } finally {
    n.close();
    server.close();
  }
});

test('TCP to a closed port is refused with RST; stray segments get RST', async () => {
  const port = await freePort();
  const { n, frames } = makeNet();
  n.send(G.arpRequest(GW_IP));
  const c = new GuestTcp(n, frames, 40001, GW_IP, port);
  assert.equal(await c.connect(), false);
  assert.equal(n.tcpConnectionCount(), 0);
  const before = frames.length;
  n.send(G.tcp(GUEST_IP, 40002, GW_IP, 9, 5, 77, ACK));
  const r = frames[before];
  assert.ok(r.tcp.flags & RST);
  assert.equal(r.tcp.seq, 77);
  n.close();
});

test('UDP relay to a host socket and back, seen as from 10.0.2.2', async () => {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (m, rinfo) => sock.send(Buffer.concat([Buffer.from('echo:'), m]), rinfo.port, rinfo.address));
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  const { n, frames } = makeNet();
  n.send(G.arpRequest(GW_IP));
  try {
    n.send(G.udp(GUEST_IP, 5353, GW_IP, port, new TextEncoder().encode('ping')));
    await G.until(() => frames.some((f) => f.udp), 5000, 'UDP reply');
    const r = frames.find((f) => f.udp);
    assert.ok(r.ipChecksumOk && r.l4ChecksumOk);
    assert.equal(r.srcIp, GW_IP);
    assert.equal(r.udp.sport, port);
    assert.equal(r.udp.dport, 5353);
    assert.equal(new TextDecoder().decode(r.udp.data), 'echo:ping');
  } finally {
    n.close();
    sock.close();
  }
});

test('host port forward: a host connection becomes a TCP connection to the guest', async () => {
  const hostPort = await freePort();
  const { n, frames } = makeNet({ hostForwards: [{ protocol: 'tcp', hostAddr: '127.0.0.1', hostPort, guestPort: 22 }] });
  n.send(G.arpRequest(GW_IP));
  await new Promise((r) => setTimeout(r, 50)); // listener up
  const client = net.connect(hostPort, '127.0.0.1');
  const got = [];
  let ended = false;
  client.on('data', (d) => got.push(d));
  client.on('end', () => { ended = true; client.end(); });
  try {
    await G.until(() => frames.some((f) => f.tcp && f.tcp.flags & SYN), 5000, 'SYN to the guest');
    const syn = frames.find((f) => f.tcp && f.tcp.flags & SYN).tcp;
    assert.equal(syn.dport, 22);
    assert.equal(syn.mss, 1460);
    const g = new GuestTcp(n, frames, 22, GW_IP, syn.sport);
    g.seen = frames.length;
    g.ack = (syn.seq + 1) >>> 0;
    g.seq = 5000;
    g.sendFlags(SYN | ACK, undefined, { mss: 1400 });
    g.seq++;
    // The host writes; the guest receives. The guest answers; the host reads.
    client.write('hello guest');
    await G.until(() => { g.pump(); return g.text() === 'hello guest'; }, 5000, 'data to the guest');
    g.sendFlags(ACK | PSH, new TextEncoder().encode('hello host'));
    await G.until(() => Buffer.concat(got).toString() === 'hello host', 5000, 'data to the host');
    // The guest closes: the host sees end-of-stream, closes too, the guest sees FIN.
    g.sendFlags(FIN | ACK);
    g.seq++;
    await G.until(() => ended, 5000, 'host end');
    await G.until(() => { g.pump(); return g.fin; }, 5000, 'FIN to the guest');
    await G.until(() => n.tcpConnectionCount() === 0, 5000, 'connection gone');
  } finally {
    client.destroy();
    n.close();
  }
});

test('host port forward to a second guest address: ARP finds its MAC, then the SYN goes to it', async () => {
  const hostPort = await freePort();
  const second = G.ip('10.0.2.16');
  const secondMac = Uint8Array.of(0x52, 0x54, 0x00, 0x00, 0x00, 0x16);
  const { n, frames } = makeNet({ hostForwards: [{ protocol: 'tcp', hostAddr: '127.0.0.1', hostPort, guestAddr: '10.0.2.16', guestPort: 80 }] });
  n.send(G.arpRequest(GW_IP)); // the first guest (10.0.2.15) is known; the second is not
  await new Promise((r) => setTimeout(r, 50));
  const client = net.connect(hostPort, '127.0.0.1');
  client.on('error', () => {});
  try {
    await G.until(() => frames.some((f) => f.arp && f.arp.op === 1), 5000, 'an ARP request for 10.0.2.16');
    const who = frames.find((f) => f.arp && f.arp.op === 1);
    assert.deepEqual([...who.dst], [...G.BCAST]);
    assert.equal(who.arp.targetIp, second);
    assert.equal(who.arp.senderIp, GW_IP);
    assert.ok(!frames.some((f) => f.tcp), 'no segment before the MAC is known');
    assert.equal(n.stats.arpRequests >= 1, true);
    const reply = new Uint8Array(28);
    const v = new DataView(reply.buffer);
    v.setUint16(0, 1); v.setUint16(2, 0x0800); reply[4] = 6; reply[5] = 4; v.setUint16(6, 2);
    reply.set(secondMac, 8); v.setUint32(14, second); reply.set(G.GW_MAC, 18); v.setUint32(24, GW_IP);
    n.send(G.eth(G.GW_MAC, 0x0806, reply, secondMac));
    await G.until(() => frames.some((f) => f.tcp && f.tcp.flags & SYN), 10_000, 'SYN to the second guest');
    const syn = frames.find((f) => f.tcp && f.tcp.flags & SYN);
    assert.deepEqual([...syn.dst], [...secondMac]);
    assert.equal(syn.dstIp, second);
    assert.equal(syn.tcp.dport, 80);
  } finally {
    client.destroy();
    n.close();
  }
});
