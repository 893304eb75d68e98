import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BanquiseError } from '../../base/errors.js';
import { defaultGuestCacheDir, ensureDefaultGuest } from './guest-images.js';

const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function withTempDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'banquise-guest-test-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function head(path: string, length: number, position = 0): Buffer {
  const buf = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, buf, 0, length, position);
  } finally {
    closeSync(fd);
  }
  return buf;
}

test('defaultGuestCacheDir follows XDG_CACHE_HOME, else $HOME/.cache', () => {
  assert.equal(defaultGuestCacheDir({ XDG_CACHE_HOME: '/var/cache/u', HOME: '/home/u' }), '/var/cache/u/banquise/guest');
  assert.equal(defaultGuestCacheDir({ HOME: '/home/u' }), '/home/u/.cache/banquise/guest');
  // The XDG base directory spec says relative paths are invalid and must be ignored.
  assert.equal(defaultGuestCacheDir({ XDG_CACHE_HOME: 'rel/cache', HOME: '/home/u' }), '/home/u/.cache/banquise/guest');
});

test('ensureDefaultGuest returns the paths the build script reports', withTempDir(async (dir) => {
  for (const f of ['Image', 'initramfs.cpio.gz', 'rootfs.ext4']) writeFileSync(join(dir, f), f);
  const script = join(dir, 'fake-build.mjs');
  const report = { key: 'k', built: false, dir, kernel: join(dir, 'Image'), initrd: join(dir, 'initramfs.cpio.gz'), rootDisk: join(dir, 'rootfs.ext4'), manifest: join(dir, 'manifest.json') };
  writeFileSync(script, `if (!process.argv.includes('--json')) process.exit(3);\nconsole.log('noise');\nconsole.log(${JSON.stringify(JSON.stringify(report))});\n`);
  const images = await ensureDefaultGuest({ quiet: true, buildScript: script, stampFile: join(dir, 'stamps.json') });
  assert.deepEqual(images, { kernel: report.kernel, initrd: report.initrd, rootDisk: report.rootDisk, dir });
}));

test('ensureDefaultGuest rejects with the build error and its exit status', withTempDir(async (dir) => {
  const script = join(dir, 'fake-build.mjs');
  writeFileSync(script, `process.stderr.write('missing package linux-source-6.1: run scripts/setup.sh\\n');\nprocess.exit(69);\n`);
  await assert.rejects(ensureDefaultGuest({ quiet: true, buildScript: script, stampFile: join(dir, 'stamps.json') }), (err: unknown) => {
    assert.ok(err instanceof BanquiseError);
    assert.equal(err.exitCode, 69);
    assert.match(err.message, /missing package linux-source-6\.1/);
    return true;
  });
}));

test('ensureDefaultGuest rejects a malformed or lying report', withTempDir(async (dir) => {
  const garbage = join(dir, 'garbage.mjs');
  writeFileSync(garbage, `console.log('{"kernel": 1}');\n`);
  await assert.rejects(ensureDefaultGuest({ quiet: true, buildScript: garbage, stampFile: join(dir, 'stamps.json') }), /unexpected result/);
  const lying = join(dir, 'lying.mjs');
  const missing = join(dir, 'nope');
  writeFileSync(lying, `console.log(${JSON.stringify(JSON.stringify({ dir, kernel: missing, initrd: missing, rootDisk: missing }))});\n`);
  await assert.rejects(ensureDefaultGuest({ quiet: true, buildScript: lying, stampFile: join(dir, 'stamps.json') }), /does not exist/);
  await assert.rejects(ensureDefaultGuest({ quiet: true, buildScript: join(dir, 'absent.mjs'), stampFile: join(dir, 'stamps.json') }), /not found/);
}));

test('ensureDefaultGuest runs the build script again only when a stamped input changes', withTempDir(async (dir) => {
  for (const f of ['Image', 'initramfs.cpio.gz', 'rootfs.ext4']) writeFileSync(join(dir, f), f);
  const inputs = join(dir, 'inputs');
  mkdirSync(join(inputs, 'sub'), { recursive: true });
  writeFileSync(join(inputs, 'sub', 'linux.config'), 'CONFIG_A=y\n');
  const runs = join(dir, 'runs');
  const script = join(dir, 'fake-build.mjs');
  const report = { dir, kernel: join(dir, 'Image'), initrd: join(dir, 'initramfs.cpio.gz'), rootDisk: join(dir, 'rootfs.ext4') };
  writeFileSync(script, `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(runs)}, 'x');\nconsole.log(${JSON.stringify(JSON.stringify(report))});\n`);
  const opts = { quiet: true, buildScript: script, stampFile: join(dir, 'stamps.json'), stampedInputs: [inputs] };
  const count = () => (existsSync(runs) ? readFileSync(runs, 'utf8').length : 0);
  assert.deepEqual(await ensureDefaultGuest(opts), report);
  assert.equal(count(), 1);
  assert.deepEqual(await ensureDefaultGuest(opts), report, 'same images from the stamps');
  assert.equal(count(), 1, 'no build script run when nothing changed');
  writeFileSync(join(inputs, 'sub', 'linux.config'), 'CONFIG_A=n\n'); // same size, new content and mtime
  utimesSync(join(inputs, 'sub', 'linux.config'), new Date(), new Date(Date.now() + 5000));
  await ensureDefaultGuest(opts);
  assert.equal(count(), 2, 'an input changed: the script checks again');
  writeFileSync(join(inputs, 'new-file'), '');
  await ensureDefaultGuest(opts);
  assert.equal(count(), 3, 'a new input file');
  rmSync(join(dir, 'Image'));
  await assert.rejects(ensureDefaultGuest(opts), /does not exist/, 'a missing image is never served from the stamps');
  assert.equal(count(), 4);
}));

// The real images, when this machine has built them (`npm run guest`; CI does it before `npm test`).
const status = spawnSync(process.execPath, [join(REPO_DIR, 'scripts/guest/build.mjs'), '--status'], { encoding: 'utf8' });
const upToDate = status.status === 0 && (JSON.parse(status.stdout) as { upToDate: boolean }).upToDate;

test('the default guest images in the cache are a RISC-V Image, a gzip initramfs and an ext4 disk', { skip: upToDate ? false : 'default guest not built (run `npm run guest`)' }, async () => {
  const images = await ensureDefaultGuest({ quiet: true });
  assert.ok(images.dir.startsWith(defaultGuestCacheDir()));
  const image = head(images.kernel, 64);
  assert.equal(image.subarray(0x30, 0x38).toString('latin1'), 'RISCV\0\0\0');
  assert.equal(image.subarray(0x38, 0x3c).toString('latin1'), 'RSC\x05');
  assert.deepEqual([...head(images.initrd, 2)], [0x1f, 0x8b]);
  assert.equal(head(images.rootDisk, 2, 1024 + 56).readUInt16LE(0), 0xef53);
});
