// The inputs of the default guest build and the cache key derived from them: the files under
// guest/ and scripts/guest/ (except the QEMU reference check), and the Debian package versions
// of the kernel source, the cross toolchain and libc, e2fsprogs and the busybox source package.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';

/** Binary packages whose installed versions are part of the cache key. */
export const KEYED_PACKAGES = [
  'linux-source-6.1',
  'gcc-riscv64-linux-gnu',
  'binutils-riscv64-linux-gnu',
  'libc6-dev-riscv64-cross',
  'linux-libc-dev-riscv64-cross',
  'e2fsprogs',
];

/** Files of scripts/guest/ that do not affect the images (kept out of the key). */
const UNKEYED_SCRIPTS = new Set(['scripts/guest/qemu-smoke.mjs']);

/** Root of the guest image cache: `${XDG_CACHE_HOME:-$HOME/.cache}/banquise/guest`. */
export function guestCacheRoot(env = process.env) {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(env.HOME || homedir(), '.cache');
  return join(base, 'banquise', 'guest');
}

/** sha256 of a buffer or string, hex. */
export function sha256(data) {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Hashes every file under `dirs` (relative to `repoDir`), sorted by path; a symlink hashes its target.
 * @returns {Record<string, string>} repo-relative path → sha256
 */
export function hashFiles(repoDir, dirs) {
  /** @type {Record<string, string>} */
  const out = {};
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const rel = relative(repoDir, p);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isSymbolicLink()) out[rel] = sha256(`symlink:${readlinkSync(p)}`);
      else if (st.isFile() && !UNKEYED_SCRIPTS.has(rel)) out[rel] = sha256(Buffer.concat([Buffer.from(`mode:${st.mode & 0o111 ? 'x' : '-'}\n`), readFileSync(p)]));
    }
  };
  for (const d of dirs) walk(join(repoDir, d));
  return out;
}

/**
 * Installed versions of `packages` (missing ones map to null).
 * @param {string[]} packages
 * @returns {Record<string, string | null>}
 */
export function installedVersions(packages) {
  /** @type {Record<string, string | null>} */
  const out = Object.fromEntries(packages.map((p) => [p, null]));
  let text = '';
  try {
    text = execFileSync('dpkg-query', ['-W', '-f=${Package}\t${Version}\t${db:Status-Abbrev}\n', ...packages], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (err) {
    // dpkg-query exits 1 when some package is unknown but still prints the known ones.
    text = /** @type {{ stdout?: string }} */ (err).stdout ?? '';
  }
  for (const line of text.split('\n')) {
    const [name, version, status] = line.split('\t');
    if (name && name in out && status?.startsWith('ii')) out[name] = version;
  }
  return out;
}

/** The Debian package that owns the real `riscv64-linux-gnu-gcc` binary (e.g. gcc-12-riscv64-linux-gnu), or null. */
export function crossCompilerPackage() {
  try {
    const which = execFileSync('sh', ['-c', 'command -v riscv64-linux-gnu-gcc'], { encoding: 'utf8' }).trim();
    const real = realpathSync(which);
    const owner = execFileSync('dpkg-query', ['-S', real], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return owner.split(':')[0].trim() || null;
  } catch {
    return null;
  }
}

/**
 * The busybox source package apt would fetch, from `apt-get source --print-uris` (null when apt
 * knows no busybox source package, i.e. deb-src is not enabled).
 * @returns {{ version: string, dsc: string, sha256: string } | null}
 */
export function busyboxSourceVersion() {
  let text;
  try {
    text = execFileSync('apt-get', ['source', '--print-uris', '-qq', 'busybox'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return null;
  }
  const m = /'\S+'\s+(busybox_(\S+)\.dsc)\s+\d+\s+SHA256:([0-9a-f]{64})/.exec(text);
  if (!m) return null;
  return { dsc: m[1], version: m[2], sha256: m[3] };
}

/**
 * Collects every input and derives the cache key (16 hex digits of a sha256 over a canonical JSON).
 * @param {string} repoDir
 * @returns {{ key: string, files: Record<string, string>, packages: Record<string, string | null>, busyboxSource: ReturnType<typeof busyboxSourceVersion> }}
 */
export function guestInputs(repoDir) {
  const files = hashFiles(repoDir, ['guest', 'scripts/guest']);
  const names = [...KEYED_PACKAGES];
  const cc = crossCompilerPackage();
  if (cc && !names.includes(cc)) names.push(cc);
  const packages = installedVersions(names);
  const busyboxSource = busyboxSourceVersion();
  const canonical = JSON.stringify({ files, packages, busybox: busyboxSource && { version: busyboxSource.version, sha256: busyboxSource.sha256 } });
  return { key: sha256(canonical).slice(0, 16), files, packages, busyboxSource };
}
