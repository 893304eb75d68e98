#!/usr/bin/env node
// `npm run build:web`: bundles the browser pages and the machine worker with esbuild into a static
// site in dist/web/ (the tab at the root, the daemon's web console in console/), and copies the default guest images (built on this machine by `npm run guest`,
// never committed) into dist/web/guest/ with a manifest the page reads.
//   node scripts/build-web.mjs [--no-guest] [--out DIR]
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write('usage: node scripts/build-web.mjs [--no-guest] [--out DIR]\n' +
    '  bundles src/web and src/platform/browser into DIR (default dist/web) and copies the default\n' +
    '  guest images from the cache (npm run guest builds them) unless --no-guest.\n');
  process.exit(0);
}
const outIndex = args.indexOf('--out');
const OUT = outIndex >= 0 ? resolve(args[outIndex + 1] ?? '') : join(REPO, 'dist', 'web');
const withGuest = !args.includes('--no-guest');
/** Kernel command line of the default guest's initramfs shell (as `banquise run`'s default). */
const DEFAULT_CMDLINE = 'console=ttyS0';

const t0 = Date.now();
mkdirSync(OUT, { recursive: true });
rmSync(join(OUT, 'guest'), { recursive: true, force: true });

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16.4'],
  sourcemap: true,
  minify: !process.env.BANQUISE_WEB_NO_MINIFY,
  logLevel: 'warning',
  absWorkingDir: REPO,
};
await build({ ...common, entryPoints: { tab: 'src/web/tab/tab-page.ts' }, outdir: OUT });
await build({ ...common, entryPoints: { 'machine-worker': 'src/platform/browser/machine-worker.ts' }, outdir: OUT });
// The daemon's web console (banquise daemon --web serves this folder).
mkdirSync(join(OUT, 'console'), { recursive: true });
await build({ ...common, entryPoints: { console: 'src/web/console/console-page.ts' }, outdir: join(OUT, 'console') });

for (const [from, to] of [
  ['src/web/tab/index.html', 'index.html'],
  ['src/web/tab/style.css', 'style.css'],
  ['node_modules/@xterm/xterm/css/xterm.css', 'xterm.css'],
  ['src/web/console/index.html', 'console/index.html'],
  ['src/web/console/console.css', 'console/console.css'],
  ['node_modules/@xterm/xterm/css/xterm.css', 'console/xterm.css'],
]) copyFileSync(join(REPO, from), join(OUT, to));

let guestNote = 'no default guest copied (--no-guest)';
if (withGuest) {
  const status = JSON.parse(execFileSync(process.execPath, [join(REPO, 'scripts', 'guest', 'build.mjs'), '--status'], { encoding: 'utf8' }).trim().split('\n').pop());
  if (!status.upToDate) {
    guestNote = `no default guest copied: the image cache has no complete entry for key ${status.key} (run \`npm run guest\`, then build:web again); the page offers its file pickers`;
  } else {
    const dest = join(OUT, 'guest');
    mkdirSync(dest, { recursive: true });
    const files = { kernel: 'Image', initrd: 'initramfs.cpio.gz', rootDisk: 'rootfs.ext4' };
    const manifest = { key: status.key, cmdline: DEFAULT_CMDLINE };
    for (const [role, name] of Object.entries(files)) {
      const src = join(status.dir, name);
      if (!existsSync(src)) continue;
      copyFileSync(src, join(dest, name));
      manifest[role] = { url: `guest/${name}`, sizeBytes: statSync(src).size };
    }
    writeFileSync(join(dest, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    guestNote = `default guest ${status.key} copied from ${status.dir}`;
  }
}
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
process.stdout.write(`build:web: ${OUT} (banquise ${pkg.version}) in ${((Date.now() - t0) / 1000).toFixed(1)} s; ${guestNote}\n` +
  `serve it with COOP/COEP headers: node bin/banquise.js web --static [HOST:PORT]\n`);
