// Save and restore of a running Linux guest through `banquise run` (issue 12): a file written
// in tmpfs and a counter running in the background; the monitor's `save -c` takes a checkpoint
// and `quit` saves on exit (--save-on-exit); `--restore` resumes either one: the file is there
// and the counter goes on from where it was, not from 1. A save file with one flipped byte, a
// truncated one, and one whose disk image is gone are refused with clear messages.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findGuest, GuestSession, BOOT_TIMEOUT_MS } from '../support/guest-session.mjs';
import { MonitorClient } from '../support/monitor-client.mjs';

const guest = await findGuest();
const skip = typeof guest === 'string' ? guest : false;
if (skip) console.log(`# skipping save/restore tests: ${skip}`);

const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; usleep 50000; done';

/**
 * The counter's value. The shell truncates /tmp/count before each write, so a read can catch it
 * empty: read again then.
 */
async function counter(s) {
  for (let i = 0; ; i++) {
    const text = (await s.run('cat /tmp/count')).trim();
    if (text !== '' || i === 5) return Number(text);
  }
}

/**
 * Waits until the restored shell answers. No boot: the shell is already there. Not a wait for
 * the prompt: the kernel may print after it (the clock jumps forward on restore and Linux can
 * report a late hrtimer), so the check is the output of a command.
 */
async function resumed(s) {
  s.send('echo resumed-$((40+2))\n');
  await s.waitFor(/resumed-42\r?\n/, 120_000);
}

describe('save and restore of a running Linux guest (banquise run)', { skip }, () => {
  let dir;
  let disk;
  const sessions = [];
  const start = (args) => {
    const s = new GuestSession(args);
    sessions.push(s);
    return s;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'banquise-save-'));
    disk = join(dir, 'root.img');
    copyFileSync(guest.rootDisk, disk); // the save file refers to it: it must stay at this path
  });
  after(() => {
    for (const s of sessions) s.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  let atQuit; // counter value when the first guest was saved
  let checkpointAt;
  test('a guest with a tmpfs file and a running counter is checkpointed, then saved on quit', async () => {
    const sock = join(dir, 'm1.sock');
    const s = start(['run', '--kernel', guest.kernel, '--initrd', guest.initrd, '--memory', '128M', '--disk', disk,
      '--monitor', sock, '--save-on-exit', join(dir, 'exit.bqs')]);
    await s.waitForShell(BOOT_TIMEOUT_MS);
    await s.run('echo kept-in-tmpfs > /tmp/file');
    s.send(`(${COUNTER}) &\n`);
    await s.waitFor(/# $/, 60_000);
    const c1 = await counter(s);
    await new Promise((r) => setTimeout(r, 1500));
    const c2 = await counter(s);
    assert.ok(c2 > c1 && c1 > 0, `the counter runs (${c1} then ${c2})`);
    const m = await MonitorClient.open(sock);
    const reply = await m.command(`save -c ${join(dir, 'checkpoint.bqs')}`);
    assert.match(reply, /^saved to .*checkpoint\.bqs: [\d.]+ MiB \(\d+ pages\) in \d+ ms$/);
    checkpointAt = c2;
    assert.equal((await s.run('cat /tmp/file')).trim(), 'kept-in-tmpfs', 'a checkpoint keeps the guest running');
    atQuit = await counter(s);
    m.sock.write('quit\n');
    const { code } = await s.waitExit(120_000);
    assert.equal(code, 0, `exit status after a save on exit; stderr:\n${s.stderr}`);
    assert.match(s.stderr, /quit \(monitor\); saved to .*exit\.bqs/);
    assert.ok(existsSync(join(dir, 'exit.bqs')) && !existsSync(join(dir, 'exit.bqs.partial')));
    m.close();
  });

  test('--restore resumes the guest: the file is there and the counter continues', async () => {
    assert.ok(atQuit !== undefined, 'needs the save of the previous test');
    const s = start(['run', '--restore', join(dir, 'exit.bqs')]);
    await resumed(s);
    assert.equal((await s.run('cat /tmp/file')).trim(), 'kept-in-tmpfs');
    const c = await counter(s);
    assert.ok(c >= atQuit, `counter ${c} after restore, ${atQuit} when saved: it did not restart`);
    await new Promise((r) => setTimeout(r, 1500));
    const later = await counter(s);
    assert.ok(later > c, `the counter keeps running after the restore (${c} then ${later})`);
    assert.match(await s.run('uname -m'), /riscv64/);
    s.send('poweroff\n');
    const { code } = await s.waitExit(120_000);
    assert.equal(code, 0);
  });

  test('the checkpoint restores too, from its own earlier instant', async () => {
    const s = start(['run', '--restore', join(dir, 'checkpoint.bqs')]);
    await resumed(s);
    const c = await counter(s);
    assert.ok(c >= checkpointAt && c < atQuit + 1000, `counter ${c} continues from the checkpoint (${checkpointAt})`);
    s.kill();
  });

  test('a save file with a flipped byte, a truncated one or a foreign file is refused', async () => {
    const good = readFileSync(join(dir, 'exit.bqs'));
    const cases = [];
    const flipped = Buffer.from(good);
    flipped[Math.floor(flipped.length / 2)] ^= 0x10;
    cases.push(['flipped.bqs', flipped, /snapshot is corrupted: checksum mismatch in record \d+ \(\w+\) at byte \d+/]);
    cases.push(['truncated.bqs', good.subarray(0, good.length - 100), /snapshot is truncated/]);
    cases.push(['foreign.bqs', Buffer.from('hello, I am a text file\n'), /not a Banquise snapshot/]);
    for (const [name, bytes, re] of cases) {
      writeFileSync(join(dir, name), bytes);
      const s = start(['run', '--restore', join(dir, name)]);
      const { code } = await s.waitExit(60_000);
      assert.equal(code, 65, `${name}: exit status; stderr:\n${s.stderr}`);
      assert.match(s.stderr, re, name);
      assert.doesNotMatch(s.output, /Linux|#/, `${name}: no guest ran`);
    }
  });

  test('a save file whose disk image is gone is refused before anything runs', async () => {
    rmSync(disk);
    const s = start(['run', '--restore', join(dir, 'exit.bqs')]);
    const { code } = await s.waitExit(60_000);
    assert.equal(code, 66);
    assert.match(s.stderr, /disk image .*root\.img is missing: a restore needs its disks at the same paths/);
  });

  test('machine options next to --restore are refused', async () => {
    const s = start(['run', '--restore', join(dir, 'exit.bqs'), '--memory', '512M']);
    const { code } = await s.waitExit(60_000);
    assert.equal(code, 64);
    assert.match(s.stderr, /--restore takes the machine from the save file: drop --memory/);
  });
});
