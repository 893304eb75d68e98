// OpenSBI -> U-Boot -> Linux in full mode: Debian's `u-boot-qemu` (qemu-riscv64_smode) as the
// next stage finds a bootable disk through its distro boot (MBR partition, ext4 with
// /boot/extlinux/extlinux.conf, /boot/Image, /boot/initrd), loads the default guest's kernel
// and initramfs from it and boots them to a shell, as on a physical board. The disk is a
// virtio-blk disk: Debian's build of this U-Boot has no NVMe PCI driver and no nvme boot
// target. Its config (/usr/share/doc/u-boot-qemu/configs/config.qemu-riscv64_smode.gz) has
// CONFIG_NVME=y and CONFIG_CMD_NVME=y but "# CONFIG_NVME_PCI is not set": nothing binds the
// controller (`dm tree` shows pci_generic_drv on 00.01.00, under QEMU too, and `nvme scan`
// finds no device), and its `boot_targets` are "qemu virtio0 scsi0 dhcp". Booting from NVMe
// needs a U-Boot built with CONFIG_NVME_PCI=y: scripts/u-boot.mjs, boot-image.test.mjs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOT_TIMEOUT_MS, findGuest, GuestSession } from '../support/guest-session.mjs';

const UBOOT = '/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin';
const FW = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin';
const missing = !existsSync(UBOOT) ? `${UBOOT} not installed (apt-get install u-boot-qemu)`
  : !existsSync(FW) ? `${FW} not installed (apt-get install opensbi)`
    : spawnSync('mkfs.ext4', ['-V']).error ? 'mkfs.ext4 not installed (apt-get install e2fsprogs)' : undefined;
const guest = missing ?? (await findGuest());
const skip = typeof guest === 'string' ? guest : false;
if (skip) console.log(`# skipping U-Boot distro boot: ${skip}`);

/** A disk image: an MBR with one bootable Linux partition at 1 MiB holding `fsImage`. */
function mbrDisk(fsImage) {
  const START = 2048;
  const mbr = Buffer.alloc(512);
  const e = 446;
  mbr[e] = 0x80; // bootable
  mbr.set([0xfe, 0xff, 0xff], e + 1); // CHS: use LBA
  mbr[e + 4] = 0x83; // Linux
  mbr.set([0xfe, 0xff, 0xff], e + 5);
  mbr.writeUInt32LE(START, e + 8);
  mbr.writeUInt32LE(Math.ceil(fsImage.length / 512), e + 12);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  return Buffer.concat([mbr, Buffer.alloc(START * 512 - 512), fsImage]);
}

describe('full mode: OpenSBI -> U-Boot -> Linux from a disk (distro boot, extlinux)', { skip }, () => {
  let dir, s;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'banquise-uboot-'));
    const root = join(dir, 'root');
    mkdirSync(join(root, 'boot', 'extlinux'), { recursive: true });
    copyFileSync(guest.kernel, join(root, 'boot', 'Image'));
    copyFileSync(guest.initrd, join(root, 'boot', 'initrd'));
    writeFileSync(join(root, 'boot', 'extlinux', 'extlinux.conf'),
      'default linux\ntimeout 0\nlabel linux\n  kernel /boot/Image\n  initrd /boot/initrd\n  append console=ttyS0 from=extlinux\n');
    const fs = join(dir, 'boot.ext4');
    const r = spawnSync('mkfs.ext4', ['-q', '-F', '-L', 'boot', '-d', root, fs, '48M'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    writeFileSync(join(dir, 'boot.img'), mbrDisk(readFileSync(fs)));
  });
  after(() => {
    s?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('U-Boot finds extlinux.conf, loads kernel and initrd, Linux reaches a shell with its append line', async () => {
    s = new GuestSession(['run', '--mode', 'full', '--kernel', UBOOT, '--disk', join(dir, 'boot.img')]);
    await s.waitFor(/Found \/boot\/extlinux\/extlinux\.conf/, BOOT_TIMEOUT_MS);
    await s.waitFor(/Starting kernel/, BOOT_TIMEOUT_MS);
    await s.waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
    await s.waitFor(/# $/m, 60_000);
    assert.match(await s.run('cat /proc/cmdline'), /console=ttyS0 from=extlinux/);
    assert.match(await s.run('cat /sys/firmware/devicetree/base/chosen/u-boot,version'), /2023\.01/);
    s.send('poweroff\n');
    const { code } = await s.exited;
    assert.equal(code, 0, s.stderr);
  });
});
