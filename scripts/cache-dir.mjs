// Where the build scripts (boot image, U-Boot, Debian's kernel) cache what they make:
// ${XDG_CACHE_HOME:-$HOME/.cache}/banquise/<what>, the rule of defaultGuestCacheDir in
// src/platform/node/guest-images.ts, for scripts that must run before dist/ is built.
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** `${XDG_CACHE_HOME:-$HOME/.cache}/banquise/<what>` (a relative XDG_CACHE_HOME is ignored, as the spec says). */
export function banquiseCacheDir(what) {
  const xdg = process.env.XDG_CACHE_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(process.env.HOME || homedir(), '.cache');
  return join(base, 'banquise', what);
}
