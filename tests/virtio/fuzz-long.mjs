#!/usr/bin/env node
// Long fuzz run: node tests/virtio/fuzz-long.mjs --iterations N [--seed S] [--device NAME]
import { DEVICES, fuzzDevice } from './fuzz-core.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : dflt;
};
const iterations = Number(opt('--iterations', '100000'));
const seed = Number(opt('--seed', String(Date.now() % 1e9)));
const only = opt('--device', undefined);
if (!Number.isSafeInteger(iterations) || iterations <= 0) {
  console.error('--iterations must be a positive integer');
  process.exit(64);
}
const names = only ? [only] : Object.keys(DEVICES);
let failed = 0;
console.log(`virtio fuzz: seed ${seed}, ${iterations} iterations per device`);
console.log('device    iterations  malformed  needs-reset  scheduled  ok-requests  ms');
for (const name of names) {
  if (!(name in DEVICES)) {
    console.error(`unknown device ${name} (one of ${Object.keys(DEVICES).join(', ')})`);
    process.exit(64);
  }
  const t0 = Date.now();
  try {
    const s = await fuzzDevice(name, seed, iterations);
    console.log(`${name.padEnd(9)} ${String(s.iterations).padStart(10)}  ${String(s.malformed).padStart(9)}  ${String(s.needsReset).padStart(11)}  ${String(s.scheduled).padStart(9)}  ${String(s.ok).padStart(11)}  ${Date.now() - t0}`);
  } catch (e) {
    failed++;
    console.log(`${name.padEnd(9)} FAILED: ${e.message}`);
  }
}
console.log(`${names.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
