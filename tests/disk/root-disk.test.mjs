// The default guest's ext4 root disk on virtio-blk through `banquise run --disk`: files written
// and synced by Linux are on the image (read on the host with debugfs, checked with e2fsck) and
// read back by a second boot; a read-only disk refuses writes and stays byte-identical; a write
// the guest synced survives a SIGKILL of the banquise process. Needs e2fsprogs on the host.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireGuest, GuestSession, BOOT_TIMEOUT_MS } from '../support/guest-session.mjs';

const ROOT_APPEND = 'root=/dev/vda rw console=ttyS0';

/** Runs an e2fsprogs tool; fails the test with its output when it is missing. */
function e2(tool, args) {
  const r = spawnSync(tool, args, { encoding: 'latin1', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${tool}: ${r.error.message} (install e2fsprogs)`);
  return r;
}

/** A file's contents read from the image by debugfs (no mount, no journal replay). */
function debugfsCat(image, path) {
  const r = e2('debugfs', ['-R', `cat ${path}`, image]);
  assert.equal(r.status, 0, r.stderr);
  return Buffer.from(r.stdout, 'latin1');
}

const md5 = (b) => createHash('md5').update(b).digest('hex');
const sha256File = (p) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('ext4 root disk on virtio-blk', () => {
  let guest;
  let dir;
  let image;
  const sessions = [];
  // Written by the first boot; the token makes stale images impossible to mistake for a pass.
  const token = `banquise-${process.pid}-${Date.now()}`;
  let guestMd5;

  const boot = (args) => {
    const s = new GuestSession(['run', '--kernel', guest.kernel, ...args]);
    sessions.push(s);
    return s;
  };

  before(async () => {
    guest = await requireGuest();
    dir = mkdtempSync(join(tmpdir(), 'banquise-disk-'));
    image = join(dir, 'root.ext4');
    copyFileSync(guest.rootDisk, image);
  });

  after(() => {
    for (const s of sessions) s.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('files written and synced by the guest are on the image; e2fsck finds it clean', async () => {
    const s = boot(['--disk', image, '--append', ROOT_APPEND]);
    await s.waitForShell(BOOT_TIMEOUT_MS);
    // The root file system is the virtio disk (/dev/root is vda's device number), mounted rw.
    assert.equal(await s.run('mountpoint -d /'), await s.run('cat /sys/block/vda/dev'));
    assert.match(await s.run("awk '$2 == \"/\" { print $3, $4 }' /proc/mounts"), /^ext4 rw/m);
    await s.run(`mkdir -p /data && echo ${token} > /data/token.txt`);
    // 768 KiB of random data: several extents, crosses block groups of the page cache.
    const out = await s.run('head -c 786432 /dev/urandom > /data/random.bin && md5sum /data/random.bin && sync && echo synced');
    const m = /^([0-9a-f]{32}) {2}\/data\/random\.bin$/m.exec(out);
    assert.ok(m, out);
    guestMd5 = m[1];
    assert.match(out, /^synced$/m);
    s.send('poweroff\n');
    assert.deepEqual(await s.waitExit(120_000), { code: 0, signal: null });

    assert.equal(debugfsCat(image, '/data/token.txt').toString(), `${token}\n`);
    const data = debugfsCat(image, '/data/random.bin');
    assert.equal(data.length, 786432);
    assert.equal(md5(data), guestMd5);
    const fsck = e2('e2fsck', ['-fn', image]);
    assert.equal(fsck.status, 0, `e2fsck -fn: status ${fsck.status}\n${fsck.stdout}${fsck.stderr}`);
  });

  test('a second boot reads the files back; a synced write survives SIGKILL of banquise', async () => {
    assert.ok(guestMd5, 'the first boot must have run');
    const s = boot(['--disk', image, '--append', ROOT_APPEND]);
    await s.waitForShell(BOOT_TIMEOUT_MS);
    assert.equal(await s.run('cat /data/token.txt'), token);
    assert.equal(await s.run('md5sum < /data/random.bin'), `${guestMd5}  -`);

    // Flushed write, then the host process dies without any chance to clean up.
    const out = await s.run(`echo after-sync-${token} > /data/late.txt && sync && echo sync-done`);
    assert.match(out, /^sync-done$/m);
    s.kill();
    assert.equal((await s.waitExit(10_000)).signal, 'SIGKILL');

    // The file system was mounted when the process died: its journal holds the metadata that
    // sync committed. Replaying it (what the next mount does) must find the file intact.
    const fix = e2('e2fsck', ['-fp', image]);
    assert.ok(fix.status === 0 || fix.status === 1, `e2fsck -fp: status ${fix.status}\n${fix.stdout}${fix.stderr}`);
    assert.equal(debugfsCat(image, '/data/late.txt').toString(), `after-sync-${token}\n`);
    const fsck = e2('e2fsck', ['-fn', image]);
    assert.equal(fsck.status, 0, `e2fsck -fn after replay: status ${fsck.status}\n${fsck.stdout}${fsck.stderr}`);
  });

  test('a read-only disk (--disk FILE,ro): guest writes fail, the image is unchanged', async () => {
    const ro = join(dir, 'ro.ext4');
    copyFileSync(guest.rootDisk, ro);
    const before = sha256File(ro);
    // Booted from the initramfs; the read-only disk is /dev/vda.
    const s = boot(['--initrd', guest.initrd, '--disk', `${ro},ro`, '--append', 'console=ttyS0']);
    await s.waitForShell(BOOT_TIMEOUT_MS);
    assert.equal(await s.run('cat /sys/block/vda/ro'), '1');
    // A raw write through the block device is refused.
    assert.match(await s.run('dd if=/dev/zero of=/dev/vda bs=4096 count=1 conv=fsync 2>&1; echo status=$?'), /status=[1-9]/);
    // ext4 mounts it read-only (the device is write-protected); file writes fail.
    await s.run('mkdir -p /mnt/ro && mount -t ext4 /dev/vda /mnt/ro 2>&1');
    assert.match(await s.run("awk '$2 == \"/mnt/ro\" { print $4 }' /proc/mounts"), /^ro\b/);
    // Reads work: the guest sees what the host sees in the image.
    assert.equal(await s.run('cat /mnt/ro/etc/hostname'), debugfsCat(ro, '/etc/hostname').toString().replace(/\n$/, ''));
    assert.match(await s.run('echo x > /mnt/ro/new.txt 2>&1; echo status=$?'), /Read-only file system[\s\S]*status=1/);
    await s.run('umount /mnt/ro; sync');
    s.send('poweroff\n');
    assert.deepEqual(await s.waitExit(120_000), { code: 0, signal: null });
    assert.equal(sha256File(ro), before);
  });
});
