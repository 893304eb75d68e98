// virtio-9p + 9P2000.L server + host directory backend, message by message through the mock
// guest driver on a temporary directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, symlinkSync, existsSync, rmSync, lstatSync, readlinkSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostDirBackend } from '../../dist/platform/node/p9/host-dir-backend.js';
import { P9Client, T, ERRNO } from './p9-helpers.mjs';

const O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0o100, O_TRUNC = 0o1000, O_DIRECTORY = 0o200000;

function setup(readOnly = false) {
  const base = mkdtempSync(join(tmpdir(), 'banquise-p9-'));
  const root = join(base, 'share');
  mkdirSync(root);
  writeFileSync(join(base, 'secret.txt'), 'host secret');
  writeFileSync(join(root, 'hello.txt'), 'hello, guest');
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'sub', 'inner.txt'), 'inner');
  symlinkSync('/etc', join(root, 'abs-link'));
  symlinkSync('../secret.txt', join(root, 'out-link'));
  symlinkSync('..', join(root, 'dotdot-link'));
  symlinkSync('hello.txt', join(root, 'in-link'));
  const backend = new HostDirBackend({ root, readOnly });
  const c = new P9Client(backend);
  return { base, root, backend, c, done: () => { c.server.reset(); void backend.close(); rmSync(base, { recursive: true, force: true }); } };
}

test('version, attach, walk, getattr', async () => {
  const { c, done, root } = setup();
  try {
    const rootQid = await c.attach(0);
    assert.equal(rootQid.type, 0x80);
    assert.equal(rootQid.path, BigInt(lstatSync(root).ino));
    const w = await c.walk(0, 1, ['sub', 'inner.txt']);
    assert.equal(w.type, T.Twalk + 1);
    assert.equal(w.u16(), 2);
    assert.equal(w.qid().type, 0x80);
    assert.equal(w.qid().path, BigInt(lstatSync(join(root, 'sub', 'inner.txt')).ino));
    const g = await c.ok(T.Tgetattr, [['u32', 1], ['u64', 0x7ff]]);
    assert.equal(g.u64(), 0x7ffn);
    g.qid();
    const mode = g.u32();
    assert.equal(mode & 0o170000, 0o100000);
    g.u32(); g.u32(); g.u64(); g.u64();
    assert.equal(g.u64(), 5n); // size of "inner"
    // A partial walk: first name found, second not → Rwalk with one qid, newfid not created.
    const p = await c.walk(0, 2, ['sub', 'missing']);
    assert.equal(p.type, T.Twalk + 1);
    assert.equal(p.u16(), 1);
    assert.equal(await c.err(T.Tgetattr, [['u32', 2], ['u64', 0x7ff]]), ERRNO.EBADF);
    // Missing first name: error.
    assert.equal((await c.walk(0, 2, ['nope'])).u32(), ERRNO.ENOENT);
    // Walking to '..' from the root stays at the root.
    const up = await c.walk(0, 3, ['..', '..']);
    assert.equal(up.u16(), 2);
    assert.equal(up.qid().path, BigInt(lstatSync(root).ino));
  } finally { done(); }
});

test('open, read, write, create, fsync, clunk', async () => {
  const { c, done, root } = setup();
  try {
    await c.attach(0);
    await c.ok(T.Twalk, [['u32', 0], ['u32', 1], ['u16', 1], ['s', 'hello.txt']]);
    await c.ok(T.Tlopen, [['u32', 1], ['u32', O_RDONLY]]);
    const r = await c.ok(T.Tread, [['u32', 1], ['u64', 7], ['u32', 100]]);
    const n = r.u32();
    assert.equal(new TextDecoder().decode(r.bytes(n)), 'guest');
    assert.equal(await c.err(T.Twrite, [['u32', 99], ['u64', 0], ['u32', 1], ['b', Uint8Array.of(1)]]), ERRNO.EBADF);
    await c.ok(T.Tclunk, [['u32', 1]]);
    // Create a file in sub/ and write to it.
    await c.ok(T.Twalk, [['u32', 0], ['u32', 2], ['u16', 1], ['s', 'sub']]);
    const cr = await c.ok(T.Tlcreate, [['u32', 2], ['s', 'new.bin'], ['u32', O_RDWR | O_CREAT], ['u32', 0o644], ['u32', 0]]);
    assert.equal(cr.qid().type, 0);
    const data = new Uint8Array(3000).map((_, i) => i * 7);
    const w = await c.ok(T.Twrite, [['u32', 2], ['u64', 10], ['u32', data.length], ['b', data]]);
    assert.equal(w.u32(), 3000);
    await c.ok(T.Tfsync, [['u32', 2], ['u32', 0]]);
    const host = readFileSync(join(root, 'sub', 'new.bin'));
    assert.equal(host.length, 3010);
    assert.deepEqual(new Uint8Array(host.subarray(10)), data);
    // Read it back past a short count and at EOF.
    const rb = await c.ok(T.Tread, [['u32', 2], ['u64', 3000], ['u32', 4096]]);
    assert.equal(rb.u32(), 10);
    const eof = await c.ok(T.Tread, [['u32', 2], ['u64', 5000], ['u32', 4096]]);
    assert.equal(eof.u32(), 0);
    await c.ok(T.Tclunk, [['u32', 2]]);
    assert.equal(await c.err(T.Tclunk, [['u32', 2]]), ERRNO.EBADF);
    // Creating over an existing name with O_EXCL fails EEXIST.
    await c.ok(T.Twalk, [['u32', 0], ['u32', 3], ['u16', 0]]);
    assert.equal(await c.err(T.Tlcreate, [['u32', 3], ['s', 'hello.txt'], ['u32', O_RDWR | O_CREAT | 0o200], ['u32', 0o644], ['u32', 0]]), ERRNO.EEXIST);
    // Truncate through setattr.
    await c.ok(T.Twalk, [['u32', 0], ['u32', 4], ['u16', 1], ['s', 'hello.txt']]);
    await c.ok(T.Tsetattr, [['u32', 4], ['u32', 0x8 | 0x1], ['u32', 0o600], ['u32', 0], ['u32', 0], ['u64', 5], ['u64', 0], ['u64', 0], ['u64', 0], ['u64', 0]]);
    assert.equal(readFileSync(join(root, 'hello.txt'), 'utf8'), 'hello');
    assert.equal(lstatSync(join(root, 'hello.txt')).mode & 0o777, 0o600);
  } finally { done(); }
});

test('mkdir, readdir, rename, unlink, symlink, readlink, link, statfs', async () => {
  const { c, done, root } = setup();
  try {
    await c.attach(0);
    const mk = await c.ok(T.Tmkdir, [['u32', 0], ['s', 'made'], ['u32', 0o755], ['u32', 0]]);
    assert.equal(mk.qid().type, 0x80);
    assert.ok(lstatSync(join(root, 'made')).isDirectory());
    // readdir of the root in two small chunks.
    await c.ok(T.Twalk, [['u32', 0], ['u32', 1], ['u16', 0]]);
    await c.ok(T.Tlopen, [['u32', 1], ['u32', O_RDONLY | O_DIRECTORY]]);
    const names = [];
    let offset = 0n;
    for (let round = 0; round < 20; round++) {
      const r = await c.ok(T.Treaddir, [['u32', 1], ['u64', offset], ['u32', 80]]);
      const count = r.u32();
      if (count === 0) break;
      const end = r.p + count;
      while (r.p < end) { r.qid(); offset = r.u64(); r.u8(); names.push(r.s()); }
    }
    assert.deepEqual(names.sort(), ['.', '..', 'abs-link', 'dotdot-link', 'hello.txt', 'in-link', 'made', 'out-link', 'sub'].sort());
    // rename hello.txt → made/renamed.txt; a fid on it follows the rename.
    await c.ok(T.Twalk, [['u32', 0], ['u32', 2], ['u16', 1], ['s', 'hello.txt']]);
    await c.ok(T.Twalk, [['u32', 0], ['u32', 3], ['u16', 1], ['s', 'made']]);
    await c.ok(T.Trenameat, [['u32', 0], ['s', 'hello.txt'], ['u32', 3], ['s', 'renamed.txt']]);
    assert.ok(existsSync(join(root, 'made', 'renamed.txt')));
    const g = await c.ok(T.Tgetattr, [['u32', 2], ['u64', 0x7ff]]);
    assert.equal(g.u64(), 0x7ffn);
    // Trename (fid form) back to the root.
    await c.ok(T.Trename, [['u32', 2], ['u32', 0], ['s', 'back.txt']]);
    assert.ok(existsSync(join(root, 'back.txt')));
    // symlink + readlink
    const sl = await c.ok(T.Tsymlink, [['u32', 0], ['s', 'ln'], ['s', 'back.txt'], ['u32', 0]]);
    assert.equal(sl.qid().type, 0x02);
    assert.equal(readlinkSync(join(root, 'ln')), 'back.txt');
    await c.ok(T.Twalk, [['u32', 0], ['u32', 4], ['u16', 1], ['s', 'ln']]);
    assert.equal((await c.ok(T.Treadlink, [['u32', 4]])).s(), 'back.txt');
    // hard link
    await c.ok(T.Tlink, [['u32', 0], ['u32', 2], ['s', 'hard.txt']]);
    assert.equal(lstatSync(join(root, 'hard.txt')).ino, lstatSync(join(root, 'back.txt')).ino);
    // unlinkat: file, then a non-empty directory fails, then an empty one works.
    await c.ok(T.Tunlinkat, [['u32', 0], ['s', 'hard.txt'], ['u32', 0]]);
    assert.ok(!existsSync(join(root, 'hard.txt')));
    assert.equal(await c.err(T.Tunlinkat, [['u32', 0], ['s', 'sub'], ['u32', 0x200]]), ERRNO.ENOTEMPTY);
    assert.equal(await c.err(T.Tunlinkat, [['u32', 3], ['s', 'renamed.txt'], ['u32', 0]]), ERRNO.ENOENT); // moved away
    await c.ok(T.Tunlinkat, [['u32', 0], ['s', 'made'], ['u32', 0x200]]);
    assert.ok(!existsSync(join(root, 'made')));
    // Tremove clunks the fid and removes the file.
    await c.ok(T.Tremove, [['u32', 4]]);
    assert.ok(!existsSync(join(root, 'ln')));
    assert.equal(await c.err(T.Tgetattr, [['u32', 4], ['u64', 0x7ff]]), ERRNO.EBADF);
    const st = await c.ok(T.Tstatfs, [['u32', 0]]);
    st.u32();
    assert.ok(st.u32() > 0); // bsize
    // Locks are granted; xattrs are not supported.
    const lk = await c.ok(T.Tlock, [['u32', 0], ['u8', 1], ['u32', 0], ['u64', 0], ['u64', 0], ['u32', 1], ['s', 'guest']]);
    assert.equal(lk.u8(), 0);
    const gl = await c.ok(T.Tgetlock, [['u32', 0], ['u8', 1], ['u64', 0], ['u64', 10], ['u32', 1], ['s', 'guest']]);
    assert.equal(gl.u8(), 2);
    assert.equal(await c.err(T.Txattrwalk, [['u32', 0], ['u32', 9], ['s', 'user.x']]), ERRNO.EOPNOTSUPP);
  } finally { done(); }
});

test('escapes: .. , absolute links, links pointing out, names with slashes all fail', async () => {
  const { c, done } = setup();
  try {
    await c.attach(0);
    // '..' at the root does not leave the share.
    const up = await c.walk(0, 1, ['..', 'secret.txt']);
    assert.equal(up.type, T.Twalk + 1);
    assert.equal(up.u16(), 1); // only '..' walked (stays at root); secret.txt is not there
    // Names with '/' are refused.
    assert.equal((await c.walk(0, 2, ['sub/inner.txt'])).u32(), ERRNO.EINVAL);
    assert.equal(await c.err(T.Tlcreate, [['u32', 0], ['s', '../x'], ['u32', O_RDWR | O_CREAT], ['u32', 0o644], ['u32', 0]]), ERRNO.EINVAL);
    // Walking through links fails (abs, out, '..'), whatever they point to.
    for (const link of ['abs-link', 'out-link', 'dotdot-link']) {
      const r = await c.walk(0, 3, [link, 'passwd']);
      assert.equal(r.type, T.Twalk + 1);
      assert.equal(r.u16(), 1, `${link}: only the link itself is walked`);
    }
    // Opening a link (rather than reading it) fails; reading the link text is fine.
    await c.ok(T.Twalk, [['u32', 0], ['u32', 4], ['u16', 1], ['s', 'out-link']]);
    assert.equal(await c.err(T.Tlopen, [['u32', 4], ['u32', O_RDONLY]]), ERRNO.ELOOP);
    assert.equal((await c.ok(T.Treadlink, [['u32', 4]])).s(), '../secret.txt');
    // setattr through a link refuses to follow it.
    assert.notEqual((await c.rpc(T.Tsetattr, [['u32', 4], ['u32', 0x8], ['u32', 0], ['u32', 0], ['u32', 0], ['u64', 0], ['u64', 0], ['u64', 0], ['u64', 0], ['u64', 0]])).type, T.Tsetattr + 1);
    await c.ok(T.Twalk, [['u32', 0], ['u32', 5], ['u16', 1], ['s', 'abs-link']]);
    assert.equal(await c.err(T.Tlopen, [['u32', 5], ['u32', O_RDONLY]]), ERRNO.ELOOP);
  } finally { done(); }
});

test('a symbolic link swapped in after the walk is not followed', async () => {
  const { c, done, root, base } = setup();
  try {
    await c.attach(0);
    // The guest walks to sub/inner.txt while sub is a real directory…
    await c.ok(T.Twalk, [['u32', 0], ['u32', 1], ['u16', 2], ['s', 'sub'], ['s', 'inner.txt']]);
    await c.ok(T.Twalk, [['u32', 0], ['u32', 2], ['u16', 1], ['s', 'sub']]);
    // …then sub is replaced by a link to the parent of the share (which has secret.txt).
    renameSync(join(root, 'sub'), join(root, 'sub-old'));
    symlinkSync(base, join(root, 'sub'));
    writeFileSync(join(base, 'inner.txt'), 'outside!');
    assert.equal(await c.err(T.Tlopen, [['u32', 1], ['u32', O_RDONLY]]), ERRNO.ENOTDIR);
    assert.equal(await c.err(T.Tgetattr, [['u32', 1], ['u64', 0x7ff]]), ERRNO.ENOTDIR);
    // Creating or removing through the swapped directory fid fails too.
    assert.equal(await c.err(T.Tlcreate, [['u32', 2], ['s', 'pwn'], ['u32', O_RDWR | O_CREAT], ['u32', 0o644], ['u32', 0]]), ERRNO.ENOTDIR);
    assert.ok(!existsSync(join(base, 'pwn')));
    assert.equal(await c.err(T.Tunlinkat, [['u32', 2], ['s', 'secret.txt'], ['u32', 0]]), ERRNO.ENOTDIR);
    assert.ok(existsSync(join(base, 'secret.txt')));
    // The link itself is still visible as a link.
    const w = await c.walk(0, 3, ['sub', 'secret.txt']);
    assert.equal(w.u16(), 1);
  } finally { done(); }
});

test('read-only share refuses every change with EROFS', async () => {
  const { c, done, root } = setup(true);
  try {
    await c.attach(0);
    await c.ok(T.Twalk, [['u32', 0], ['u32', 1], ['u16', 1], ['s', 'hello.txt']]);
    assert.equal(await c.err(T.Tlopen, [['u32', 1], ['u32', O_WRONLY]]), ERRNO.EROFS);
    assert.equal(await c.err(T.Tlopen, [['u32', 1], ['u32', O_RDONLY | O_TRUNC]]), ERRNO.EROFS);
    await c.ok(T.Tlopen, [['u32', 1], ['u32', O_RDONLY]]);
    assert.equal(await c.err(T.Twrite, [['u32', 1], ['u64', 0], ['u32', 1], ['b', Uint8Array.of(65)]]), ERRNO.EROFS);
    assert.equal(await c.err(T.Tmkdir, [['u32', 0], ['s', 'd'], ['u32', 0o755], ['u32', 0]]), ERRNO.EROFS);
    assert.equal(await c.err(T.Tlcreate, [['u32', 0], ['s', 'f'], ['u32', O_RDWR | O_CREAT], ['u32', 0o644], ['u32', 0]]), ERRNO.EROFS);
    assert.equal(await c.err(T.Tunlinkat, [['u32', 0], ['s', 'hello.txt'], ['u32', 0]]), ERRNO.EROFS);
    assert.equal(await c.err(T.Tsymlink, [['u32', 0], ['s', 'l'], ['s', 'x'], ['u32', 0]]), ERRNO.EROFS);
    assert.equal(await c.err(T.Trenameat, [['u32', 0], ['s', 'hello.txt'], ['u32', 0], ['s', 'x']]), ERRNO.EROFS);
    assert.equal(await c.err(T.Tsetattr, [['u32', 1], ['u32', 1], ['u32', 0o777], ['u32', 0], ['u32', 0], ['u64', 0], ['u64', 0], ['u64', 0], ['u64', 0], ['u64', 0]]), ERRNO.EROFS);
    assert.equal(readFileSync(join(root, 'hello.txt'), 'utf8'), 'hello, guest');
    assert.ok(!existsSync(join(root, 'd')));
  } finally { done(); }
});

test('protocol rules: version first, msize bounded, unknown version, bad fids', async () => {
  const { c, done } = setup();
  try {
    assert.equal(await c.err(T.Tattach, [['u32', 0], ['u32', 0xffffffff], ['s', ''], ['s', ''], ['u32', 0]]), ERRNO.EPROTO);
    const v = await c.ok(T.Tversion, [['u32', 1 << 30], ['s', '9P2000.L']]);
    assert.ok(v.u32() <= 512 * 1024);
    assert.equal(v.s(), '9P2000.L');
    const u = await c.ok(T.Tversion, [['u32', 8192], ['s', '9P2000.u']]);
    u.u32();
    assert.equal(u.s(), 'unknown');
    await c.attach(0);
    assert.equal(await c.err(T.Tattach, [['u32', 0], ['u32', 0xffffffff], ['s', ''], ['s', ''], ['u32', 0]]), ERRNO.EBADF);
    assert.equal((await c.walk(7, 8, [])).u32(), ERRNO.EBADF);
    // A truncated message gets Rlerror, not a crash.
    const r = await c.rpc(T.Twalk, [['u32', 0], ['u32', 5], ['u16', 3], ['s', 'a']]);
    assert.equal(r.type, 7);
    assert.equal(r.u32(), ERRNO.EINVAL);
    // Tflush answers.
    await c.ok(T.Tflush, [['u16', 999]]);
  } finally { done(); }
});

test('a Linux-style zero-copy read: reply header and data scattered over an indirect table of pages', async () => {
  const { c, done, root } = setup();
  try {
    const big = new Uint8Array(200000).map((_, i) => (i * 13) & 255);
    writeFileSync(join(root, 'big.bin'), big);
    await c.attach(0);
    await c.ok(T.Twalk, [['u32', 0], ['u32', 1], ['u16', 1], ['s', 'big.bin']]);
    await c.ok(T.Tlopen, [['u32', 1], ['u32', O_RDONLY]]);
    const { drv, sched } = c.h;
    const req = (await import('./p9-helpers.mjs')).msg(T.Tread, 77, [['u32', 1], ['u64', 1000], ['u32', 64 * 4096]]);
    const segs = [{ data: req }, { writableBytes: 11 }];
    for (let i = 0; i < 64; i++) segs.push({ writableBytes: 4096 });
    drv.post(0, segs, true);
    drv.notify(0);
    let used = [];
    for (let i = 0; i < 5000 && used.length === 0; i++) {
      sched.run();
      used = drv.reap(0);
      if (used.length === 0) await new Promise((r) => setTimeout(r, 1));
    }
    assert.equal(used.length, 1);
    const w = drv.written(used[0]);
    const count = new DataView(w.buffer).getUint32(7, true);
    const expect = Math.min(64 * 4096, c.msize - 11);
    assert.equal(count, expect);
    assert.equal(used[0].len, 11 + count);
    assert.deepEqual(w.subarray(11, 11 + count), big.subarray(1000, 1000 + count));
    assert.equal(c.device.counters.malformed, 0);
  } finally { done(); }
});

test('a FIFO left in the share does not block the server', async () => {
  const { c, done, root } = setup();
  try {
    (await import('node:child_process')).execFileSync('mkfifo', [join(root, 'fifo')]);
    await c.attach(0);
    await c.ok(T.Twalk, [['u32', 0], ['u32', 1], ['u16', 1], ['s', 'fifo']]);
    await c.ok(T.Tlopen, [['u32', 1], ['u32', O_RDONLY]]);
    const r = await c.rpc(T.Tread, [['u32', 1], ['u64', 0], ['u32', 100]]);
    if (r.type === 7) assert.ok([11, 29].includes(r.u32())); // EAGAIN / ESPIPE (pread on a FIFO)
    else assert.equal(r.u32(), 0); // or end of file
    await c.ok(T.Tclunk, [['u32', 1]]);
    await c.ok(T.Twalk, [['u32', 0], ['u32', 2], ['u16', 1], ['s', 'fifo']]);
    assert.notEqual((await c.rpc(T.Tlopen, [['u32', 2], ['u32', O_WRONLY]])).type, T.Tlopen + 1); // ENXIO: no reader
  } finally { done(); }
});

test('60 requests posted at once all complete (at most 32 in flight at a time)', async () => {
  const { c, done } = setup();
  try {
    await c.attach(0);
    const { drv, sched } = c.h;
    const { msg } = await import('./p9-helpers.mjs');
    const heads = [];
    for (let i = 0; i < 60; i++) heads.push(drv.post(0, [{ data: msg(T.Tgetattr, 1000 + i, [['u32', 0], ['u64', 0x7ff]]) }, { writableBytes: 256 }], true));
    drv.notify(0);
    let maxInflight = 0;
    const got = [];
    const deadline = Date.now() + 20000;
    while (got.length < 60 && Date.now() < deadline) {
      sched.run();
      maxInflight = Math.max(maxInflight, c.device.inflight);
      got.push(...drv.reap(0));
      await new Promise((r) => setTimeout(r, 1));
    }
    assert.equal(got.length, 60);
    assert.equal(maxInflight, 32);
    for (const u of got) assert.equal(drv.written(u)[4], T.Tgetattr + 1);
  } finally { done(); }
});

test('ftruncate and getattr on an open file that was unlinked', async () => {
  const { c, done, root } = setup();
  try {
    await c.attach(0);
    await c.ok(T.Twalk, [['u32', 0], ['u32', 1], ['u16', 0]]);
    await c.ok(T.Tlcreate, [['u32', 1], ['s', 'tmp'], ['u32', O_RDWR | O_CREAT], ['u32', 0o600], ['u32', 0]]);
    await c.ok(T.Tunlinkat, [['u32', 0], ['s', 'tmp'], ['u32', 0]]);
    assert.ok(!existsSync(join(root, 'tmp')));
    await c.ok(T.Tsetattr, [['u32', 1], ['u32', 0x8 | 0x40], ['u32', 0], ['u32', 0], ['u32', 0], ['u64', 12345], ['u64', 0], ['u64', 0], ['u64', 0], ['u64', 0]]);
    const g = await c.ok(T.Tgetattr, [['u32', 1], ['u64', 0x7ff]]);
    g.u64(); g.qid(); g.u32(); g.u32(); g.u32(); g.u64(); g.u64();
    assert.equal(g.u64(), 12345n);
    await c.ok(T.Tclunk, [['u32', 1]]);
  } finally { done(); }
});

test('snapshot: fids and open files survive save/restore into a new device', async () => {
  const { c, done, root, backend } = setup();
  try {
    await c.attach(0);
    await c.ok(T.Twalk, [['u32', 0], ['u32', 1], ['u16', 2], ['s', 'sub'], ['s', 'inner.txt']]);
    await c.ok(T.Tlopen, [['u32', 1], ['u32', O_RDWR]]);
    await c.ok(T.Twalk, [['u32', 0], ['u32', 2], ['u16', 1], ['s', 'sub']]);
    const state = JSON.parse(JSON.stringify(c.device.saveState()));
    const c2 = new P9Client(backend);
    c2.device.restoreState(state);
    // The restored session answers on the old fids without a new Tversion/Tattach.
    const r = await c2.ok(T.Tread, [['u32', 1], ['u64', 0], ['u32', 100]]);
    assert.equal(new TextDecoder().decode(r.bytes(r.u32())), 'inner');
    await c2.ok(T.Twrite, [['u32', 1], ['u64', 5], ['u32', 3], ['b', new TextEncoder().encode('!!!')]]);
    assert.equal(readFileSync(join(root, 'sub', 'inner.txt'), 'utf8'), 'inner!!!');
    assert.equal((await c2.walk(2, 3, ['inner.txt'])).u16(), 1);
    // A malformed snapshot leaves an empty session rather than throwing.
    const c3 = new P9Client(backend);
    c3.device.restoreState({ version: 1, msize: 8192, fids: [{ fid: 1, path: ['..', 'etc'], qidType: 0, isDir: false, openFlags: 0 }] });
    assert.equal(await c3.err(T.Tgetattr, [['u32', 1], ['u64', 0x7ff]]), ERRNO.EPROTO);
    c2.server.reset();
  } finally { done(); }
});
