// The default guest as a bootable disk (scripts/boot-image.mjs: MBR, one ext4 partition with the
// guest's userland, /boot/Image and /boot/extlinux/extlinux.conf, root=PARTUUID=...), used as
// a physical board would, on Banquise and under QEMU with the same files:
//   virtio-blk: OpenSBI -> U-Boot (Debian's u-boot-qemu) -> Linux, root on /dev/vda1;
//   NVMe:       OpenSBI -> U-Boot built with the NVMe PCI driver (scripts/u-boot.mjs, part of
//               `npm run guest`; Debian's has none) -> Linux, root on /dev/nvme0n1p1.
// Each boot reads what the one before wrote. uboot-distro-boot.test.mjs covers U-Boot's
// extlinux handling with an initramfs; this file covers the image itself.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOT_TIMEOUT_MS, findGuest, GuestSession, PROMPT } from '../support/guest-session.mjs';
import { bootImage, ROOT_PARTUUID } from '../../scripts/boot-image.mjs';
import { ubootInputs } from '../../scripts/u-boot.mjs';

const UBOOT = '/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin';
const FW = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin';
const missing = !existsSync(UBOOT) ? `${UBOOT} not installed (apt-get install u-boot-qemu)`
  : !existsSync(FW) ? `${FW} not installed (apt-get install opensbi)`
    : spawnSync('debugfs', ['-V']).error ? 'debugfs not installed (apt-get install e2fsprogs)' : undefined;
const guest = missing ?? (await findGuest());
const skip = typeof guest === 'string' ? guest : false;
if (skip) console.log(`# skipping the boot image: ${skip}`);
const haveQemu = spawnSync('qemu-system-riscv64', ['--version']).status === 0;

/** The NVMe-capable U-Boot of scripts/u-boot.mjs; fails (never skips) when it is not built. */
function nvmeUboot() {
  let inputs;
  try {
    inputs = ubootInputs();
  } catch (err) {
    assert.fail(`U-Boot with NVMe cannot be located: ${err.message}`);
  }
  if (!existsSync(inputs.ubootBin)) assert.fail(`U-Boot with NVMe is not built (${inputs.ubootBin}): run \`npm run guest\` (it runs scripts/u-boot.mjs)`);
  return inputs.ubootBin;
}
/** Banner of that U-Boot: Debian's version plus the suffix scripts/u-boot.mjs adds. */
const NVME_UBOOT_VERSION = /^U-Boot 2023\.01\S*\+banquise\.nvme /m;

describe('the default guest as a bootable disk image', { skip }, () => {
  let dir, img;
  const sessions = [];
  const session = (args, opts) => {
    const s = new GuestSession(args, opts);
    sessions.push(s);
    return s;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'banquise-boot-image-'));
    img = join(dir, 'boot.img');
    copyFileSync(bootImage(guest.dir), img); // the cached image stays pristine
  });
  after(() => {
    for (const s of sessions) s.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('layout: an MBR with one bootable Linux partition at 1 MiB, /boot on its ext4', () => {
    const b = readFileSync(img);
    assert.equal(b.readUInt16LE(510), 0xaa55);
    assert.equal(b[446], 0x80, 'active');
    assert.equal(b[446 + 4], 0x83, 'Linux');
    assert.equal(b.readUInt32LE(446 + 8), 2048);
    const part = join(dir, 'part.ext4');
    writeFileSync(part, b.subarray(2048 * 512, (2048 + b.readUInt32LE(446 + 12)) * 512));
    const conf = spawnSync('debugfs', ['-R', 'cat /boot/extlinux/extlinux.conf', part], { encoding: 'utf8' }).stdout;
    assert.match(conf, /kernel \/boot\/Image/);
    assert.match(conf, new RegExp(`append root=${ROOT_PARTUUID} rw`));
    const image = spawnSync('debugfs', ['-R', 'stat /boot/Image', part], { encoding: 'utf8' }).stdout;
    assert.match(image, new RegExp(`Size: ${readFileSync(guest.kernel).length}\\b`));
    assert.match(spawnSync('debugfs', ['-R', 'ls /bin', part], { encoding: 'utf8' }).stdout, /busybox/, 'the userland');
  });

  test('Banquise full mode: OpenSBI -> U-Boot finds extlinux.conf -> Linux mounts its root from the partition', async () => {
    const s = session(['run', '--mode', 'full', '--kernel', UBOOT, '--disk', img]);
    await s.waitFor(/Found \/boot\/extlinux\/extlinux\.conf/, BOOT_TIMEOUT_MS);
    await s.waitFor(/Starting kernel/, BOOT_TIMEOUT_MS);
    await s.waitFor(/Banquise guest ready: [^\n]*root \/dev\/root \(ext4\)/, BOOT_TIMEOUT_MS);
    await s.waitFor(PROMPT, 120_000);
    assert.match(await s.run('cat /proc/cmdline'), new RegExp(`root=${ROOT_PARTUUID} `));
    assert.match(await s.run('cat /proc/partitions'), /\bvda1$/m);
    const [part, root] = (await s.run('cat /sys/block/vda/vda1/dev; mountpoint -d /')).split('\n');
    assert.equal(root, part, 'the root file system is vda1');
    await s.run('echo written-under-u-boot > /root/mark; sync');
    s.send('poweroff\n');
    assert.equal((await s.exited).code, 0, s.stderr);
  });

  test('the same image as an NVMe disk: OpenSBI -> U-Boot (NVMe PCI) -> Linux with its root on nvme0n1p1, the first boot\'s data', async () => {
    const uboot = nvmeUboot();
    const s = session(['run', '--mode', 'full', '--kernel', uboot, '--disk', `${img},if=nvme`]);
    await s.waitFor(NVME_UBOOT_VERSION, BOOT_TIMEOUT_MS);
    await s.waitFor(/^Scanning nvme 0:1\.\.\./m, BOOT_TIMEOUT_MS);
    await s.waitFor(/Found \/boot\/extlinux\/extlinux\.conf/, BOOT_TIMEOUT_MS);
    await s.waitFor(/Starting kernel/, BOOT_TIMEOUT_MS);
    await s.waitFor(/Banquise guest ready: [^\n]*root \/dev\/root \(ext4\)/, BOOT_TIMEOUT_MS);
    await s.waitFor(PROMPT, 120_000);
    // One shell round trip for every check: the U-Boot that ran, the root device, the data.
    const [cmdline, version, blocks, part, root, kernelSum, mark] = (await s.run([
      'cat /proc/cmdline', "tr -d '\\0' < /sys/firmware/devicetree/base/chosen/u-boot,version; echo",
      'echo $(ls /sys/block)', 'cat /sys/block/nvme0n1/nvme0n1p1/dev', 'mountpoint -d /',
      'md5sum /boot/Image', 'cat /root/mark',
    ].join('; '))).split('\n');
    assert.match(cmdline, new RegExp(`root=${ROOT_PARTUUID} `), 'extlinux.conf\'s append line');
    assert.match(version, /\+banquise\.nvme$/, 'Linux was started by the NVMe U-Boot');
    assert.doesNotMatch(blocks, /\bvd/, 'no virtio disk on this machine');
    assert.equal(root, part, 'the root file system is nvme0n1p1');
    assert.equal(kernelSum.split(' ')[0], createHash('md5').update(readFileSync(guest.kernel)).digest('hex'), '/boot/Image is the guest\'s kernel');
    assert.equal(mark, 'written-under-u-boot', 'the file the virtio boot wrote');
    await s.run('echo written-from-nvme > /root/mark; sync');
    s.send('poweroff\n');
    assert.equal((await s.exited).code, 0, s.stderr);
  });

  test('QEMU with the same files: OpenSBI -> U-Boot -> Linux from the image on virtio-blk', { skip: haveQemu ? false : 'qemu-system-riscv64 not installed' }, async () => {
    const copy = join(dir, 'qemu.img');
    copyFileSync(img, copy);
    const s = session(['-M', 'virt', '-m', '256M', '-nographic', '-monitor', 'none', '-bios', FW, '-kernel', UBOOT,
      '-drive', `file=${copy},if=none,format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0'], { command: 'qemu-system-riscv64' });
    await s.waitFor(/Found \/boot\/extlinux\/extlinux\.conf/, 120_000);
    await s.waitForShell(120_000);
    assert.equal(await s.run('cat /root/mark'), 'written-from-nvme', 'the file the Banquise boots wrote');
    assert.match(await s.run('cat /proc/cmdline'), new RegExp(`root=${ROOT_PARTUUID} `));
  });

  test('QEMU with the same files: OpenSBI -> U-Boot (NVMe PCI) -> Linux from the image on an NVMe controller', { skip: haveQemu ? false : 'qemu-system-riscv64 not installed' }, async () => {
    const uboot = nvmeUboot();
    const copy = join(dir, 'qemu-nvme.img');
    copyFileSync(img, copy);
    const s = session(['-M', 'virt', '-m', '256M', '-nographic', '-monitor', 'none', '-bios', FW, '-kernel', uboot,
      '-drive', `file=${copy},if=none,format=raw,id=d0`, '-device', 'nvme,drive=d0,serial=bq0'], { command: 'qemu-system-riscv64' });
    await s.waitFor(NVME_UBOOT_VERSION, 120_000);
    await s.waitFor(/^Scanning nvme 0:1\.\.\./m, 120_000);
    await s.waitForShell(120_000);
    const [part, root, mark] = (await s.run('cat /sys/block/nvme0n1/nvme0n1p1/dev; mountpoint -d /; cat /root/mark')).split('\n');
    assert.equal(root, part, 'the root file system is nvme0n1p1');
    assert.equal(mark, 'written-from-nvme', 'the file the Banquise NVMe boot wrote');
  });
});
