import { test } from 'node:test';
import assert from 'node:assert/strict';
import { layoutFits, pseudoHeaderSeed, segmentPacket, type SegmentLayout } from './segment.js';

/** RFC 1071 written out again, independently of inet-sum.ts. */
function onesSum(b: Uint8Array, start: number, end: number, init: number): number {
  let s = init;
  for (let i = start; i < end; i += 2) s += (b[i]! << 8) | (i + 1 < end ? b[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** Ethernet + IPv4 + UDP, 5000 bytes of data, the UDP checksum field seeded as the 8254x wants. */
function udpPacket(): Uint8Array {
  const p = new Uint8Array(14 + 20 + 8 + 5000);
  p[12] = 0x08; p[14] = 0x45; p[14 + 9] = 17; p[14 + 4] = 0x12; p[14 + 5] = 0x34;
  p.set([10, 0, 2, 15, 10, 0, 2, 2], 14 + 12);
  for (let i = 42; i < p.length; i++) p[i] = (i * 7) & 255;
  const seed = pseudoHeaderSeed(p, 14, true, 17);
  p[40] = seed >>> 8; p[41] = seed & 255;
  return p;
}

const UDP_LAYOUT: SegmentLayout = { l3: 14, l4: 34, hdrLen: 42, mss: 1472, ipv4: true, tcp: false, ipCsumAt: 24, l4CsumAt: 40, clearCwr: false };

test('UDP segmentation (8254x): each segment a datagram with its own length and valid checksums', () => {
  const p = udpPacket();
  const out = new Uint8Array(p.length);
  const segs: Uint8Array[] = [];
  assert.ok(segmentPacket(p, p.length, UDP_LAYOUT, out, (f) => segs.push(f.slice())));
  assert.equal(segs.length, 4); // 1472 * 3 + 584
  let data = 0;
  segs.forEach((s, i) => {
    const udpLen = (s[38]! << 8) | s[39]!;
    assert.equal(udpLen, s.length - 34);
    assert.equal((s[16]! << 8) | s[17]!, s.length - 14);
    assert.equal((s[18]! << 8) | s[19]!, 0x1234 + i);
    assert.equal(onesSum(s, 14, 34, 0), 0xffff, 'IPv4 header checksum');
    const pseudo = 0x0a00 + 0x020f + 0x0a00 + 0x0202 + 17 + udpLen;
    assert.equal(onesSum(s, 34, s.length, pseudo), 0xffff, 'UDP checksum');
    assert.deepEqual(s.subarray(42), p.subarray(42 + data, 42 + data + s.length - 42));
    data += s.length - 42;
  });
  assert.equal(data, 5000);
});

test('layouts that do not fit the packet send nothing', () => {
  const p = udpPacket();
  const out = new Uint8Array(p.length);
  const bad: Partial<SegmentLayout>[] = [
    { l3: 0 }, { l4: 14 }, { hdrLen: 30 }, { hdrLen: p.length }, { mss: 0 }, { ipCsumAt: 41 }, { l4CsumAt: 4000 },
    { ipv4: false, hdrLen: 50 }, { tcp: true }, // an IPv6 header or a TCP header would not fit in the header
  ];
  for (const b of bad) {
    const c = { ...UDP_LAYOUT, ...b };
    let sent = 0;
    assert.equal(layoutFits(c, p.length), false, JSON.stringify(b));
    assert.equal(segmentPacket(p, p.length, c, out, () => sent++), false);
    assert.equal(sent, 0);
  }
  assert.equal(segmentPacket(p, p.length, UDP_LAYOUT, new Uint8Array(100), () => {}), false, 'output buffer too small');
});
