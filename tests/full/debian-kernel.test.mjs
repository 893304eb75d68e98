// A kernel Banquise did not build boots the same way as the default guest's: Debian 13's own
// riscv64 kernel (scripts/debian-kernel.mjs: trixie's linux-image-riscv64, signature and
// checksums verified; its device drivers are modules, loaded by the initramfs). Full mode
// (Debian's OpenSBI fw_dynamic, NVMe and e1000 on PCIe, virtio-blk) and pv mode reach the
// default guest's shell; inside, uname -r is Debian's, the modules are loaded and the disks
// read what the host wrote. QEMU boots the same files as the reference. Needs the default guest
// and `npm run debian-kernel` (.ci/run does both); fails, naming the command, when the kernel
// is not fetched.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOT_TIMEOUT_MS, findGuest, GuestSession } from '../support/guest-session.mjs';
import { debianKernelStatus } from '../../scripts/debian-kernel.mjs';

const FW = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin';
const guest = !existsSync(FW) ? `${FW} not installed (apt-get install opensbi)` : await findGuest();
const skip = typeof guest === 'string' ? guest : false;
if (skip) console.log(`# skipping Debian's kernel: ${skip}`);
const haveQemu = spawnSync('qemu-system-riscv64', ['--version']).status === 0;

/** The fetched kernel's files and manifest; throws (failing the test) when it is not fetched. */
function debianKernel() {
  const st = debianKernelStatus();
  if (!st.upToDate) throw new Error(`Debian's kernel is not fetched: run \`npm run debian-kernel\` (${st.reason})`);
  return { ...st, manifest: JSON.parse(readFileSync(st.manifest, 'utf8')) };
}

/** 1 MiB disk whose first sector starts with `mark`. */
function markedDisk(path, mark) {
  const b = Buffer.alloc(1 << 20);
  b.write(mark);
  writeFileSync(path, b);
  return path;
}

/** Checks the kernel inside a running guest: Debian's release, its modules, the virtio disk. */
async function checkInside(s, dk, vdaMark) {
  // Debian's kernel logs more to the console (e.g. each ext4 mount); keep it out of command output
  await s.run('dmesg -n 1');
  assert.equal(await s.run('uname -r'), dk.manifest.kernelRelease);
  assert.match(await s.run('cat /proc/version'), /Debian/);
  const loaded = new Set((await s.run('cut -d" " -f1 /proc/modules')).split('\n'));
  for (const m of dk.manifest.modules) assert.ok(loaded.has(m), `module ${m} loaded (have: ${[...loaded].join(' ')})`);
  // No WARN (W), oops (D), bad page (B) or unsigned module (E: every module's signature was
  // checked by the kernel; Debian signs them). Only L may be set: Debian's kernel has the soft
  // lockup detector, which an interpreter on a loaded host can trip during an insmod (seen at a
  // load average of 15-19; not under QEMU).
  const SOFTLOCKUP = 1 << 14;
  const tainted = Number(await s.run('cat /proc/sys/kernel/tainted'));
  assert.equal(tainted & ~SOFTLOCKUP, 0, `taint flags ${tainted.toString(2)} (Documentation/admin-guide/tainted-kernels.rst)`);
  assert.equal(await s.run(`head -c ${vdaMark.length} /dev/vda`), vdaMark);
}

describe('Debian\'s riscv64 kernel (a kernel built elsewhere)', { skip }, () => {
  let dir;
  const sessions = [];
  const session = (args, opts) => {
    const s = new GuestSession(args, opts);
    sessions.push(s);
    return s;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'banquise-debian-kernel-'));
  });
  after(() => {
    for (const s of sessions) s.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('full mode: OpenSBI -> Debian\'s Linux -> shell, with NVMe (ext4 mounted), e1000 and virtio-blk from its modules', async () => {
    const dk = debianKernel();
    const vda = markedDisk(join(dir, 'full-vda.img'), 'virtio disk written by the host');
    const nvme = join(dir, 'nvme.ext4');
    copyFileSync(guest.rootDisk, nvme);
    const s = session(['run', '--mode', 'full', '--kernel', dk.kernel, '--initrd', dk.initrd,
      '--disk', vda, '--disk', `${nvme},if=nvme`, '--net', 'user,model=e1000']);
    await s.waitFor(/OpenSBI v/, BOOT_TIMEOUT_MS);
    await s.waitFor(new RegExp(`Linux version ${dk.manifest.kernelRelease.replace(/[+.]/g, '\\$&')} .*Debian`), BOOT_TIMEOUT_MS);
    await s.waitForShell(BOOT_TIMEOUT_MS);
    assert.doesNotMatch(s.output, /banquise: insmod .* failed/);
    await checkInside(s, dk, 'virtio disk written by the host');
    assert.equal(await s.run('basename $(readlink /sys/class/net/eth0/device/driver)'), 'e1000');
    assert.match(await s.run('cat /proc/partitions'), /\bnvme0n1$/m);
    assert.equal(await s.run('mount -t ext4 /dev/nvme0n1 /mnt && test -x /mnt/bin/busybox && grep nvme0n1 /proc/mounts | cut -d" " -f3'), 'ext4');
    await s.run('echo written-by-debian-linux > /mnt/root/mark; umount /mnt');
    s.send('poweroff\n');
    assert.equal((await s.waitExit(120_000)).code, 0, s.stderr);
    const ls = spawnSync('debugfs', ['-R', 'cat /root/mark', nvme], { encoding: 'utf8' });
    assert.equal(ls.stdout.trim(), 'written-by-debian-linux', 'the NVMe write reached the host file');
  });

  test('pv mode: the same kernel and initramfs, SBI answered by Banquise', async () => {
    const dk = debianKernel();
    const vda = markedDisk(join(dir, 'pv-vda.img'), 'pv virtio disk from the host');
    const s = session(['run', '--kernel', dk.kernel, '--initrd', dk.initrd, '--disk', vda]);
    await s.waitFor(/SBI implementation ID=0x42414e51/, BOOT_TIMEOUT_MS);
    await s.waitForShell(BOOT_TIMEOUT_MS);
    await checkInside(s, dk, 'pv virtio disk from the host');
    s.send('poweroff\n');
    assert.equal((await s.waitExit(120_000)).code, 0, s.stderr);
  });

  test('reference: QEMU boots the same files through the same OpenSBI', { skip: haveQemu ? false : 'qemu-system-riscv64 not installed' }, async () => {
    const dk = debianKernel();
    const vda = markedDisk(join(dir, 'qemu-vda.img'), 'qemu virtio disk from the host');
    const s = session(['-M', 'virt', '-m', '256M', '-nographic', '-bios', FW, '-kernel', dk.kernel, '-initrd', dk.initrd,
      '-append', 'console=ttyS0', '-drive', `file=${vda},format=raw,if=none,id=d0`, '-device', 'virtio-blk-device,drive=d0'],
    { command: 'qemu-system-riscv64' });
    await s.waitForShell(BOOT_TIMEOUT_MS);
    await checkInside(s, dk, 'qemu virtio disk from the host');
    s.send('poweroff\n');
    await s.waitExit(120_000);
  });
});
