// Whole-system check of the platform devices: a bare-metal program (device-probe.c) drives the
// UART, PLIC, CLINT, RTC and SiFive test finisher as a driver would and prints register values.
// Its output on Banquise must equal QEMU's virt board (device-probe.qemu.txt, recorded with
// `qemu-system-riscv64 -M virt -bios none -kernel probe.elf -nographic`, and re-checked live when
// QEMU is installed), except where Banquise follows the PC16550D datasheet and QEMU does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const BIN = join(REPO, 'bin/banquise.js');
const CC = 'riscv64-unknown-elf-gcc';

/**
 * Where Banquise deliberately differs from QEMU, with Banquise's value. In loopback the 16550's
 * modem inputs follow MCR and their changes set MSR delta bits and the modem-status interrupt
 * (datasheet §8.6); QEMU mirrors the lines but never sets deltas there.
 */
const DEPARTURES = {
  'uart.loop.msr': '0x92', // entering loopback with DTR=0 drops DSR: DDSR
  'uart.msi.iir': '0xc0', // DTR on in loopback raises DSR: modem-status interrupt
  'uart.msi.msr': '0xb2',
};

function parse(text) {
  const map = new Map();
  for (const line of text.split('\n')) {
    const m = /^([\w.]+)=(0x[0-9a-f]+)$/.exec(line.trim());
    if (m) map.set(m[1], m[2]);
  }
  assert.match(text, /^done$/m, `the probe did not finish:\n${text}`);
  return map;
}

const hasCc = spawnSync(CC, ['--version']).status === 0;
let dir;
let elf;

function build() {
  if (elf) return elf;
  dir = mkdtempSync(join(tmpdir(), 'banquise-probe-'));
  elf = join(dir, 'probe.elf');
  const r = spawnSync(
    CC,
    ['-O1', '-march=rv64gc', '-mabi=lp64d', '-mcmodel=medany', '-nostdlib', '-nostartfiles', '-ffreestanding',
      '-T', join(HERE, 'link.ld'), '-Wl,--no-warn-rwx-segments', '-o', elf, join(HERE, 'start.S'), join(HERE, 'device-probe.c')],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return elf;
}

const golden = parse(readFileSync(join(HERE, 'device-probe.qemu.txt'), 'utf8'));

test('device probe on Banquise matches QEMU virt (except documented datasheet departures)', { skip: !hasCc && `${CC} not installed (apt-get install gcc-riscv64-unknown-elf)` }, () => {
  const r = spawnSync(process.execPath, [BIN, 'elf', build(), '--max-instructions', '50000000'], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `exit status (stderr: ${r.stderr})`);
  const got = parse(r.stdout);
  for (const [k, v] of golden) assert.equal(got.get(k), DEPARTURES[k] ?? v, k);
  assert.deepEqual([...got.keys()], [...golden.keys()]);
});

test('the recorded QEMU output is still what QEMU prints', { skip: (!hasCc || spawnSync('qemu-system-riscv64', ['--version']).status !== 0) && 'needs qemu-system-riscv64 and a cross compiler' }, () => {
  const r = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-bios', 'none', '-kernel', build(), '-nographic'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(parse(r.stdout), golden);
});

test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
