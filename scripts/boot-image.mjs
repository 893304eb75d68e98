#!/usr/bin/env node
// The default guest as a bootable disk, as a physical board would have it: an MBR partition
// table with one bootable Linux partition at 1 MiB holding the guest's ext4 userland
// (rootfs.ext4 of `npm run guest`) plus /boot/Image and /boot/extlinux/extlinux.conf. U-Boot's
// distro boot (Debian's u-boot-qemu, qemu-riscv64_smode) finds extlinux.conf on it and boots the
// kernel with the root file system on the same partition, named by its PARTUUID so the same
// image works as a virtio disk (/dev/vda1) and as an NVMe disk (/dev/nvme0n1p1).
//
// Made from the cached guest build only (nothing here is part of guest/ or scripts/guest/, so
// changing it never rebuilds the kernel): the result is cached in
// ${XDG_CACHE_HOME:-$HOME/.cache}/banquise/boot-image/<key>/boot.img, <key> hashing the guest's
// artifacts and this script. Needs e2fsprogs (debugfs, e2fsck) on the host.
//
// Usage: node scripts/boot-image.mjs [--force]
//   prints the image's path; --force rebuilds it.
//   boot it:  banquise run --mode full --kernel /usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin --disk boot.img
//   or from NVMe (U-Boot of scripts/u-boot.mjs):  ... --kernel "$(node scripts/u-boot.mjs)" --disk boot.img,if=nvme
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { banquiseCacheDir } from './cache-dir.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..');

/** MBR disk signature: the partition is PARTUUID=ba5e0001-01 (Linux's name for MBR partitions). */
export const DISK_SIGNATURE = 0xba5e0001;
/** The root= value of the image's kernel command line. */
export const ROOT_PARTUUID = `PARTUUID=${DISK_SIGNATURE.toString(16).padStart(8, '0')}-01`;
/** First sector of the partition (1 MiB, as partitioning tools align it). */
const START_SECTOR = 2048;

/** extlinux.conf: one entry, no initramfs (the kernel mounts the root partition itself). */
export const EXTLINUX_CONF = [
  '# Banquise default guest (scripts/boot-image.mjs): U-Boot distro boot reads this file.',
  'default banquise',
  'timeout 0',
  'label banquise',
  '  kernel /boot/Image',
  `  append root=${ROOT_PARTUUID} rw rootwait console=ttyS0`,
  '',
].join('\n');

function run(tool, args) {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${tool}: ${r.error.message} (apt-get install e2fsprogs)`);
  return r;
}

/** The MBR: one bootable type-0x83 partition of `sectors` sectors at START_SECTOR, LBA only. */
function mbr(sectors) {
  const b = Buffer.alloc(512);
  b.writeUInt32LE(DISK_SIGNATURE, 440);
  const e = 446;
  b[e] = 0x80; // active: U-Boot's distro boot scans the bootable partition
  b.set([0xfe, 0xff, 0xff], e + 1); // CHS start/end: past 8 GiB, use LBA
  b[e + 4] = 0x83; // Linux
  b.set([0xfe, 0xff, 0xff], e + 5);
  b.writeUInt32LE(START_SECTOR, e + 8);
  b.writeUInt32LE(sectors, e + 12);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}

/** Builds (or finds in the cache) the boot image for the guest in `guestDir`; returns its path. */
export function bootImage(guestDir, { force = false } = {}) {
  const rootfs = join(guestDir, 'rootfs.ext4');
  const kernel = join(guestDir, 'Image');
  for (const p of [rootfs, kernel]) if (!existsSync(p)) throw new Error(`${p} missing: run npm run guest first`);
  const key = createHash('sha256')
    .update(readFileSync(rootfs)).update(readFileSync(kernel)).update(readFileSync(fileURLToPath(import.meta.url)))
    .digest('hex').slice(0, 16);
  const dir = join(banquiseCacheDir('boot-image'), key);
  const out = join(dir, 'boot.img');
  if (existsSync(out) && !force) return out;

  mkdirSync(dir, { recursive: true });
  const work = join(dir, `work-${process.pid}`);
  mkdirSync(work, { recursive: true });
  try {
    const fs = join(work, 'part.ext4');
    copyFileSync(rootfs, fs);
    writeFileSync(join(work, 'extlinux.conf'), EXTLINUX_CONF);
    // debugfs edits the file system image without mounting it (no root needed)
    const cmds = ['mkdir /boot', 'mkdir /boot/extlinux', 'cd /boot', `write ${kernel} Image`,
      'cd /boot/extlinux', `write ${join(work, 'extlinux.conf')} extlinux.conf`];
    writeFileSync(join(work, 'cmds'), cmds.join('\n') + '\n');
    const d = run('debugfs', ['-w', '-f', join(work, 'cmds'), fs]);
    if (d.status !== 0 || /error|No space|not found/i.test(d.stderr.replace(/^debugfs [^\n]*\n/, ''))) {
      throw new Error(`debugfs could not add /boot:\n${d.stderr}`);
    }
    const ck = run('e2fsck', ['-f', '-n', fs]);
    if (ck.status !== 0) throw new Error(`e2fsck found problems in the new file system:\n${ck.stdout}${ck.stderr}`);
    const part = readFileSync(fs);
    const img = join(work, 'boot.img');
    writeFileSync(img, Buffer.concat([mbr(part.length / 512), Buffer.alloc(START_SECTOR * 512 - 512), part]));
    renameSync(img, out);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { force: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  if (values.help) {
    console.log('Usage: node scripts/boot-image.mjs [--force]\nBuilds the default guest as a bootable MBR disk (ext4 userland + /boot/Image + extlinux.conf) and prints its path.');
    process.exit(0);
  }
  const mod = join(REPO, 'dist', 'platform', 'node', 'guest-images.js');
  if (!existsSync(mod)) {
    console.error('boot-image: build first (npx tsc -b src/tsconfig.json)');
    process.exit(1);
  }
  const { ensureDefaultGuest } = await import(mod);
  const g = await ensureDefaultGuest();
  try {
    console.log(bootImage(g.dir, { force: values.force }));
  } catch (err) {
    console.error(`boot-image: ${err.message}`);
    process.exit(1);
  }
}
