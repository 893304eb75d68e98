#!/usr/bin/env node
// Runs the JIT lock-step oracle (src/test-support/jit-lockstep.ts) for many blocks by hand:
// random RV64GC programs under Sv39 on the interpreter and on the JIT, full hart state compared
// after every return from generated code and RAM after every chunk. Needs a build (npx tsc -b src/tsconfig.json).
// Usage: node scripts/jit-lockstep.mjs [--blocks N (default 1000000)] [--seed S]
import { parseArgs } from 'node:util';
import { runLockstep } from '../dist/test-support/jit-lockstep.js';

const { values } = parseArgs({ options: { blocks: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '1' } } });
const want = Number(values.blocks);
let seed = Number(values.seed);
let blocks = 0;
let checks = 0;
let jitInsns = 0;
let insns = 0;
let rounds = 0;
const t0 = Date.now();
while (blocks < want) {
  const r = runLockstep({ seed, rounds: 200, steps: 3000 });
  rounds += r.rounds;
  checks += r.checks;
  if (r.mismatch !== undefined) {
    console.error(`MISMATCH (campaign seed ${seed}): ${r.mismatch}`);
    process.exit(1);
  }
  blocks += r.jitEntries;
  jitInsns += r.jitInstructions;
  insns += r.instructions;
  seed++;
  console.log(`${blocks} blocks (entries into generated code), ${checks} comparisons, ${rounds} programs, ` +
    `${jitInsns}/${insns} instructions in generated code, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
console.log('lock-step: no difference');
