import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../base/clock.js';
import type { IrqLine } from '../../memory/irq-line.js';
import { Clint, CLINT_MSIP, CLINT_MTIME, CLINT_MTIMECMP } from './clint.js';

class Line implements IrqLine {
  level = false;
  changes = 0;
  set(level: boolean): void {
    if (level !== this.level) this.changes++;
    this.level = level;
  }
}

function board(harts = 2, start = 0) {
  const clock = new ManualClock(start);
  const lines = Array.from({ length: harts }, () => ({ msip: new Line(), mtip: new Line() }));
  const clint = new Clint(clock, lines);
  return { clock, lines, clint };
}

function write64(c: Clint, off: number, v: bigint): void {
  c.write(off, 4, Number(v & 0xffffffffn));
  c.write(off + 4, 4, Number(v >> 32n));
}
function read64(c: Clint, off: number): bigint {
  const lo = c.read(off, 4);
  const hi = c.read(off + 4, 4);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

test('reset: mtimecmp all ones, no interrupt, mtime follows the clock', () => {
  const { clock, lines, clint } = board();
  assert.equal(read64(clint, CLINT_MTIMECMP), 0xffffffffffffffffn);
  assert.equal(read64(clint, CLINT_MTIMECMP + 8), 0xffffffffffffffffn);
  clock.advance(12345);
  assert.equal(read64(clint, CLINT_MTIME), 12345n);
  assert.equal(clint.mtimeClock.ticks(), 12345);
  clint.update();
  assert.equal(lines[0].mtip.level, false);
  assert.equal(clint.nextDeadline(), Infinity);
});

test('msip sets and clears the software interrupt of the right hart, bit 0 only', () => {
  const { lines, clint } = board(3);
  clint.write(CLINT_MSIP + 4, 4, 1);
  assert.equal(lines[1].msip.level, true);
  assert.equal(lines[0].msip.level, false);
  assert.equal(clint.read(CLINT_MSIP + 4, 4), 1);
  clint.write(CLINT_MSIP + 4, 4, 0xfffffffe);
  assert.equal(lines[1].msip.level, false);
  assert.equal(clint.read(CLINT_MSIP + 4, 4), 0);
  clint.write(CLINT_MSIP + 8, 1, 0xff);
  assert.equal(lines[2].msip.level, true);
  // hart 3 does not exist: ignored, reads 0
  clint.write(CLINT_MSIP + 12, 4, 1);
  assert.equal(clint.read(CLINT_MSIP + 12, 4), 0);
});

test('mtimecmp write raises and lowers MTIP immediately', () => {
  const { clock, lines, clint } = board();
  clock.advance(1000);
  write64(clint, CLINT_MTIMECMP + 8, 500n);
  assert.equal(lines[1].mtip.level, true);
  assert.equal(lines[0].mtip.level, false);
  write64(clint, CLINT_MTIMECMP + 8, 2000n);
  assert.equal(lines[1].mtip.level, false);
  assert.equal(clint.nextDeadline(), 2000);
  clock.advance(999);
  clint.update();
  assert.equal(lines[1].mtip.level, false);
  clock.advance(1);
  clint.update();
  assert.equal(lines[1].mtip.level, true);
  assert.equal(clint.nextDeadline(), Infinity, 'an expired timer is not a future deadline');
});

test('Linux-style mtimecmp update (hi=~0, lo, hi) never fires spuriously', () => {
  const { clock, lines, clint } = board(1, 5_000_000);
  write64(clint, CLINT_MTIMECMP, 10n);
  assert.equal(lines[0].mtip.level, true);
  const changes = lines[0].mtip.changes;
  clint.write(CLINT_MTIMECMP + 4, 4, 0xffffffff);
  assert.equal(lines[0].mtip.level, false);
  clint.write(CLINT_MTIMECMP, 4, 6_000_000);
  clint.write(CLINT_MTIMECMP + 4, 4, 0);
  assert.equal(lines[0].mtip.level, false);
  assert.equal(lines[0].mtip.changes, changes + 1);
  assert.equal(clint.nextDeadline(), 6_000_000);
  clock.advance(1_000_000);
  clint.update();
  assert.equal(lines[0].mtip.level, true);
});

test('writing mtime moves the counter; comparisons and deadlines use the new value', () => {
  const { clock, lines, clint } = board(1, 100);
  write64(clint, CLINT_MTIME, 0x1_0000_0000n);
  assert.equal(read64(clint, CLINT_MTIME), 0x1_0000_0000n);
  clock.advance(5);
  assert.equal(read64(clint, CLINT_MTIME), 0x1_0000_0005n);
  assert.equal(clint.mtimeClock.ticks(), 0x1_0000_0005);
  write64(clint, CLINT_MTIMECMP, 0x1_0000_0105n);
  assert.equal(lines[0].mtip.level, false);
  // clock now = 105, mtime = 2^32+5, fires 0x100 ticks later on the clock's timeline
  assert.equal(clint.nextDeadline(), 105 + 0x100);
  // setting mtime backwards below mtimecmp... and forwards past it fires
  write64(clint, CLINT_MTIME, 0x2_0000_0000n);
  assert.equal(lines[0].mtip.level, true);
});

test('mtime wraps modulo 2^64 and values near 2^64 stay exact', () => {
  const { clock, lines, clint } = board(1, 0);
  write64(clint, CLINT_MTIME, 0xffff_ffff_ffff_fff0n);
  assert.equal(read64(clint, CLINT_MTIME), 0xffff_ffff_ffff_fff0n);
  clock.advance(0x20);
  assert.equal(read64(clint, CLINT_MTIME), 0x10n);
  write64(clint, CLINT_MTIMECMP, 0xffff_ffff_ffff_ff00n);
  clint.update();
  assert.equal(lines[0].mtip.level, false, 'after the wrap mtime is small again');
  write64(clint, CLINT_MTIMECMP, 0x8n);
  assert.equal(lines[0].mtip.level, true);
});

test('64-bit counters are exact with a clock past 2^32 ticks', () => {
  const { clock, lines, clint } = board(1, 0x1_2345_6789);
  assert.equal(read64(clint, CLINT_MTIME), 0x1_2345_6789n);
  write64(clint, CLINT_MTIMECMP, 0x1_2345_6789n + 3n);
  assert.equal(clint.nextDeadline(), 0x1_2345_6789 + 3);
  clock.advance(3);
  clint.update();
  assert.equal(lines[0].mtip.level, true);
});

test('byte and halfword accesses see the bytes of the 32-bit registers', () => {
  const { clint } = board(1);
  clint.write(CLINT_MTIMECMP, 4, 0x11223344);
  assert.equal(clint.read(CLINT_MTIMECMP + 1, 1), 0x33);
  assert.equal(clint.read(CLINT_MTIMECMP + 2, 2), 0x1122);
  clint.write(CLINT_MTIMECMP + 3, 1, 0xaa);
  assert.equal(clint.read(CLINT_MTIMECMP, 4), 0xaa223344);
  assert.equal(clint.read(CLINT_MTIMECMP + 1, 2), 0, 'misaligned reads 0');
});

test('hostile offsets, sizes and values never throw', () => {
  const { clint } = board(2);
  const offsets = [-1, -4, 0.5, NaN, Infinity, 0x10000, 0xbff0, 0xbffc, 0x7ff8, 0xffff, 2 ** 40, 0x4010];
  for (const off of offsets) {
    for (const size of [1, 2, 4] as const) {
      for (const v of [0, -1, 2 ** 40, NaN, 0xffffffff]) {
        clint.write(off, size, v);
        const r = clint.read(off, size);
        assert.ok(Number.isInteger(r) && r >= 0 && r <= 0xffffffff, `read ${off}/${size} -> ${r}`);
      }
    }
  }
});

test('save/restore keeps registers and continues mtime from the saved value', () => {
  const a = board(2, 1000);
  a.clint.write(CLINT_MSIP + 4, 4, 1);
  write64(a.clint, CLINT_MTIMECMP, 1500n);
  write64(a.clint, CLINT_MTIMECMP + 8, 10n);
  const state = JSON.parse(JSON.stringify(a.clint.save()));
  const b = board(2, 7_000_000);
  b.clint.restore(state);
  assert.equal(read64(b.clint, CLINT_MTIME), 1000n);
  assert.equal(read64(b.clint, CLINT_MTIMECMP), 1500n);
  assert.equal(b.lines[1].msip.level, true);
  assert.equal(b.lines[1].mtip.level, true);
  assert.equal(b.lines[0].mtip.level, false);
  assert.equal(b.clint.nextDeadline(), 7_000_500);
  assert.throws(() => board(3).clint.restore(state), /harts/);
});

test('a 64-bit mtime load split low-then-high is a consistent snapshot across a low-half wrap', () => {
  const { clock, clint } = board(1, 0xffff_fff0);
  const lo = clint.read(CLINT_MTIME, 4);
  clock.advance(0x20); // the low half wraps between the two halves of one ld
  const hi = clint.read(CLINT_MTIME + 4, 4);
  assert.equal((BigInt(hi) << 32n) | BigInt(lo), 0xffff_fff0n);
  // a high-half read not right after a low-half read is fresh
  assert.equal(clint.read(CLINT_MTIME + 4, 4), 1);
  clint.read(CLINT_MTIME, 4);
  clint.read(CLINT_MSIP, 4);
  clock.advance(2 ** 32);
  assert.equal(clint.read(CLINT_MTIME + 4, 4), 2, 'another access in between drops the latch');
});

test('fuzz: after random traffic each MTIP line equals mtime >= mtimecmp', () => {
  const { clock, lines, clint } = board(3, 77);
  let seed = 5;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % n;
  };
  const pick = [CLINT_MTIME, CLINT_MTIME + 4, CLINT_MTIMECMP, CLINT_MTIMECMP + 4, CLINT_MTIMECMP + 8, CLINT_MTIMECMP + 20, CLINT_MSIP + 8];
  for (let i = 0; i < 5000; i++) {
    const off = rnd(4) === 0 ? rnd(0x10000) : pick[rnd(pick.length)];
    const v = rnd(3) === 0 ? rnd(8) : rnd(0x100000000);
    clint.write(off, ([1, 2, 4] as const)[rnd(3)], v);
    if (rnd(4) === 0) clock.advance(rnd(1000));
    if (rnd(8) === 0) clint.update();
    const now = read64(clint, CLINT_MTIME);
    for (let h = 0; h < 3; h++) {
      const cmp = read64(clint, CLINT_MTIMECMP + 8 * h);
      clint.update(); // time passing is seen by update(); the manual clock stands still meanwhile
      assert.equal(lines[h].mtip.level, now >= cmp, `step ${i} hart ${h}`);
      assert.equal(lines[h].msip.level, clint.read(CLINT_MSIP + 4 * h, 4) === 1);
    }
  }
});
