// A guest kernel that panics tells the host through pvpanic: `banquise run` ends with status 101
// and one line on stderr. A kernel file cut short is refused before boot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findGuest, GuestSession, BIN, REPO } from './guest-session.mjs';

const guest = await findGuest();
const skip = typeof guest === 'string' ? guest : false;
const dir = mkdtempSync(join(tmpdir(), 'banquise-panic-'));

test('a garbage initrd: Linux panics, the host reports it and exits with 101', { skip }, async () => {
  const garbage = join(dir, 'garbage.cpio');
  writeFileSync(garbage, Buffer.alloc(64 * 1024, 0x5a));
  const s = new GuestSession(['run', '--kernel', guest.kernel, '--initrd', garbage]);
  try {
    const { code } = await s.waitExit(15 * 60_000);
    assert.match(s.output, /Kernel panic - not syncing/, 'the guest console shows the panic');
    assert.equal(code, 101, s.stderr);
    assert.match(s.stderr, /the guest kernel panicked/);
    assert.equal(s.stderr.trim().split('\n').length, 1, s.stderr);
  } finally {
    s.kill();
  }
});

test('a kernel Image cut short is refused before boot, saying it is truncated', { skip }, () => {
  const cut = join(dir, 'Image.cut');
  writeFileSync(cut, readFileSync(guest.kernel).subarray(0, 100 * 1024));
  const r = spawnSync(process.execPath, [BIN, 'run', '--kernel', cut, '--initrd', guest.initrd], { cwd: REPO, encoding: 'utf8', input: '', timeout: 60_000 });
  assert.equal(r.status, 64, r.stderr);
  assert.match(r.stderr, /truncated/);
});

test('cleanup', () => rmSync(dir, { recursive: true, force: true }));
