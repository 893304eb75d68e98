#!/usr/bin/env node
// Differential-testing campaign: random RV64GC sequences on qemu-riscv64 vs banquise elf.
// Usage: node tests/diff/run.mjs [--seeds N] [--start S] [--seed S] [--length L] [--profile mixed|fp]
//                                [--keep-going]
import { checkSeed, missingTools } from './diff-lib.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const single = opt('--seed', undefined);
const start = single ?? opt('--start', 1);
const count = single !== undefined ? 1 : opt('--seeds', 100);
const length = opt('--length', 300);
const keepGoing = args.includes('--keep-going');
const profile = args.includes('--profile') ? args[args.indexOf('--profile') + 1] : 'mixed';
if (profile !== 'mixed' && profile !== 'fp') { console.error(`unknown profile ${profile}`); process.exit(2); }

const missing = missingTools();
if (missing) {
  console.error(`diff: ${missing}`);
  process.exit(2);
}
let failures = 0;
const t0 = Date.now();
for (let seed = start; seed < start + count; seed++) {
  const r = checkSeed(seed, length, undefined, profile);
  if (r.ok) {
    if (count <= 20 || seed % 50 === 0) console.log(`seed ${seed}: ok`);
    continue;
  }
  failures++;
  console.log(`seed ${seed}: MISMATCH\n${r.report}\n`);
  if (!keepGoing) break;
}
console.log(`${failures ? 'FAILED' : 'ok'}: ${failures} mismatching seed(s); ran from seed ${start}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(failures ? 1 : 0);
