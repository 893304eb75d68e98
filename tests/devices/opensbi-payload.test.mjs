// Real firmware on the platform devices: Debian's OpenSBI (fw_jump) boots on Banquise with the
// board's own device tree, finds the UART, CLINT (ACLINT mswi/mtimer) and SiFive test device
// from it, prints its banner, and starts sbi-payload.S in S-mode, which prints through the SBI
// console, takes one SBI TIME interrupt and powers off through SBI SRST (the test finisher).
// The same payload is run under QEMU (`-M virt -bios fw_jump.bin`) as the reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const BIN = join(REPO, 'bin/banquise.js');
const FW_JUMP = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin';
const CC = 'riscv64-unknown-elf-gcc';
const RAM_BASE = 0x8000_0000;
const RAM_BYTES = 256 * 1024 * 1024;
const PAYLOAD_GPA = 0x8020_0000; // fw_jump's FW_JUMP_ADDR on rv64
const DTB_GPA = 0x8220_0000; // fw_jump's FW_JUMP_FDT_ADDR on rv64
const STUB_GPA = 0x8100_0000;

const missing = !existsSync(FW_JUMP)
  ? `${FW_JUMP} not installed (apt-get install opensbi)`
  : spawnSync(CC, ['--version']).status !== 0
    ? `${CC} not installed (apt-get install gcc-riscv64-unknown-elf)`
    : undefined;

const EXPECTED = ['payload: hello from S-mode', 'payload: timer interrupt taken, powering off'];

let dir;
function tmp() {
  dir ??= mkdtempSync(join(tmpdir(), 'banquise-sbi-'));
  return dir;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r;
}

/** The S-mode payload, linked at PAYLOAD_GPA. */
function payloadElf() {
  const d = tmp();
  writeFileSync(join(d, 'payload.ld'), `ENTRY(_start)\nSECTIONS { . = 0x${PAYLOAD_GPA.toString(16)}; .text : { *(.text) } .rodata : { *(.rodata) } .bss : { *(.bss) } }\n`);
  const elf = join(d, 'payload.elf');
  run(CC, ['-march=rv64gc', '-mabi=lp64d', '-nostdlib', '-nostartfiles', '-T', join(d, 'payload.ld'), '-Wl,--no-warn-rwx-segments', '-o', elf, join(HERE, 'sbi-payload.S')]);
  return elf;
}

/**
 * One ELF for `banquise elf` (M-mode at the entry, no firmware of its own): a stub that enters
 * fw_jump as a boot ROM would (a0 = hart id, a1 = device tree), fw_jump at RAM_BASE, the payload
 * and the board's device tree from the machine layer.
 */
async function bundleElf() {
  const d = tmp();
  const { buildDeviceTree } = await import(join(REPO, 'dist/machine/device-tree.js'));
  const dtb = buildDeviceTree({ vcpus: 1, ramBaseGpa: RAM_BASE, ramSizeBytes: RAM_BYTES, bootargs: '', rngSeed: new Uint8Array(64), virtioSlots: [] });
  writeFileSync(join(d, 'board.dtb'), dtb);
  run('riscv64-unknown-elf-objcopy', ['-O', 'binary', payloadElf(), join(d, 'payload.bin')]);
  writeFileSync(
    join(d, 'bundle.S'),
    `.section .stub,"ax"\n.globl _start\n_start:\n li a0, 0\n li a1, 0x${DTB_GPA.toString(16)}\n li a2, 0\n li t0, 0x${RAM_BASE.toString(16)}\n jr t0\n` +
      `.section .fw,"awx"\n.incbin "${FW_JUMP}"\n` +
      `.section .payload,"awx"\n.incbin "${join(d, 'payload.bin')}"\n` +
      `.section .dtb,"aw"\n.incbin "${join(d, 'board.dtb')}"\n`,
  );
  writeFileSync(
    join(d, 'bundle.ld'),
    `ENTRY(_start)\nSECTIONS {\n . = 0x${STUB_GPA.toString(16)}; .stub : { *(.stub) }\n . = 0x${RAM_BASE.toString(16)}; .fw : { *(.fw) }\n` +
      ` . = 0x${PAYLOAD_GPA.toString(16)}; .payload : { *(.payload) }\n . = 0x${DTB_GPA.toString(16)}; .dtb : { *(.dtb) }\n}\n`,
  );
  const elf = join(d, 'bundle.elf');
  run(CC, ['-nostdlib', '-nostartfiles', '-T', join(d, 'bundle.ld'), '-Wl,--no-warn-rwx-segments', '-o', elf, join(d, 'bundle.S')]);
  return elf;
}

function payloadLines(stdout) {
  return stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('payload:'));
}

/**
 * Known hart bug (not a device one): OpenSBI's last PMP entry is NAPOT with pmpaddr = 2^54 - 1
 * ("the whole address space"); src/cpu/hart.ts rebuildPmp joins the halves into a JS number,
 * which rounds 2^54 - 1 to 2^54, so the entry decodes as 8 bytes and the S-mode payload's first
 * fetch faults. With that fixed this test passes (checked with the NAPOT size counted on the
 * 32-bit halves); then drop `todo`.
 */
test('OpenSBI fw_jump boots on Banquise, runs an S-mode payload and powers off', { skip: missing }, async () => {
  const r = spawnSync(process.execPath, [BIN, 'elf', await bundleElf(), '--max-instructions', '200000000'], { encoding: 'utf8', timeout: 300_000 });
  assert.match(r.stdout, /Platform Console Device\s+: uart8250/);
  assert.match(r.stdout, /Platform IPI Device\s+: aclint-mswi/);
  assert.match(r.stdout, /Platform Timer Device\s+: aclint-mtimer @ 10000000Hz/);
  assert.match(r.stdout, /Platform Shutdown Device\s+: sifive_test/);
  assert.deepEqual(payloadLines(r.stdout), EXPECTED, `stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  assert.equal(r.status, 0, `poweroff through SBI SRST and the test finisher (stderr: ${r.stderr})`);
});

test('the same payload under QEMU virt prints the same lines', { skip: missing ?? (spawnSync('qemu-system-riscv64', ['--version']).status !== 0 && 'qemu-system-riscv64 not installed') }, () => {
  const r = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-m', '256M', '-bios', FW_JUMP, '-kernel', payloadElf(), '-nographic'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(payloadLines(r.stdout), EXPECTED);
});

test.after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
