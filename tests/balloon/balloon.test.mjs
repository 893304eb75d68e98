// virtio-balloon with a real guest, driven from the host monitor socket (`--monitor PATH`): the
// default guest boots with 256M, `balloon 128M` makes it give 128M back (its MemFree drops by
// that much, the device's `actual` reaches the target), `balloon 256M` makes it take the memory
// again. Every wait has a timeout; the guest is killed in `after`.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findGuest, GuestSession, BOOT_TIMEOUT_MS } from '../support/guest-session.mjs';
import { MonitorClient } from '../support/monitor-client.mjs';

const guest = await findGuest();
const skip = typeof guest === 'string' ? guest : false;
if (skip) console.log(`# skipping balloon tests: ${skip}`);

const MIB = 1024 * 1024;
const PAGE = 4096;
const PROMPT = '(banquise) ';
/** How long the guest may take to move the balloon (128M is 32768 pages, 256 per request). */
const SETTLE_MS = 120_000;
/** Slack between the ballooned amount and the change of the guest's free memory. */
const SLACK_BYTES = 16 * MIB;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Parses `info balloon`: pages of target/actual and the guest statistics in bytes. */
function parseInfo(text) {
  const num = (re) => {
    const m = re.exec(text);
    assert.ok(m, `${re} not in:\n${text}`);
    return Number(m[1]);
  };
  return {
    targetPages: num(/^target: .* balloon (\d+) pages$/m),
    actualPages: num(/^actual: .* balloon (\d+) pages \(reported by the guest\)$/m),
    freeBytes: num(/^ {2}free memory: .*\((\d+) bytes\)$/m),
    totalBytes: num(/^ {2}total memory: .*\((\d+) bytes\)$/m),
    fresh: /^stats: fresh$/m.test(text),
  };
}

/** Polls `info balloon` until `actual` equals the target (or fails after SETTLE_MS). */
async function settle(mon, targetPages) {
  const deadline = Date.now() + SETTLE_MS;
  let last;
  while (Date.now() < deadline) {
    last = await mon.command('info balloon');
    const info = parseInfo(last);
    if (info.targetPages === targetPages && info.actualPages === targetPages && info.fresh) return info;
    await sleep(500);
  }
  throw new Error(`balloon did not reach ${targetPages} pages within ${SETTLE_MS} ms; last info:\n${last}`);
}

/** MemTotal and MemFree of /proc/meminfo, in bytes. */
async function meminfo(s) {
  const text = await s.run('cat /proc/meminfo');
  const kb = (name) => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    assert.ok(m, `${name} not in /proc/meminfo:\n${text}`);
    return Number(m[1]) * 1024;
  };
  return { total: kb('MemTotal'), free: kb('MemFree') };
}

describe('virtio-balloon driven from the monitor socket, real guest', { skip }, () => {
  let s;
  let mon;
  let dir;
  let sock;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'banquise-balloon-'));
    sock = join(dir, 'monitor.sock');
    s = new GuestSession(['run', '--kernel', guest.kernel, '--initrd', guest.initrd, '--balloon', '--memory', '256M', '--monitor', sock]);
    await s.waitForShell(BOOT_TIMEOUT_MS);
    mon = await MonitorClient.open(sock);
  });
  after(() => {
    mon?.close();
    s?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('before: no balloon, the guest reports its memory', async () => {
    const info = parseInfo(await mon.command('info balloon'));
    assert.equal(info.targetPages, 0);
    assert.equal(info.actualPages, 0);
    assert.ok(info.fresh, 'the guest answered the stats request');
    const m = await meminfo(s);
    // The guest's own totals and the balloon statistics agree (both are the kernel's counters).
    assert.ok(Math.abs(info.totalBytes - m.total) < MIB, `stats total ${info.totalBytes} vs MemTotal ${m.total}`);
    assert.ok(m.total > 200 * MIB && m.total <= 256 * MIB, `MemTotal ${m.total}`);
  });

  test('balloon 128M: the guest gives 128M back, then balloon 256M returns it', async () => {
    const before = await meminfo(s);
    const reply = await mon.command('balloon 128M');
    assert.match(reply, /^target: 128\.0 MiB \(134217728 bytes\) for the guest, balloon 32768 pages$/);
    const inflated = await settle(mon, (128 * MIB) / PAGE);
    const during = await meminfo(s);
    const given = before.free - during.free;
    console.log(`MemFree ${before.free / MIB} MiB -> ${during.free / MIB} MiB with a 128 MiB balloon (stats: ${inflated.freeBytes / MIB} MiB free)`);
    assert.ok(Math.abs(given - 128 * MIB) < SLACK_BYTES, `MemFree dropped by ${given / MIB} MiB, expected about 128 MiB`);
    assert.ok(Math.abs(inflated.freeBytes - during.free) < SLACK_BYTES, `stats free ${inflated.freeBytes} vs MemFree ${during.free}`);
    // The guest still works with half its memory.
    assert.equal((await s.run('echo $((6 * 7))')).trim(), '42');

    assert.match(await mon.command('balloon 256M'), /balloon 0 pages$/);
    const deflated = await settle(mon, 0);
    const after = await meminfo(s);
    assert.ok(Math.abs(after.free - before.free) < SLACK_BYTES, `MemFree ${after.free / MIB} MiB after deflating, was ${before.free / MIB} MiB`);
    assert.ok(deflated.freeBytes - inflated.freeBytes > 128 * MIB - SLACK_BYTES, 'the stats show the memory back');
  });

  test('bad balloon sizes are refused with a clear error', async () => {
    const target = parseInfo(await mon.command('info balloon')).targetPages;
    assert.match(await mon.command('balloon 512M'), /^error: 512M is out of range: .*RAM size 256M/);
    assert.match(await mon.command('balloon 1M'), /^error: 1M is out of range/);
    assert.match(await mon.command('balloon much'), /^error: 'much' is not a size/);
    assert.equal(parseInfo(await mon.command('info balloon')).targetPages, target, 'the target did not move');
  });

  test('info cpus and info sbi describe the running guest', async () => {
    assert.match(await mon.command('info cpus'), /^hart 0: pc=0x[0-9a-f]{16} priv=[USM] instret=\d+/);
    const sbi = await mon.command('info sbi');
    assert.match(sbi, /^BASE: \d+$/m);
    assert.match(sbi, /^ {2}fid 3 sbi_probe_extension: \d+$/m);
  });

  test('quit over the socket ends banquise (status 130) and removes the socket', async () => {
    assert.equal(await mon.command('quit'), 'stopping the domain');
    const { code } = await s.waitExit(30_000);
    assert.equal(code, 130, s.stderr);
    assert.match(s.stderr, /quit \(monitor\)/);
    assert.ok(!existsSync(sock), 'socket file removed');
  });
});

describe('monitor without a balloon device', { skip }, () => {
  test('balloon says there is no balloon device; the monitor answers before the guest boots', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'banquise-balloon-'));
    const sock = join(dir, 'monitor.sock');
    const s = new GuestSession(['run', '--kernel', guest.kernel, '--initrd', guest.initrd, '--monitor', sock]);
    let mon;
    try {
      mon = await MonitorClient.open(sock);
      assert.match(await mon.command('balloon 128M'), /^error: this domain has no balloon device \(start it with --balloon\)$/);
      assert.match(await mon.command('help'), /info balloon/);
      await mon.command('quit');
      assert.equal((await s.waitExit(30_000)).code, 130, s.stderr);
    } finally {
      mon?.close();
      s.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
