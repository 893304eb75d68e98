// Differential testing machinery: builds the two variants of a generated program, runs one
// on qemu-riscv64 (the reference) and one on `banquise elf`, compares the dumps, and on a
// mismatch bisects the sequence to the first instruction after which the states differ.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BARE_CC, COMMON_DIR, ROOT, haveTool } from '../../scripts/isa/build.mjs';
import { generate } from './generator.mjs';
import { dumpName, emitBare, emitLinux } from './emit.mjs';

/** Cross compiler for the Linux user-mode variant. */
export const LINUX_CC = 'riscv64-linux-gnu-gcc';
/** Where generated sources and ELF files go. */
export const DIFF_CACHE = join(ROOT, '.cache', 'diff');
const BANQUISE = join(ROOT, 'bin', 'banquise.js');

/** Why the differential test cannot run here, or null when every tool is present. */
export function missingTools() {
  for (const t of [BARE_CC, LINUX_CC, 'qemu-riscv64']) if (!haveTool(t)) return `${t} not found`;
  return null;
}

function compile(cc, flags, src, out) {
  if (existsSync(out)) return out;
  const s = `${out}.S`;
  writeFileSync(s, src);
  // Compiled under a temporary name and renamed: a run killed mid-compile must not leave a
  // truncated ELF that later runs would take for a cached one.
  const partial = `${out}.${process.pid}.partial`;
  const r = spawnSync(cc, [...flags, s, '-o', partial], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(partial, { force: true });
    throw new Error(`${cc} failed on ${s}:\n${r.stderr}`);
  }
  renameSync(partial, out);
  return out;
}

/** Builds (cached by content) the Linux and bare-metal ELF files of a sequence. */
export function buildPair(prog, insns = prog.insns) {
  mkdirSync(DIFF_CACHE, { recursive: true });
  const linuxSrc = emitLinux(prog, insns);
  const bareSrc = emitBare(prog, insns);
  const key = createHash('sha256').update(linuxSrc).update(bareSrc).digest('hex').slice(0, 16);
  const base = join(DIFF_CACHE, `${prog.profile}-seed${prog.seed}-${insns.length}-${key}`);
  const common = ['-march=rv64gc', '-mabi=lp64d', '-nostdlib', '-nostartfiles', '-static'];
  const linux = compile(LINUX_CC, common, linuxSrc, `${base}-linux.elf`);
  const bare = compile(BARE_CC, [...common, '-T', join(COMMON_DIR, 'link.ld')], bareSrc, `${base}-bare.elf`);
  return { linux, bare };
}

/** Runs the Linux variant on qemu-riscv64; returns the dump text (throws on failure). */
export function runQemuUser(elf) {
  const r = spawnSync('qemu-riscv64', [elf], { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`qemu-riscv64 ${elf}: status ${r.status} ${r.stderr}`);
  return r.stdout;
}

/** Runs the bare-metal variant on banquise elf (engine: extra flags, e.g. --no-jit); returns { status, stdout, stderr }. */
export function runBanquise(elf, maxInstructions = 500_000_000, engine = []) {
  const r = spawnSync(process.execPath, [BANQUISE, 'elf', ...engine, '--max-instructions', String(maxInstructions), elf],
    { encoding: 'utf8', timeout: 120000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** First differing dump line: { index, name, expected, got } or null when equal. */
export function compareDumps(expected, got) {
  const a = expected.split('\n');
  const b = got.split('\n');
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return { index: i, name: dumpName(i), expected: a[i], got: b[i] };
  }
  return null;
}

function runBoth(prog, insns, target) {
  const { linux, bare } = buildPair(prog, insns);
  const expected = runQemuUser(linux);
  const b = target(bare, insns.length);
  if (b.status !== 0) {
    return { expected, got: b.stdout, files: [linux, bare], diff: { index: -1, name: `banquise exit status ${b.status}`, expected: '0', got: `${b.status} ${b.stdout.trim().slice(0, 100)} ${b.stderr.trim().slice(0, 300)}` } };
  }
  return { expected, got: b.stdout, diff: compareDumps(expected, b.stdout), files: [linux, bare] };
}

/** All differing dump lines of two dumps (for the report). */
function allDiffs(expected, got) {
  const a = expected.split('\n');
  const b = got.split('\n');
  const out = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) out.push(`  ${dumpName(i)}: qemu ${a[i]} banquise ${b[i]}`);
  }
  return out;
}

/**
 * Runs one seed. Returns { ok: true } or { ok: false, report } where the report names the
 * seed, the first differing register of the full run, and (bisected) the first instruction
 * whose execution makes the states differ, with the differences right after it.
 * `target(bareElf, sequenceLength)` runs the program under test (default: banquise elf).
 */
export function checkSeed(seed, length = 300, target = (elf) => runBanquise(elf), profile = 'mixed') {
  const prog = generate(seed, length, profile);
  let full = runBoth(prog, prog.insns, target);
  if (full.diff && full.diff.index === -1) full = runBoth(prog, prog.insns, target);   // transient?
  if (full.diff && full.diff.index === -1 && !/FAIL: test 1\b/.test(full.got + full.diff.got)) {
    // banquise did not run the program at all (crash, rebuild in progress...): nothing to bisect
    return { ok: false, report: `seed ${seed} (length ${length}): banquise elf failed: ${full.diff.got}` };
  }
  if (!full.diff) {
    // passing seeds leave nothing behind (a campaign would otherwise fill the cache)
    for (const f of full.files) for (const p of [f, `${f}.S`]) rmSync(p, { force: true });
    return { ok: true };
  }
  // bisect: prefix lo agrees (0 instructions: the initial state), prefix hi differs
  let lo = 0;
  let hi = prog.insns.length;
  let hiRun = full;
  const lo0 = runBoth(prog, [], target);
  if (lo0.diff) {
    hi = 0; hiRun = lo0;
  } else {
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const r = runBoth(prog, prog.insns.slice(0, mid), target);
      if (r.diff) { hi = mid; hiRun = r; } else lo = mid;
    }
  }
  const listing = prog.insns.map((s, i) => `${String(i).padStart(4)}${i === hi - 1 ? ' >>' : '   '} ${s.replace(/\n/g, ' ; ')}`);
  const culprit = hi === 0 ? '(initial state already differs: loading registers or the dump itself)' : `#${hi - 1}: ${prog.insns[hi - 1].replace(/\n/g, ' ; ')}`;
  const report = [
    `seed ${seed} (length ${length}, profile ${profile}): first difference in ${full.diff.name}: qemu ${full.diff.expected} banquise ${full.diff.got}`,
    `first diverging instruction ${culprit}`,
    'state right after it (qemu vs banquise):',
    ...allDiffs(hiRun.expected, hiRun.got).slice(0, 12),
    'listing around it:',
    ...listing.slice(Math.max(0, hi - 8), hi + 2),
    `reproduce: node tests/diff/run.mjs --seed ${seed} --length ${length} --profile ${profile}`,
  ].join('\n');
  return { ok: false, report, listing: listing.join('\n') };
}
