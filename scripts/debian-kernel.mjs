#!/usr/bin/env node
// A kernel Banquise did not build: Debian 13 (trixie)'s own riscv64 kernel, the package that
// `linux-image-riscv64` depends on, fetched from deb.debian.org without touching the host's apt
// configuration, and checked the way apt checks it:
//   dists/trixie/InRelease   gpgv against /usr/share/keyrings/debian-archive-keyring.gpg
//                            (bookworm's debian-archive-keyring ships the trixie keys)
//   main/binary-riscv64/Packages.xz   SHA256 and size from the signed InRelease
//   linux-image-<kver>_<v>_riscv64.deb   SHA256 and size from that Packages index
// From the .deb: /boot/vmlinux-<kver> (a flat RISC-V Image, EFI stub included: booted as is) and
// the modules for the board's devices (virtio-mmio, virtio-blk/net/rng/balloon/input/vsock/9p,
// NVMe, e1000, ext4; Debian builds them as .ko.xz, decompressed here for busybox insmod). The
// initramfs is the default guest's (npm run guest) plus those modules and an /init that loads
// them first (scripts/debian-kernel/initramfs.mjs).
//
// Result, cached: ${XDG_CACHE_HOME:-$HOME/.cache}/banquise/debian-kernel/<key>/{Image,
// initramfs.cpio.gz, config, manifest.json}, <key> hashing the guest's initramfs and these
// scripts. The kernel version is the one trixie had when the entry was made; --force fetches again.
//
// Usage: node scripts/debian-kernel.mjs [--status] [--force] [--json]
//   --status  print {key, dir, upToDate[, reason]} and exit (no network)
//   --json    print {dir, kernel, initrd, manifest, version, release} at the end
//   boot it:  banquise run [--mode full] --kernel <dir>/Image --initrd <dir>/initramfs.cpio.gz
// Environment: BANQUISE_DEBIAN_MIRROR (default http://deb.debian.org/debian).
// Needs gpgv, xz-utils and dpkg (dpkg-deb) on the host.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { banquiseCacheDir } from './cache-dir.mjs';
import { indexUrl, kernelPackage, parseRelease, parseStanzas, verifyInRelease } from './debian-kernel/archive.mjs';
import { GUEST_INIT, initHook, readNewc, writeNewc } from './debian-kernel/initramfs.mjs';
import { builtinAliases, loadOrder, moduleDepends, moduleName, parseBuiltin, readModinfo, softdepsPre } from './debian-kernel/modules.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..');

export const SUITE = 'trixie';
const ARCH = 'riscv64';
const META = 'linux-image-riscv64';
const INDEX = `main/binary-${ARCH}/Packages.xz`;
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
/** The modules for the board's devices and the guest's needs, loaded in this order (after their dependencies). */
export const MODULES = [
  'virtio_mmio', 'virtio_blk', 'virtio_net', 'virtio_rng', 'virtio_balloon', 'virtio_input', 'evdev',
  'vmw_vsock_virtio_transport', '9pnet_virtio', '9p', 'nvme', 'e1000', 'ext4',
];
const FILES = { kernel: 'Image', initrd: 'initramfs.cpio.gz', config: 'config', manifest: 'manifest.json' };

function mirror() {
  const m = process.env.BANQUISE_DEBIAN_MIRROR || 'http://deb.debian.org/debian';
  if (!/^https?:\/\/[^\s]+$/.test(m)) throw new Error(`BANQUISE_DEBIAN_MIRROR is not an http(s) URL: ${m}`);
  return m.replace(/\/+$/, '');
}

const cacheRoot = () => banquiseCacheDir('debian-kernel');

/** The default guest's cache entry if it is built (asks its build script; never builds). */
function builtGuest() {
  const out = execFileSync(process.execPath, [join(REPO, 'scripts', 'guest', 'build.mjs'), '--status'], { encoding: 'utf8' });
  const s = JSON.parse(out.trim().split('\n').pop());
  const initrd = join(s.dir, 'initramfs.cpio.gz');
  return s.upToDate === true && existsSync(initrd) ? { dir: s.dir, initrd } : undefined;
}

/**
 * Where the Debian kernel for the current default guest is (or would be) cached:
 * {key, dir, upToDate, kernel, initrd, manifest}, or {upToDate: false, reason} without a guest.
 */
export function debianKernelStatus() {
  const guest = builtGuest();
  if (!guest) return { upToDate: false, reason: 'the default guest is not built (npm run guest)' };
  const h = createHash('sha256').update(readFileSync(guest.initrd));
  for (const f of [fileURLToPath(import.meta.url), ...readdirSync(join(HERE, 'debian-kernel')).sort().map((n) => join(HERE, 'debian-kernel', n))]) {
    h.update(basename(f)).update(readFileSync(f)); // names, not paths: the key must not depend on where the clone is
  }
  const key = h.digest('hex').slice(0, 16);
  const dir = join(cacheRoot(), key);
  const paths = { kernel: join(dir, FILES.kernel), initrd: join(dir, FILES.initrd), manifest: join(dir, FILES.manifest) };
  const upToDate = Object.values(paths).every((p) => existsSync(p));
  return { key, dir, upToDate, ...paths, guestInitrd: guest.initrd, ...(upToDate ? {} : { reason: 'not fetched for this guest initramfs and these scripts yet' }) };
}

function progress(text) {
  process.stderr.write(`debian-kernel: ${text}\n`);
}

const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;

/** Downloads `url` to `file`, checking size and SHA256 when `expect` is given; returns {size, seconds}. */
async function download(url, file, expect) {
  const t0 = performance.now();
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`GET ${url}: HTTP ${res.status}`);
  const hash = createHash('sha256');
  let size = 0;
  const counted = Readable.fromWeb(res.body).map((chunk) => {
    size += chunk.length;
    if (expect && size > expect.size) throw new Error(`GET ${url}: more than the ${expect.size} bytes the index lists`);
    hash.update(chunk);
    return chunk;
  });
  await pipeline(counted, createWriteStream(file));
  const sha256 = hash.digest('hex');
  if (expect && (size !== expect.size || sha256 !== expect.sha256)) {
    throw new Error(`GET ${url}: got ${size} bytes with SHA256 ${sha256}, the signed index says ${expect.size} bytes, ${expect.sha256}`);
  }
  return { size, seconds: (performance.now() - t0) / 1000 };
}

function run(tool, args, pkg, opts = {}) {
  const r = spawnSync(tool, args, { maxBuffer: 256 << 20, ...opts });
  if (r.error) throw new Error(`${tool}: ${r.error.message} (apt-get install ${pkg})`);
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (exit ${r.status}): ${String(r.stderr).trim()}`);
  return r.stdout;
}

/** The RISC-V Linux Image header's magic "RSC\x05" at 0x38 (Documentation/arch/riscv/boot-image-header.rst). */
function isRiscvImage(b) {
  return b.length > 0x40 && b.readUInt32LE(0x38) === 0x05435352;
}

/** Every file under `dir` by module name (foo-bar.ko.xz -> foo_bar). */
function moduleFiles(dir) {
  const out = new Map();
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (/\.ko(\.(xz|zst|gz))?$/.test(e.name)) out.set(moduleName(e.name), join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

function decompressModule(path) {
  if (path.endsWith('.xz')) return run('xz', ['-dc', path], 'xz-utils');
  if (path.endsWith('.zst')) return run('zstd', ['-dcq', path], 'zstd');
  if (path.endsWith('.gz')) return gunzipSync(readFileSync(path));
  return readFileSync(path);
}

/** Fetches, checks and unpacks the kernel into `work`; returns the manifest. */
async function fetchAndBuild(status, work) {
  const base = mirror();
  const t0 = performance.now();
  const manifest = { suite: SUITE, mirror: base, keyring: KEYRING, fetched: new Date().toISOString() };

  progress(`GET ${base}/dists/${SUITE}/InRelease`);
  await download(`${base}/dists/${SUITE}/InRelease`, join(work, 'InRelease'));
  const signed = verifyInRelease(readFileSync(join(work, 'InRelease')), KEYRING);
  const release = parseRelease(signed.text, { codename: SUITE });
  manifest.release = { date: release.fields.get('Date'), version: release.fields.get('Version'), signers: signed.signers };
  progress(`InRelease: Debian ${manifest.release.version} of ${manifest.release.date}, good signatures by ${signed.signers.join(', ')}`);

  const entry = release.files.get(INDEX);
  if (!entry) throw new Error(`InRelease lists no ${INDEX}`);
  const indexFile = join(work, 'Packages.xz');
  const idx = await download(indexUrl(base, SUITE, INDEX, entry, release.acquireByHash), indexFile, entry);
  progress(`${INDEX}: ${mib(idx.size)} in ${idx.seconds.toFixed(1)}s, SHA256 as signed`);
  // 54 MB of text: parse only the kernel image paragraphs
  const kernels = run('xz', ['-dc', indexFile], 'xz-utils').toString('utf8').split(/\n(?=Package: )/)
    .filter((p) => p.startsWith('Package: linux-image-')).join('\n\n');
  const pkg = kernelPackage(parseStanzas(kernels), META);
  manifest.package = pkg;

  const deb = join(work, 'kernel.deb');
  progress(`GET ${pkg.filename} (${mib(pkg.size)})`);
  const got = await download(`${base}/${pkg.filename}`, deb, pkg);
  manifest.download = { bytes: idx.size + got.size, debSeconds: Number(got.seconds.toFixed(2)) };
  progress(`${pkg.package} ${pkg.version}: ${mib(got.size)} in ${got.seconds.toFixed(1)}s, SHA256 as indexed`);

  const root = join(work, 'deb');
  const tx = performance.now();
  run('dpkg-deb', ['-x', deb, root], 'dpkg');
  rmSync(deb);
  progress(`unpacked in ${((performance.now() - tx) / 1000).toFixed(1)}s`);
  const kver = pkg.package.replace(/^linux-image-/, '');
  manifest.kernelRelease = kver;
  let image = readFileSync(join(root, 'boot', `vmlinux-${kver}`));
  if (image[0] === 0x1f && image[1] === 0x8b) image = gunzipSync(image); // vmlinuz, as other architectures ship it
  if (!isRiscvImage(image)) throw new Error(`boot/vmlinux-${kver} is not a RISC-V Image (no "RSC\\x05" at 0x38)`);
  writeFileSync(join(work, FILES.kernel), image);
  writeFileSync(join(work, FILES.config), readFileSync(join(root, 'boot', `config-${kver}`)));
  manifest.kernelBytes = image.length;

  const modDir = [join(root, 'usr', 'lib', 'modules', kver), join(root, 'lib', 'modules', kver)].find((d) => existsSync(d));
  if (!modDir) throw new Error(`the package has no lib/modules/${kver}`);
  const files = moduleFiles(join(modDir, 'kernel'));
  const builtin = parseBuiltin(readFileSync(join(modDir, 'modules.builtin'), 'utf8'));
  const builtinAlias = builtinAliases(readFileSync(join(modDir, 'modules.builtin.modinfo')));
  const mods = new Map(); // name -> {bytes, info}
  const load = (name) => {
    const f = files.get(name);
    if (f && !mods.has(name)) {
      const bytes = decompressModule(f);
      const info = readModinfo(bytes);
      const vermagic = info.get('vermagic')?.[0] ?? '';
      if (!vermagic.startsWith(`${kver} `)) throw new Error(`${f}: vermagic "${vermagic}" is not for ${kver}`);
      mods.set(name, { bytes, info });
    }
    return mods.get(name);
  };
  // A soft dependency names a module or an alias; a crypto-X alias lives in the generic
  // implementation (crypto/X_generic.ko). The candidate must list the alias. Like modprobe, a
  // soft dependency nothing provides is skipped (and reported).
  const missingSoft = new Set();
  const byAlias = (alias) => {
    if (builtinAlias.has(alias)) return undefined;
    const base = alias.replace(/^crypto-/, '');
    for (const c of [alias, `${base}_generic`, base].map((n) => n.replace(/-/g, '_'))) {
      const m = load(c);
      if (m && (c === alias.replace(/-/g, '_') || (m.info.get('alias') ?? []).includes(alias))) return c;
    }
    missingSoft.add(alias);
    return undefined;
  };
  const depends = (name) => {
    const m = load(name);
    if (!m) return undefined;
    return [...softdepsPre(m.info).map(byAlias).filter((n) => n !== undefined), ...moduleDepends(m.info)];
  };
  const order = loadOrder(MODULES, depends, builtin);
  manifest.modules = order;
  manifest.builtin = MODULES.filter((m) => builtin.has(m));
  if (missingSoft.size > 0) progress(`soft dependencies no module provides (skipped): ${[...missingSoft].join(' ')}`);
  progress(`modules: ${order.length} to load (${order.join(' ')})${manifest.builtin.length ? `; built in: ${manifest.builtin.join(' ')}` : ''}`);

  const guestCpio = readFileSync(status.guestInitrd);
  const guestInit = readNewc(gunzipSync(guestCpio)).find((e) => e.name.replace(/^\.?\//, '') === 'init');
  if (!guestInit || (guestInit.mode & 0o170000) !== 0o100000) throw new Error(`${status.guestInitrd} has no /init file`);
  const kmods = `lib/modules/${kver}`;
  const listFile = `${kmods}/banquise.load`;
  const added = writeNewc([
    { name: 'lib', mode: 0o40755 },
    { name: 'lib/modules', mode: 0o40755 },
    { name: kmods, mode: 0o40755 },
    ...order.map((m) => ({ name: `${kmods}/${m}.ko`, mode: 0o100644, data: mods.get(m).bytes })),
    { name: listFile, mode: 0o100644, data: Buffer.from(order.map((m) => `/${kmods}/${m}.ko\n`).join('')) },
    { name: dirname(GUEST_INIT).slice(1), mode: 0o40755 },
    { name: GUEST_INIT.slice(1), mode: 0o100755, data: guestInit.data },
    { name: 'init', mode: 0o100755, data: Buffer.from(initHook(`/${listFile}`)) },
  ]);
  const initrd = Buffer.concat([guestCpio, gzipSync(added, { level: 9 })]);
  writeFileSync(join(work, FILES.initrd), initrd);
  manifest.initrdBytes = initrd.length;
  manifest.guestInitrd = status.guestInitrd;
  manifest.seconds = Number(((performance.now() - t0) / 1000).toFixed(1));
  rmSync(root, { recursive: true, force: true });
  for (const f of ['InRelease', 'Packages.xz']) rmSync(join(work, f));
  writeFileSync(join(work, FILES.manifest), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** Makes the cache entry for `status` (from debianKernelStatus) unless it exists; returns its manifest. */
export async function ensureDebianKernel(status, { force = false } = {}) {
  if (!status.dir) throw new Error(status.reason);
  if (status.upToDate && !force) return JSON.parse(readFileSync(status.manifest, 'utf8'));
  mkdirSync(dirname(status.dir), { recursive: true });
  const work = `${status.dir}.work-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  try {
    const manifest = await fetchAndBuild(status, work);
    rmSync(status.dir, { recursive: true, force: true });
    renameSync(work, status.dir);
    return manifest;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: {
    status: { type: 'boolean', default: false }, force: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
  } });
  if (values.help) {
    console.log('Usage: node scripts/debian-kernel.mjs [--status] [--force] [--json]\nFetches Debian trixie\'s riscv64 kernel (signature and checksums verified) and makes an initramfs for it from the default guest\'s.');
    process.exit(0);
  }
  try {
    const status = debianKernelStatus();
    if (values.status) {
      const { key, dir, upToDate, reason } = status;
      console.log(JSON.stringify({ key, dir, upToDate, ...(reason && !upToDate ? { reason } : {}) }));
      process.exit(0);
    }
    if (status.upToDate && !values.force) progress(`up to date: ${status.dir}`);
    const m = await ensureDebianKernel(status, { force: values.force });
    if (values.json) {
      console.log(JSON.stringify({ dir: status.dir, kernel: status.kernel, initrd: status.initrd, manifest: status.manifest, version: m.package.version, release: m.kernelRelease }));
    } else {
      console.log(`Debian ${m.package.package} ${m.package.version}: banquise run --kernel ${status.kernel} --initrd ${status.initrd}`);
    }
  } catch (err) {
    console.error(`debian-kernel: ${err.message}`);
    process.exit(1);
  }
}
