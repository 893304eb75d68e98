#!/usr/bin/env node
// Long fuzz run of the snapshot reader (the bounded one is in npm test).
// Usage: node scripts/fuzz-snapshot.mjs [cases=100000] [seed=random]   (after npm run build)
import { fuzzSnapshotReader } from '../dist/test-support/snapshot-fuzz.js';
import { zlibPageCompressor } from '../dist/platform/node/zlib-page-compressor.js';

const cases = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? Math.floor(Math.random() * 2 ** 31));
const batch = 5000;
const total = { cases: 0, accepted: 0, refused: 0 };
console.log(`snapshot fuzz: ${cases} cases, seed ${seed}`);
for (let done = 0; done < cases; done += batch) {
  const info = await fuzzSnapshotReader(seed + done, Math.min(batch, cases - done), zlibPageCompressor());
  for (const k of Object.keys(total)) total[k] += info[k];
  console.log(`  ${total.cases} cases: ${total.refused} refused, ${total.accepted} accepted`);
}
console.log('no reader bug found');
