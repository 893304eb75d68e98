import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EthernetSwitch } from './ethernet-switch.js';

const BCAST = [255, 255, 255, 255, 255, 255];
const mac = (n: number): number[] => [0x52, 0x54, 0, 0, 0, n];
const frame = (dst: number[], src: number[], tag = 0): Uint8Array => Uint8Array.from([...dst, ...src, 0x08, 0x00, tag]);

function setup(n: number, size?: number): { sw: EthernetSwitch; got: number[][]; ports: ReturnType<EthernetSwitch['attach']>[] } {
  const sw = new EthernetSwitch('br0', size);
  const got: number[][] = [];
  const ports = [];
  for (let i = 0; i < n; i++) {
    got.push([]);
    ports.push(sw.attach(`p${i}`, (f) => got[i]!.push(f[14]!)));
  }
  return { sw, got, ports };
}

test('broadcast floods to every port but the sender', () => {
  const { sw, got, ports } = setup(3);
  ports[0]!.input(frame(BCAST, mac(1), 7));
  assert.deepEqual(got, [[], [7], [7]]);
  assert.equal(sw.stats.flooded, 1);
});

test('unknown unicast floods, then the learned destination gets it alone', () => {
  const { sw, got, ports } = setup(3);
  ports[0]!.input(frame(mac(2), mac(1), 1)); // 2 unknown: flood
  ports[1]!.input(frame(mac(1), mac(2), 2)); // 1 learned on p0
  ports[0]!.input(frame(mac(2), mac(1), 3)); // 2 learned on p1
  assert.deepEqual(got, [[2], [1, 3], [1]]);
  assert.equal(sw.stats.forwarded, 2);
  assert.deepEqual(sw.macTable().map((e) => e.mac).sort(), ['52:54:00:00:00:01', '52:54:00:00:00:02']);
});

test('a frame for a MAC behind its own port is filtered, never looped back', () => {
  const { sw, got, ports } = setup(2);
  ports[0]!.input(frame(BCAST, mac(1)));
  ports[0]!.input(frame(BCAST, mac(3)));
  ports[0]!.input(frame(mac(3), mac(1), 9));
  assert.deepEqual(got[0], []);
  assert.equal(sw.stats.filtered, 1);
});

test('the MAC table is bounded: the oldest entry goes, counted', () => {
  const { sw, ports } = setup(2, 2);
  for (let i = 1; i <= 3; i++) ports[0]!.input(frame(BCAST, mac(i)));
  assert.equal(sw.macTable().length, 2);
  assert.equal(sw.stats.tableEvictions, 1);
  assert.ok(!sw.macTable().some((e) => e.mac === '52:54:00:00:00:01'));
});

test('malformed frames and multicast sources are dropped and counted', () => {
  const { sw, got, ports } = setup(2);
  ports[0]!.input(new Uint8Array(10));
  ports[0]!.input(frame(BCAST, [1, 0, 0, 0, 0, 1]));
  assert.deepEqual(got, [[], []]);
  assert.equal(sw.stats.malformed, 2);
});

test('a detached port gets nothing and its MACs are forgotten', () => {
  const { sw, got, ports } = setup(2);
  ports[1]!.input(frame(BCAST, mac(2)));
  ports[1]!.detach();
  ports[0]!.input(frame(mac(2), mac(1), 5));
  assert.deepEqual(got[1], []);
  assert.ok(!sw.macTable().some((e) => e.port === ports[1]!.id));
});
