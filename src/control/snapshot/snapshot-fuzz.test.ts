import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzSnapshotReader } from '../../test-support/snapshot-fuzz.js';
import { zlibPageCompressor } from '../../platform/node/zlib-page-compressor.js';

// Bounded run for npm test; `node scripts/fuzz-snapshot.mjs [cases] [seed]` runs longer.
test('snapshot reader fuzz: 1500 mutated streams are each read or refused with a SnapshotError', async () => {
  const info = await fuzzSnapshotReader(20261202, 1500, zlibPageCompressor());
  assert.equal(info.cases, 1500);
  assert.ok(info.refused > 1000, `refused ${info.refused}`);
});
