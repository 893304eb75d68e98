import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHartRig, RAM_BASE } from '../test-support/hart-rig.js';
import { HART_STATE_BYTES } from './hart-layout.js';

/** Deterministic xorshift32 stream. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

// The guest is hostile: random words, random register values (addresses anywhere in 2^64), random
// CSR writes (satp, PMP, mstatus, mtvec…), every privilege. Nothing may throw out of run(), hang,
// or write outside RAM and the hart's own state area.
test('random code with random registers never throws, hangs, or writes outside RAM/state', () => {
  const r = makeHartRig({ ramSizeBytes: 64 * 1024 });
  let mmioAccesses = 0;
  r.bus.map('dev', 0x1000_0000, 0x1000, {
    read: (o) => { mmioAccesses++; return o * 3; },
    write: () => { mmioAccesses++; },
  });
  const h = r.hart;
  const next = rng(777);
  const ramStart = r.mem.ramOffset;
  const before = r.mem.u8.slice(HART_STATE_BYTES, ramStart); // the gap between state and RAM
  // opcodes weighted towards the interesting ones; csr numbers from the real set
  const opcodes = [0x03, 0x07, 0x0f, 0x13, 0x17, 0x1b, 0x23, 0x27, 0x2f, 0x33, 0x37, 0x3b, 0x43, 0x53, 0x63, 0x67, 0x6f, 0x73, 0x73, 0x73];
  const csrs = [0x100, 0x104, 0x105, 0x141, 0x144, 0x14d, 0x180, 0x300, 0x302, 0x303, 0x304, 0x305, 0x306, 0x30a, 0x341, 0x344, 0x3a0, 0x3b0, 0x3b1, 0x001, 0x002, 0x003, 0xb02];
  let retired = 0;
  for (let round = 0; round < 300; round++) {
    h.reset(BigInt(RAM_BASE));
    for (let i = 0; i < 256; i++) {
      let w = next();
      const pick = next() % 4;
      if (pick !== 0) w = (w & ~0x7f) | opcodes[next() % opcodes.length]!;
      if ((w & 0x7f) === 0x73 && next() % 2 === 0) w = (w & 0xfffff) | (csrs[next() % csrs.length]! << 20);
      if (next() % 5 === 0) w &= 0xffff; // some RVC
      r.mem.writeU32(RAM_BASE + 4 * i, w >>> 0);
    }
    for (let x = 1; x < 32; x++) {
      const k = next() % 4;
      const v = k === 0 ? BigInt(RAM_BASE + (next() % 0x10000)) : k === 1 ? 0x1000_0000n + BigInt(next() % 0x1000)
        : (BigInt(next()) << 32n) | BigInt(next());
      h.setX(x, v);
    }
    h.writeCsr(0x305, BigInt(RAM_BASE + (next() % 0x400) * 4));
    h.writeCsr(0x105, BigInt(RAM_BASE + (next() % 0x400) * 4 + (next() & 1)));
    h.writeCsr(0x302, BigInt(next() & 0xffff));
    h.writeCsr(0x303, BigInt(next() & 0xfff));
    h.writeCsr(0x3b0, (1n << 54n) - 1n);
    h.writeCsr(0x3a0, 0x1fn);
    h.writeCsr(0x300, BigInt(next() & 0x7ffff));
    if (next() % 2) h.writeCsr(0x180, (8n << 60n) | BigInt((RAM_BASE >>> 12) + (next() % 16)));
    h.priv = [0, 1, 3][next() % 3]!;
    for (let s = 0; s < 20; s++) {
      const reason = h.run(200);
      if (reason !== 0) h.setPending(11, true), h.setPending(11, false);
      r.clock.advance(1000);
    }
    assert.ok(h.getPc() >= 0n);
    retired += h.instret;
  }
  assert.ok(retired > 10_000, `only ${retired} instructions retired`);
  assert.deepEqual(r.mem.u8.slice(HART_STATE_BYTES, ramStart), before);
  assert.ok(mmioAccesses > 0);
});
