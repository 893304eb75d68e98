import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BanquiseError } from '../../base/errors.js';
import { snapshotFileSource, writeSnapshotFile, banquiseVersion } from './snapshot-file.js';

test('a save file appears under its name only once complete; a failed save leaves nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bq-snapfile-'));
  try {
    const path = join(dir, 's.bqs');
    const n = await writeSnapshotFile(path, async (sink) => {
      for (let i = 0; i < 40; i++) await sink(new Uint8Array(100_000).fill(i));
      assert.equal(existsSync(path), false, 'not there while being written');
    });
    assert.equal(n, 4_000_000);
    const back = readFileSync(path);
    assert.equal(back.length, 4_000_000);
    assert.equal(back[3_999_999], 39);
    const chunks: Uint8Array[] = [];
    for await (const c of snapshotFileSource(path)) chunks.push(c);
    assert.equal(chunks.reduce((s, c) => s + c.length, 0), 4_000_000);
    await assert.rejects(writeSnapshotFile(path, async (sink) => {
      await sink(new Uint8Array(10));
      throw new Error('the machine could not be captured');
    }), /could not be captured/);
    assert.equal(readFileSync(path).length, 4_000_000, 'the previous save is untouched');
    assert.equal(existsSync(`${path}.partial`), false);
    await assert.rejects(writeSnapshotFile(join(dir, 'no', 'such', 'dir.bqs'), async (sink) => sink(new Uint8Array(1))), BanquiseError);
    assert.throws(() => snapshotFileSource(join(dir, 'missing.bqs')), /cannot read save file .*missing\.bqs: no such file/);
    assert.match(banquiseVersion(), /^\d+\.\d+\.\d+/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
