// Hostile input: seeded random and mutated 9P2000.L messages against a share on a temp
// directory. No exception, no hang, every request answered, nothing outside the share touched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readdirSync, readFileSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostDirBackend } from '../../dist/platform/node/p9/host-dir-backend.js';
import { P9Server } from '../../dist/devices/virtio/p9/p9-server.js';
import { P9Client, T, msg } from './p9-helpers.mjs';

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['a', 'b', 'sub', '..', '.', 'link', 'out', '', 'x/y', 'f.txt', 'ü', 'a'.repeat(300)];

function randomMessage(rand) {
  const pick = (a) => a[Math.floor(rand() * a.length)];
  const fid = () => (rand() < 0.9 ? Math.floor(rand() * 6) : Math.floor(rand() * 2 ** 32));
  const u32 = () => (rand() < 0.5 ? Math.floor(rand() * 8) : Math.floor(rand() * 2 ** 32));
  const u64 = () => (rand() < 0.6 ? BigInt(Math.floor(rand() * 5000)) : BigInt(Math.floor(rand() * 2 ** 32)) << 32n | BigInt(Math.floor(rand() * 2 ** 32)));
  const s = () => pick(NAMES);
  const types = {
    [T.Tversion]: () => [['u32', pick([8192, 65536, 100, 1 << 30])], ['s', pick(['9P2000.L', '9P2000', 'x'])]],
    [T.Tattach]: () => [['u32', fid()], ['u32', 0xffffffff], ['s', 'u'], ['s', s()], ['u32', 0]],
    [T.Twalk]: () => { const n = Math.floor(rand() * 4); return [['u32', fid()], ['u32', fid()], ['u16', rand() < 0.9 ? n : 40], ...Array.from({ length: n }, () => ['s', s()])]; },
    [T.Tlopen]: () => [['u32', fid()], ['u32', pick([0, 1, 2, 0o200000, 0o1002, 0o100])]],
    [T.Tlcreate]: () => [['u32', fid()], ['s', s()], ['u32', pick([0o102, 0o302, 2])], ['u32', 0o644], ['u32', 0]],
    [T.Tread]: () => [['u32', fid()], ['u64', u64()], ['u32', u32() % 100000]],
    [T.Twrite]: () => { const n = Math.floor(rand() * 64); return [['u32', fid()], ['u64', u64()], ['u32', rand() < 0.9 ? n : n + 10], ['b', new Uint8Array(n)]]; },
    [T.Tclunk]: () => [['u32', fid()]],
    [T.Tremove]: () => [['u32', fid()]],
    [T.Tgetattr]: () => [['u32', fid()], ['u64', 0x7ffn]],
    [T.Tsetattr]: () => [['u32', fid()], ['u32', u32() & 0x1ff], ['u32', 0o644], ['u32', u32()], ['u32', u32()], ['u64', u64()], ['u64', u64()], ['u64', u64()], ['u64', u64()], ['u64', u64()]],
    [T.Treaddir]: () => [['u32', fid()], ['u64', u64()], ['u32', u32() % 10000]],
    [T.Tmkdir]: () => [['u32', fid()], ['s', s()], ['u32', 0o755], ['u32', 0]],
    [T.Tsymlink]: () => [['u32', fid()], ['s', s()], ['s', pick(['/etc/passwd', '../..', 'a'])], ['u32', 0]],
    [T.Treadlink]: () => [['u32', fid()]],
    [T.Trenameat]: () => [['u32', fid()], ['s', s()], ['u32', fid()], ['s', s()]],
    [T.Trename]: () => [['u32', fid()], ['u32', fid()], ['s', s()]],
    [T.Tunlinkat]: () => [['u32', fid()], ['s', s()], ['u32', pick([0, 0x200])]],
    [T.Tlink]: () => [['u32', fid()], ['u32', fid()], ['s', s()]],
    [T.Tmknod]: () => [['u32', fid()], ['s', s()], ['u32', pick([0o100644, 0o20644, 0o10644])], ['u32', 0], ['u32', 0], ['u32', 0]],
    [T.Tstatfs]: () => [['u32', fid()]],
    [T.Tfsync]: () => [['u32', fid()], ['u32', 0]],
    [T.Tflush]: () => [['u16', u32() & 0xffff]],
    [T.Tlock]: () => [['u32', fid()], ['u8', 1], ['u32', 0], ['u64', 0], ['u64', 0], ['u32', 1], ['s', 'c']],
    [T.Tgetlock]: () => [['u32', fid()], ['u8', 1], ['u64', 0], ['u64', 0], ['u32', 1], ['s', 'c']],
    [T.Txattrwalk]: () => [['u32', fid()], ['u32', fid()], ['s', 'user.a']],
  };
  const keys = Object.keys(types).map(Number);
  const type = rand() < 0.97 ? pick(keys) : Math.floor(rand() * 256);
  let m = msg(type, Math.floor(rand() * 65536), (types[type] ?? (() => []))());
  const r = rand();
  if (r < 0.1) m = m.subarray(0, Math.floor(rand() * m.length)); // truncated
  else if (r < 0.2) { m = m.slice(); m[Math.floor(rand() * m.length)] = rand() * 256; } // corrupted byte
  else if (r < 0.23) { m = new Uint8Array(Math.floor(rand() * 64)); for (let i = 0; i < m.length; i++) m[i] = rand() * 256; }
  return m;
}

test('9P server survives 4000 random messages and stays inside the share', async () => {
  const base = mkdtempSync(join(tmpdir(), 'banquise-p9fuzz-'));
  const root = join(base, 'share');
  mkdirSync(root);
  mkdirSync(join(root, 'sub'));
  writeFileSync(join(root, 'a'), 'aaaa');
  symlinkSync('/etc', join(root, 'link'));
  symlinkSync('..', join(root, 'out'));
  writeFileSync(join(base, 'sentinel'), 'untouched');
  const outsideBefore = readdirSync(base).sort();
  const backend = new HostDirBackend({ root, readOnly: false });
  const server = new P9Server(backend, { maxMsize: 65536, maxFids: 64 });
  const rand = rng(0x9f00d);
  try {
    await server.handle(msg(T.Tversion, 0, [['u32', 65536], ['s', '9P2000.L']]), 65536);
    await server.handle(msg(T.Tattach, 0, [['u32', 0], ['u32', 0xffffffff], ['s', ''], ['s', ''], ['u32', 0]]), 65536);
    for (let i = 0; i < 4000; i++) {
      const m = randomMessage(rand);
      const cap = rand() < 0.1 ? Math.floor(rand() * 40) : 65536;
      const reply = await server.handle(m, cap);
      assert.ok(reply instanceof Uint8Array);
      assert.ok(reply.length <= cap, 'reply fits in the buffer');
      if (reply.length > 0) assert.equal(new DataView(reply.buffer, reply.byteOffset).getUint32(0, true), reply.length);
      if (i % 997 === 0) {
        // Keep the session usable: re-attach fid 0 now and then.
        await server.handle(msg(T.Tversion, 0, [['u32', 65536], ['s', '9P2000.L']]), 65536);
        await server.handle(msg(T.Tattach, 0, [['u32', 0], ['u32', 0xffffffff], ['s', ''], ['s', ''], ['u32', 0]]), 65536);
      }
    }
    assert.ok(server.stats.errors > 100);
    assert.deepEqual(readdirSync(base).sort(), outsideBefore);
    assert.equal(readFileSync(join(base, 'sentinel'), 'utf8'), 'untouched');
  } finally {
    server.reset();
    await backend.close();
    rmSync(base, { recursive: true, force: true });
  }
});

test('virtio-9p survives random messages and reply sizes through the transport', async () => {
  const base = mkdtempSync(join(tmpdir(), 'banquise-p9fuzz-'));
  const backend = new HostDirBackend({ root: base, readOnly: true });
  const c = new P9Client(backend);
  const rand = rng(7);
  try {
    for (let i = 0; i < 300; i++) {
      const reply = await c.raw(randomMessage(rand), Math.floor(rand() * 300) + 1);
      assert.ok(reply.length <= 300);
    }
    assert.equal(c.device.counters.malformed, 0);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
