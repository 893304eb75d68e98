// Issue 12 through the daemon on real Linux: save and restore (a tmpfs file and a running
// counter survive, the counter goes on), a save file with one flipped byte is refused and
// leaves no domain, a failed save leaves the domain running, and fork: child and parent both
// run on, each with its own console, and a file written in one is not in the other. One booted
// guest is shared by the checks (2-core machines: few boots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOT_TIMEOUT_MS, PROMPT, requireGuest } from '../support/guest-session.mjs';
import { DomainConsole } from '../support/domain-console.mjs';
import { TestDaemon } from '../support/test-daemon.mjs';

const COUNTER = 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; usleep 50000; done';
let tmp;
/** The daemon; its home (`dir`) holds configs and save files and is the verbs' cwd. */
let daemon;
let dir;
const consoles = [];

/** Runs a banquise verb against the test daemon; resolves {code, stdout, stderr}. */
const bq = (args) => daemon.bq(args);

function http(method, path, body) {
  return new Promise((res, rej) => {
    const req = request({ socketPath: daemon.sock, method, path, headers: body !== undefined ? { 'content-type': 'application/json' } : {} }, (r) => {
      let t = '';
      r.on('data', (d) => (t += d));
      r.on('end', () => res({ status: r.statusCode, json: t ? JSON.parse(t) : undefined }));
    });
    req.on('error', rej);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
}

async function names() {
  const r = await bq(['list', '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).map((d) => d.name).sort();
}

async function attach(name) {
  const c = new DomainConsole(daemon.sock, name);
  consoles.push(c);
  await c.opened;
  return c;
}

/** The counter's value (read again when it caught the file between its truncation and its write). */
async function counter(c) {
  for (let i = 0; ; i++) {
    const text = (await c.run('cat /tmp/count')).trim();
    if (text !== '' || i === 5) return Number(text);
  }
}

let orig; // console of the domain `orig`
let uuid;

before(async () => {
  await requireGuest();
  tmp = mkdtempSync(join(tmpdir(), 'banquise-snapd-'));
  daemon = await TestDaemon.start(tmp, 'd', { maxMemory: '1G' });
  dir = daemon.home;
  writeFileSync(join(dir, 'orig.cfg'), 'name = "orig"\nmemory = 128\n');
  const r = await bq(['create', 'orig.cfg']);
  assert.equal(r.code, 0, r.stderr);
  uuid = /uuid ([0-9a-f-]+)/.exec(r.stderr)[1];
  orig = await attach('orig');
  await orig.waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
  await orig.waitFor(PROMPT, 120_000);
});

after(async () => {
  for (const c of consoles) c.close();
  await daemon?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('save stops and destroys the domain; restore brings back its tmpfs file and its counter goes on', async () => {
  await orig.run('echo kept-in-tmpfs > /tmp/file');
  await orig.run(`(${COUNTER}) >/dev/null 2>&1 & true`);
  await new Promise((r) => setTimeout(r, 500));
  const c1 = await counter(orig);
  const r = await bq(['save', 'orig', 'orig.sav']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Saved domain orig to .*orig\.sav: .* MiB .*it was destroyed/);
  await orig.waitClosed();
  assert.deepEqual(await names(), [], 'xl save: the domain is gone once saved');

  const back = await bq(['restore', 'orig.sav']);
  assert.equal(back.code, 0, back.stderr);
  assert.match(back.stderr, new RegExp(`Restored domain orig \\(id \\d+, uuid ${uuid}\\)`), 'same name and uuid');
  orig = await attach('orig');
  assert.equal(await orig.run('cat /tmp/file'), 'kept-in-tmpfs');
  const c2 = await counter(orig);
  assert.ok(c1 > 0 && c2 >= c1, `counter ${c2} after restore, ${c1} before the save: it went on, not from 1`);
  await new Promise((r) => setTimeout(r, 500));
  const c3 = await counter(orig);
  assert.ok(c3 > c2, `the counter keeps running after the restore (${c2} then ${c3})`);
});

test('a save file with one flipped byte is refused and leaves no domain; other refusals too', async () => {
  const cp = await bq(['save', '-c', 'orig', 'check.sav']);
  assert.equal(cp.code, 0, cp.stderr);
  assert.match(cp.stderr, /it runs on/);
  const bytes = readFileSync(join(dir, 'check.sav'));
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  writeFileSync(join(dir, 'flipped.sav'), bytes);
  const r = await bq(['restore', 'flipped.sav', '--name', 'flipped']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /cannot restore .*flipped\.sav: snapshot is corrupted: checksum mismatch in record \d+/);
  const api = await http('POST', '/v1/domains/restore', { path: join(dir, 'flipped.sav'), name: 'flipped2' });
  assert.equal(api.status, 400);
  assert.match(api.json.error.message, /checksum mismatch/);
  assert.deepEqual(await names(), ['orig'], 'no half-restored domain');

  const taken = await http('POST', '/v1/domains/restore', { path: join(dir, 'check.sav') });
  assert.equal(taken.status, 409, 'the saved name is in use (the checkpointed domain runs on)');
  assert.match(taken.json.error.message, /a domain named 'orig' exists already/);
  const missing = await bq(['restore', 'nope.sav']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no such file/);
  const paused = await bq(['restore', '-p', 'check.sav', '--name', 'copy']);
  assert.equal(paused.code, 0, paused.stderr);
  assert.match(paused.stderr, /Restored domain copy \(id \d+, uuid (?![^)]*${uuid})[0-9a-f-]+\), paused/, 'a copy beside its running original gets a new uuid');
  const listed = JSON.parse((await bq(['list', '--json'])).stdout).find((d) => d.name === 'copy');
  assert.equal(listed.state, 'paused');
  assert.equal((await bq(['unpause', 'copy'])).code, 0);
  const copy = await attach('copy');
  assert.equal(await copy.run('cat /tmp/file'), 'kept-in-tmpfs', 'the checkpoint restored and unpaused');
  copy.close();
  assert.equal((await bq(['destroy', 'copy'])).code, 0);
  const relative = await http('POST', '/v1/domains/restore', { path: 'check.sav' });
  assert.equal(relative.status, 400, 'the API takes absolute paths');

  const bad = await bq(['save', 'orig', join(dir, 'no-such-dir', 'x.sav')]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /save of 'orig' failed: .*the domain runs on/);
  assert.deepEqual(await names(), ['orig']);
  assert.equal(await orig.run('echo still-here'), 'still-here', 'a failed save leaves the domain running');
});

test('fork: child and parent both run on, each with its own console; a file written in one is not in the other', async () => {
  await orig.run('dd if=/dev/urandom of=/tmp/rand bs=64k count=16 2>/dev/null');
  const sum = await orig.run('md5sum /tmp/rand');
  const before = await counter(orig);
  const r = await bq(['fork', 'orig', '--name', 'kid']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Forked orig into kid \(id \d+, uuid [0-9a-f-]+\)/);
  assert.ok(!r.stderr.includes(uuid), 'the child has its own uuid');
  const kid = await attach('kid');
  assert.equal(await kid.run('cat /tmp/file'), 'kept-in-tmpfs', 'the child has the parent\'s memory');
  assert.equal(await kid.run('md5sum /tmp/rand'), sum, 'a megabyte of random data is the same in the child');
  const k1 = await counter(kid);
  assert.ok(k1 >= before, `the child's counter (${k1}) continues from the parent's (${before})`);
  await kid.run('echo written-in-child > /tmp/child');
  await orig.run('echo written-in-parent > /tmp/parent');
  assert.equal(await kid.run('cat /tmp/parent 2>&1'), 'cat: can\'t open \'/tmp/parent\': No such file or directory');
  assert.equal(await orig.run('cat /tmp/child 2>&1'), 'cat: can\'t open \'/tmp/child\': No such file or directory');
  assert.equal(await kid.run('cat /tmp/child'), 'written-in-child');
  const [p1, c1] = [await counter(orig), await counter(kid)];
  await new Promise((res) => setTimeout(res, 500));
  const [p2, c2] = [await counter(orig), await counter(kid)];
  assert.ok(p2 > p1 && c2 > c1, `both counters run on (parent ${p1}→${p2}, child ${c1}→${c2})`);
  assert.ok(!kid.output.includes('written-in-parent') && !orig.output.slice(orig.output.lastIndexOf('<<BEGIN')).includes('written-in-child'), 'separate consoles');

  const taken = await http('POST', '/v1/domains/orig/fork', { name: 'kid' });
  assert.equal(taken.status, 409);
  const tooMany = await http('POST', '/v1/domains/orig/fork', { count: 64 });
  assert.equal(tooMany.status, 422, 'the memory budget is checked for every child before any starts');
  assert.deepEqual(await names(), ['kid', 'orig']);
  const viaApi = await http('POST', '/v1/domains/orig/fork', {});
  assert.equal(viaApi.status, 201, JSON.stringify(viaApi.json));
  assert.equal(viaApi.json[0].name, 'orig-fork-1');
  const other = await attach('orig-fork-1');
  assert.equal(await other.run('echo api-child'), 'api-child');
});
