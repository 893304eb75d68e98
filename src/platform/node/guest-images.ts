// The default guest images (DESIGN.md §7): a Linux kernel, an initramfs and an ext4 root disk built
// from Debian packages by scripts/guest/build.mjs and cached per machine, keyed by their inputs.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BanquiseError } from '../../base/errors.js';

/** Paths of a built default guest (all inside one cache entry). */
export interface GuestImages {
  /** RISC-V Linux `Image` (uncompressed; load it 2 MiB-aligned in RAM, enter in S-mode with a0=hartid, a1=FDT). */
  kernel: string;
  /** gzip-compressed newc initramfs with busybox; its /init starts a shell on the console. */
  initrd: string;
  /** ext4 root disk image with the same userland; boot with `root=/dev/vda rw`. Writable: use a copy. */
  rootDisk: string;
  /** The cache entry directory (also holds manifest.json and the kernel's linux.config). */
  dir: string;
}

/** Options of ensureDefaultGuest. */
export interface EnsureGuestOptions {
  /** Hide the build's progress lines (errors are still reported through the rejection). */
  quiet?: boolean;
  /** Build script to run; defaults to the repository's scripts/guest/build.mjs (tests override it). */
  buildScript?: string;
  /**
   * Where the input stamps of the last successful check are kept (default: in the cache root,
   * one file per checkout). While every stamp matches, the build script is not run at all.
   */
  stampFile?: string;
  /** Folders and files whose stamps stand for the build's inputs (default: STAMPED_INPUTS of the checkout). */
  stampedInputs?: readonly string[];
}

/**
 * Files and folders whose (size, mtime) stand for the build script's inputs: the checkout's
 * guest/ and scripts/guest/ (hashed by the script), dpkg's database (the keyed package versions),
 * and apt's lists and sources (the busybox source version apt would fetch).
 */
export function stampedInputs(repoDir: string): string[] {
  return [
    join(repoDir, 'guest'),
    join(repoDir, 'scripts', 'guest'),
    '/var/lib/dpkg/status',
    '/var/lib/apt/lists',
    '/etc/apt/sources.list',
    '/etc/apt/sources.list.d',
  ];
}

/** One line per file under `roots` (recursively): path, size, mtime, mode; a missing root is a line too. */
function inputStamps(roots: readonly string[]): string {
  const lines: string[] = [];
  const visit = (p: string, depth: number): void => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      lines.push(`${p} missing`);
      return;
    }
    lines.push(`${p} ${st.size} ${st.mtimeMs} ${st.mode}`);
    // Recurse into the checkout's folders; system folders (apt lists) are stamped by their own mtime.
    if (st.isDirectory() && depth < 8 && !p.startsWith('/var/') && !p.startsWith('/etc/')) {
      for (const name of readdirSync(p).sort()) visit(join(p, name), depth + 1);
    }
  };
  for (const r of roots) visit(r, 0);
  return lines.join('\n');
}

/** The recorded images if the stamps in `stampFile` equal `stamps` and the files still exist. */
function stampedImages(stampFile: string, stamps: string): GuestImages | undefined {
  try {
    const rec = JSON.parse(readFileSync(stampFile, 'utf8')) as { stamps?: unknown; images?: unknown };
    if (rec.stamps !== stamps) return undefined;
    const images = parseReport(rec.images);
    return [images.kernel, images.initrd, images.rootDisk].every((f) => existsSync(f)) ? images : undefined;
  } catch {
    return undefined;
  }
}

function recordStamps(stampFile: string, stamps: string, images: GuestImages): void {
  try {
    mkdirSync(dirname(stampFile), { recursive: true });
    const tmp = `${stampFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ stamps, images }));
    renameSync(tmp, stampFile);
  } catch {
    // A cache we cannot write only costs the full check next time.
  }
}

/** Exit status for a guest that cannot be built (EX_UNAVAILABLE in sysexits terms). */
const EXIT_UNAVAILABLE = 69;

/** Root of the guest image cache: `${XDG_CACHE_HOME:-$HOME/.cache}/banquise/guest`. */
export function defaultGuestCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CACHE_HOME'];
  const base = xdg && isAbsolute(xdg) ? xdg : join(env['HOME'] || homedir(), '.cache');
  return join(base, 'banquise', 'guest');
}

/** The repository's guest build script (dist/platform/node/ → ../../../scripts/guest/build.mjs). */
function defaultBuildScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '..', '..', '..', 'scripts', 'guest', 'build.mjs');
}

/**
 * Returns the cached default guest images, building them first when the cache has no entry for
 * the current inputs (progress on stderr unless `quiet`; a first build takes minutes).
 */
export async function ensureDefaultGuest(opts: EnsureGuestOptions = {}): Promise<GuestImages> {
  const script = opts.buildScript ?? defaultBuildScript();
  if (!existsSync(script)) {
    throw new BanquiseError(`guest build script not found: ${script} (the default guest is built from a Banquise source checkout)`, EXIT_UNAVAILABLE);
  }
  // Fast path: nothing the build depends on changed since the last check (a few stat calls
  // instead of a node process, dpkg-query and apt-get).
  const repoDir = resolve(dirname(script), '..', '..');
  const stampFile = opts.stampFile ?? join(defaultGuestCacheDir(), `.stamps-${createHash('sha256').update(repoDir).digest('hex').slice(0, 16)}.json`);
  const stamps = inputStamps(opts.stampedInputs ?? stampedInputs(repoDir));
  const known = stampedImages(stampFile, stamps);
  if (known !== undefined) return known;
  const args = [script, '--json', ...(opts.quiet ? ['--quiet'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', opts.quiet ? 'pipe' : 'inherit'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => { stdout += s; });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => { stderr = (stderr + s).slice(-8192); });
  const status = await new Promise<number>((res, rej) => {
    child.on('error', rej);
    child.on('close', (code, signal) => res(code ?? (signal ? 128 : 1)));
  });
  if (status !== 0) {
    const detail = opts.quiet && stderr.trim() ? `:\n${stderr.trim()}` : '';
    throw new BanquiseError(`building the default guest failed (exit status ${status})${detail}`, status === EXIT_UNAVAILABLE ? EXIT_UNAVAILABLE : 1);
  }
  const last = stdout.trim().split('\n').pop() ?? '';
  let report: unknown;
  try {
    report = JSON.parse(last);
  } catch {
    throw new BanquiseError(`the guest build script printed no result (stdout: ${JSON.stringify(stdout.slice(-200))})`);
  }
  const images = parseReport(report);
  for (const path of [images.kernel, images.initrd, images.rootDisk]) {
    if (!existsSync(path)) throw new BanquiseError(`the guest build reported ${path}, which does not exist`);
  }
  recordStamps(stampFile, stamps, images);
  return images;
}

function parseReport(report: unknown): GuestImages {
  if (typeof report === 'object' && report !== null) {
    const r = report as Record<string, unknown>;
    const { kernel, initrd, rootDisk, dir } = r;
    if (typeof kernel === 'string' && typeof initrd === 'string' && typeof rootDisk === 'string' && typeof dir === 'string') {
      return { kernel, initrd, rootDisk, dir };
    }
  }
  throw new BanquiseError(`the guest build script printed an unexpected result: ${JSON.stringify(report).slice(0, 200)}`);
}
