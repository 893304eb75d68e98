// Boots the default guest (Linux 6.1) in pv mode with Banquise's virtio devices — two disks
// (one read-only with a serial), a virtio console, the entropy device, the balloon and vsock —
// in-process, and checks what Linux's own drivers do with them. Skipped without guest images.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findGuest, REPO } from '../linux/guest-session.mjs';

const guest = await findGuest();
const skip = typeof guest === 'string' ? guest : false;
if (skip) console.log(`# skipping Linux virtio tests: ${skip}`);
const BOOT_TIMEOUT_MS = 15 * 60_000;
const PROMPT = /# $/;

/** The guest console on in-process streams. */
class Console {
  constructor() {
    this.stdin = new PassThrough();
    this.stdout = new PassThrough();
    this.output = '';
    this.mark = 0;
    this.stdout.on('data', (d) => (this.output += d.toString('latin1')));
  }
  async waitFor(re, timeoutMs = 120_000) {
    const t0 = Date.now();
    for (;;) {
      const rest = this.output.slice(this.mark);
      const m = re.exec(rest);
      if (m) {
        this.mark += m.index + m[0].length;
        return rest.slice(0, m.index + m[0].length);
      }
      if (Date.now() - t0 > timeoutMs) throw new Error(`timeout waiting for ${re}; tail:\n${this.output.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  async run(cmd, timeoutMs = 120_000) {
    this.stdin.write(cmd + '\n');
    const text = await this.waitFor(PROMPT, timeoutMs);
    return text.replace(/\r/g, '').split('\n').slice(1, -1).join('\n');
  }
}

describe('Linux drives the virtio devices', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'banquise-linux-virtio-'));
  const rwPath = join(dir, 'rw.img');
  const roPath = join(dir, 'ro.img');
  const con = new Console();
  const hvc = [];
  let devices;
  let session;
  let backends = [];

  before(async () => {
    const rw = new Uint8Array(1 << 20);
    rw.set(new TextEncoder().encode('BANQUISE-DISK-0'), 0);
    writeFileSync(rwPath, rw);
    writeFileSync(roPath, new Uint8Array(256 * 1024).fill(0x33));
    const opts = await import(join(REPO, 'dist/platform/node/virtio-options.js'));
    const { runPvSession } = await import(join(REPO, 'dist/platform/node/pv-session.js'));
    const cfg = opts.parseVirtioOptions({
      disk: [rwPath, `${roPath},ro,serial=BQ-SERIAL-7`],
      console: 'virtio',
      balloon: true,
      vsock: `42,uds=${join(dir, 'v.sock')}`,
    });
    backends = await opts.openDisks(cfg);
    const slots = opts.buildVirtioSlots(cfg, {
      disks: backends,
      ramSizeBytes: 256 << 20,
      console: { write: (b) => hvc.push(...b), onInput() {} },
    }, (d) => (devices = d));
    const kernel = readFileSync(guest.kernel);
    const initrd = readFileSync(guest.initrd);
    session = runPvSession({
      kernel, initrd, bootargs: 'console=ttyS0 earlycon', ramSizeBytes: 256 << 20, vcpus: 1,
      virtio: () => slots, streams: { stdin: con.stdin, stdout: con.stdout },
    });
    await con.waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
    await con.waitFor(PROMPT, 60_000);
  });

  after(async () => {
    if (session !== undefined && con.output.length > 0) {
      con.stdin.write('poweroff -f\n');
      await Promise.race([session, new Promise((r) => setTimeout(r, 30_000))]);
    }
    for (const b of backends) await b.close();
  });

  test('every driver bound to its device', async () => {
    const drivers = await con.run('ls /sys/bus/virtio/drivers/*/ | tr "\\n" " "');
    for (const d of ['virtio_blk', 'virtio_console', 'virtio_rng', 'virtio_balloon', 'vmw_vsock_virtio_transport']) {
      assert.match(drivers, new RegExp(d), drivers);
    }
    assert.equal((await con.run('ls -d /sys/bus/virtio/devices/virtio* | wc -l')).trim(), '6');
  });

  test('block: capacity, serial, read-only flag, reads', async () => {
    const sizes = await con.run('cat /sys/block/vda/size /sys/block/vdb/size /sys/block/vda/ro /sys/block/vdb/ro');
    assert.deepEqual(sizes.trim().split(/\s+/), ['2048', '512', '0', '1']);
    assert.equal((await con.run('cat /sys/block/vdb/serial')).trim(), 'BQ-SERIAL-7');
    assert.equal((await con.run('dd if=/dev/vda bs=512 count=1 2>/dev/null | head -c 15')).trim(), 'BANQUISE-DISK-0');
  });

  test('block: a guest write with fsync reaches the image file', async () => {
    await con.run('echo hello-from-linux | dd of=/dev/vda bs=512 seek=100 conv=sync,fsync 2>/dev/null');
    const f = readFileSync(rwPath);
    assert.equal(f.subarray(100 * 512, 100 * 512 + 16).toString('latin1'), 'hello-from-linux');
    assert.match(await con.run('dd if=/dev/zero of=/dev/vdb bs=512 count=1 2>&1'), /ermission|Read-only|not permitted/);
    assert.ok(readFileSync(roPath).every((b) => b === 0x33));
  });

  test('entropy: /dev/hwrng gives bytes from virtio-rng', async () => {
    assert.match(await con.run('cat /sys/class/misc/hw_random/rng_current'), /virtio_rng/);
    const a = await con.run('head -c 32 /dev/hwrng | od -An -tx1');
    const b = await con.run('head -c 32 /dev/hwrng | od -An -tx1');
    assert.equal(a.trim().split(/\s+/).length, 32);
    assert.notEqual(a, b);
    assert.ok(devices.rng.bytesServed >= 64);
  });

  test('console: writes to /dev/hvc0 reach the backend', async () => {
    await con.run('echo via-hvc0 > /dev/hvc0');
    for (let i = 0; i < 50 && !Buffer.from(hvc).toString().includes('via-hvc0'); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(Buffer.from(hvc).toString(), /via-hvc0/);
  });

  test('balloon: the guest follows the host target and reports stats', async () => {
    devices.balloon.setTargetPages(2048);
    for (let i = 0; i < 500 && devices.balloon.info().actualPages !== 2048; i++) {
      await con.run('true');
    }
    assert.equal(devices.balloon.info().actualPages, 2048);
    assert.equal(devices.balloon.info().inflatedPages, 2048);
    devices.balloon.setTargetPages(0);
    for (let i = 0; i < 500 && devices.balloon.info().actualPages !== 0; i++) await con.run('true');
    assert.equal(devices.balloon.info().inflatedPages, 0);
    assert.ok(devices.balloon.requestStats());
    for (let i = 0; i < 200 && devices.balloon.stats?.totalMemory === undefined; i++) await con.run('true');
    assert.ok(devices.balloon.stats.totalMemory > 100n << 20n, String(devices.balloon.stats.totalMemory));
  });
});
