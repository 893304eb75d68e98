import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BanquiseError } from '../../base/errors.js';
import { parseListenAddress, sitePath, StaticSiteServer } from './static-site-server.js';

test('HOST:PORT parsing', () => {
  assert.deepEqual(parseListenAddress('0.0.0.0:9000'), { host: '0.0.0.0', port: 9000 });
  assert.deepEqual(parseListenAddress('9001'), { host: '127.0.0.1', port: 9001 });
  assert.deepEqual(parseListenAddress(':0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListenAddress('localhost'), { host: 'localhost', port: 8080 });
  assert.deepEqual(parseListenAddress('[::1]:81'), { host: '::1', port: 81 });
  for (const bad of ['host:99999', 'a b:80', 'x:-1', 'h:8o']) {
    assert.throws(() => parseListenAddress(bad), (e: unknown) => e instanceof BanquiseError && e.exitCode === 64, bad);
  }
});

test('request paths stay inside the site', () => {
  const root = '/srv/site';
  assert.equal(sitePath(root, '/'), root);
  assert.equal(sitePath(root, '/guest/Image?x=1'), '/srv/site/guest/Image');
  for (const bad of ['/../etc/passwd', '/%2e%2e/etc/passwd', '/a/../../b', '/.git/config', '/x%00y', '/a%5c..%5cb', 'relative', '/%zz']) {
    assert.equal(sitePath(root, bad), undefined, bad);
  }
});

test('serves files with the isolation headers; 404 outside, 405 for other methods', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'bq-site-'));
  const outside = mkdtempSync(join(tmpdir(), 'bq-outside-'));
  writeFileSync(join(root, 'index.html'), '<p>hi</p>');
  mkdirSync(join(root, 'guest'));
  writeFileSync(join(root, 'guest', 'Image'), new Uint8Array(1000));
  writeFileSync(join(outside, 'secret'), 'no');
  symlinkSync(join(outside, 'secret'), join(root, 'leak'));
  const server = await StaticSiteServer.listen(root, { host: '127.0.0.1', port: 0 });
  t.after(() => server.close());
  const index = await fetch(server.url);
  assert.equal(index.status, 200);
  assert.equal(index.headers.get('cross-origin-opener-policy'), 'same-origin');
  assert.equal(index.headers.get('cross-origin-embedder-policy'), 'require-corp');
  assert.match(index.headers.get('content-type') ?? '', /^text\/html/);
  assert.equal(await index.text(), '<p>hi</p>');
  const image = await fetch(server.url + 'guest/Image');
  assert.equal(image.headers.get('content-length'), '1000');
  assert.equal((await image.arrayBuffer()).byteLength, 1000);
  assert.equal((await fetch(server.url + 'leak')).status, 404, 'a symlink out of the site is not followed');
  assert.equal((await fetch(server.url + 'missing.js')).status, 404);
  assert.equal((await fetch(server.url, { method: 'POST', body: 'x' })).status, 405);
});

test('a missing folder is a user error naming build:web', async () => {
  await assert.rejects(StaticSiteServer.listen('/nonexistent/banquise-site', { host: '127.0.0.1', port: 0 }), /build:web/);
});
