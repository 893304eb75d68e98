// Real Linux drivers against Banquise's virtio devices: boots the default guest's kernel in pv
// mode with a tiny initramfs whose /init (tests/virtio/guest/virtio-probe.c, built static with
// riscv64-linux-gnu-gcc) uses /dev/vda, /dev/vdb, /dev/hwrng, /dev/hvcN, AF_VSOCK sockets in
// both directions, and waits while the host drives the balloon. Skipped without a kernel or a
// cross compiler. BANQUISE_TEST_KERNEL=path picks a kernel Image instead of the default guest's.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findGuest, REPO } from '../support/guest-session.mjs';
import { cpio } from '../support/cpio.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const BOOT_TIMEOUT_MS = 15 * 60_000;

async function prerequisites() {
  const cc = spawnSync('riscv64-linux-gnu-gcc', ['--version']);
  if (cc.status !== 0) return 'riscv64-linux-gnu-gcc is not installed (Debian gcc-riscv64-linux-gnu)';
  if (process.env.BANQUISE_TEST_KERNEL) return { kernel: process.env.BANQUISE_TEST_KERNEL };
  const g = await findGuest();
  return typeof g === 'string' ? g : { kernel: g.kernel };
}

const pre = await prerequisites();
const skip = typeof pre === 'string' ? pre : false;
if (skip) console.log(`# skipping Linux virtio probe: ${skip}`);

describe('Linux virtio drivers on Banquise devices', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'banquise-vprobe-'));
  const rwPath = join(dir, 'rw.img');
  const roPath = join(dir, 'ro.img');
  const sock = join(dir, 'v.sock');
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let output = '';
  stdout.on('data', (d) => (output += d.toString('latin1')));
  const hvc = [];
  let typeInto = () => {};
  const results = new Map();
  let devices;
  let session;
  let hostServer;
  const fromGuestOnHost = [];

  const line = async (key, timeoutMs = 120_000) => {
    const t0 = Date.now();
    for (;;) {
      const m = new RegExp(`^VTEST ${key} (.*)$`, 'm').exec(output);
      if (m) return m[1].replace(/\r$/, '');
      if (Date.now() - t0 > timeoutMs) throw new Error(`no "VTEST ${key}" line; console tail:\n${output.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  before(async () => {
    const exe = join(dir, 'init');
    const cc = spawnSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-Wall', '-o', exe, join(HERE, 'guest', 'virtio-probe.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const initrd = cpio([['dev', 0o40755], ['proc', 0o40755], ['sys', 0o40755], ['init', 0o100755, readFileSync(exe)]]);
    const rw = new Uint8Array(1 << 20);
    rw.set(Buffer.from('BANQUISE-DISK-0'), 0);
    writeFileSync(rwPath, rw);
    writeFileSync(roPath, new Uint8Array(256 * 1024).fill(0x33));
    // The host service the guest connects to on port 5000.
    hostServer = createServer((s) => {
      s.on('data', (d) => {
        fromGuestOnHost.push(d.toString());
        s.write('pong');
      });
    });
    await new Promise((r) => hostServer.listen(`${sock}_5000`, r));
    const opts = await import(join(REPO, 'dist/platform/node/virtio-options.js'));
    const { runPvSession } = await import(join(REPO, 'dist/platform/node/pv-session.js'));
    const { validateMachineConfig } = await import(join(REPO, 'dist/machine/index.js'));
    const cfg = opts.parseVirtioOptions({
      disk: [rwPath, `${roPath},ro,serial=BQ-SERIAL-7`],
      console: 'virtio',
      balloon: true,
      vsock: `42,uds=${sock}`,
    });
    const machine = validateMachineConfig({
      mode: 'pv', memoryBytes: 128 << 20, vcpus: 1,
      boot: { kernel: { path: 'Image' }, initrd: { path: 'initrd' }, cmdline: 'console=ttyS0 rdinit=/init' },
      devices: { disks: cfg.disks, console: 'virtio', balloon: true, rng: true, vsock: cfg.vsock },
    });
    session = runPvSession({
      machine,
      backends: {
        blobs: { Image: readFileSync(pre.kernel), initrd },
        virtioConsole: { write: (b) => hvc.push(...b), onInput: (h) => (typeInto = h) },
      },
      onMachine: (m) => (devices = m.devices),
      streams: { stdin, stdout },
    });
    session.catch(() => {});
    await line('start', BOOT_TIMEOUT_MS);
  });

  after(async () => {
    stdin.write('go\n');
    if (session) await Promise.race([session, new Promise((r) => setTimeout(r, 20_000))]);
    hostServer?.close();
  });

  test('virtio-blk: capacity, read-only flag, serial (GET_ID), reads', async () => {
    assert.equal(await line('vda-size'), '2048');
    assert.equal(await line('vdb-size'), '512');
    assert.equal(await line('vdb-ro'), '1');
    assert.equal(await line('vdb-serial'), 'BQ-SERIAL-7');
    assert.equal(await line('vda-sector0'), 'BANQUISE-DISK-0');
  });

  test('virtio-blk: write + fsync reaches the image; the read-only disk refuses', async () => {
    assert.equal(await line('vda-write'), 'ok');
    assert.equal(readFileSync(rwPath).subarray(51200, 51216).toString('latin1'), 'hello-from-linux');
    assert.match(await line('vdb-write'), /^error:/);
    assert.ok(readFileSync(roPath).every((b) => b === 0x33));
  });

  test('virtio-rng feeds /dev/hwrng', async () => {
    assert.match(await line('rng-current'), /virtio_rng/);
    await line('hvc');
    const draws = [...output.matchAll(/^VTEST rng ([0-9a-f]{32})/gm)].map((m) => m[1]);
    assert.equal(draws.length, 2);
    assert.notEqual(draws[0], draws[1]);
  });

  test('virtio-console: output to its hvc terminal reaches the backend, host input reaches a read()', async () => {
    // The guest kernel has no SBI hvc driver: the virtio console is hvc0, the only hvc terminal.
    // (BANQUISE_TEST_KERNEL may name a kernel that has one: then the virtio console is hvc1.)
    const terminals = Number(await line('hvc'));
    assert.ok(terminals === 1 || (process.env.BANQUISE_TEST_KERNEL && terminals === 2), `hvc terminals: ${terminals}`);
    // hvc output is pushed by a kernel thread: it may land a little after write() returned.
    for (let i = 0; i < 400 && !/via-hvc\d/.test(Buffer.from(hvc).toString('latin1')); i++) await new Promise((r) => setTimeout(r, 25));
    const m = /^via-hvc([0-3])\r?\n$/.exec(Buffer.from(hvc).toString('latin1'));
    if (terminals === 1) assert.equal(m?.[1], '0');
    assert.ok(m, Buffer.from(hvc).toString('latin1'));
    // Input: host keystrokes reach a guest read() on that terminal through the receive queue.
    stdin.write(`${m[1]}\n`);
    assert.equal(await line('hvc-open'), `/dev/hvc${m[1]}`);
    typeInto(new TextEncoder().encode('typed-into-hvc\n'));
    assert.equal(await line('hvc-read'), 'typed-into-hvc');
  });

  test('virtio-vsock: guest CID, guest → host and host → guest streams', async () => {
    assert.equal(await line('vsock-cid'), '42');
    assert.equal(await line('vsock-reply'), 'pong');
    assert.deepEqual(fromGuestOnHost, ['ping']);
    await line('vsock-listening');
    const c = connect(sock);
    let got = '';
    c.on('data', (d) => (got += d.toString()));
    await new Promise((r) => c.once('connect', r));
    c.write('CONNECT 1234\n');
    for (let i = 0; i < 400 && !/^OK \d+\n/.test(got); i++) await new Promise((r) => setTimeout(r, 25));
    assert.match(got, /^OK \d+\n$/);
    c.write('hello guest');
    assert.equal(await line('vsock-accepted'), 'HELLO GUEST');
    for (let i = 0; i < 400 && !got.includes('HELLO GUEST'); i++) await new Promise((r) => setTimeout(r, 25));
    assert.match(got, /HELLO GUEST$/);
    c.destroy();
  });

  test('virtio-balloon: the guest follows the host target and reports stats', async () => {
    await line('balloon-wait');
    const wait = async (cond, what) => {
      for (let i = 0; i < 2400 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(cond(), `${what}: ${JSON.stringify(devices.balloon.info())}`);
    };
    devices.balloon.setTargetPages(4096);
    await wait(() => devices.balloon.info().actualPages === 4096, 'inflate to 16 MiB');
    assert.equal(devices.balloon.info().inflatedPages, 4096);
    devices.balloon.setTargetPages(0);
    await wait(() => devices.balloon.info().actualPages === 0, 'deflate');
    assert.equal(devices.balloon.info().inflatedPages, 0);
    assert.ok(devices.balloon.requestStats());
    await wait(() => devices.balloon.stats?.totalMemory !== undefined, 'stats');
    assert.ok(devices.balloon.stats.totalMemory > 64n << 20n);
    stdin.write('go\n');
    assert.equal(await line('done'), 'ok');
  });
});
