// The default guest images (DESIGN.md §7): a Linux kernel, an initramfs and an ext4 root disk built
// from Debian packages by scripts/guest/build.mjs and cached per machine, keyed by their inputs.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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
