#!/usr/bin/env node
// Builds the default Banquise guest from Debian packages only (DESIGN.md §7):
//   Image              Linux 6.1 (linux-source-6.1) for the RISC-V virt board, allnoconfig + guest/linux.config
//   initramfs.cpio.gz  static busybox (Debian source package, glibc from libc6-dev-riscv64-cross) + guest/init
//   rootfs.ext4        the same userland on a 64 MiB ext4 disk, bootable with root=/dev/vda
//   manifest.json      inputs, versions, sizes, sha256 of each artifact, build times
// into ${XDG_CACHE_HOME:-$HOME/.cache}/banquise/guest/<key>/, where <key> hashes every input. A second
// run with the same inputs does nothing. Artifacts appear atomically (built in a work directory of the
// cache, renamed at the end). Usage:
//   node scripts/guest/build.mjs [--force] [--json] [--status] [--quiet] [--keep-work] [--jobs N]
//   --json     print {dir, kernel, initrd, rootDisk, manifest, key, built} on stdout at the end
//   --status   print {key, dir, upToDate} and exit without building
//   --force    rebuild even when the cache holds this key
//   --keep-work  keep the work directory (kernel and busybox trees) for inspection
// Environment: BANQUISE_GUEST_JOBS (make -j, default: number of CPUs), BANQUISE_GUEST_NICE (nice
// level for compilers, default 10; 0 disables), SOURCE_DATE_EPOCH (timestamps inside the images).
import {
  closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { execFileSync } from 'node:child_process';
import { BuildLog, BuildStepError, formatDuration } from './lib/build-log.mjs';
import { guestCacheRoot, guestInputs, sha256 } from './lib/guest-inputs.mjs';
import { applyKconfigFragment, missingKconfigOptions } from './lib/kconfig-check.mjs';
import { buildInitramfs, buildRootDisk, stageRootfs } from './lib/rootfs-images.mjs';
import { checkRiscvImage, checkStaticRiscvElf } from './lib/artifact-checks.mjs';

const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const GUEST_DIR = join(REPO_DIR, 'guest');
const LINUX_TARBALL = '/usr/src/linux-source-6.1.tar.xz';
const CROSS_COMPILE = 'riscv64-linux-gnu-';
const ROOTFS_SIZE = '64M';
/** Artifact file names inside a cache entry. */
const ARTIFACTS = { kernel: 'Image', initrd: 'initramfs.cpio.gz', rootDisk: 'rootfs.ext4', manifest: 'manifest.json' };

/** Tools and files the build needs, each with the Debian package that provides it. */
const REQUIREMENTS = [
  { command: 'make', pkg: 'make' },
  { command: 'gcc', pkg: 'gcc' },
  { command: 'riscv64-linux-gnu-gcc', pkg: 'gcc-riscv64-linux-gnu' },
  { command: 'riscv64-linux-gnu-ld', pkg: 'binutils-riscv64-linux-gnu' },
  { file: '/usr/riscv64-linux-gnu/lib/libc.a', pkg: 'libc6-dev-riscv64-cross' },
  { file: '/usr/riscv64-linux-gnu/include/linux/version.h', pkg: 'linux-libc-dev-riscv64-cross' },
  { file: LINUX_TARBALL, pkg: 'linux-source-6.1' },
  { command: 'bc', pkg: 'bc' },
  { command: 'flex', pkg: 'flex' },
  { command: 'bison', pkg: 'bison' },
  { command: 'perl', pkg: 'perl' },
  { command: 'tar', pkg: 'tar' },
  { command: 'xz', pkg: 'xz-utils' },
  { command: 'mke2fs', pkg: 'e2fsprogs' },
  { command: 'debugfs', pkg: 'e2fsprogs' },
  { command: 'e2fsck', pkg: 'e2fsprogs' },
  { command: 'dpkg-source', pkg: 'dpkg-dev' },
  { command: 'dpkg-query', pkg: 'dpkg' },
  { command: 'apt-get', pkg: 'apt' },
];

function parseArgs(argv) {
  const opts = { force: false, json: false, status: false, quiet: false, keepWork: false, jobs: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') opts.force = true;
    else if (a === '--json') opts.json = true;
    else if (a === '--status') opts.status = true;
    else if (a === '--quiet') opts.quiet = true;
    else if (a === '--keep-work') opts.keepWork = true;
    else if (a === '--jobs') opts.jobs = Number(argv[++i]);
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: node scripts/guest/build.mjs [--force] [--json] [--status] [--quiet] [--keep-work] [--jobs N]\n');
      process.exit(0);
    } else {
      process.stderr.write(`build.mjs: unknown option ${a}\n`);
      process.exit(64);
    }
  }
  if (!opts.jobs) opts.jobs = Number(process.env.BANQUISE_GUEST_JOBS) || availableParallelism();
  if (!Number.isInteger(opts.jobs) || opts.jobs < 1) {
    process.stderr.write('build.mjs: --jobs needs a positive integer\n');
    process.exit(64);
  }
  return opts;
}

/** Fails (exit 69) naming the package to install when a tool or file is missing. */
function checkRequirements() {
  const missing = [];
  for (const r of REQUIREMENTS) {
    const ok = r.command
      ? (() => { try { execFileSync('sh', ['-c', `command -v ${r.command}`], { stdio: 'ignore' }); return true; } catch { return false; } })()
      : existsSync(r.file);
    if (!ok && !missing.includes(r.pkg)) missing.push(r.pkg);
  }
  if (missing.length > 0) {
    for (const pkg of missing) process.stderr.write(`missing package ${pkg}: run scripts/setup.sh (or apt-get install ${pkg})\n`);
    process.exit(69);
  }
}

/** Paths of one cache entry. */
function entryPaths(dir) {
  return {
    dir,
    kernel: join(dir, ARTIFACTS.kernel),
    initrd: join(dir, ARTIFACTS.initrd),
    rootDisk: join(dir, ARTIFACTS.rootDisk),
    manifest: join(dir, ARTIFACTS.manifest),
  };
}

function entryComplete(dir) {
  const p = entryPaths(dir);
  return [p.kernel, p.initrd, p.rootDisk, p.manifest].every((f) => existsSync(f));
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return /** @type {NodeJS.ErrnoException} */ (err).code === 'EPERM';
  }
}

/** Takes the per-key build lock (waits while another live process holds it). Returns a release function. */
async function takeLock(lockPath, log) {
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeFileSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lockPath, 'utf8').trim());
      if (!Number.isInteger(holder) || holder <= 0 || !pidAlive(holder)) {
        rmSync(lockPath, { force: true });
        continue;
      }
      if (!announced) {
        log.info(`another build of this guest is running (pid ${holder}); waiting for it`);
        announced = true;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

/** Wraps a command in `nice -n <level>` unless disabled. */
function niced(cmd, args) {
  const level = process.env.BANQUISE_GUEST_NICE ?? '10';
  return level === '0' ? [cmd, args] : ['nice', ['-n', level, cmd, ...args]];
}

function fileInfo(path) {
  const data = readFileSync(path);
  return { sizeBytes: data.length, sha256: sha256(data) };
}

async function buildKernel(log, work, out, jobs) {
  const src = join(work, 'linux');
  const env = { ...process.env, ARCH: 'riscv', CROSS_COMPILE, KBUILD_BUILD_USER: 'banquise', KBUILD_BUILD_HOST: 'banquise' };
  await log.step('kernel: extract linux-source-6.1', async () => {
    mkdirSync(src);
    await log.run('tar', ['-xf', LINUX_TARBALL, '-C', src, '--strip-components=1']);
  });
  const fragmentPath = join(GUEST_DIR, 'linux.config');
  await log.step('kernel: configure (allnoconfig + guest/linux.config)', async () => {
    await log.run(join(src, 'scripts/kconfig/merge_config.sh'), ['-n', fragmentPath], { cwd: src, env });
    const problems = missingKconfigOptions(readFileSync(fragmentPath, 'utf8'), readFileSync(join(src, '.config'), 'utf8'));
    if (problems.length > 0) {
      for (const p of problems) log.write(`kconfig: ${p}\n`);
      throw new BuildStepError(`the kernel .config lacks options requested by guest/linux.config (a dependency is missing):\n  ${problems.join('\n  ')}`);
    }
  });
  await log.step(`kernel: make Image (-j${jobs})`, async (status) => {
    let compiled = 0;
    const [cmd, args] = niced('make', ['-j', String(jobs), 'Image']);
    await log.run(cmd, args, {
      cwd: src,
      env,
      onLine: (line) => {
        if (/^(CC|AS|LD|AR)\s/.test(line)) compiled++;
        status(`${compiled} objects  ${line.slice(0, 60)}`);
      },
    });
  });
  copyFileSync(join(src, 'arch/riscv/boot/Image'), join(out, ARTIFACTS.kernel));
  copyFileSync(join(src, '.config'), join(out, 'linux.config'));
  checkRiscvImage(join(out, ARTIFACTS.kernel));
  const release = (await log.run('make', ['-s', 'kernelrelease'], { cwd: src, env })).trim();
  return { src, release };
}

async function buildBusybox(log, work, stage, jobs, busyboxSource) {
  const dir = join(work, 'busybox');
  mkdirSync(dir);
  await log.step(`busybox: apt-get source busybox (${busyboxSource.version})`, async () => {
    await log.run('apt-get', ['source', '-q', 'busybox'], { cwd: dir });
  });
  // The key hashed the .dsc apt announced; a different one means the archive changed meanwhile.
  if (!existsSync(join(dir, busyboxSource.dsc)) || sha256(readFileSync(join(dir, busyboxSource.dsc))) !== busyboxSource.sha256) {
    throw new BuildStepError(`apt-get source fetched another busybox than ${busyboxSource.dsc} (apt lists changed during the build?): run the build again`);
  }
  const srcName = readdirSync(dir).find((n) => n.startsWith('busybox-') && statSync(join(dir, n)).isDirectory());
  if (!srcName) throw new BuildStepError(`apt-get source busybox produced no busybox-* directory in ${dir}`);
  const src = join(dir, srcName);
  const makeArgs = [`CROSS_COMPILE=${CROSS_COMPILE}`];
  const fragmentPath = join(GUEST_DIR, 'busybox.config');
  await log.step('busybox: configure (defconfig + guest/busybox.config)', async () => {
    await log.run('make', [...makeArgs, 'defconfig'], { cwd: src });
    const config = join(src, '.config');
    writeFileSync(config, applyKconfigFragment(readFileSync(config, 'utf8'), readFileSync(fragmentPath, 'utf8')));
    // oldconfig asks about options that the fragment made visible; answer with their defaults.
    await log.run('sh', ['-c', `yes '' | make ${makeArgs.join(' ')} oldconfig`], { cwd: src });
    const problems = missingKconfigOptions(readFileSync(fragmentPath, 'utf8'), readFileSync(config, 'utf8'));
    if (problems.length > 0) throw new BuildStepError(`the busybox .config lacks options requested by guest/busybox.config:\n  ${problems.join('\n  ')}`);
  });
  await log.step(`busybox: make (static, -j${jobs})`, async (status) => {
    let compiled = 0;
    const [cmd, args] = niced('make', ['-j', String(jobs), ...makeArgs, 'busybox']);
    await log.run(cmd, args, {
      cwd: src,
      onLine: (line) => {
        if (/^(CC|AR|LD)\s/.test(line)) compiled++;
        status(`${compiled} objects  ${line.slice(0, 60)}`);
      },
    });
    checkStaticRiscvElf(join(src, 'busybox'));
  });
  await log.run('make', [...makeArgs, `CONFIG_PREFIX=${stage}`, 'install'], { cwd: src });
  const upstream = /^busybox-(.*)$/.exec(srcName)?.[1] ?? '';
  const appletCount = readFileSync(join(src, 'busybox.links'), 'utf8').split('\n').filter(Boolean).length;
  return { src, upstream, appletCount };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const cacheRoot = guestCacheRoot();
  mkdirSync(join(cacheRoot, 'logs'), { recursive: true });

  for (const cmd of ['dpkg-query', 'apt-get']) {
    try { execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }); } catch {
      process.stderr.write(`${cmd} not found: the guest build needs a Debian system (run scripts/setup.sh)\n`);
      process.exit(69);
    }
  }
  const inputs = guestInputs(REPO_DIR);
  const finalDir = join(cacheRoot, inputs.key);
  const paths = entryPaths(finalDir);
  const report = (built) => {
    if (opts.json) process.stdout.write(JSON.stringify({ key: inputs.key, built, ...paths }) + '\n');
  };

  if (opts.status) {
    process.stdout.write(JSON.stringify({ key: inputs.key, dir: finalDir, upToDate: entryComplete(finalDir) }) + '\n');
    return;
  }
  if (!opts.force && entryComplete(finalDir)) {
    if (!opts.quiet) process.stderr.write(`guest images up to date (key ${inputs.key}), nothing to do: ${finalDir}\n`);
    report(false);
    return;
  }

  checkRequirements();
  if (!inputs.busyboxSource) {
    process.stderr.write('missing busybox source package (apt has no deb-src entries): run scripts/setup.sh (it enables deb-src and runs apt-get update)\n');
    process.exit(69);
  }
  for (const [pkg, version] of Object.entries(inputs.packages)) {
    if (version === null) {
      process.stderr.write(`missing package ${pkg}: run scripts/setup.sh (or apt-get install ${pkg})\n`);
      process.exit(69);
    }
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const logPath = join(cacheRoot, 'logs', `${inputs.key}-${stamp}.log`);
  const log = new BuildLog(logPath, { quiet: opts.quiet });
  const release = await takeLock(join(cacheRoot, `.lock-${inputs.key}`), log);
  const work = join(cacheRoot, `.work-${inputs.key}-${process.pid}`);
  const cleanup = () => {
    if (!opts.keepWork) rmSync(work, { recursive: true, force: true });
    release();
  };
  const onSignal = (sig) => {
    process.stderr.write(`\nguest build interrupted (${sig}); removing ${work}\n`);
    log.killChildren();
    cleanup();
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    // Another process may have finished the same build while we waited for the lock.
    if (!opts.force && entryComplete(finalDir)) {
      log.info(`guest images up to date (key ${inputs.key}), built by another process: ${finalDir}`);
      report(false);
      return;
    }
    log.info(`building the default guest (key ${inputs.key}) into ${finalDir}; log: ${logPath}`);
    rmSync(work, { recursive: true, force: true });
    const out = join(work, 'out');
    const stage = join(work, 'rootfs');
    mkdirSync(out, { recursive: true });
    mkdirSync(stage);
    const epoch = Number(process.env.SOURCE_DATE_EPOCH) || Math.floor(statSync(LINUX_TARBALL).mtimeMs / 1000);
    const t0 = Date.now();

    const kernel = await buildKernel(log, work, out, opts.jobs);
    const busybox = await buildBusybox(log, work, stage, opts.jobs, inputs.busyboxSource);
    const initrdEntries = await log.step('images: initramfs.cpio.gz and rootfs.ext4', async () => {
      stageRootfs(GUEST_DIR, stage, epoch);
      const n = await buildInitramfs(log, { work, linuxSrc: kernel.src, stage, target: join(out, ARTIFACTS.initrd), epoch });
      await buildRootDisk(log, { work, stage, target: join(out, ARTIFACTS.rootDisk), epoch, key: inputs.key, size: ROOTFS_SIZE });
      return n;
    });

    const manifest = {
      schema: 1,
      key: inputs.key,
      buildDate: new Date().toISOString(),
      buildSeconds: Math.round((Date.now() - t0) / 100) / 10,
      stepSeconds: log.stepSeconds,
      kernel: { release: kernel.release, config: 'linux.config', arch: 'riscv', crossCompile: CROSS_COMPILE },
      busybox: { sourceVersion: inputs.busyboxSource.version, upstreamVersion: busybox.upstream, applets: busybox.appletCount, static: true },
      initramfs: { format: 'newc cpio, gzip -9', entries: initrdEntries },
      rootDisk: { format: 'ext4', size: ROOTFS_SIZE, label: 'banquise-root', cmdline: 'root=/dev/vda rw' },
      sourceDateEpoch: epoch,
      packages: inputs.packages,
      inputFiles: inputs.files,
      artifacts: {
        [ARTIFACTS.kernel]: fileInfo(join(out, ARTIFACTS.kernel)),
        [ARTIFACTS.initrd]: fileInfo(join(out, ARTIFACTS.initrd)),
        [ARTIFACTS.rootDisk]: fileInfo(join(out, ARTIFACTS.rootDisk)),
        'linux.config': fileInfo(join(out, 'linux.config')),
      },
    };
    writeFileSync(join(out, ARTIFACTS.manifest), JSON.stringify(manifest, null, 2) + '\n');

    if (existsSync(finalDir)) rmSync(finalDir, { recursive: true, force: true }); // --force, or a partial entry
    renameSync(out, finalDir);
    log.info(`done in ${formatDuration((Date.now() - t0) / 1000)}: Image ${manifest.artifacts.Image.sizeBytes} B, initramfs ${manifest.artifacts[ARTIFACTS.initrd].sizeBytes} B, rootfs ${manifest.artifacts[ARTIFACTS.rootDisk].sizeBytes} B in ${finalDir}`);
    report(true);
  } catch (err) {
    process.stderr.write(`\nguest build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.stderr.write(`full log: ${logPath}\n--- last lines ---\n${log.tail(30)}\n`);
    if (opts.keepWork) process.stderr.write(`work directory kept: ${work}\n`);
    process.exitCode = 1;
  } finally {
    cleanup();
  }
}

main().catch((err) => {
  process.stderr.write(`guest build failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
