#!/usr/bin/env node
// Builds the bare-metal programs of tests/isa (and helpers for tests/diff and bench/cpu) with
// riscv64-unknown-elf-gcc. Artifacts are cached under .cache/isa/, keyed by a hash of the
// sources, the shared headers and the compiler flags, so a rebuild happens only on change.
// Usage: node scripts/isa/build.mjs [--qemu] [name-filter...]
//   --qemu   also runs each program on qemu-system-riscv64 -M spike (the reference) and reports.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Folder of the ISA programs. */
export const ISA_DIR = join(ROOT, 'tests', 'isa');
/** Shared headers, runtime and linker script of the bare-metal programs. */
export const COMMON_DIR = join(ISA_DIR, 'common');
/** Where built ELF files are cached. */
export const CACHE_DIR = join(ROOT, '.cache', 'isa');

/** Bare-metal compiler. */
export const BARE_CC = 'riscv64-unknown-elf-gcc';
/** Flags shared by every bare-metal program. */
export const BARE_FLAGS = ['-march=rv64gc', '-mabi=lp64d', '-nostdlib', '-nostartfiles', '-static',
  '-mcmodel=medany', '-fno-pic', '-ffreestanding', '-O2', `-I${COMMON_DIR}`, '-T', join(COMMON_DIR, 'link.ld')];

/** True when `cmd --version` runs. */
export function haveTool(cmd) {
  const r = spawnSync(cmd, ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

function hashOf(parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? p : p).update('\0');
  return h.digest('hex').slice(0, 16);
}

/**
 * Compiles `sources` into one ELF with `cc` and `flags`, cached by content hash.
 * `deps` are extra files whose content participates in the key (headers, linker script).
 * Returns the ELF path; throws with the compiler's message on failure.
 */
export function compileCached({ name, cc = BARE_CC, flags = BARE_FLAGS, sources, deps = [], cacheDir = CACHE_DIR }) {
  const key = hashOf([cc, ...flags, ...[...sources, ...deps].map((f) => readFileSync(f))]);
  mkdirSync(cacheDir, { recursive: true });
  const out = join(cacheDir, `${name}-${key}.elf`);
  if (existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync(cc, [...flags, ...sources, '-o', tmp], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cc} failed for ${name}:\n${r.stderr || r.error}`);
  renameSync(tmp, out);
  // Older builds of the same program are stale: keep the cache at one ELF per program.
  for (const f of readdirSync(cacheDir)) {
    if (f.startsWith(`${name}-`) && f.endsWith('.elf') && join(cacheDir, f) !== out && /^[0-9a-f]{16}\.elf$/.test(f.slice(name.length + 1))) {
      rmSync(join(cacheDir, f), { force: true });
    }
  }
  return out;
}

function commonDeps() {
  return readdirSync(COMMON_DIR).map((f) => join(COMMON_DIR, f)).sort();
}

/** The programs of the suite: every tests/isa/*.S and *.c (C programs get the C runtime). */
export function listIsaPrograms(dir = ISA_DIR) {
  return readdirSync(dir).filter((f) => /\.(S|c)$/.test(f)).sort().map((f) => ({
    name: basename(f).replace(/\.(S|c)$/, ''),
    source: join(dir, f),
    isC: f.endsWith('.c'),
  }));
}

/** Builds one program of the suite (cached) and returns its ELF path. */
export function buildIsaProgram(prog) {
  const sources = prog.isC ? [join(COMMON_DIR, 'crt.S'), prog.source] : [prog.source];
  return compileCached({ name: prog.name, sources, deps: commonDeps() });
}

/** Runs an ELF on qemu-system-riscv64 -M spike; returns { status, stdout, stderr, timedOut }. */
export function runOnSpike(elf, { timeoutMs = 60000 } = {}) {
  // -icount shift=0: one instruction per virtual nanosecond, so minstret is exact (without it
  // QEMU's counters follow host time) and timer tests still see time pass.
  const r = spawnSync('qemu-system-riscv64', ['-M', 'spike', '-nographic', '-bios', 'none', '-icount', 'shift=0', '-kernel', elf],
    { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: r.error?.code === 'ETIMEDOUT' };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const qemu = args.includes('--qemu');
  const filters = args.filter((a) => !a.startsWith('--'));
  let bad = 0;
  const deviations = JSON.parse(readFileSync(join(ROOT, 'scripts', 'isa', 'qemu-deviations.json'), 'utf8'));
  for (const prog of listIsaPrograms()) {
    if (filters.length && !filters.some((f) => prog.name.includes(f))) continue;
    let elf;
    try {
      elf = buildIsaProgram(prog);
    } catch (e) {
      console.log(`BUILD FAIL ${prog.name}\n${e.message}`);
      bad++;
      continue;
    }
    if (!qemu) { console.log(`built ${prog.name} -> ${elf}`); continue; }
    const r = runOnSpike(elf);
    // spike exits with tohost >> 1, i.e. the failing test number (modulo 256).
    const known = deviations[prog.name];
    const ok = known ? r.status === (known.test & 0xff) : r.status === 0;
    if (!ok) bad++;
    const note = known ? ` (fails test ${known.test} as expected on QEMU: ${known.why})` : '';
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${prog.name}${ok ? note : ` status=${r.status}${r.timedOut ? ' (timeout)' : ''} ${(r.stdout + r.stderr).trim().slice(0, 300)}`}`);
  }
  process.exit(bad ? 1 : 0);
}
