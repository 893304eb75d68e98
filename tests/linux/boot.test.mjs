// Boots the default guest (Linux 6.1 + busybox initramfs) in pv mode through `banquise run` with
// the console on pipes, and checks what a user would: the shell works, arithmetic (integer and
// floating point) is right, tmpfs works, the clock is the host's, reboot and poweroff behave.
// With the JIT (the default), and once more with --no-jit (the interpreter alone).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findGuest, GuestSession, PROMPT } from './guest-session.mjs';
import { MonitorClient } from '../support/monitor-client.mjs';

const guest = await findGuest();
const skip = typeof guest === 'string' ? guest : false;
if (skip) console.log(`# skipping Linux boot tests: ${skip}`);
/** Generous: the interpreter boots in tens of seconds, a loaded CI machine may be much slower. */
const BOOT_TIMEOUT_MS = 15 * 60_000;

/** A guest booted by `banquise run` with `args`, a host monitor on a socket, at its shell prompt. */
async function bootGuest(args) {
  const dir = mkdtempSync(join(tmpdir(), 'banquise-boot-'));
  const sock = join(dir, 'monitor.sock');
  const s = new GuestSession(['run', '--kernel', guest.kernel, '--initrd', guest.initrd, '--monitor', sock, ...args]);
  const cleanup = () => {
    s.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await s.waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
    await s.waitFor(PROMPT, 60_000);
    const mon = await MonitorClient.open(sock);
    return { s, mon, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** What a user checks on a booted guest; the same on every engine (the JIT, the interpreter). */
function userChecks(session) {
  test('uname -m says riscv64', async () => {
    assert.equal((await session().run('uname -m')).trim(), 'riscv64');
  });

  test('/proc/cpuinfo describes one RV64 hart with the board ISA', async () => {
    const info = await session().run('cat /proc/cpuinfo');
    assert.equal((info.match(/^processor\s*:/gm) ?? []).length, 1, info);
    assert.match(info, /^isa\s*:\s*rv64imafdc/m);
    assert.match(info, /^mmu\s*:\s*sv(39|48)/m);
  });

  test('awk integer arithmetic', async () => {
    assert.equal((await session().run("awk 'BEGIN { print 6 * 7, 2 ^ 40, int(-7 / 2), 17 % 5 }'")).trim(), '42 1099511627776 -3 2');
  });

  test('awk floating-point arithmetic', async () => {
    const out = await session().run("awk 'BEGIN { printf \"%.6f %.4e %.5f %.3f\\n\", 1 / 3, sqrt(2) * 1e10, exp(1), atan2(0, -1) }'");
    assert.equal(out.trim(), '0.333333 1.4142e+10 2.71828 3.142');
  });

  test('files in tmpfs', async () => {
    const s = session();
    await s.run('echo banquise-was-here > /tmp/probe && seq 1 1000 > /tmp/numbers');
    assert.equal((await s.run('cat /tmp/probe')).trim(), 'banquise-was-here');
    assert.equal((await s.run("awk '{ t += $1 } END { print t }' /tmp/numbers")).trim(), '500500');
    assert.match(await s.run('grep " /tmp " /proc/mounts'), /tmpfs/);
    await s.run('rm /tmp/probe');
    assert.match(await s.run('ls /tmp/probe 2>&1'), /No such file/);
  });

  test('the guest clock is the host clock (goldfish RTC)', async () => {
    const guestNow = Number((await session().run('date +%s')).trim());
    const hostNow = Date.now() / 1000;
    assert.ok(Math.abs(guestNow - hostNow) < 5, `guest ${guestNow} vs host ${hostNow}`);
  });
}

describe('Linux pv boot, 1 vCPU (the JIT, the default)', { skip }, () => {
  let g;
  before(async () => {
    g = await bootGuest([]);
  });
  after(() => {
    g?.mon.close();
    g?.cleanup();
  });

  test('the guest runs in generated code: info jit counts instructions there', async () => {
    const info = await g.mon.command('info jit');
    const n = Number(/instructions in generated code (\d+)/.exec(info)?.[1] ?? 0);
    assert.ok(n > 1_000_000, info);
  });

  userChecks(() => g.s);

  test('reboot comes back to a prompt', async () => {
    g.s.send('reboot\n');
    await g.s.waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
    await g.s.waitFor(PROMPT, 60_000);
    assert.equal((await g.s.run('echo $((40 + 2))')).trim(), '42');
  });

  test('poweroff ends banquise with status 0', async () => {
    g.s.send('poweroff\n');
    const { code } = await g.s.exited;
    assert.equal(code, 0, g.s.stderr);
  });
});

describe('Linux pv boot, 1 vCPU, --no-jit (the interpreter alone)', { skip }, () => {
  let g;
  before(async () => {
    g = await bootGuest(['--no-jit']);
  });
  after(() => {
    g?.mon.close();
    g?.cleanup();
  });

  test('info jit says the JIT is off', async () => {
    assert.match(await g.mon.command('info jit'), /^the JIT is off/);
  });

  userChecks(() => g.s);

  test('poweroff ends banquise with status 0', async () => {
    g.s.send('poweroff\n');
    assert.equal((await g.s.exited).code, 0, g.s.stderr);
  });
});

describe('Linux pv boot, 4 vCPUs', { skip }, () => {
  let s;
  before(async () => {
    s = new GuestSession(['run', '--kernel', guest.kernel, '--initrd', guest.initrd, '--vcpus', '4']);
    await s.waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
    await s.waitFor(PROMPT, 60_000);
  });
  after(() => s?.kill());

  test('4 CPUs online', async () => {
    assert.equal((await s.run('cat /sys/devices/system/cpu/online')).trim(), '0-3');
    assert.equal((await s.run('grep -c ^processor /proc/cpuinfo')).trim(), '4');
  });

  test('work runs on every CPU', async () => {
    // taskset is not in every busybox; /proc/interrupts shows each CPU took timer interrupts.
    const irqs = await s.run('cat /proc/interrupts');
    assert.match(irqs.split('\n')[0] ?? '', /CPU0\s+CPU1\s+CPU2\s+CPU3/);
  });

  test('poweroff ends banquise with status 0', async () => {
    s.send('poweroff\n');
    assert.equal((await s.exited).code, 0, s.stderr);
  });
});

describe('Linux pv boot, input scripted from a pipe', { skip }, () => {
  test('commands given before boot run once the console is up; poweroff exits 0', async () => {
    const s = new GuestSession(['run', '--kernel', guest.kernel, '--initrd', guest.initrd]);
    s.send("echo script-says-$((6 * 7)); uname -m; poweroff\n");
    s.child.stdin.end();
    const { code } = await s.exited;
    assert.equal(code, 0, s.stderr);
    assert.match(s.output, /script-says-42/);
    assert.match(s.output, /riscv64/);
  });
});
