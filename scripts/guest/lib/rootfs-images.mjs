// The guest's root file system: a staging tree (busybox install + guest/rootfs + guest/init), packed
// as a newc initramfs (the kernel's gen_init_cpio) and as an ext4 disk image (mke2fs -d), both
// owned by root and with fixed timestamps, without needing root privileges.
import {
  chmodSync, closeSync, copyFileSync, cpSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync,
  readFileSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { BuildStepError } from './build-log.mjs';
import { genInitCpioList } from './cpio-list.mjs';
import { checkExt4, listNewcCpioGz } from './artifact-checks.mjs';
import { sha256 } from './guest-inputs.mjs';

/** Directories every guest root has, besides what busybox installs. */
const ROOT_DIRS = ['dev', 'proc', 'sys', 'tmp', 'mnt', 'run', 'root', 'etc/init.d', 'var/log', 'home', 'bin', 'sbin', 'usr/bin', 'usr/sbin'];

/** Entries the initramfs must contain (the build fails otherwise). */
export const INITRAMFS_REQUIRED = ['init', 'bin/busybox', 'bin/sh', 'sbin/init', 'dev/console', 'etc/inittab', 'etc/init.d/rcS'];

/** Sets the mtime and atime of every entry under `dir` (symlinks themselves included) to `epoch`. */
export function setTimes(dir, epoch) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (lstatSync(p).isDirectory()) setTimes(p, epoch);
    lutimesSync(p, epoch, epoch);
  }
  lutimesSync(dir, epoch, epoch);
}

/**
 * Completes a staging tree that already holds the busybox install: standard directories, the
 * files of `<guestDir>/rootfs`, and `<guestDir>/init` as /init; then fixes every timestamp.
 */
export function stageRootfs(guestDir, stage, epoch) {
  for (const d of ROOT_DIRS) mkdirSync(join(stage, d), { recursive: true });
  cpSync(join(guestDir, 'rootfs'), stage, { recursive: true, verbatimSymlinks: true, force: true });
  copyFileSync(join(guestDir, 'init'), join(stage, 'init'));
  chmodSync(join(stage, 'init'), 0o755);
  chmodSync(join(stage, 'tmp'), 0o1777);
  chmodSync(join(stage, 'root'), 0o700);
  setTimes(stage, epoch);
}

/**
 * Packs `stage` into a gzip newc initramfs at `target` with the kernel's gen_init_cpio (compiled
 * from `linuxSrc`), adding /dev/console and /dev/null nodes. Returns the number of entries.
 * @param {import('./build-log.mjs').BuildLog} log
 * @param {{ work: string, linuxSrc: string, stage: string, target: string, epoch: number }} o
 */
export async function buildInitramfs(log, o) {
  const genInitCpio = join(o.work, 'gen_init_cpio');
  await log.run('gcc', ['-O2', '-o', genInitCpio, join(o.linuxSrc, 'usr/gen_init_cpio.c')]);
  const listPath = join(o.work, 'initramfs.list');
  writeFileSync(listPath, genInitCpioList(o.stage, ['nod /dev/console 0600 0 0 c 5 1', 'nod /dev/null 0666 0 0 c 1 3']));
  const cpioPath = join(o.work, 'initramfs.cpio');
  const fd = openSync(cpioPath, 'w');
  try {
    await log.run(genInitCpio, ['-t', String(o.epoch), listPath], { stdoutFile: fd });
  } finally {
    closeSync(fd);
  }
  writeFileSync(o.target, gzipSync(readFileSync(cpioPath), { level: 9 }));
  const names = new Set(listNewcCpioGz(o.target));
  for (const needed of INITRAMFS_REQUIRED) {
    if (!names.has(needed)) throw new BuildStepError(`the initramfs lacks /${needed}`);
  }
  return names.size;
}

/**
 * Makes the ext4 root disk image `target` (`size`, e.g. "64M") from `stage`: every inode owned by
 * root, fixed times, UUID and hash seed derived from `key`; checked with e2fsck.
 * @param {import('./build-log.mjs').BuildLog} log
 * @param {{ work: string, stage: string, target: string, epoch: number, key: string, size: string }} o
 */
export async function buildRootDisk(log, o) {
  const h = sha256(`rootfs-uuid:${o.key}`);
  const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  const env = { ...process.env, E2FSPROGS_FAKE_TIME: String(o.epoch) };
  await log.run('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'banquise-root', '-U', uuid, '-E', `root_owner=0:0,hash_seed=${uuid}`, '-d', o.stage, o.target, o.size], { env });
  // mke2fs -d copies the builder's uid/gid: make every inode root's (matters when not building as root).
  if (process.getuid?.() !== 0) {
    const cmds = [];
    const walk = (dir, rel) => {
      for (const name of readdirSync(dir).sort()) {
        const p = join(dir, name);
        const st = lstatSync(p);
        if (st.isSymbolicLink()) continue; // debugfs would follow the link; a link's owner does not matter
        cmds.push(`sif "${rel}/${name}" uid 0`, `sif "${rel}/${name}" gid 0`);
        if (st.isDirectory()) walk(p, `${rel}/${name}`);
      }
    };
    walk(o.stage, '');
    const cmdPath = join(o.work, 'debugfs.cmds');
    writeFileSync(cmdPath, cmds.join('\n') + '\n');
    await log.run('debugfs', ['-w', '-f', cmdPath, o.target], { env });
  }
  await log.run('e2fsck', ['-f', '-n', o.target], { env });
  checkExt4(o.target);
}
