// Issue 12, live migration between two daemons on loopback, on real Linux: a guest with a file
// in tmpfs and a counter running moves with `banquise migrate`; on the destination the file is
// there, the counter goes on (not restarted) and the console answers; the source no longer has
// it. Destinations that refuse (bad token, not enough memory) leave the source running and
// keep nothing reserved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOT_TIMEOUT_MS, PROMPT, requireGuest } from '../support/guest-session.mjs';
import { DomainConsole } from '../support/domain-console.mjs';
import { TestDaemon } from '../support/test-daemon.mjs';

let dir;
let src; // the source daemon (Unix socket only)
let dst; // the destination (TCP listener, 1 GiB budget)
let small; // a destination with a 64 MiB budget
const consoles = [];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** The counter's value; read again when the read met the loop between truncating and writing the file. */
async function counter(con) {
  for (let i = 0; i < 10; i++) {
    const text = await con.run('cat /tmp/count');
    if (/^\d+$/.test(text)) {
      if (i > 0) console.log(`# /tmp/count read ${JSON.stringify(text)} after ${i} read(s) without a number`);
      return Number(text);
    }
  }
  throw new Error('/tmp/count never held a number');
}
const logs = () => `source log:\n${src?.log}\ndestination log:\n${dst?.log}`;

before(async () => {
  await requireGuest();
  dir = mkdtempSync(join(tmpdir(), 'banquise-migrate-'));
  [src, dst, small] = await Promise.all([
    TestDaemon.start(dir, 'src', { maxMemory: '512M' }),
    TestDaemon.start(dir, 'dst', { listen: true, maxMemory: '1G' }),
    TestDaemon.start(dir, 'small', { listen: true, maxMemory: '64M' }),
  ]);
  writeFileSync(join(src.home, 'mig.cfg'), 'name = "mig"\nmemory = 128\n');
  const r = await src.bq(['create', 'mig.cfg']);
  assert.equal(r.code, 0, r.stderr);
  const con = new DomainConsole(src.sock, 'mig');
  consoles.push(con);
  await con.opened;
  await con.waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
  await con.waitFor(PROMPT, 120_000);
  await con.run('echo kept-in-tmpfs > /tmp/file');
  await con.run('(i=0; while :; do i=$((i+1)); echo $i > /tmp/count; usleep 50000; done) >/dev/null 2>&1 & true');
});

after(async () => {
  for (const c of consoles) c.close();
  await Promise.all([src, dst, small].filter(Boolean).map((d) => d.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('refused migrations (bad token, not enough memory) leave the domain running on the source', async () => {
  const con = consoles[0];
  const c0 = await counter(con);
  const bad = await src.bq(['migrate', 'mig', `127.0.0.1:${dst.port}`, '--token', 'not-the-token']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /refused the token/);
  const noToken = await src.bq(['migrate', 'mig', `127.0.0.1:${dst.port}`]);
  assert.notEqual(noToken.code, 0);
  assert.match(noToken.stderr, /needs the destination daemon's token/);
  const full = await src.bq(['migrate', 'mig', `127.0.0.1:${small.port}`], { env: { BANQUISE_TOKEN: small.token } });
  assert.notEqual(full.code, 0);
  assert.match(full.stderr, /not enough memory/);
  assert.match(full.stderr, /keeps running here/);
  assert.deepEqual(await dst.list(), [], 'nothing reserved on the destination that refused the token');
  assert.deepEqual(await small.list(), [], 'nothing reserved on the destination without memory');
  const [d] = await src.list();
  assert.equal(d.name, 'mig');
  assert.ok(['running', 'blocked'].includes(d.state), d.state);
  await sleep(500);
  assert.ok((await counter(con)) > c0, 'the counter still runs on the source');
});

test('banquise migrate moves the running guest: file kept, counter goes on, console on the destination', async () => {
  const before = await counter(consoles[0]);
  const [was] = await src.list();
  const r = await src.bq(['migrate', 'mig', `127.0.0.1:${dst.port}`, '--token', dst.token]);
  assert.equal(r.code, 0, `${r.stderr}\n${logs()}`);
  const m = /Migrated mig to 127\.0\.0\.1:\d+ in [\d.]+ s: (\d+) round\(s\) after the full pass, ([\d.]+) MiB sent, downtime ([\d.]+) ms/.exec(r.stderr);
  assert.ok(m, r.stderr);
  console.log(`# ${m[0]}`);
  assert.ok(Number(m[2]) > 1, 'the guest memory was sent');
  assert.deepEqual(await src.list(), [], 'the domain is gone from the source');
  await consoles[0].waitClosed(30_000);
  const [now] = await dst.list();
  assert.equal(now.name, 'mig');
  assert.equal(now.uuid, was.uuid, 'the domain keeps its uuid');
  assert.ok(['running', 'blocked'].includes(now.state), now.state);
  const con = new DomainConsole(dst.sock, 'mig');
  consoles.push(con);
  await con.opened;
  assert.equal(await con.run('cat /tmp/file'), 'kept-in-tmpfs');
  const after = await counter(con);
  assert.ok(after >= before, `counter ${after} on the destination, ${before} before the migration: not restarted`);
  await sleep(1000);
  assert.ok((await counter(con)) > after, 'the counter goes on on the destination');
  assert.match(dst.log, /migrated in from/);
});
