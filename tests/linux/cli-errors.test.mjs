// Bad command lines get a one-line error and status 64, never a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, REPO } from './guest-session.mjs';

function banquise(...args) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', input: '', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertUsageError(r, pattern) {
  assert.equal(r.code, 64, `status (stderr: ${r.stderr})`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.ok(r.stderr.trim().split('\n').length <= 2, `short message: ${r.stderr}`);
}

const dir = mkdtempSync(join(tmpdir(), 'banquise-cli-'));
const notAnImage = join(dir, 'not-an-image');
writeFileSync(notAnImage, Buffer.alloc(4096, 0x41));
const notAnElf = join(dir, 'not-an-elf');
writeFileSync(notAnElf, 'hello\n');

test('--help lists the commands and the console escape', () => {
  const r = banquise('--help');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /run/);
  assert.match(r.stdout, /elf/);
  assert.match(r.stdout, /Ctrl-A X/);
  for (const cmd of ['run', 'elf']) {
    const h = banquise(cmd, '--help');
    assert.equal(h.code, 0);
    assert.match(h.stdout, new RegExp(`banquise ${cmd}`));
    assert.match(h.stdout, /Ctrl-A X|Ctrl-C/);
  }
  assert.match(banquise('run', '--help').stdout, /--memory/);
});

test('--version prints the version of package.json', async () => {
  const { readFileSync } = await import('node:fs');
  const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  for (const flag of ['--version', '-V']) {
    const r = banquise(flag);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), version);
  }
});

test('run: a hostfwd host port already in use is refused at start, naming the port', async () => {
  const { createServer } = await import('node:net');
  const busy = createServer();
  await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve));
  const port = busy.address().port;
  try {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, 'run', '--kernel', notAnImage, '--net', `user,hostfwd=tcp::${port}-:22`], { cwd: REPO });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 75, stderr);
    assert.match(stderr, new RegExp(`host port ${port}.*already in use`));
    assert.ok(stderr.trim().split('\n').length === 1, stderr);
  } finally {
    busy.close();
  }
});

test('unknown command or option', () => {
  assertUsageError(banquise('frobnicate'), /unknown command/);
  assertUsageError(banquise('run', '--bogus'), /unknown option/);
});

test('run: a kernel file that does not exist', () => {
  assertUsageError(banquise('run', '--kernel', join(dir, 'nope')), /cannot read kernel .*no such file/);
});

test('run: a kernel that is not a RISC-V Image', () => {
  assertUsageError(banquise('run', '--kernel', notAnImage), /Image|RISC-V/i);
});

test('run: memory too small or not a size', () => {
  assertUsageError(banquise('run', '--kernel', notAnImage, '--memory', '8M'), /too small/);
  assertUsageError(banquise('run', '--kernel', notAnImage, '--memory', 'lots'), /not a size/);
  assertUsageError(banquise('run', '--kernel', notAnImage, '--memory', '3G'), /too large/);
  assert.match(banquise('run', '--help').stdout.replace(/\s+/g, ' '), /at most 2G \(RAM/, '--help says the limit and why');
  assert.match(banquise('run', '--help').stdout, /101 when the guest kernel panics/);
});

test('run: vcpus out of range', () => {
  for (const v of ['0', '9', 'two', '1.5']) assertUsageError(banquise('run', '--kernel', notAnImage, '--vcpus', v), /vCPU/);
});

test('run: bad device options', () => {
  assertUsageError(banquise('run', '--kernel', notAnImage, '--net', 'bogus'), /--net/);
  assertUsageError(banquise('run', '--kernel', notAnImage, '--console', 'serial'), /--console/);
  assertUsageError(banquise('run', '--kernel', notAnImage, '--vsock', '1,uds=/tmp/x'), /--vsock|CID/);
  assertUsageError(banquise('run', '--kernel', notAnImage, ...Array.from({ length: 9 }, () => ['--disk', notAnImage]).flat()), /slots/);
});

test('elf: missing, malformed, or not RISC-V', () => {
  assertUsageError(banquise('elf'), /missing required argument/);
  assertUsageError(banquise('elf', join(dir, 'nope.elf')), /no such file/);
  assertUsageError(banquise('elf', notAnElf), /ELF/);
  assertUsageError(banquise('elf', process.execPath), /RISC-V|machine|ELF/i);
  assertUsageError(banquise('elf', notAnElf, '--max-instructions', 'many'), /not a positive whole number/);
});
