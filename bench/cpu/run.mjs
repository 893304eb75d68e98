#!/usr/bin/env node
// `npm run bench:cpu`: runs the bare-metal CPU workload (bench/cpu/workload.c) on Banquise
// (`banquise elf`) and on qemu-system-riscv64 -M spike in the same run and prints a table:
// instructions, wall-clock seconds (with the process start-up measured on an empty run of the
// same program and subtracted), MIPS, and the speed ratio; Banquise runs with the JIT (its default)
// and with --no-jit (the interpreter alone).
// The instruction count comes from QEMU with -icount shift=0 (its minstret is then exact) and
// is cross-checked against Banquise's minstret; both must also print the same checksum.
// Usage: node bench/cpu/run.mjs [--scale F] [--repeat N] [--max-instructions N]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { BARE_FLAGS, COMMON_DIR, ROOT, compileCached, haveTool } from '../../scripts/isa/build.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const scale = opt('--scale', 1);
const repeat = Math.max(1, opt('--repeat', 1));
const rounds = Math.max(1, Math.round(8 * scale));
const maxInstructions = opt('--max-instructions', 20_000_000_000);

for (const tool of ['riscv64-unknown-elf-gcc', 'qemu-system-riscv64']) {
  if (!haveTool(tool)) { console.error(`bench:cpu: ${tool} not found`); process.exit(2); }
}

function build(r) {
  return compileCached({ name: `bench-cpu-r${r}`, flags: [...BARE_FLAGS, `-DROUNDS=${r}`],
    sources: [join(COMMON_DIR, 'crt.S'), join(ROOT, 'bench', 'cpu', 'workload.c')],
    deps: [join(COMMON_DIR, 'rt.h'), join(COMMON_DIR, 'link.ld')], cacheDir: join(ROOT, '.cache', 'bench') });
}

function timed(cmd, argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', maxBuffer: 1 << 20 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) {
    console.error(`${cmd} ${argv.join(' ')}: exit status ${r.status}\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
  const check = /checksum 0x([0-9a-f]+)/.exec(r.stdout)?.[1];
  const instret = /instret 0x([0-9a-f]+)/.exec(r.stdout)?.[1];
  return { seconds, checksum: check, instret: instret === undefined ? undefined : BigInt(`0x${instret}`) };
}

const qemu = (elf, extra = []) => timed('qemu-system-riscv64', ['-M', 'spike', '-nographic', '-bios', 'none', ...extra, '-kernel', elf]);
const banquise = (elf, engine = []) => timed(process.execPath, [join(ROOT, 'bin', 'banquise.js'), 'elf', ...engine, '--max-instructions', String(maxInstructions), elf]);
// QEMU runs are short, so their best of at least 3 is taken to tame timing noise.
const best = (f, n = repeat) => Array.from({ length: n }, f).reduce((a, b) => (b.seconds < a.seconds ? b : a));

const elf = build(rounds);
const empty = build(0);
console.log(`CPU benchmark: sieve, hash table, quicksort, CRC32 x ${rounds} rounds (scale ${scale}); best of ${repeat} (qemu: of ${Math.max(3, repeat)})`);
const counted = qemu(elf, ['-icount', 'shift=0']);
const instructions = counted.instret;
const q = best(() => qemu(elf), Math.max(3, repeat));
const q0 = best(() => qemu(empty), Math.max(3, repeat));
const j = best(() => banquise(elf));
const j0 = best(() => banquise(empty));
const b = best(() => banquise(elf, ['--no-jit']));
const b0 = best(() => banquise(empty, ['--no-jit']));

const rows = [
  ['qemu-system-riscv64 (TCG)', q, q0],
  ['banquise elf (JIT, default)', j, j0],
  ['banquise elf --no-jit', b, b0],
].map(([name, run, start]) => {
  const net = Math.max(1e-6, run.seconds - start.seconds);
  return { name, wall: run.seconds, startup: start.seconds, net, mips: Number(instructions) / net / 1e6 };
});
const pad = (s, n) => String(s).padStart(n);
console.log(`${'machine'.padEnd(30)}${pad('instructions', 16)}${pad('wall s', 10)}${pad('startup s', 11)}${pad('MIPS', 10)}`);
for (const r of rows) {
  console.log(`${r.name.padEnd(30)}${pad(instructions.toLocaleString('en-US'), 16)}${pad(r.wall.toFixed(3), 10)}${pad(r.startup.toFixed(3), 11)}${pad(r.mips.toFixed(1), 10)}`);
}
console.log(`ratio: qemu is ${(rows[0].mips / rows[1].mips).toFixed(2)}x the speed of banquise (JIT), ${(rows[0].mips / rows[2].mips).toFixed(2)}x banquise --no-jit; the JIT is ${(rows[1].mips / rows[2].mips).toFixed(2)}x the interpreter (start-up excluded)`);
const agree = q.checksum === b.checksum && counted.checksum === b.checksum && j.checksum === b.checksum;
console.log(`checksum: qemu ${q.checksum}, banquise ${j.checksum}, --no-jit ${b.checksum} (${agree ? 'match' : 'MISMATCH'})`);
const countsAgree = instructions === b.instret && instructions === j.instret;
console.log(`instructions: qemu -icount ${instructions}, banquise minstret ${j.instret}, --no-jit ${b.instret} (${countsAgree ? 'match' : 'MISMATCH'})`);
if (!agree || !countsAgree) process.exit(1);
