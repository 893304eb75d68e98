#!/usr/bin/env node
// U-Boot for the full mode's NVMe boot: Debian's own U-Boot source package (`apt-get source
// u-boot`), built for qemu-riscv64_smode exactly as Debian builds u-boot-qemu (its defconfig and
// patches, its LOCALVERSION) plus two changes, both in scripts/u-boot/:
//   nvme.config              CONFIG_NVME_PCI=y: Debian's binary has the NVMe core and command but
//                            no PCI driver, so it never sees an NVMe controller;
//   nvme-boot-target.patch   distro boot tries nvme0 after virtio0 (boot_targets).
// So `banquise run --mode full --kernel <u-boot.bin> --disk boot.img,if=nvme` (boot.img from
// scripts/boot-image.mjs) goes OpenSBI -> U-Boot -> Linux from the NVMe disk, as under QEMU.
//
// The result is cached in ${XDG_CACHE_HOME:-$HOME/.cache}/banquise/u-boot/<key>/ (u-boot.bin, the
// .config as config, manifest.json), <key> hashing the source package's version and .dsc, the
// cross compiler's version, scripts/u-boot/* and this script. Build log: .../u-boot/logs/.
//
// Usage: node scripts/u-boot.mjs [--force] [--status] [--jobs N]
//   prints the path of u-boot.bin (building it when the cache has none);
//   --status prints {key, dir, ubootBin, upToDate} without building; --force rebuilds.
// Environment: BANQUISE_GUEST_NICE (nice level for make, default 10; 0 disables).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { banquiseCacheDir } from './cache-dir.mjs';

const SCRIPT = fileURLToPath(import.meta.url);
const INPUTS_DIR = join(dirname(SCRIPT), 'u-boot');
const FRAGMENT = join(INPUTS_DIR, 'nvme.config');
const PATCH = join(INPUTS_DIR, 'nvme-boot-target.patch');
const PLATFORM = 'qemu-riscv64_smode';
const CROSS_COMPILE = 'riscv64-linux-gnu-';
/** Suffix of CONFIG_LOCALVERSION after Debian's own, so the banner tells the two builds apart. */
const LOCALVERSION_SUFFIX = '+banquise.nvme';

/** Tools the build needs, each with the Debian package that provides it. */
const REQUIREMENTS = [
  { command: 'apt-get', pkg: 'apt' },
  { command: 'dpkg-source', pkg: 'dpkg-dev' },
  { command: 'make', pkg: 'make' },
  { command: 'gcc', pkg: 'gcc' },
  { command: `${CROSS_COMPILE}gcc`, pkg: 'gcc-riscv64-linux-gnu' },
  { command: 'bison', pkg: 'bison' },
  { command: 'flex', pkg: 'flex' },
  { command: 'patch', pkg: 'patch' },
  { file: '/usr/include/openssl/evp.h', pkg: 'libssl-dev' }, // mkimage (FIT signatures)
];

/** ${XDG_CACHE_HOME:-$HOME/.cache}/banquise/u-boot */
const cacheRoot = () => banquiseCacheDir('u-boot');

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** The u-boot source package apt would fetch (from `apt-get source --print-uris`), or null. */
function sourcePackage() {
  let text;
  try {
    text = execFileSync('apt-get', ['source', '--print-uris', '-qq', 'u-boot'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return null;
  }
  const m = /'\S+'\s+(u-boot_(\S+)\.dsc)\s+\d+\s+SHA256:([0-9a-f]{64})/.exec(text);
  return m ? { dsc: m[1], version: m[2], sha256: m[3] } : null;
}

function packageVersion(pkg) {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }) || null;
  } catch {
    return null;
  }
}

/**
 * Where this U-Boot is (or would be) cached. Throws when apt knows no u-boot source package.
 * @returns {{ key: string, dir: string, ubootBin: string, source: { dsc: string, version: string, sha256: string }, compiler: string | null }}
 */
export function ubootInputs() {
  const source = sourcePackage();
  if (!source) throw new Error('apt knows no u-boot source package (deb-src not enabled): run scripts/setup.sh');
  const compiler = packageVersion('gcc-riscv64-linux-gnu');
  const key = sha256(JSON.stringify({
    source: { version: source.version, sha256: source.sha256 },
    compiler,
    fragment: sha256(readFileSync(FRAGMENT)),
    patch: sha256(readFileSync(PATCH)),
    script: sha256(readFileSync(SCRIPT)),
  })).slice(0, 16);
  const dir = join(cacheRoot(), key);
  return { key, dir, ubootBin: join(dir, 'u-boot.bin'), source, compiler };
}

/** The `CONFIG_X=value` lines of a Kconfig fragment (comments and blank lines dropped). */
function fragmentLines(text) {
  return text.split('\n').map((l) => l.trim()).filter((l) => /^CONFIG_\w+=/.test(l));
}

/**
 * Runs a command with its output appended to `logPath`; `onLine` sees each output line, and
 * `children` holds the process while it runs (so an interrupted build can stop it).
 */
function run(logPath, cmd, args, { cwd, env, onLine, children } = {}) {
  appendFileSync(logPath, `\n$ ${[cmd, ...args].join(' ')}${cwd ? `   (in ${cwd})` : ''}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    children?.add(child);
    let stdout = '';
    const take = (keep) => (chunk) => {
      const text = chunk.toString();
      if (keep) stdout += text;
      appendFileSync(logPath, text);
      if (onLine) for (const line of text.split('\n')) if (line.trim()) onLine(line.trim());
    };
    child.stdout.on('data', take(true));
    child.stderr.on('data', take(false));
    child.on('error', (err) => reject(new Error(`cannot run ${cmd}: ${err.message}`)));
    child.on('close', (code, signal) => {
      children?.delete(child);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed (${signal ?? `exit status ${code}`})`));
    });
  });
}

/** One progress line per step (with its duration), a heartbeat every minute in between. */
function progress() {
  const t0 = Date.now();
  const stamp = () => `[u-boot ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s]`;
  return {
    info: (text) => process.stderr.write(`${stamp()} ${text}\n`),
    async step(name, fn) {
      const s0 = Date.now();
      process.stderr.write(`${stamp()} ${name} ...\n`);
      let status = '';
      const timer = setInterval(() => process.stderr.write(`        ${name}: ${Math.round((Date.now() - s0) / 1000)}s ${status}\n`), 60_000);
      try {
        const result = await fn((text) => { status = text; });
        process.stderr.write(`${stamp()} done: ${name} (${((Date.now() - s0) / 1000).toFixed(1)}s)\n`);
        return result;
      } finally {
        clearInterval(timer);
      }
    },
    seconds: () => (Date.now() - t0) / 1000,
  };
}

function commandExists(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Builds U-Boot into the cache (unless there already and not `force`); returns u-boot.bin's path. */
export async function buildUboot({ force = false, jobs = availableParallelism() } = {}) {
  const inputs = ubootInputs();
  if (existsSync(inputs.ubootBin) && !force) return inputs.ubootBin;
  const missing = [...new Set(REQUIREMENTS.filter((r) => (r.command ? !commandExists(r.command) : !existsSync(r.file))).map((r) => r.pkg))];
  if (missing.length > 0) throw new Error(`missing package(s) ${missing.join(' ')}: run scripts/setup.sh`);

  const root = cacheRoot();
  mkdirSync(join(root, 'logs'), { recursive: true });
  const logPath = join(root, 'logs', `${inputs.key}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const work = join(root, `.work-${inputs.key}-${process.pid}`);
  const p = progress();
  p.info(`building U-Boot ${inputs.source.version} (${PLATFORM}, NVMe PCI) into ${inputs.dir}; log: ${logPath}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const children = new Set();
  const onSignal = (sig) => {
    process.stderr.write(`\nu-boot build interrupted (${sig}); removing ${work}\n`);
    for (const child of children) child.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await p.step(`apt-get source u-boot (${inputs.source.version})`, () => run(logPath, 'apt-get', ['source', '-q', 'u-boot'], { cwd: work, children }));
    if (sha256(readFileSync(join(work, inputs.source.dsc))) !== inputs.source.sha256) {
      throw new Error(`apt-get source fetched another u-boot than ${inputs.source.dsc} (apt lists changed meanwhile?): run again`);
    }
    const srcName = readdirSync(work).find((n) => n.startsWith('u-boot-') && statSync(join(work, n)).isDirectory());
    if (!srcName) throw new Error('apt-get source u-boot produced no u-boot-* directory');
    const src = join(work, srcName);
    const build = join(src, 'build');
    // Debian's debian/rules: LOCALVERSION is the Debian revision ("+dfsg-2+deb12u3"); dates come
    // from its changelog so that two builds of the same inputs are the same.
    const revision = inputs.source.version.replace(/^.*\+dfsg/, '+dfsg');
    const epoch = (await run(logPath, 'dpkg-parsechangelog', ['-STimestamp'], { cwd: src })).trim();
    const env = { ...process.env, SOURCE_DATE_EPOCH: epoch };
    const make = (args, onLine) => {
      const nice = process.env.BANQUISE_GUEST_NICE ?? '10';
      const argv = ['make', `O=${build}`, `CROSS_COMPILE=${CROSS_COMPILE}`, ...args];
      return nice === '0' ? run(logPath, argv[0], argv.slice(1), { cwd: src, env, onLine, children })
        : run(logPath, 'nice', ['-n', nice, ...argv], { cwd: src, env, onLine, children });
    };

    const fragment = fragmentLines(readFileSync(FRAGMENT, 'utf8'));
    await p.step(`configure: ${PLATFORM}_defconfig + ${fragment.join(' ')} + the nvme boot target`, async () => {
      await run(logPath, 'patch', ['-p1', '--forward', '-i', PATCH], { cwd: src });
      await make([`${PLATFORM}_defconfig`]);
      const configPath = join(build, '.config');
      const config = readFileSync(configPath, 'utf8')
        .replace(/^CONFIG_LOCALVERSION=.*$/m, `CONFIG_LOCALVERSION="${revision}${LOCALVERSION_SUFFIX}"`);
      writeFileSync(configPath, `${config}\n# scripts/u-boot/nvme.config\n${fragment.join('\n')}\n`);
      await make(['olddefconfig']);
      const final = readFileSync(configPath, 'utf8').split('\n');
      const lost = fragment.filter((line) => !final.includes(line));
      if (lost.length > 0) throw new Error(`the U-Boot .config lacks ${lost.join(' ')} (a dependency is missing)`);
    });
    await p.step(`make -j${jobs} u-boot.bin`, (status) => {
      let objects = 0;
      return make([`-j${jobs}`, 'u-boot.bin'], (line) => {
        if (/^(HOSTCC|HOSTLD|CC|AS|LD|AR)\s/.test(line)) objects++;
        status(`${objects} objects`);
      });
    });

    const out = join(work, 'out');
    mkdirSync(out);
    copyFileSync(join(build, 'u-boot.bin'), join(out, 'u-boot.bin'));
    copyFileSync(join(build, '.config'), join(out, 'config'));
    const bin = readFileSync(join(out, 'u-boot.bin'));
    writeFileSync(join(out, 'manifest.json'), JSON.stringify({
      key: inputs.key,
      platform: PLATFORM,
      source: inputs.source,
      compiler: inputs.compiler,
      changes: { fragment, patch: 'nvme-boot-target.patch' },
      buildSeconds: Math.round(p.seconds() * 10) / 10,
      jobs,
      artifacts: { 'u-boot.bin': { sizeBytes: bin.length, sha256: sha256(bin) } },
    }, null, 2) + '\n');
    if (existsSync(inputs.dir)) rmSync(inputs.dir, { recursive: true, force: true });
    renameSync(out, inputs.dir);
    p.info(`done in ${p.seconds().toFixed(1)}s: u-boot.bin ${bin.length} B`);
    return inputs.ubootBin;
  } catch (err) {
    const tail = existsSync(logPath) ? readFileSync(logPath, 'utf8').split('\n').slice(-25).join('\n') : '';
    throw new Error(`${err.message}\nfull log: ${logPath}\n--- last lines ---\n${tail}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === SCRIPT) {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        force: { type: 'boolean', default: false },
        status: { type: 'boolean', default: false },
        jobs: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    console.error(`u-boot: ${err.message} (see --help)`);
    process.exit(64);
  }
  if (values.help) {
    console.log('Usage: node scripts/u-boot.mjs [--force] [--status] [--jobs N]\nBuilds U-Boot (qemu-riscv64_smode, Debian source, NVMe PCI) and prints the path of u-boot.bin.');
    process.exit(0);
  }
  try {
    if (values.status) {
      const { key, dir, ubootBin } = ubootInputs();
      console.log(JSON.stringify({ key, dir, ubootBin, upToDate: existsSync(ubootBin) }));
    } else {
      const jobs = values.jobs === undefined ? availableParallelism() : Number(values.jobs);
      if (!Number.isInteger(jobs) || jobs < 1) throw new Error('--jobs needs a positive integer');
      console.log(await buildUboot({ force: values.force, jobs }));
    }
  } catch (err) {
    console.error(`u-boot: ${err.message}`);
    process.exit(1);
  }
}
