#!/usr/bin/env node
// Reference check of the default guest images under QEMU (not part of `npm test`): boots them with
// qemu-system-riscv64 -M virt (QEMU's bundled OpenSBI) and drives the serial console:
//   1. initramfs, 2 harts: banner, "# " prompt, a command runs, Ctrl-C interrupts a foreground job,
//      `poweroff` powers the machine off (QEMU exits by itself, through the syscon device).
//   2. initramfs: `reboot` restarts (QEMU started with -no-reboot exits instead).
//   3. rootfs.ext4 on virtio-blk (root=/dev/vda rw), on a copy of the image: the prompt, a write to
//      the root file system, `poweroff`; then e2fsck finds the copy clean (unmounted properly).
// Usage: node scripts/guest/qemu-smoke.mjs [--dir <guest cache entry>] [--timeout <seconds per boot>]
// Without --dir, uses the cache entry of the current inputs (run `npm run guest` first).
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROMPT = /# $/;

function parseArgs(argv) {
  const opts = { dir: '', timeoutS: 120 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dir') opts.dir = argv[++i];
    else if (argv[i] === '--timeout') opts.timeoutS = Number(argv[++i]);
    else {
      console.error(`usage: node scripts/guest/qemu-smoke.mjs [--dir <dir>] [--timeout <seconds>]`);
      process.exit(64);
    }
  }
  return opts;
}

function guestDir(opts) {
  if (opts.dir) return resolve(opts.dir);
  const r = spawnSync(process.execPath, [join(REPO_DIR, 'scripts/guest/build.mjs'), '--status'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build.mjs --status failed: ${r.stderr}`);
  const status = JSON.parse(r.stdout);
  if (!status.upToDate) throw new Error(`no guest images for the current inputs (key ${status.key}): run \`npm run guest\` first`);
  return status.dir;
}

/** A QEMU process whose serial console is read and written through a pipe. */
class QemuConsole {
  constructor(args, timeoutS) {
    this.output = '';
    this.mark = 0;
    this.t0 = Date.now();
    this.timeoutMs = timeoutS * 1000;
    this.proc = spawn('qemu-system-riscv64', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((res) => this.proc.on('exit', (code, signal) => res({ code, signal, atMs: Date.now() - this.t0 })));
    this.waiters = [];
    const onData = (chunk) => {
      this.output += chunk.toString('latin1');
      for (const w of [...this.waiters]) w();
    };
    this.proc.stdout.on('data', onData);
    this.proc.stderr.on('data', onData);
    this.proc.on('exit', () => { for (const w of [...this.waiters]) w(); });
  }

  /** Waits until the output after the last mark matches `re`; returns ms since QEMU started. */
  expect(re, what, timeoutMs = this.timeoutMs) {
    return new Promise((res, rej) => {
      const check = () => {
        const tail = this.output.slice(this.mark);
        const m = re.exec(tail);
        if (m) {
          this.mark += m.index + m[0].length;
          done();
          res(Date.now() - this.t0);
        } else if (this.proc.exitCode !== null || this.proc.signalCode !== null) {
          done();
          rej(new Error(`QEMU exited while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => { done(); rej(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)); }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      check();
    });
  }

  send(text) {
    this.proc.stdin.write(text);
  }

  /** Waits for QEMU to exit by itself; kills it after `timeoutMs`. */
  async waitExit(timeoutMs) {
    let timer;
    const timeout = new Promise((res) => { timer = setTimeout(() => res(null), timeoutMs); });
    const r = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (r === null) {
      this.kill();
      throw new Error(`QEMU did not exit within ${timeoutMs} ms`);
    }
    return r;
  }

  kill() {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

const results = [];

async function scenario(name, args, timeoutS, body) {
  const q = new QemuConsole(args, timeoutS);
  try {
    const info = await body(q);
    results.push({ name, ok: true, ...info });
    console.log(`ok   ${name}: ${Object.entries(info).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${err.message}\n--- console (last 2000 chars) ---\n${q.output.slice(-2000)}\n---`);
  } finally {
    q.kill();
    await q.exited;
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const which = spawnSync('sh', ['-c', 'command -v qemu-system-riscv64'], { stdio: 'ignore' });
  if (which.status !== 0) throw new Error('missing package qemu-system-misc: run scripts/setup.sh (or apt-get install qemu-system-misc)');
  const dir = guestDir(opts);
  const kernel = join(dir, 'Image');
  const initrd = join(dir, 'initramfs.cpio.gz');
  const rootfs = join(dir, 'rootfs.ext4');
  for (const f of [kernel, initrd, rootfs]) if (!existsSync(f)) throw new Error(`missing ${f}`);
  console.log(`guest images: ${dir}`);
  const base = ['-M', 'virt', '-m', '256M', '-nographic', '-kernel', kernel];

  await scenario('initramfs: prompt, command, Ctrl-C, poweroff (-smp 2)', [...base, '-smp', '2', '-initrd', initrd, '-append', 'console=ttyS0'], opts.timeoutS, async (q) => {
    await q.expect(/Banquise guest ready: Linux \S+ riscv64, 2 cpu\(s\), root rootfs/, 'the banner');
    const promptMs = await q.expect(PROMPT, 'the shell prompt');
    q.send('echo smoke-$((6*7)) $(hostname)\n');
    await q.expect(/smoke-42 banquise/, 'the output of echo', 20_000);
    await q.expect(PROMPT, 'the prompt after echo', 20_000);
    q.send('sleep 60; echo not-interrupted\n');
    await new Promise((r) => setTimeout(r, 1000));
    const beforeInterrupt = q.output.length;
    q.send('\x03');
    await q.expect(PROMPT, 'the prompt after Ctrl-C', 10_000);
    // The terminal echoes the command line; only a line *starting* with the word is the echo's output.
    if (/^not-interrupted/m.test(q.output.slice(beforeInterrupt))) throw new Error('Ctrl-C did not interrupt sleep');
    q.send('poweroff\n');
    await q.expect(/reboot: Power down/, 'the kernel power-down message', 30_000);
    const exit = await q.waitExit(30_000);
    if (exit.code !== 0) throw new Error(`QEMU exit status ${exit.code} after poweroff`);
    return { promptMs, poweredOffMs: exit.atMs };
  });

  await scenario('initramfs: reboot', [...base, '-no-reboot', '-initrd', initrd, '-append', 'console=ttyS0'], opts.timeoutS, async (q) => {
    const promptMs = await q.expect(PROMPT, 'the shell prompt');
    q.send('reboot\n');
    await q.expect(/reboot: Restarting system/, 'the kernel restart message', 30_000);
    const exit = await q.waitExit(30_000);
    return { promptMs, exitedMs: exit.atMs };
  });

  const tmp = mkdtempSync(join(tmpdir(), 'banquise-smoke-'));
  try {
    const disk = join(tmp, 'rootfs.ext4');
    copyFileSync(rootfs, disk);
    await scenario('rootfs.ext4 on virtio-blk: prompt, write, poweroff, clean fs', [
      ...base, '-drive', `file=${disk},if=none,format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0', '-append', 'root=/dev/vda rw console=ttyS0',
    ], opts.timeoutS, async (q) => {
      await q.expect(/Banquise guest ready: Linux \S+ riscv64, 1 cpu\(s\), root \/dev\/root \(ext4\)/, 'the banner (root on ext4)');
      const promptMs = await q.expect(PROMPT, 'the shell prompt');
      q.send('echo persisted > /root/smoke && cat /root/smoke\n');
      await q.expect(/\npersisted/, 'the written file', 20_000);
      await q.expect(PROMPT, 'the prompt', 20_000);
      q.send('poweroff\n');
      await q.expect(/reboot: Power down/, 'the kernel power-down message', 30_000);
      const exit = await q.waitExit(30_000);
      if (exit.code !== 0) throw new Error(`QEMU exit status ${exit.code} after poweroff`);
      const fsck = spawnSync('e2fsck', ['-n', disk], { encoding: 'utf8' });
      if (fsck.status !== 0) throw new Error(`e2fsck -n on the disk after poweroff: status ${fsck.status}\n${fsck.stdout}${fsck.stderr}`);
      const cat = spawnSync('debugfs', ['-R', 'cat /root/smoke', disk], { encoding: 'utf8' });
      if (!cat.stdout.includes('persisted')) throw new Error('the file written by the guest is not on the disk');
      return { promptMs, poweredOffMs: exit.atMs };
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const failed = results.filter((r) => !r.ok).length;
  console.log(failed === 0 ? `all ${results.length} QEMU smoke checks passed` : `${failed} of ${results.length} QEMU smoke checks failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(`qemu-smoke: ${err.message}`);
  process.exit(1);
});
