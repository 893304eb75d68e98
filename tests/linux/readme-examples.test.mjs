// Every `node bin/banquise.js` command of the README's "Commands" block, run as written (files,
// folders and ports replaced by temporary ones): each boots to a prompt, shows what the README
// says it does, and powers off. A README command without a check here fails the suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findGuest, GuestSession, BIN, REPO } from './guest-session.mjs';

const guest = await findGuest();
const skip = typeof guest === 'string' ? guest : false;

/** The README's example command lines (comments removed), from the "## Commands" block. */
function readmeCommands() {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Commands'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)[1];
  return block.split('\n').map((l) => l.replace(/\s+#\s.*$/, '').trim()).filter((l) => l.startsWith('node bin/banquise.js'));
}

/** Splits a command line like a shell would for these examples (double quotes, ~). */
function words(line) {
  const out = [];
  for (const m of line.matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2]);
  return out.slice(2); // drop `node bin/banquise.js`
}

async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise((r) => s.close(r));
  return port;
}

const dir = mkdtempSync(join(tmpdir(), 'banquise-readme-'));
const share = join(dir, 'work');

/** Replaces the README's placeholders (Image, initrd.gz, disk.img, ~/work, ports, sockets). */
async function substitute(args) {
  const out = [];
  for (const a of args) {
    if (a === 'Image') out.push(guest.kernel);
    else if (a === 'initrd.gz') out.push(guest.initrd);
    else if (a === 'disk.img') {
      const disk = join(dir, 'disk.img');
      copyFileSync(guest.rootDisk, disk);
      out.push(disk);
    } else if (a.startsWith('~/work,')) out.push(share + a.slice('~/work'.length));
    else if (a.startsWith('user,hostfwd=tcp::8080-:80')) out.push(a.replace('8080', String(await freePort())));
    else if (a === 'socket,listen=:5555') out.push(`socket,listen=:${await freePort()}`);
    else if (a === '3,uds=/tmp/vm.sock') out.push(`3,uds=${join(dir, 'vm.sock')}`);
    else out.push(a);
  }
  return out;
}

/** What each example must show, by the option that makes it what it is. */
const checks = {
  async '--vcpus'(s) {
    assert.equal((await s.run('nproc')).trim(), '4');
    const kb = Number(/MemTotal:\s+(\d+)/.exec(await s.run('cat /proc/meminfo'))[1]);
    assert.ok(kb > 400_000 && kb <= 512 * 1024, `MemTotal ${kb} kB`);
  },
  async '--kernel'(s) {
    assert.equal((await s.run('uname -m')).trim(), 'riscv64');
    assert.match(await s.run('cat /proc/cmdline'), /^console=ttyS0/);
  },
  async '--disk'(s) {
    assert.match(await s.run('grep " / " /proc/mounts'), /^\/dev\/(vda|root) \/ ext4 rw/m, 'an ext4 root, not the initramfs');
    const [rootDev, vdaDev] = (await s.run('mountpoint -d /; cat /sys/block/vda/dev')).trim().split('\n');
    assert.equal(rootDev, vdaDev, 'the root is /dev/vda');
    await s.run('echo written-on-disk > /root-probe && sync');
  },
  async '--net user'(s, args) {
    const hostPort = Number(/tcp::(\d+)-/.exec(args.join(' '))[1]);
    // DHCP at boot: the background udhcpc configures eth0 (give it a few seconds).
    let addr = '';
    for (let i = 0; i < 30 && !/10\.0\.2\.15/.test(addr); i++) addr = await s.run('ip -4 addr show eth0; sleep 1');
    assert.match(addr, /inet 10\.0\.2\.15\/24/);
    assert.match(await s.run('ip route'), /default via 10\.0\.2\.2/);
    assert.match(await s.run('ping -c 1 -W 5 10.0.2.2'), /1 packets received/);
    const server = http.createServer((_, res) => res.end('hello from the host\n'));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      assert.equal((await s.run(`wget -q -O - http://10.0.2.2:${server.address().port}/`)).trim(), 'hello from the host');
    } finally {
      server.close();
    }
    // The forward: a host connection to the host port reaches the guest's port 80.
    s.send("(echo 'hello from the guest' | nc -l -p 80 &)\n");
    await new Promise((r) => setTimeout(r, 2000));
    const got = await new Promise((resolve, reject) => {
      const sock = connect(hostPort, '127.0.0.1');
      let data = '';
      sock.on('data', (d) => (data += d));
      sock.on('end', () => resolve(data));
      sock.on('error', reject);
      setTimeout(() => sock.end(), 3000);
    });
    assert.match(got, /hello from the guest/);
  },
  async '--net socket'(s) {
    assert.match(await s.run('cat /sys/class/net/eth0/address'), /^52:54:00:/);
  },
  async '--share'(s) {
    assert.match(await s.run('cat /mnt/work/from-host.txt'), /shared by the host/);
  },
  async '--vsock'(s) {
    assert.match(await s.run('ls /dev/vsock'), /\/dev\/vsock/);
    assert.ok(existsSync(join(dir, 'vm.sock')), 'the host socket exists while the guest runs');
  },
  async '--console'(s) {
    assert.match(await s.run('cat /proc/consoles'), /hvc0/);
    assert.match(await s.run('ls /sys/bus/virtio/drivers'), /virtio_balloon/);
  },
};

const commands = readmeCommands();

test('the README lists run examples, and every one has a check here', () => {
  assert.ok(commands.length >= 8, commands.join('\n'));
  for (const c of commands) {
    const w = words(c);
    if (w[0] !== 'run' || w.includes('--help') || w[0] === 'elf') continue;
    assert.ok(Object.keys(checks).some((k) => c.includes(` ${k}`)), `no check for: ${c}`);
  }
});

test('--version and run --help', () => {
  for (const c of commands.filter((c) => c.includes('--version') || c.includes('--help'))) {
    const r = spawnSync(process.execPath, [BIN, ...words(c)], { cwd: REPO, encoding: 'utf8' });
    assert.equal(r.status, 0, `${c}: ${r.stderr}`);
    assert.ok(r.stdout.length > 0);
  }
});

for (const line of commands) {
  const w = words(line);
  if (w[0] !== 'run' || w.includes('--help')) continue;
  const key = Object.keys(checks).find((k) => line.includes(` ${k}`));
  test(`README: ${line}`, { skip }, async () => {
    rmSync(share, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', share]);
    writeFileSync(join(share, 'from-host.txt'), 'shared by the host\n');
    const args = await substitute(w);
    const s = new GuestSession(args);
    try {
      await s.waitForShell();
      await checks[key](s, args);
      s.send('poweroff\n');
      const { code } = await s.waitExit(120_000);
      assert.equal(code, 0, s.stderr);
      if (key === '--vsock') assert.ok(!existsSync(join(dir, 'vm.sock')), 'the vsock socket is removed after poweroff');
    } finally {
      s.kill();
    }
  });
}

test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
