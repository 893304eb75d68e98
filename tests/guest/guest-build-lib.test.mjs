// Unit tests of the guest build's helpers (scripts/guest/lib) and of the guest recipe files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { applyKconfigFragment, missingKconfigOptions, parseKconfigFragment } from '../../scripts/guest/lib/kconfig-check.mjs';
import { genInitCpioList } from '../../scripts/guest/lib/cpio-list.mjs';
import { checkExt4, checkRiscvImage, checkStaticRiscvElf, listNewcCpioGz } from '../../scripts/guest/lib/artifact-checks.mjs';
import { guestCacheRoot, hashFiles } from '../../scripts/guest/lib/guest-inputs.mjs';

const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function tempDir() {
  return mkdtempSync(join(tmpdir(), 'banquise-guest-lib-'));
}

test('kconfig: fragment requests are checked against the final .config', () => {
  const fragment = '# comment\nCONFIG_A=y\nCONFIG_N=8\nCONFIG_S=""\n# CONFIG_M is not set\n';
  assert.deepEqual(parseKconfigFragment(fragment), [
    { name: 'CONFIG_A', value: 'y' }, { name: 'CONFIG_N', value: '8' }, { name: 'CONFIG_S', value: '""' }, { name: 'CONFIG_M', value: null },
  ]);
  assert.deepEqual(missingKconfigOptions(fragment, 'CONFIG_A=y\nCONFIG_N=8\nCONFIG_S=""\n# CONFIG_M is not set\n'), []);
  // Absent counts as "not set".
  assert.deepEqual(missingKconfigOptions(fragment, 'CONFIG_A=y\nCONFIG_N=8\nCONFIG_S=""\n'), []);
  const problems = missingKconfigOptions(fragment, 'CONFIG_N=16\nCONFIG_S=""\nCONFIG_M=m\n');
  assert.equal(problems.length, 3);
  assert.match(problems[0], /CONFIG_A=y requested, but it is not set/);
  assert.match(problems[1], /CONFIG_N=8 requested, but it is CONFIG_N=16/);
  assert.match(problems[2], /CONFIG_M must not be set/);
});

test('kconfig: applying a fragment replaces set and unset lines of the same options', () => {
  const config = 'CONFIG_KEEP=y\n# CONFIG_STATIC is not set\nCONFIG_TC=y\nCONFIG_PREFIX=""\n';
  const out = applyKconfigFragment(config, 'CONFIG_STATIC=y\n# CONFIG_TC is not set\nCONFIG_PREFIX="riscv64-linux-gnu-"\n');
  assert.equal(out, 'CONFIG_KEEP=y\nCONFIG_STATIC=y\n# CONFIG_TC is not set\nCONFIG_PREFIX="riscv64-linux-gnu-"\n');
  assert.deepEqual(missingKconfigOptions('CONFIG_STATIC=y\n# CONFIG_TC is not set\n', out), []);
});

test('guest/linux.config requests every option the guest needs', () => {
  const requested = new Map(parseKconfigFragment(readFileSync(join(REPO_DIR, 'guest/linux.config'), 'utf8')).map((r) => [r.name, r.value]));
  const required = [
    '64BIT', 'MMU', 'SMP', 'SOC_VIRT', 'RISCV_SBI', 'SERIAL_EARLYCON_RISCV_SBI', 'RISCV_TIMER', 'SIFIVE_PLIC',
    'SERIAL_8250', 'SERIAL_8250_CONSOLE', 'SERIAL_OF_PLATFORM', 'POWER_RESET_SYSCON', 'POWER_RESET_SYSCON_POWEROFF',
    'RTC_DRV_GOLDFISH', 'BLK_DEV_INITRD', 'RD_GZIP', 'DEVTMPFS', 'DEVTMPFS_MOUNT', 'TMPFS', 'PROC_FS', 'SYSFS', 'EXT4_FS',
    '9P_FS', 'NET_9P', 'NET_9P_VIRTIO', 'VIRTIO_MMIO', 'VIRTIO_BLK', 'VIRTIO_NET', 'VIRTIO_CONSOLE', 'HW_RANDOM_VIRTIO',
    'VIRTIO_BALLOON', 'VSOCKETS', 'VIRTIO_VSOCKETS', 'NET', 'INET', 'UNIX', 'PACKET', 'FPU', 'PRINTK', 'TTY', 'BINFMT_ELF',
    'BINFMT_SCRIPT', 'FILE_LOCKING', 'MULTIUSER', 'FUTEX', 'EPOLL', 'SIGNALFD', 'TIMERFD', 'EVENTFD',
  ];
  for (const name of required) assert.equal(requested.get(`CONFIG_${name}`), 'y', `CONFIG_${name}=y`);
  assert.ok(Number(requested.get('CONFIG_NR_CPUS')) >= 8);
  assert.equal(requested.get('CONFIG_CMDLINE'), '""');
  assert.equal(requested.get('CONFIG_MODULES'), null);
});

test('guest init script and inittab: valid shell, console shell through cttyhack, prompt ends with "# "', () => {
  const r = spawnSync('sh', ['-n', join(REPO_DIR, 'guest/init')]);
  assert.equal(r.status, 0, String(r.stderr));
  const inittab = readFileSync(join(REPO_DIR, 'guest/rootfs/etc/inittab'), 'utf8');
  assert.match(inittab, /^::sysinit:\/etc\/init\.d\/rcS$/m);
  assert.match(inittab, /^::respawn:\/bin\/cttyhack \/bin\/sh -l$/m);
  assert.match(readFileSync(join(REPO_DIR, 'guest/rootfs/etc/profile'), 'utf8'), /^PS1='[^']*# '$/m);
});

test('cpio list: directories, files with modes, symlinks, extra nodes; rejects white space', () => {
  const dir = tempDir();
  try {
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin/busybox'), 'x');
    chmodSync(join(dir, 'bin/busybox'), 0o755);
    symlinkSync('busybox', join(dir, 'bin/sh'));
    writeFileSync(join(dir, 'init'), '#!/bin/sh\n');
    chmodSync(join(dir, 'init'), 0o700);
    chmodSync(join(dir, 'bin'), 0o755);
    const list = genInitCpioList(dir, ['nod /dev/console 0600 0 0 c 5 1']);
    assert.equal(list, [
      'dir /bin 0755 0 0',
      `file /bin/busybox ${join(dir, 'bin/busybox')} 0755 0 0`,
      'slink /bin/sh busybox 0777 0 0',
      `file /init ${join(dir, 'init')} 0700 0 0`,
      'nod /dev/console 0600 0 0 c 5 1',
    ].join('\n') + '\n');
    writeFileSync(join(dir, 'a b'), '');
    assert.throws(() => genInitCpioList(dir), /white space/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Builds a newc archive (magic 070701) of regular files, for the reader test. */
function newc(entries) {
  const parts = [];
  let ino = 1;
  for (const [name, data] of [...entries, ['TRAILER!!!', Buffer.alloc(0)]]) {
    const fields = [ino++, 0o100644, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length + 1, 0];
    const header = Buffer.from('070701' + fields.map((f) => f.toString(16).padStart(8, '0')).join('') + name + '\0', 'latin1');
    parts.push(header, Buffer.alloc((4 - (header.length % 4)) % 4), data, Buffer.alloc((4 - (data.length % 4)) % 4));
  }
  return Buffer.concat(parts);
}

test('newc reader lists entries and rejects a non-cpio payload', () => {
  const dir = tempDir();
  try {
    const good = join(dir, 'good.cpio.gz');
    writeFileSync(good, gzipSync(newc([['init', Buffer.from('#!/bin/sh\n')], ['bin/busybox', Buffer.alloc(5)]])));
    assert.deepEqual(listNewcCpioGz(good), ['init', 'bin/busybox']);
    const bad = join(dir, 'bad.cpio.gz');
    writeFileSync(bad, gzipSync(Buffer.from('not a cpio archive at all, not at all, certainly not, no, never ever, nope, nein, non, nada, zilch, zero, nothing')));
    assert.throws(() => listNewcCpioGz(bad), /not a newc cpio archive/);
    const truncated = join(dir, 'truncated.cpio.gz');
    writeFileSync(truncated, gzipSync(newc([['init', Buffer.alloc(3)]]).subarray(0, 120)));
    assert.throws(() => listNewcCpioGz(truncated), /truncated/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A minimal ELF64 header with `phdrTypes` program headers. */
function elf(machine, phdrTypes) {
  const buf = Buffer.alloc(64 + 56 * phdrTypes.length);
  buf.writeUInt32BE(0x7f454c46, 0);
  buf[4] = 2; // ELFCLASS64
  buf[5] = 1; // ELFDATA2LSB
  buf.writeUInt16LE(2, 16); // ET_EXEC
  buf.writeUInt16LE(machine, 18);
  buf.writeBigUInt64LE(64n, 32); // e_phoff
  buf.writeUInt16LE(56, 54);
  buf.writeUInt16LE(phdrTypes.length, 56);
  phdrTypes.forEach((t, i) => buf.writeUInt32LE(t, 64 + 56 * i));
  return buf;
}

test('artifact checks: static RISC-V ELF, Image header, ext4 superblock', () => {
  const dir = tempDir();
  try {
    const p = join(dir, 'f');
    writeFileSync(p, elf(243, [1, 1, 4]));
    checkStaticRiscvElf(p);
    writeFileSync(p, elf(243, [6, 3, 1]));
    assert.throws(() => checkStaticRiscvElf(p), /dynamically linked/);
    writeFileSync(p, elf(62, [1]));
    assert.throws(() => checkStaticRiscvElf(p), /not a RISC-V ELF/);

    const image = Buffer.alloc(64);
    image.writeBigUInt64LE(0x600000n, 0x10);
    image.write('RISCV\0\0\0', 0x30, 'latin1');
    image.write('RSC\x05', 0x38, 'latin1');
    writeFileSync(p, image);
    assert.equal(checkRiscvImage(p), 0x600000);
    image.write('ARM', 0x30, 'latin1');
    writeFileSync(p, image);
    assert.throws(() => checkRiscvImage(p), /not a RISC-V Linux Image/);

    const disk = Buffer.alloc(4096);
    disk.writeUInt16LE(0xef53, 1024 + 56);
    disk.write('banquise-root', 1024 + 120, 'latin1');
    writeFileSync(p, disk);
    assert.equal(checkExt4(p), 'banquise-root');
    writeFileSync(p, Buffer.alloc(4096));
    assert.throws(() => checkExt4(p), /no ext4 superblock/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cache key inputs: content and executable bit count, the QEMU smoke script does not', () => {
  const dir = tempDir();
  try {
    mkdirSync(join(dir, 'guest'));
    mkdirSync(join(dir, 'scripts/guest'), { recursive: true });
    writeFileSync(join(dir, 'guest/init'), 'a');
    writeFileSync(join(dir, 'scripts/guest/qemu-smoke.mjs'), 'x');
    const h1 = hashFiles(dir, ['guest', 'scripts/guest']);
    assert.deepEqual(Object.keys(h1), ['guest/init']);
    chmodSync(join(dir, 'guest/init'), 0o755);
    const h2 = hashFiles(dir, ['guest', 'scripts/guest']);
    assert.notEqual(h1['guest/init'], h2['guest/init']);
    writeFileSync(join(dir, 'guest/init'), 'b');
    assert.notEqual(hashFiles(dir, ['guest', 'scripts/guest'])['guest/init'], h2['guest/init']);
    writeFileSync(join(dir, 'scripts/guest/qemu-smoke.mjs'), 'y');
    assert.deepEqual(Object.keys(hashFiles(dir, ['guest', 'scripts/guest'])), ['guest/init']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('guest cache root follows XDG_CACHE_HOME (absolute only), else $HOME/.cache', () => {
  assert.equal(guestCacheRoot({ XDG_CACHE_HOME: '/c', HOME: '/h' }), '/c/banquise/guest');
  assert.equal(guestCacheRoot({ XDG_CACHE_HOME: 'c', HOME: '/h' }), '/h/.cache/banquise/guest');
  assert.equal(guestCacheRoot({ HOME: '/h' }), '/h/.cache/banquise/guest');
});
