// Unit tests of scripts/debian-kernel/: reading a Debian archive (signature, indexes), kernel
// module metadata and load order, and the initramfs pieces. The signature tests sign with a
// throwaway key made here, so they need gpg and gpgv but no network.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { indexUrl, kernelPackage, parseRelease, parseStanzas, verifyInRelease } from '../../scripts/debian-kernel/archive.mjs';
import { builtinAliases, loadOrder, moduleDepends, moduleName, parseBuiltin, readModinfo, softdepsPre } from '../../scripts/debian-kernel/modules.mjs';
import { GUEST_INIT, initHook, readNewc, writeNewc } from '../../scripts/debian-kernel/initramfs.mjs';

const H = (c) => c.repeat(64);
const RELEASE = `Origin: Debian
Suite: stable
Codename: trixie
Date: Sat, 21 Nov 2026 09:15:44 UTC
Acquire-By-Hash: yes
Description: Debian 13.8
SHA256:
 ${H('a')}  9387120 main/binary-riscv64/Packages.xz
 ${H('b')} 54338128 main/binary-riscv64/Packages
`;
const NOW = new Date('2026-12-02T00:00:00Z');

describe('Debian archive indexes', () => {
  test('deb822: paragraphs, continuation lines, " ." for an empty line', () => {
    const s = parseStanzas('Package: a\nDescription: one\n two\n .\n three\n\n\nPackage: b\nVersion: 1\n');
    assert.equal(s.length, 2);
    assert.equal(s[0].get('Description'), 'one\ntwo\n\nthree');
    assert.equal(s[1].get('Version'), '1');
    assert.throws(() => parseStanzas('Package a\n'), /not a deb822 field/);
    assert.throws(() => parseStanzas(' leading continuation\n'), /continuation/);
  });

  test('Release: the SHA256 list, checked codename, date and validity', () => {
    const r = parseRelease(RELEASE, { codename: 'trixie', now: NOW });
    assert.deepEqual(r.files.get('main/binary-riscv64/Packages.xz'), { sha256: H('a'), size: 9387120 });
    assert.equal(r.acquireByHash, true);
    assert.throws(() => parseRelease(RELEASE, { codename: 'bookworm', now: NOW }), /for trixie, not bookworm/);
    assert.throws(() => parseRelease(RELEASE.replace('Date:', 'Valid-Until: Sun, 22 Nov 2026 00:00:00 UTC\nDate:'), { codename: 'trixie', now: NOW }), /expired/);
    assert.throws(() => parseRelease(RELEASE, { codename: 'trixie', now: new Date('2026-01-01') }), /future/);
    assert.throws(() => parseRelease(RELEASE.replace(`${H('a')}  9387120`, `${H('a').slice(1)}  9387120`), { codename: 'trixie', now: NOW }), /bad SHA256 line/);
    assert.throws(() => parseRelease(RELEASE.replace(/SHA256:[^]*/, ''), { codename: 'trixie', now: NOW }), /no SHA256/);
  });

  test('an index is fetched by its hash when the archive offers it', () => {
    const e = { sha256: H('a'), size: 1 };
    assert.equal(indexUrl('http://m/debian', 'trixie', 'main/binary-riscv64/Packages.xz', e, true),
      `http://m/debian/dists/trixie/main/binary-riscv64/by-hash/SHA256/${H('a')}`);
    assert.equal(indexUrl('http://m/debian', 'trixie', 'main/binary-riscv64/Packages.xz', e, false),
      'http://m/debian/dists/trixie/main/binary-riscv64/Packages.xz');
  });

  const packages = (filename = 'pool/main/l/linux/linux-image-6.12.1+deb13-riscv64_6.12.1-1_riscv64.deb') => parseStanzas(`Package: linux-image-riscv64
Version: 6.12.1-1
Depends: linux-image-6.12.1+deb13-riscv64 (= 6.12.1-1)

Package: linux-image-6.12.1+deb13-riscv64
Version: 6.12.0-9
Filename: pool/old.deb
Size: 1
SHA256: ${H('c')}

Package: linux-image-6.12.1+deb13-riscv64
Version: 6.12.1-1
Filename: ${filename}
Size: 112593968
SHA256: ${H('d')}
`);

  test('the kernel package is the exact version the metapackage depends on', () => {
    assert.deepEqual(kernelPackage(packages(), 'linux-image-riscv64'), {
      package: 'linux-image-6.12.1+deb13-riscv64', version: '6.12.1-1',
      filename: 'pool/main/l/linux/linux-image-6.12.1+deb13-riscv64_6.12.1-1_riscv64.deb', size: 112593968, sha256: H('d'),
    });
    assert.throws(() => kernelPackage(packages(), 'linux-image-arm64'), /0 stanzas/);
    assert.throws(() => kernelPackage(packages().slice(0, 2), 'linux-image-riscv64'), /6\.12\.1-1 \(named by linux-image-riscv64\) is not in the index/);
  });

  test('a Filename that would leave the pool is refused (it becomes part of a URL)', () => {
    for (const bad of ['pool/../../etc/x.deb', '/pool/a.deb', 'http://evil/pool/a.deb', 'pool/a b.deb', 'pool/a.deb?x']) {
      assert.throws(() => kernelPackage(packages(bad), 'linux-image-riscv64'), /unexpected Filename/, bad);
    }
  });
});

describe('InRelease signature (gpgv)', () => {
  let dir, keyring, otherKeyring;
  const gpg = (home, args, input) => {
    const r = spawnSync('gpg', ['--batch', '--homedir', home, ...args], { input, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const newKey = (name) => {
    const home = mkdtempSync(join(dir, `${name}-`));
    gpg(home, ['--passphrase', '', '--quick-gen-key', `${name} <${name}@example.org>`, 'ed25519', 'sign', 'never']);
    const ring = join(dir, `${name}.gpg`);
    writeFileSync(ring, spawnSync('gpg', ['--batch', '--homedir', home, '--export', name]).stdout);
    return { home, ring };
  };
  let archive, stranger;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'banquise-gpgv-test-'));
    archive = newKey('archive');
    stranger = newKey('stranger');
    keyring = archive.ring;
    otherKeyring = stranger.ring;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const clearsign = (key, text) => gpg(key.home, ['--clearsign', '--digest-algo', 'SHA256'], text);

  test('a good signature gives the signed text only, and the signer', () => {
    const signed = clearsign(archive, RELEASE);
    const r = verifyInRelease(Buffer.from(`unsigned junk before\n${signed}unsigned junk after\n`), keyring);
    assert.equal(r.text, RELEASE);
    assert.equal(r.signers.length, 1);
    assert.match(r.signers[0], /^[0-9A-F]{40}$/);
  });

  test('altered text, a key outside the keyring and an unsigned file are refused', () => {
    const signed = clearsign(archive, RELEASE);
    assert.throws(() => verifyInRelease(Buffer.from(signed.replace(H('a'), H('e'))), keyring), /no good signature/);
    assert.throws(() => verifyInRelease(Buffer.from(signed), otherKeyring), /no good signature/);
    assert.throws(() => verifyInRelease(Buffer.from(clearsign(stranger, RELEASE)), keyring), /no good signature/);
    assert.throws(() => verifyInRelease(Buffer.from(RELEASE), keyring), /no good signature/);
  });
});

/** A minimal ELF64 LE relocatable with a .modinfo section holding `info` (NUL-separated strings). */
function fakeModule(info) {
  const modinfo = Buffer.from(info.map((s) => `${s}\0`).join(''));
  const shstrtab = Buffer.from('\0.modinfo\0.shstrtab\0');
  const dataAt = 64;
  const shAt = (dataAt + modinfo.length + shstrtab.length + 7) & ~7;
  const b = Buffer.alloc(shAt + 3 * 64);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = 2; // ELFCLASS64
  b[5] = 1; // little-endian
  b.writeBigUInt64LE(BigInt(shAt), 0x28);
  b.writeUInt16LE(64, 0x3a);
  b.writeUInt16LE(3, 0x3c);
  b.writeUInt16LE(2, 0x3e);
  modinfo.copy(b, dataAt);
  shstrtab.copy(b, dataAt + modinfo.length);
  const sh = (i, name, type, off, size) => {
    const h = shAt + i * 64;
    b.writeUInt32LE(name, h);
    b.writeUInt32LE(type, h + 4);
    b.writeBigUInt64LE(BigInt(off), h + 0x18);
    b.writeBigUInt64LE(BigInt(size), h + 0x20);
  };
  sh(1, 1, 1, dataAt, modinfo.length);
  sh(2, 10, 3, dataAt + modinfo.length, shstrtab.length);
  return b;
}

describe('kernel modules', () => {
  test('names as the kernel knows them', () => {
    assert.equal(moduleName('nvme-core.ko.xz'), 'nvme_core');
    assert.equal(moduleName('virtio-rng.ko'), 'virtio_rng');
    assert.throws(() => moduleName('README'), /not a kernel module/);
    assert.deepEqual([...parseBuiltin('kernel/drivers/virtio/virtio.ko\nkernel/fs/fuse/fuse.ko\n')], ['virtio', 'fuse']);
  });

  test('.modinfo of an ELF module: depends= and vermagic=', () => {
    const info = readModinfo(fakeModule(['license=GPL', 'depends=nvme-core,nvme_auth', 'alias=a', 'alias=b', 'vermagic=6.12.1+deb13-riscv64 SMP mod_unload']));
    assert.deepEqual(moduleDepends(info), ['nvme_core', 'nvme_auth']);
    assert.deepEqual(info.get('alias'), ['a', 'b']);
    assert.match(info.get('vermagic')[0], /^6\.12\.1\+deb13-riscv64 /);
    assert.deepEqual(moduleDepends(readModinfo(fakeModule(['depends=']))), []);
  });

  test('soft dependencies: the "pre:" modules of softdep= lines, aliases of built-ins', () => {
    assert.deepEqual(softdepsPre(readModinfo(fakeModule(['softdep=pre: crypto-crc32c', 'depends=jbd2']))), ['crypto-crc32c']);
    assert.deepEqual(softdepsPre(new Map([['softdep', ['pre: a b post: c', 'post: d pre: e']]])), ['a', 'b', 'e']);
    assert.deepEqual(softdepsPre(new Map()), []);
    assert.deepEqual([...builtinAliases(Buffer.from('crc32c_generic.alias=crypto-crc32c\0crc32c_generic.license=GPL\0virtio_pci.alias=pci:v00001AF4d*\0'))],
      ['crypto-crc32c', 'pci:v00001AF4d*']);
  });

  test('damaged or foreign files are errors, not crashes', () => {
    const good = fakeModule(['depends=']);
    assert.throws(() => readModinfo(Buffer.from('not an elf at all, just some text here............................')), /not an ELF/);
    const big = Buffer.from(good);
    big[4] = 1;
    assert.throws(() => readModinfo(big), /64-bit little-endian/);
    const far = Buffer.from(good);
    far.writeBigUInt64LE(1n << 40n, 0x28);
    assert.throws(() => readModinfo(far), /section header table/);
    const outside = Buffer.from(good);
    outside.writeBigUInt64LE(1n << 32n, Number(outside.readBigUInt64LE(0x28)) + 64 + 0x20);
    assert.throws(() => readModinfo(outside), /outside the file/);
    assert.throws(() => readModinfo(good.subarray(0, Number(good.readBigUInt64LE(0x28)))), /section header table/);
  });

  test('load order: dependencies first, each once, built-ins left out', () => {
    const deps = { nvme: ['nvme_core', 'nvme_auth'], nvme_core: ['nvme_auth'], nvme_auth: [], virtio_blk: ['virtio'], ext4: ['jbd2', 'mbcache', 'crc16'], jbd2: [], mbcache: [], crc16: [] };
    const order = loadOrder(['virtio_blk', 'nvme', 'ext4'], (n) => deps[n], new Set(['virtio']));
    assert.deepEqual(order, ['virtio_blk', 'nvme_auth', 'nvme_core', 'nvme', 'jbd2', 'mbcache', 'crc16', 'ext4']);
    assert.throws(() => loadOrder(['nope'], (n) => deps[n]), /no module nope in the package, nor built in/);
    assert.throws(() => loadOrder(['virtio_blk'], (n) => deps[n]), /no module virtio \(needed by virtio_blk\)/);
    assert.throws(() => loadOrder(['a'], (n) => ({ a: ['b'], b: ['a'] })[n]), /cycle: a -> b -> a/);
  });
});

describe('the added initramfs archive', () => {
  test('newc round trip, the layout the kernel unpacks', () => {
    const entries = [{ name: 'lib', mode: 0o40755 }, { name: 'lib/x.ko', mode: 0o100644, data: Buffer.from('abcde') }, { name: 'init', mode: 0o100755, data: Buffer.from('#!/bin/sh\n') }];
    const a = writeNewc(entries);
    assert.equal(a.length % 4, 0);
    assert.equal(a.toString('latin1', 0, 6), '070701');
    const back = readNewc(a);
    assert.deepEqual(back.map((e) => [e.name, e.mode, e.data.toString()]), [['lib', 0o40755, ''], ['lib/x.ko', 0o100644, 'abcde'], ['init', 0o100755, '#!/bin/sh\n']]);
    assert.throws(() => readNewc(a.subarray(0, 200)), /truncated/);
    assert.throws(() => readNewc(Buffer.alloc(200, 0x41)), /not a newc/);
  });

  test('the new /init loads the listed modules as PID 1, then runs the guest init', () => {
    const text = initHook('/lib/modules/v/banquise.load');
    const dir = mkdtempSync(join(tmpdir(), 'banquise-hook-'));
    try {
      const hook = join(dir, 'init');
      writeFileSync(hook, text);
      assert.equal(spawnSync('sh', ['-n', hook]).status, 0, 'valid sh');
      assert.match(text, /insmod "\$ko"/);
      assert.match(text, /< \/lib\/modules\/v\/banquise\.load/);
      assert.ok(text.trimEnd().endsWith(`exec ${GUEST_INIT} "$@"`));
      // not PID 1 (as /etc/init.d/rcS): no insmod, straight to the guest init
      const r = spawnSync('sh', ['-c', `sed 's|${GUEST_INIT}|echo guest-init|' ${hook} > ${hook}.t && sh ${hook}.t a b`], { encoding: 'utf8' });
      assert.equal(r.stdout, 'guest-init a b\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
