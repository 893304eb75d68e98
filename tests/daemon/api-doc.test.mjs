// docs/api.md is generated from api/openapi.json and must match it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { REPO } from '../support/guest-session.mjs';

test('docs/api.md matches api/openapi.json', () => {
  const out = execFileSync(process.execPath, ['scripts/gen-api-doc.mjs', '--check'], { cwd: REPO, encoding: 'utf8' });
  assert.match(out, /up to date/);
});
