// --net parsing and slot building.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNetOption, nicConfigOf } from '../../dist/platform/node/net-options.js';
import { openNodeBackends } from '../../dist/platform/node/node-host-backends.js';
import { buildMachine, validateMachineConfig } from '../../dist/machine/index.js';
import { fakeLinuxImage } from '../support/fake-image.mjs';

test('--net user with forwards, dns and mac', () => {
  const c = parseNetOption('user,hostfwd=tcp::2222-:22,hostfwd=tcp:127.0.0.1:8080-10.0.2.15:80,dns=192.168.1.1,mac=52:54:00:aa:bb:cc');
  assert.equal(c.kind, 'user');
  assert.deepEqual(c.user.hostForwards, [
    { protocol: 'tcp', hostAddr: '', hostPort: 2222, guestPort: 22 },
    { protocol: 'tcp', hostAddr: '127.0.0.1', hostPort: 8080, guestAddr: '10.0.2.15', guestPort: 80 },
  ]);
  assert.equal(parseNetOption('user,hostfwd=tcp::8081-10.0.2.16:80').user.hostForwards[0].guestAddr, '10.0.2.16');
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
    'user,hostfwd=tcp::80-10.0.2.14:1', 'user,hostfwd=tcp::80-10.0.2.79:1', 'user,hostfwd=tcp::80-192.168.1.5:1',
  ]) {
    assert.throws(() => parseNetOption(bad), (e) => e.name === 'BanquiseError' && e.message.startsWith('--net') && !e.message.includes('\n') && e.exitCode === 64, bad);
  }
});

test('nicConfigOf: the MachineConfig form of --net', () => {
  assert.deepEqual(nicConfigOf(parseNetOption('user,hostfwd=tcp::2222-:22,dns=10.1.1.1,mac=52:54:00:AA:bb:cc')), {
    mac: '52:54:00:aa:bb:cc',
    backend: { kind: 'user', hostForwards: [{ hostAddress: '', hostPort: 2222, guestPort: 22 }], dnsServer: '10.1.1.1' },
  });
  const socket = nicConfigOf(parseNetOption('socket,connect=10.1.2.3:99'));
  assert.deepEqual(socket.backend, { kind: 'socket', mode: 'connect', host: '10.1.2.3', port: 99 });
  assert.match(socket.mac, /^52:54:00(:[0-9a-f]{2}){3}$/, 'a socket nic gets its own MAC');
});

test('the builder gives one virtio-mmio net device per nic, with its MAC', async () => {
  const cfg = validateMachineConfig({
    mode: 'pv', memoryBytes: 16 << 20, vcpus: 1, boot: { kernel: { path: 'Image' } },
    devices: { rng: false, nics: [nicConfigOf(parseNetOption('user')), nicConfigOf(parseNetOption('user,mac=52:54:00:00:00:07'))] },
  });
  const backends = await openNodeBackends(cfg, { console: { write() {} }, blobs: { Image: fakeLinuxImage() } });
  try {
    const m = buildMachine(cfg, backends);
    for (const [slot, mac] of [[0, 0x56], [1, 0x07]]) {
      const dev = m.virtio[slot];
      assert.equal(dev.read(0, 4), 0x74726976);
      assert.equal(dev.read(8, 4), 1); // DeviceID: net
      assert.equal(dev.read(0x100, 1), 0x52); // MAC
      assert.equal(dev.read(0x105, 1), mac);
    }
  } finally {
    await backends.close();
  }
});

/** A validated pv config with the given nics (a fake kernel: nothing boots). */
function configWith(nics) {
  return validateMachineConfig({ mode: 'pv', memoryBytes: 16 << 20, vcpus: 1, boot: { kernel: { path: 'Image' } }, devices: { rng: false, nics } });
}

test('a hostfwd whose host port is taken is an error naming the port before the guest starts', async () => {
  const { createServer } = await import('node:net');
  const busy = createServer();
  await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = busy.address().port;
  const cfg = configWith([nicConfigOf(parseNetOption(`user,hostfwd=tcp::${port}-:22`))]);
  const opts = { console: { write() {} }, blobs: { Image: fakeLinuxImage() } };
  try {
    await assert.rejects(openNodeBackends(cfg, opts), (e) => e.name === 'BanquiseError' && e.exitCode === 75 && e.message.includes(`host port ${port}`) && /already in use/.test(e.message));
  } finally {
    await new Promise((resolve) => busy.close(resolve));
  }
  const backends = await openNodeBackends(cfg, opts); // the same port, now free, binds
  await backends.close();
});

test('guests on --net socket get distinct MACs unless mac= is given', async () => {
  const macOf = async (spec) => {
    const cfg = configWith([nicConfigOf(parseNetOption(spec), 0)]);
    const backends = await openNodeBackends(cfg, { console: { write() {} }, blobs: { Image: fakeLinuxImage() } });
    try {
      const dev = buildMachine(cfg, backends).virtio[0];
      return Array.from({ length: 6 }, (_, i) => dev.read(0x100 + i, 1));
    } finally {
      await backends.close();
    }
  };
  const macs = new Set();
  for (let i = 0; i < 8; i++) {
    const mac = await macOf('socket,listen=:0');
    assert.deepEqual(mac.slice(0, 3), [0x52, 0x54, 0x00]);
    macs.add(mac.join(':'));
  }
  assert.ok(macs.size >= 7, `8 guests, ${macs.size} distinct MACs`);
  assert.deepEqual(await macOf('socket,listen=:0,mac=52:54:00:01:02:03'), [0x52, 0x54, 0, 1, 2, 3]);
  assert.deepEqual(await macOf('user'), [0x52, 0x54, 0, 0x12, 0x34, 0x56], 'user keeps QEMU\'s default');
});
