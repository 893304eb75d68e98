import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../base/clock.js';
import { GuestMemory } from '../memory/guest-memory.js';
import { MmioBus } from '../memory/mmio-bus.js';
import { Hart, type HartEnv } from '../cpu/hart.js';
import { HART_STATE_BYTES } from '../cpu/hart-layout.js';
import { miniStoreLoop as storeLoop } from '../test-support/mini-machine.js';
import { rv } from '../test-support/rv-asm.js';
import { Jit } from '../jit/jit.js';
import { dirtyPageCount, dirtyPageList, startDirtyRound } from './dirty-tracking.js';

const RAM = 0x8000_0000;

/** Two harts on one RAM, each running storeLoop: hart 0 code in page 0, hart 1 in page 1. */
function rig() {
  const mem = new GuestMemory({ ramBaseGpa: RAM, ramSizeBytes: 1 << 20, stateSizeBytes: 2 * HART_STATE_BYTES });
  const env: HartEnv = { mem, bus: new MmioBus(), clock: new ManualClock() };
  const harts = [new Hart(env, 0, 0), new Hart(env, 1, HART_STATE_BYTES)];
  storeLoop(0x10).forEach((w, i) => mem.writeU32(RAM + 4 * i, w)); // stores to pages 16..19
  storeLoop(0x20).forEach((w, i) => mem.writeU32(RAM + 0x1000 + 4 * i, w)); // pages 33..36
  harts[0]!.reset(BigInt(RAM));
  harts[1]!.reset(BigInt(RAM + 0x1000));
  return { mem, harts };
}

test('a round reports exactly the pages every hart stored to since the previous round', () => {
  const m = rig();
  const first = dirtyPageList(startDirtyRound(m));
  assert.deepEqual(first, [0, 1], 'the loaded programs: everything written since boot');
  for (const h of m.harts) h.run(500);
  assert.deepEqual(dirtyPageList(startDirtyRound(m)), [16, 17, 18, 19, 33, 34, 35, 36]);
  // The store TLB entries now hit on every page; dropping them makes the next stores mark again.
  for (const h of m.harts) h.run(500);
  assert.deepEqual(dirtyPageList(startDirtyRound(m)), [16, 17, 18, 19, 33, 34, 35, 36]);
  m.harts[0]!.run(500);
  assert.deepEqual(dirtyPageList(startDirtyRound(m)), [16, 17, 18, 19], 'only hart 0 ran');
  assert.deepEqual(dirtyPageList(startDirtyRound(m)), [], 'nothing ran');
});

test('without dropping store translations, TLB-hit stores would go unseen (why a round drops them)', () => {
  const m = rig();
  for (const h of m.harts) h.run(500);
  m.mem.takeDirty(); // clear the log only
  for (const h of m.harts) h.run(500);
  // sw/sd/fsd hit the store TLB and go unseen; AMOs always take the slow path, which marks.
  assert.deepEqual(dirtyPageList(m.mem.takeDirty()), [19, 36]);
});

/**
 * A loop for the JIT: for pages base+16 … base+19, a load then a store of each size (sb, sh, sw,
 * sd) to the same page, so that a store taking the load's TLB entry would go unmarked.
 */
function loadThenStoreLoop(): number[] {
  const T0 = 5, T1 = 6, T2 = 7, A0 = 10;
  const body: number[] = [rv.auipc(T0, 0x10)];
  const stores = [rv.sb, rv.sh, rv.sw, rv.sd];
  for (let p = 0; p < 4; p++) {
    body.push(rv.lui(A0, p), rv.add(A0, A0, T0), rv.ld(T2, A0, 64), stores[p]!(T1, A0, 8 * p));
  }
  body.push(rv.addi(T1, T1, 1));
  body.push(rv.jal(0, -4 * (body.length - 1))); // back to the first lui
  return body;
}

test('stores from generated code mark pages exactly as the interpreter\'s: every round, every page', () => {
  const mem = new GuestMemory({ ramBaseGpa: RAM, ramSizeBytes: 1 << 20, stateSizeBytes: 2 * HART_STATE_BYTES });
  const env: HartEnv = { mem, bus: new MmioBus(), clock: new ManualClock() };
  const m = { mem, harts: [new Hart(env, 0, 0), new Hart(env, 1, HART_STATE_BYTES)] };
  loadThenStoreLoop().forEach((w, i) => mem.writeU32(RAM + 4 * i, w)); // pages 16..19
  loadThenStoreLoop().forEach((w, i) => mem.writeU32(RAM + 0x8000 + 4 * i, w)); // code at page 8: pages 24..27
  m.harts[0]!.reset(BigInt(RAM));
  m.harts[1]!.reset(BigInt(RAM + 0x8000));
  const jits = m.harts.map((h) => new Jit(h, { threshold: 0, compile: 'sync' }));
  startDirtyRound(m);
  for (let round = 0; round < 4; round++) {
    const before = jits.map((j) => j.info.jitInstructions);
    for (const j of jits) j.run(500);
    jits.forEach((j, i) => assert.ok(j.info.jitInstructions - before[i]! > 300, `round ${round}: hart ${i} ran generated code`));
    assert.deepEqual(dirtyPageList(startDirtyRound(m)), [16, 17, 18, 19, 24, 25, 26, 27], `round ${round}`);
  }
  jits[1]!.run(500);
  assert.deepEqual(dirtyPageList(startDirtyRound(m)), [24, 25, 26, 27], 'only hart 1 ran');
  // As in the interpreter, stores that hit the store TLB mark nothing themselves (the fill did).
  for (const j of jits) j.run(500);
  m.mem.takeDirty();
  for (const j of jits) j.run(500);
  assert.deepEqual(dirtyPageList(m.mem.takeDirty()), []);
});

test('device writes through GuestMemory mark their pages, across page boundaries', () => {
  const m = rig();
  startDirtyRound(m);
  m.mem.write(RAM + 5 * 4096 - 2, new Uint8Array(4)); // pages 4 and 5
  m.mem.writeU32(RAM + 7 * 4096, 1);
  m.mem.writeU16(RAM + 8 * 4096 + 2, 1);
  m.mem.writeU64(RAM + 9 * 4096 + 8, 1n);
  m.mem.markDirty(RAM + 100 * 4096, 3 * 4096); // a DMA copy into a guest buffer
  m.mem.write(RAM + (1 << 20) - 2, new Uint8Array(4)); // does not fit: nothing written or marked
  assert.deepEqual(dirtyPageList(startDirtyRound(m)), [4, 5, 7, 8, 9, 100, 101, 102]);
});

test('dirtyPageCount and dirtyPageList agree on sparse and full bitmaps', () => {
  const b = new Uint32Array(4);
  b[0] = 0x80000001;
  b[2] = 0xffffffff;
  b[3] = 0x10;
  assert.equal(dirtyPageCount(b), 2 + 32 + 1);
  assert.deepEqual(dirtyPageList(b), [0, 31, ...Array.from({ length: 32 }, (_, i) => 64 + i), 100]);
});
