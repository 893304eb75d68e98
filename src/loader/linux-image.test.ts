import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { BanquiseError } from '../base/errors.js';
import { MIN_FILE_FRACTION_OF_IMAGE_SIZE, parseLinuxImage } from './linux-image.js';

function header(textOffset: bigint, imageSize: bigint, opts: { magic2?: boolean; magic?: boolean; len?: number } = {}) {
  const b = new Uint8Array(opts.len ?? 4096);
  const v = new DataView(b.buffer);
  b[0] = 0x4d; // "MZ": an EFI-stub kernel starts like a PE file
  b[1] = 0x5a;
  v.setBigUint64(0x08, textOffset, true);
  v.setBigUint64(0x10, imageSize, true);
  v.setUint32(0x20, 2, true);
  if (opts.magic ?? true) b.set(new TextEncoder().encode('RISCV'), 0x30);
  if (opts.magic2 ?? true) b.set([0x52, 0x53, 0x43, 0x05], 0x38);
  return b;
}

function rejects(bytes: Uint8Array, re: RegExp): void {
  assert.throws(
    () => parseLinuxImage(bytes),
    (e: unknown) => e instanceof BanquiseError && e.exitCode === 64 && /not a RISC-V Linux Image/.test(e.message) && re.test(e.message),
  );
}

test('reads text_offset, image_size and version', () => {
  const img = parseLinuxImage(header(0x200000n, 0x1800n));
  assert.equal(img.textOffset, 0x200000);
  assert.equal(img.imageSizeBytes, 0x1800);
  assert.equal(img.version, 2);
  assert.equal(img.bytes.length, 4096);
});

test('image_size is at least the file length; either magic is accepted', () => {
  assert.equal(parseLinuxImage(header(0x200000n, 0n)).imageSizeBytes, 4096);
  assert.equal(parseLinuxImage(header(0n, 0n, { magic2: false })).textOffset, 0);
  assert.equal(parseLinuxImage(header(0n, 0n, { magic: false })).textOffset, 0);
});

test('a file cut short of the header\'s image_size is refused as truncated', () => {
  const full = header(0x200000n, 0x10000n, { len: 0xf000 });
  assert.equal(parseLinuxImage(full).imageSizeBytes, 0x10000, 'a .bss of 4 KiB past the file is normal');
  assert.throws(
    () => parseLinuxImage(full.subarray(0, 0x1000)),
    (e: unknown) => e instanceof BanquiseError && e.exitCode === 64 && /truncated.*4096 bytes.*65536/.test(e.message),
  );
});

test('other files are refused with a message saying what they are', () => {
  rejects(header(0x200000n, 0n, { magic: false, magic2: false }), /RSC/);
  rejects(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0), /gzip/);
  rejects(Uint8Array.of(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1), /ELF/);
  rejects(new Uint8Array(10), /shorter/);
  rejects(header(1n << 40n, 0n), /text_offset/);
  rejects(header(0n, 1n << 62n), /image_size/);
});

test('fuzz: flips and truncations give BanquiseError or a sane image', () => {
  const good = header(0x200000n, 0x1000n);
  let seed = 7;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 48271) + 1) >>> 0;
    return seed % n;
  };
  for (let i = 0; i < 2000; i++) {
    let b = good.slice();
    if (i & 1) b = b.subarray(0, rnd(80));
    b[rnd(Math.max(1, Math.min(b.length, 64)))] = rnd(256);
    try {
      const img = parseLinuxImage(b);
      assert.ok(Number.isSafeInteger(img.textOffset) && img.imageSizeBytes >= b.length);
    } catch (e) {
      if (!(e instanceof BanquiseError)) throw e;
    }
  }
});

test('a real kernel Image (the default guest\'s, or a Debian one) parses', (t) => {
  // The default guest's cache (npm run guest; CI builds it before the tests), then Debian's.
  const cache = `${process.env.XDG_CACHE_HOME ?? `${process.env.HOME ?? ''}/.cache`}/banquise/guest`;
  // Only finished builds: skip `.lock-*` files and `.work-*` folders of a build in progress.
  const guestDirs = existsSync(cache)
    ? readdirSync(cache, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => `${cache}/${d.name}`)
    : [];
  const dirs = [...guestDirs, '/usr/lib/linux-image-riscv64', '/boot'];
  // Only directories: the cache also holds lock files while a guest build runs.
  const found = dirs.filter((d) => existsSync(d) && statSync(d).isDirectory()).flatMap((d) => readdirSync(d).filter((f) => /^(Image|vmlinux-.*riscv64)$/.test(f)).map((f) => `${d}/${f}`));
  if (found.length === 0) {
    t.skip('no RISC-V kernel Image on this machine (run npm run guest)');
    return;
  }
  const bytes = new Uint8Array(readFileSync(found[0]));
  const img = parseLinuxImage(bytes);
  assert.equal(img.textOffset % 4096, 0);
  assert.ok(bytes.length >= img.imageSizeBytes * MIN_FILE_FRACTION_OF_IMAGE_SIZE);
});
