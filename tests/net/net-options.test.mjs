// --net parsing and slot building.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNetOption, buildNetSlots } from '../../dist/platform/node/net-options.js';
import { GuestMemory } from '../../dist/memory/guest-memory.js';

test('--net user with forwards, dns and mac', () => {
  const c = parseNetOption('user,hostfwd=tcp::2222-:22,hostfwd=tcp:127.0.0.1:8080-10.0.2.15:80,dns=192.168.1.1,mac=52:54:00:aa:bb:cc');
  assert.equal(c.kind, 'user');
  assert.deepEqual(c.user.hostForwards, [
    { protocol: 'tcp', hostAddr: '', hostPort: 2222, guestPort: 22 },
    { protocol: 'tcp', hostAddr: '127.0.0.1', hostPort: 8080, guestPort: 80 },
  ]);
  assert.equal(c.user.dnsServer, '192.168.1.1');
  assert.deepEqual([...c.mac], [0x52, 0x54, 0, 0xaa, 0xbb, 0xcc]);
  assert.deepEqual(parseNetOption('user').user.hostForwards, []);
});

test('--net socket listen / connect', () => {
  assert.deepEqual(parseNetOption('socket,listen=:1234').socket, { mode: 'listen', host: '127.0.0.1', port: 1234 });
  assert.deepEqual(parseNetOption('socket,connect=10.1.2.3:99').socket, { mode: 'connect', host: '10.1.2.3', port: 99 });
});

test('bad --net values are BanquiseErrors naming the option', () => {
  for (const bad of [
    '', 'tap', 'user,hostfwd=tcp::70000-:22', 'user,hostfwd=udp::53-:53', 'user,hostfwd=tcp::22', 'user,bogus=1',
    'user,hostfwd=tcp::1-:0', 'user,dns=example', 'user,mac=01:00:00:00:00:00', 'user,mac=zz', 'socket',
    'socket,listen=1234', 'socket,connect=:0', 'socket,listen=:1,connect=:2', 'user,hostfwd=tcp::80-:1,hostfwd=tcp::80-:2',
    'user,hostfwd=tcp::80-10.0.2.16:1',
  ]) {
    assert.throws(() => parseNetOption(bad), (e) => e.name === 'BanquiseError' && e.message.startsWith('--net') && !e.message.includes('\n') && e.exitCode === 64, bad);
  }
});

test('buildNetSlots gives one virtio-mmio net device per option', () => {
  const slots = buildNetSlots([parseNetOption('user')]);
  assert.equal(slots.length, 1);
  const mem = new GuestMemory({ ramBaseGpa: 0x80000000, ramSizeBytes: 1 << 20, stateSizeBytes: 0 });
  const dev = slots[0](mem, { set() {} });
  assert.equal(dev.read(0, 4), 0x74726976);
  assert.equal(dev.read(8, 4), 1); // DeviceID: net
  assert.equal(dev.read(0x100, 1), 0x52); // MAC
});

test('a hostfwd whose host port is taken is an error naming the port before the guest starts', async () => {
  const { createServer } = await import('node:net');
  const busy = createServer();
  await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = busy.address().port;
  try {
    const starting = [];
    buildNetSlots([parseNetOption(`user,hostfwd=tcp::${port}-:22`)], { starting });
    assert.equal(starting.length, 1);
    await assert.rejects(Promise.all(starting), (e) => e.name === 'BanquiseError' && e.exitCode === 75 && e.message.includes(`host port ${port}`) && /already in use/.test(e.message));
  } finally {
    await new Promise((resolve) => busy.close(resolve));
  }
  const free = [];
  buildNetSlots([parseNetOption(`user,hostfwd=tcp::${port}-:22`)], { starting: free });
  await Promise.all(free); // the same port, now free, binds
});

test('guests on --net socket get distinct MACs unless mac= is given', () => {
  const mem = new GuestMemory({ ramBaseGpa: 0x80000000, ramSizeBytes: 1 << 20, stateSizeBytes: 0 });
  const macOf = (spec) => {
    const dev = buildNetSlots([parseNetOption(spec)])[0](mem, { set() {} });
    return Array.from({ length: 6 }, (_, i) => dev.read(0x100 + i, 1));
  };
  const macs = new Set();
  for (let i = 0; i < 8; i++) {
    const mac = macOf('socket,listen=:0');
    assert.deepEqual(mac.slice(0, 3), [0x52, 0x54, 0x00]);
    macs.add(mac.join(':'));
  }
  assert.ok(macs.size >= 7, `8 guests, ${macs.size} distinct MACs`);
  assert.deepEqual(macOf('socket,listen=:0,mac=52:54:00:01:02:03'), [0x52, 0x54, 0, 1, 2, 3]);
  assert.deepEqual(macOf('user'), [0x52, 0x54, 0, 0x12, 0x34, 0x56], 'user keeps QEMU\'s default');
});
