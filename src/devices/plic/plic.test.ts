import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IrqLine } from '../../memory/irq-line.js';
import { Plic, PLIC_CONTEXT, PLIC_CONTEXT_STRIDE, PLIC_ENABLE, PLIC_ENABLE_STRIDE, PLIC_PENDING } from './plic.js';

class Line implements IrqLine {
  level = false;
  changes = 0;
  set(level: boolean): void {
    if (level !== this.level) this.changes++;
    this.level = level;
  }
}

function make(sources = 95, contexts = 4) {
  const out = Array.from({ length: contexts }, () => new Line());
  const plic = new Plic(sources, out);
  const prio = (id: number, p: number) => plic.write(4 * id, 4, p);
  const enable = (ctx: number, id: number, on = true) => {
    const off = PLIC_ENABLE + PLIC_ENABLE_STRIDE * ctx + 4 * (id >>> 5);
    const cur = plic.read(off, 4);
    plic.write(off, 4, on ? cur | (1 << (id & 31)) : cur & ~(1 << (id & 31)));
  };
  const threshold = (ctx: number, t: number) => plic.write(PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * ctx, 4, t);
  const claim = (ctx: number) => plic.read(PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * ctx + 4, 4);
  const complete = (ctx: number, id: number) => plic.write(PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * ctx + 4, 4, id);
  const pendingBit = (id: number) => (plic.read(PLIC_PENDING + 4 * (id >>> 5), 4) >>> (id & 31)) & 1;
  return { plic, out, prio, enable, threshold, claim, complete, pendingBit };
}

test('a source raises only the contexts that enable it, above threshold, with non-zero priority', () => {
  const p = make();
  p.enable(1, 10);
  p.plic.source(10).set(true);
  assert.equal(p.pendingBit(10), 1);
  assert.equal(p.out[1].level, false, 'priority 0 never interrupts');
  p.prio(10, 1);
  assert.equal(p.out[1].level, true);
  assert.equal(p.out[0].level, false);
  assert.equal(p.out[2].level, false);
  p.threshold(1, 1);
  assert.equal(p.out[1].level, false, 'priority must exceed the threshold');
  p.threshold(1, 0);
  assert.equal(p.out[1].level, true);
  p.enable(1, 10, false);
  assert.equal(p.out[1].level, false);
});

test('claim returns the highest priority, ties to the lowest id, and clears pending', () => {
  const p = make();
  for (const id of [3, 5, 40, 70]) {
    p.enable(0, id);
    p.plic.source(id).set(true);
  }
  p.prio(3, 2);
  p.prio(5, 6);
  p.prio(40, 6);
  p.prio(70, 7);
  assert.equal(p.claim(0), 70);
  assert.equal(p.pendingBit(70), 0);
  assert.equal(p.claim(0), 5);
  assert.equal(p.claim(0), 40);
  assert.equal(p.claim(0), 3);
  assert.equal(p.claim(0), 0, 'nothing left');
  assert.equal(p.out[0].level, false);
});

test('level-triggered gateway: pending follows the line, claimed sources wait for completion', () => {
  const p = make();
  p.prio(10, 1);
  p.enable(1, 10);
  const src = p.plic.source(10);
  src.set(true);
  src.set(false);
  assert.equal(p.pendingBit(10), 0, 'line dropped before claim: no longer pending');
  assert.equal(p.out[1].level, false);
  src.set(true);
  assert.equal(p.claim(1), 10);
  assert.equal(p.out[1].level, false);
  src.set(false);
  src.set(true);
  assert.equal(p.pendingBit(10), 0, 'claimed source is not pending again before completion');
  assert.equal(p.claim(1), 0);
  p.complete(1, 10);
  assert.equal(p.pendingBit(10), 1, 'line still high after completion: pending again');
  assert.equal(p.out[1].level, true);
  assert.equal(p.claim(1), 10);
  src.set(false);
  p.complete(1, 10);
  assert.equal(p.pendingBit(10), 0);
  assert.equal(p.out[1].level, false);
});

test('completion of a source not enabled for the context is ignored (spec)', () => {
  const p = make();
  p.prio(7, 1);
  p.enable(1, 7);
  p.plic.source(7).set(true);
  assert.equal(p.claim(1), 7);
  p.complete(0, 7); // context 0 does not enable 7
  p.complete(1, 999);
  p.complete(1, 0);
  assert.equal(p.pendingBit(7), 0, 'still claimed');
  p.complete(1, 7);
  assert.equal(p.pendingBit(7), 1);
});

test('the same source enabled in two contexts is claimed once', () => {
  const p = make();
  p.prio(1, 3);
  p.enable(1, 1);
  p.enable(3, 1);
  p.plic.source(1).set(true);
  assert.equal(p.out[1].level, true);
  assert.equal(p.out[3].level, true);
  assert.equal(p.claim(3), 1);
  assert.equal(p.out[1].level, false);
  assert.equal(p.claim(1), 0);
});

test('priorities and thresholds are WARL 0..7; source 0 and missing sources are hardwired', () => {
  const p = make(95);
  p.prio(4, 0xffffffff);
  assert.equal(p.plic.read(16, 4), 7);
  p.prio(4, 5);
  assert.equal(p.plic.read(16, 4), 5);
  p.prio(0, 5);
  assert.equal(p.plic.read(0, 4), 0);
  p.threshold(2, 100);
  assert.equal(p.plic.read(PLIC_CONTEXT + 2 * PLIC_CONTEXT_STRIDE, 4), 7);
  p.plic.write(PLIC_ENABLE, 4, 0xffffffff);
  assert.equal(p.plic.read(PLIC_ENABLE, 4), 0xfffffffe, 'enable bit of source 0 is hardwired to 0');
  p.plic.write(PLIC_ENABLE + 12, 4, 0xffffffff);
  assert.equal(p.plic.read(PLIC_ENABLE + 12, 4), 0, 'no source 96..127 with 95 sources');
  const q = make(96);
  q.plic.write(PLIC_ENABLE + 12, 4, 0xffffffff);
  assert.equal(q.plic.read(PLIC_ENABLE + 12, 4), 1, 'source 96 exists with 96 sources');
  assert.throws(() => p.plic.source(0));
  assert.throws(() => p.plic.source(96));
});

test('pending bits are read-only to the guest', () => {
  const p = make();
  p.plic.write(PLIC_PENDING, 4, 0xffffffff);
  assert.equal(p.plic.read(PLIC_PENDING, 4), 0);
  p.plic.source(33).set(true);
  assert.equal(p.plic.read(PLIC_PENDING + 4, 4), 2);
});

test('hostile offsets, sizes and values never throw and read 0 outside registers', () => {
  const p = make(95, 2);
  const offs = [-4, NaN, 0.5, 2, 0x1ffc, 0x1fff80, 0x200008, 0x202000, 0x5ffffc, 0x3fffffc, 0x4000000, 2 ** 53];
  for (const off of offs) {
    for (const size of [1, 2, 4] as const) {
      for (const v of [0, -1, 0xffffffff, NaN, 2 ** 40]) {
        p.plic.write(off, size, v);
        const r = p.plic.read(off, size);
        assert.ok(Number.isInteger(r) && r >= 0 && r <= 0xffffffff);
      }
    }
  }
  assert.equal(p.plic.read(PLIC_CONTEXT + 2 * PLIC_CONTEXT_STRIDE, 4), 0, 'context 2 does not exist');
  assert.equal(p.plic.read(4, 2), 0, 'sub-word access reads 0');
});

test('save/restore round-trips through JSON and re-drives the outputs', () => {
  const a = make();
  a.prio(9, 4);
  a.prio(12, 2);
  a.enable(0, 9);
  a.enable(1, 12);
  a.plic.source(9).set(true);
  a.plic.source(12).set(true);
  assert.equal(a.claim(0), 9);
  const s = JSON.parse(JSON.stringify(a.plic.save()));
  const b = make();
  b.plic.restore(s);
  assert.equal(b.out[1].level, true);
  assert.equal(b.out[0].level, false);
  assert.equal(b.claim(1), 12);
  b.complete(0, 9);
  assert.equal(b.out[0].level, true, 'claimed state survived: completion re-pends the high line');
  assert.throws(() => make(31).plic.restore(s), /PLIC state/);
});

test('a random workload keeps the outputs consistent with a brute-force model', () => {
  const p = make(40, 2);
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const lvl = new Array(41).fill(false);
  for (let step = 0; step < 3000; step++) {
    const op = rnd(5);
    const id = 1 + rnd(40);
    if (op === 0) {
      lvl[id] = !lvl[id];
      p.plic.source(id).set(lvl[id]);
    } else if (op === 1) p.prio(id, rnd(8));
    else if (op === 2) p.enable(rnd(2), id, rnd(2) === 0);
    else if (op === 3) p.threshold(rnd(2), rnd(4));
    else {
      const ctx = rnd(2);
      const got = p.claim(ctx);
      if (got !== 0) p.complete(ctx, got);
    }
    for (let ctx = 0; ctx < 2; ctx++) {
      const th = p.plic.read(PLIC_CONTEXT + ctx * PLIC_CONTEXT_STRIDE, 4);
      let want = false;
      for (let s = 1; s <= 40; s++) {
        const en = (p.plic.read(PLIC_ENABLE + ctx * PLIC_ENABLE_STRIDE + 4 * (s >>> 5), 4) >>> (s & 31)) & 1;
        if (p.pendingBit(s) && en && p.plic.read(4 * s, 4) > th) want = true;
      }
      assert.equal(p.out[ctx].level, want, `step ${step} ctx ${ctx}`);
    }
  }
});
