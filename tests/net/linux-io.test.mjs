// Real Linux (the default guest) on virtio-net with the user-mode network and virtio-9p:
// DHCP, ping, HTTP to a host server through 10.0.2.2, the transmit offloads (negotiated
// features, a checked upload in GSO packets), a host port forwarded to a guest
// listener, and a shared folder read and written by the guest, all through `banquise run
// --net … --share …`, and escape attempts through links out of the share. Skipped without
// guest images (a failure under CI).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync, existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import http from 'node:http';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { findGuest, GuestSession } from '../support/guest-session.mjs';
const guest = await findGuest();
const skip = typeof guest === 'string' ? guest : false;
if (skip) console.log(`# skipping Linux network/9p tests: ${skip}`);
const BOOT_TIMEOUT_MS = 15 * 60_000;

async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

/** `banquise run` with its console on pipes (tests/support/guest-session.mjs). */
const session = (args) => new GuestSession(['run', ...args]);

describe('Linux guest on virtio-net (user network) and virtio-9p', { skip }, () => {
  let s, server, httpPort, fwdPort, dir, roDir;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'banquise-linux-share-'));
    writeFileSync(join(dir, 'from-host.txt'), 'hello from the host\n');
    roDir = mkdtempSync(join(tmpdir(), 'banquise-linux-ro-'));
    writeFileSync(join(roDir, 'fixed.txt'), 'read only\n');
    server = http.createServer((req, res) => res.end(`served ${req.url}\n`));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    httpPort = server.address().port;
    fwdPort = await freePort();
    s = session(['--kernel', guest.kernel, '--initrd', guest.initrd,
      '--net', `user,hostfwd=tcp:127.0.0.1:${fwdPort}-:7777`, '--share', `${dir},tag=hostshare`, '--share', `${roDir},tag=ro,ro`]);
    await s.waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
    await s.waitFor(/# $/m, 60_000);
  });
  after(() => {
    s?.kill();
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (roDir) rmSync(roDir, { recursive: true, force: true });
  });

  test('a read-only share: reads work, writes fail with EROFS', async () => {
    assert.match(await s.run('cat /mnt/ro/fixed.txt'), /read only/);
    assert.match(await s.run('echo x > /mnt/ro/new.txt 2>&1; rm /mnt/ro/fixed.txt 2>&1; mkdir /mnt/ro/d 2>&1'), /Read-only file system/);
    assert.deepEqual(readdirSync(roDir), ['fixed.txt']);
  });

  test('DHCP at boot gives 10.0.2.15 with router 10.0.2.2', async () => {
    // The guest's init already asked at boot (udhcpc in the background): its lease is applied.
    const addr = await s.run('for i in $(seq 1 60); do ip -4 addr show eth0 | grep -q 10.0.2.15 && break; sleep 1; done; ip -4 addr show eth0; ip route');
    assert.match(addr, /inet 10\.0\.2\.15\/24/);
    assert.match(addr, /default via 10\.0\.2\.2 dev eth0/);
    // The protocol once more, by hand, without touching the configuration (script /bin/true).
    const out = await s.run('udhcpc -i eth0 -n -q -s /bin/true 2>&1');
    assert.match(out, /lease of 10\.0\.2\.15 obtained from 10\.0\.2\.2/);
  });

  test('ping the gateway', async () => {
    assert.match(await s.run('ping -c 2 -W 5 10.0.2.2 2>&1'), /2 packets transmitted, 2 packets received/);
  });

  test('HTTP to a host server through 10.0.2.2', async () => {
    const out = await s.run(`printf 'GET /from-guest HTTP/1.0\\r\\n\\r\\n' | nc 10.0.2.2 ${httpPort} 2>&1`);
    assert.match(out, /HTTP\/1.1 200 OK/);
    assert.match(out, /served \/from-guest/);
  });

  test('bulk TCP both ways: 4 MiB to the guest, 2 MiB from it', async () => {
    const big = net.createServer({ allowHalfOpen: true }, (c) => {
      c.on('data', () => {});
      c.end(Buffer.alloc(4 << 20, 0x61));
    });
    let fromGuest = 0;
    const sink = net.createServer((c) => c.on('data', (d) => { fromGuest += d.length; }));
    await new Promise((r) => big.listen(0, '127.0.0.1', r));
    await new Promise((r) => sink.listen(0, '127.0.0.1', r));
    try {
      assert.match(await s.run(`nc 10.0.2.2 ${big.address().port} </dev/null | wc -c`), /^\s*4194304\s*$/m);
      await s.run(`yes 0123456789abcdef | head -c 2097152 | nc 10.0.2.2 ${sink.address().port}`);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(fromGuest, 2097152);
    } finally {
      big.close();
      sink.close();
    }
  });

  test('offloads: the driver negotiates CSUM, HOST_TSO4/6, GUEST_CSUM; 4 MiB sent in GSO packets arrive intact', async (t) => {
    // Negotiated features of the virtio-net device: one character per bit, bit 0 first.
    const bits = (await s.run('for d in /sys/bus/virtio/devices/*; do [ "$(cat $d/device)" = 0x0001 ] && cat $d/features; done')).trim();
    assert.match(bits, /^[01]{64}$/m, bits);
    const f = bits.match(/^[01]{64}$/m)[0];
    for (const [bit, name] of [[0, 'CSUM'], [1, 'GUEST_CSUM'], [11, 'HOST_TSO4'], [12, 'HOST_TSO6'], [13, 'HOST_ECN']]) {
      assert.equal(f[bit], '1', `VIRTIO_NET_F_${name} not negotiated: ${f}`);
    }
    const chunks = [];
    const sink = net.createServer((c) => c.on('data', (d) => chunks.push(d)));
    await new Promise((r) => sink.listen(0, '127.0.0.1', r));
    try {
      const stat = async () => (await s.run('cat /sys/class/net/eth0/statistics/tx_packets /sys/class/net/eth0/statistics/tx_bytes')).trim().split(/\s+/).map(Number);
      await s.run('head -c 4194304 /dev/urandom > /tmp/up.bin');
      const [p0, b0] = await stat();
      await s.run(`nc 10.0.2.2 ${sink.address().port} </tmp/up.bin`);
      const [p1, b1] = await stat();
      const sum = (await s.run('md5sum /tmp/up.bin')).match(/^[0-9a-f]{32}/m)[0];
      for (let i = 0; i < 100 && Buffer.concat(chunks).length < 4 << 20; i++) await new Promise((r) => setTimeout(r, 100));
      const got = Buffer.concat(chunks);
      assert.equal(got.length, 4 << 20);
      assert.equal(createHash('md5').update(got).digest('hex'), sum);
      t.diagnostic(`upload: ${p1 - p0} packets, ${b1 - b0} bytes, ${Math.round((b1 - b0) / (p1 - p0))} bytes per packet`);
      // Frames on the wire are at most 1514 bytes; more per transmitted packet means the device cut them.
      assert.ok((b1 - b0) / (p1 - p0) > 1600, `${p1 - p0} packets for ${b1 - b0} bytes: no GSO`);
      await s.run('rm /tmp/up.bin');
    } finally {
      sink.close();
    }
  });

  test('a host port forwarded to a guest listener', async () => {
    await s.run('(echo hello-from-guest | nc -l -p 7777 >/tmp/nc.out 2>&1 &)');
    await new Promise((r) => setTimeout(r, 2000));
    const got = await new Promise((resolve, reject) => {
      const c = net.connect(fwdPort, '127.0.0.1');
      let data = '';
      c.on('data', (d) => { data += d; });
      c.on('end', () => { c.end(); resolve(data); });
      c.on('error', reject);
      c.write('hello-from-host\n');
      setTimeout(() => { c.destroy(); resolve(data); }, 60_000);
    });
    assert.match(got, /hello-from-guest/);
  });

  test('the shared folder: read, write, list, rename, remove', async () => {
    assert.match(await s.run('cat /mnt/hostshare/from-host.txt'), /hello from the host/);
    await s.run('echo written-by-guest > /mnt/hostshare/from-guest.txt && mkdir /mnt/hostshare/d && mv /mnt/hostshare/from-guest.txt /mnt/hostshare/d/moved.txt');
    assert.equal(readFileSync(join(dir, 'd', 'moved.txt'), 'utf8'), 'written-by-guest\n');
    assert.match(await s.run('ls -la /mnt/hostshare/d'), /moved\.txt/);
    await s.run('rm -r /mnt/hostshare/d');
    assert.ok(!existsSync(join(dir, 'd')));
  });

  test('the shared folder: a 3 MiB file written by the guest and one written by the host match byte for byte', async () => {
    const hostData = Buffer.alloc(3 << 20);
    for (let i = 0; i < hostData.length; i++) hostData[i] = (i * 2654435761) >>> 24;
    writeFileSync(join(dir, 'host.bin'), hostData);
    const sums = await s.run('head -c 3145728 /dev/urandom > /mnt/hostshare/guest.bin; md5sum /mnt/hostshare/guest.bin /mnt/hostshare/host.bin');
    const md5 = (b) => createHash('md5').update(b).digest('hex');
    assert.ok(sums.includes(`${md5(readFileSync(join(dir, 'guest.bin')))}  /mnt/hostshare/guest.bin`), sums);
    assert.ok(sums.includes(`${md5(hostData)}  /mnt/hostshare/host.bin`), sums);
    assert.equal(readFileSync(join(dir, 'guest.bin')).length, 3 << 20);
  });

  test('the shared folder: links pointing out of it and .. do not reach host files outside it', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'banquise-outside-'));
    const SECRET = 'host-secret-4c1e9';
    writeFileSync(join(outside, 'secret.txt'), `${SECRET}\n`);
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'abs-link'));
    symlinkSync(relative(dir, join(outside, 'secret.txt')), join(dir, 'rel-link'));
    symlinkSync(relative(dir, outside), join(dir, 'dir-link'));
    try {
      const out = await s.run(
        'cat /mnt/hostshare/abs-link /mnt/hostshare/rel-link /mnt/hostshare/dir-link/secret.txt 2>&1; ' +
          'ls -la /mnt/hostshare/../ /mnt/hostshare/dir-link/ 2>&1; echo done-escape');
      assert.match(out, /done-escape/);
      assert.ok(!out.includes(SECRET), `a file outside the share was read:\n${out}`);
      assert.doesNotMatch(out, /^[-dl][rwxsStT-]{9}.*secret\.txt/m, 'a folder outside the share was listed');
      // The links themselves are visible as links (the guest resolves them in its own namespace).
      assert.match(await s.run('readlink /mnt/hostshare/rel-link'), /^\.\.\/banquise-outside-\w+\/secret\.txt$/m);
    } finally {
      rmSync(outside, { recursive: true, force: true });
      for (const l of ['abs-link', 'rel-link', 'dir-link']) rmSync(join(dir, l), { force: true });
    }
  });
});

describe('two Linux guests on one segment through the socket backend', { skip }, () => {
  let a, b;
  before(async () => {
    const port = await freePort();
    a = session(['--kernel', guest.kernel, '--initrd', guest.initrd, '--net', `socket,listen=127.0.0.1:${port},mac=52:54:00:00:00:0a`]);
    await a.waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
    b = session(['--kernel', guest.kernel, '--initrd', guest.initrd, '--net', `socket,connect=127.0.0.1:${port},mac=52:54:00:00:00:0b`]);
    await b.waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
    await a.waitFor(/# $/m, 60_000);
    await b.waitFor(/# $/m, 60_000);
  });
  after(() => {
    a?.kill();
    b?.kill();
  });

  test('ping and a TCP transfer between the guests', async () => {
    await a.run('ip link set eth0 up; ip addr add 192.168.77.1/24 dev eth0');
    await b.run('ip link set eth0 up; ip addr add 192.168.77.2/24 dev eth0');
    assert.match(await b.run('ping -c 2 -W 10 192.168.77.1 2>&1'), /2 packets transmitted, 2 packets received/);
    await a.run('(head -c 1048576 /dev/zero | nc -l -p 9000 >/dev/null 2>&1 &)');
    await new Promise((r) => setTimeout(r, 2000));
    assert.match(await b.run('nc 192.168.77.1 9000 </dev/null | wc -c'), /^\s*1048576\s*$/m);
  });
});
