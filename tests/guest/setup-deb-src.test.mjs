// scripts/setup.sh's deb-src step on fake apt source lists (BANQUISE_SETUP_APT_ETC): one-line and
// deb822 formats, Debian archives only, enabled stanzas only, idempotent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SETUP = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 'setup.sh');

function runSetup(aptEtc, cache) {
  const r = spawnSync('bash', [SETUP], { encoding: 'utf8', env: { ...process.env, BANQUISE_SETUP_APT_ETC: aptEtc, XDG_CACHE_HOME: cache } });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return r.stdout;
}

function withApt(fn) {
  return () => {
    const root = mkdtempSync(join(tmpdir(), 'banquise-setup-test-'));
    const apt = join(root, 'apt');
    mkdirSync(join(apt, 'sources.list.d'), { recursive: true });
    try {
      fn(apt, join(root, 'cache'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
}

test('one-line sources.list: deb-src twins for Debian lines that lack one', withApt((apt, cache) => {
  writeFileSync(join(apt, 'sources.list'), [
    '# a comment',
    'deb http://deb.debian.org/debian bookworm main contrib',
    'deb-src http://deb.debian.org/debian bookworm main contrib',
    'deb [arch=amd64 signed-by=/k.gpg] http://mirror.example.org/debian/ bookworm-updates main',
    'deb http://security.debian.org/debian-security bookworm-security main',
    'deb https://packages.cloud.google.com/apt cloud-sdk main',
    '',
  ].join('\n'));
  assert.match(runSetup(apt, cache), /deb-src enabled/);
  const written = readFileSync(join(apt, 'sources.list.d/banquise-deb-src.list'), 'utf8');
  const lines = written.split('\n').filter((l) => l.startsWith('deb-src'));
  assert.deepEqual(lines, [
    'deb-src [arch=amd64 signed-by=/k.gpg] http://mirror.example.org/debian/ bookworm-updates main',
    'deb-src http://security.debian.org/debian-security bookworm-security main',
  ]);
  assert.ok(!existsSync(join(apt, 'sources.list.d/banquise-deb-src.sources')));
  const mtime = statSync(join(apt, 'sources.list.d/banquise-deb-src.list')).mtimeMs;
  assert.match(runSetup(apt, cache), /deb-src already enabled/);
  assert.equal(statSync(join(apt, 'sources.list.d/banquise-deb-src.list')).mtimeMs, mtime);
}));

test('deb822 .sources: copies of enabled Debian stanzas with Types: deb-src', withApt((apt, cache) => {
  writeFileSync(join(apt, 'sources.list.d/debian.sources'), [
    'Types: deb',
    '# http://snapshot.debian.org/archive/debian/20250520T000000Z',
    'URIs: http://deb.debian.org/debian',
    'Suites: bookworm bookworm-updates',
    'Components: main',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
    '',
    'Types: deb deb-src',
    'URIs: http://deb.debian.org/debian',
    'Suites: trixie',
    'Components: main',
    '',
    'Types: deb',
    'Enabled: no',
    'URIs: http://deb.debian.org/debian',
    'Suites: sid',
    'Components: main',
    '',
  ].join('\n'));
  writeFileSync(join(apt, 'sources.list.d/nodesource.sources'), 'Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\nComponents: main\n');
  assert.match(runSetup(apt, cache), /deb-src enabled/);
  const written = readFileSync(join(apt, 'sources.list.d/banquise-deb-src.sources'), 'utf8');
  const stanzas = written.split(/\n\s*\n/).map((s) => s.split('\n').filter((l) => l && !l.startsWith('#'))).filter((s) => s.length > 0);
  assert.deepEqual(stanzas, [[
    'Types: deb-src',
    'URIs: http://deb.debian.org/debian',
    'Suites: bookworm bookworm-updates',
    'Components: main',
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
  ]]);
  assert.match(runSetup(apt, cache), /deb-src already enabled/);
}));

test('nothing to add: no file is written', withApt((apt, cache) => {
  writeFileSync(join(apt, 'sources.list.d/debian.sources'), 'Types: deb deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\n');
  assert.match(runSetup(apt, cache), /deb-src already enabled/);
  assert.ok(!existsSync(join(apt, 'sources.list.d/banquise-deb-src.sources')));
  assert.ok(!existsSync(join(apt, 'sources.list.d/banquise-deb-src.list')));
}));
