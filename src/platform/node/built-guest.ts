// The default guest's images if they are already built, without building them (the daemon's web
// console offers them in its create form; building takes minutes and is `npm run guest`'s job).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Paths of a complete cache entry. */
export interface BuiltGuest {
  readonly kernel: string;
  readonly initrd: string;
  readonly rootDisk: string;
}

/** Asks scripts/guest/build.mjs --status; undefined when the images are not built (or no checkout). */
export function builtDefaultGuest(): BuiltGuest | undefined {
  const script = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'scripts', 'guest', 'build.mjs');
  if (!existsSync(script)) return undefined;
  let status: { dir?: unknown; upToDate?: unknown };
  try {
    const out = execFileSync(process.execPath, [script, '--status'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 });
    status = JSON.parse(out.trim().split('\n').pop() ?? '{}') as typeof status;
  } catch {
    return undefined;
  }
  if (status.upToDate !== true || typeof status.dir !== 'string') return undefined;
  const g = { kernel: join(status.dir, 'Image'), initrd: join(status.dir, 'initramfs.cpio.gz'), rootDisk: join(status.dir, 'rootfs.ext4') };
  return existsSync(g.kernel) && existsSync(g.initrd) ? g : undefined;
}
