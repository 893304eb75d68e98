import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHartRig, RAM_BASE } from '../test-support/hart-rig.js';
import { iType, rv, sType } from '../test-support/rv-asm.js';
import { runLockstep } from '../test-support/jit-lockstep.js';
import { StopReason } from '../cpu/hart.js';
import { Jit } from './jit.js';

// sum = 0; for (i = 1000; i != 0; i--) sum += i * 3; then ebreak-free spin on a self-loop
const LOOP = [
  iType(0x13, 10, 0, 0, 0), // li a0, 0
  iType(0x13, 11, 0, 0, 1000), // li a1, 1000
  iType(0x13, 12, 0, 0, 3), // li a2, 3
  0x02c586b3, // mul a3, a1, a2
  0x00d50533, // add a0, a0, a3
  iType(0x13, 11, 0, 11, -1), // addi a1, a1, -1
  0xfe059ae3, // bnez a1, -12
  rv.jal(0, 0), // j .
];

test('a hot loop runs in generated code with the interpreter\'s result, instret and pc', () => {
  const a = makeHartRig();
  const b = makeHartRig();
  a.load(LOOP);
  b.load(LOOP);
  const jit = new Jit(b.hart, { threshold: 2, compile: 'sync' });
  assert.equal(a.hart.run(5000), StopReason.Budget);
  assert.equal(jit.run(5000), StopReason.Budget);
  assert.equal(b.hart.getX(10), 1501500n);
  assert.equal(b.hart.getX(10), a.hart.getX(10));
  assert.equal(b.hart.instret, a.hart.instret);
  assert.equal(b.hart.getPc(), a.hart.getPc());
  assert.ok(jit.info.jitInstructions > 3000, `only ${jit.info.jitInstructions} instructions in generated code`);
  assert.ok(jit.info.modulesLive >= 1);
});

test('self-modifying code: a rewritten function runs its new body after fence.i, and the stale translation is dropped', () => {
  const r = makeHartRig();
  const jit = new Jit(r.hart, { threshold: 0, compile: 'sync' });
  const F = RAM_BASE + 0x800;
  // main: 3 times { call f; a0 += a1 }; then patch f's "li a1, 1" into "li a1, 100", fence.i, call f, a0 += a1
  r.load([
    iType(0x13, 8, 0, 0, 3), // 0: li s0, 3
    rv.jal(1, 0x800 - 4), // 4: call f
    0x00b50533, // 8: add a0, a0, a1
    iType(0x13, 8, 0, 8, -1), // 12: addi s0, s0, -1
    rv.bne(8, 0, -12), // 16: bnez s0, 4
    rv.auipc(5, 0), // 20: auipc t0, 0
    iType(0x13, 5, 0, 5, 0x800 - 20), // 24: t0 = f
    iType(0x13, 6, 0, 0, 100), // 28: li t1, 100
    iType(0x13, 6, 1, 6, 20), // 32: slli t1, t1, 20
    iType(0x13, 6, 6, 6, 0x593), // 36: ori t1, t1, 0x593 -> "addi a1, x0, 100"
    sType(0x23, 2, 5, 6, 0), // 40: sw t1, 0(t0)
    0x0000100f, // 44: fence.i
    rv.jal(1, 0x800 - 48), // 48: call f
    0x00b50533, // 52: add a0, a0, a1
    rv.jal(0, 0), // 56: j .
  ]);
  r.load([iType(0x13, 11, 0, 0, 1), rv.jalr(0, 1, 0)], F); // f: li a1, 1; ret
  for (let i = 0; i < 20; i++) jit.run(50);
  assert.equal(r.mem.readU32(F), iType(0x13, 11, 0, 0, 100));
  assert.equal(r.hart.getX(10), 3n + 100n);
  assert.equal(r.hart.getPc(), BigInt(RAM_BASE + 56));
  assert.ok(jit.info.invalidations >= 1, 'the translation of f was not dropped');
  assert.ok(jit.info.jitInstructions > 0);
});

test('lock-step: random RV64GC programs under Sv39 give the same state on the interpreter and the JIT', () => {
  const res = runLockstep({ seed: 12345, rounds: 60, steps: 3000 });
  assert.equal(res.mismatch, undefined);
  assert.ok(res.jitInstructions > res.instructions / 10, `generated code ran ${res.jitInstructions} of ${res.instructions} instructions`);
  assert.ok(res.checks > 500);
});

// main calls f on the next page 300 times: li s0, 300; loop: call f; addi s0, s0, -1; bnez s0, loop; j .
// f: addi a0, a0, 1; ret
function loadCallLoop(r: ReturnType<typeof makeHartRig>): void {
  r.load([
    iType(0x13, 8, 0, 0, 300), // 0: li s0, 300
    rv.jal(1, 0x1000 - 4), // 4: call f (RAM_BASE + 0x1000)
    iType(0x13, 8, 0, 8, -1), // 8: addi s0, s0, -1
    rv.bne(8, 0, -8), // 12: bnez s0, 4
    rv.jal(0, 0), // 16: j .
  ]);
  r.load([iType(0x13, 10, 0, 10, 1), rv.jalr(0, 1, 0)], RAM_BASE + 0x1000);
}

test('chaining across pages: calls between two translated pages stay in generated code, with the interpreter\'s result', () => {
  const ref = makeHartRig();
  loadCallLoop(ref);
  ref.hart.run(5000);
  const entries: number[] = [];
  for (const chain of [true, false]) {
    const r = makeHartRig();
    loadCallLoop(r);
    const jit = new Jit(r.hart, { threshold: 0, compile: 'sync', chain });
    for (let i = 0; i < 10; i++) jit.run(500);
    assert.equal(r.hart.getX(10), 300n);
    assert.equal(r.hart.getX(10), ref.hart.getX(10));
    assert.equal(r.hart.instret, ref.hart.instret);
    assert.equal(r.hart.getPc(), ref.hart.getPc());
    entries.push(jit.info.jitEntries);
  }
  // without chaining every call and every return goes back to the runner (600 page changes)
  assert.ok(entries[1]! > 500, `without chaining: ${entries[1]} entries`);
  assert.ok(entries[0]! < 100, `with chaining: ${entries[0]} entries`);
});

test('page heat: with a threshold, a page the interpreter jumps into rarely is never watched nor translated', () => {
  // 400 instructions: ~80 calls, so fewer than 254 jumps into either page
  const ref = makeHartRig();
  loadCallLoop(ref);
  ref.hart.run(400);
  const r = makeHartRig();
  loadCallLoop(r);
  const jit = new Jit(r.hart, { threshold: 50, pageHeat: 254, compile: 'sync' });
  jit.run(400);
  assert.equal(r.hart.getX(10), ref.hart.getX(10));
  assert.equal(r.hart.getPc(), ref.hart.getPc());
  assert.equal(jit.info.modulesCompiled, 0, 'under 254 jumps into each page: nothing to translate');
  assert.equal(jit.info.lookupsMissed, 0, 'the runner was never asked to look a block up');
  const hot = makeHartRig();
  loadCallLoop(hot);
  const jit2 = new Jit(hot.hart, { threshold: 50, pageHeat: 4, compile: 'sync' });
  for (let i = 0; i < 10; i++) jit2.run(500);
  assert.equal(hot.hart.getX(10), 300n);
  assert.ok(jit2.info.modulesCompiled >= 1 && jit2.info.jitInstructions > 0);
});

test('block starts on a watched page are counted by the interpreter: no round trip until one is hot', () => {
  const a = makeHartRig();
  const b = makeHartRig();
  a.load(LOOP);
  b.load(LOOP);
  // the loop's block start is reached 999 times; it is translated after 100 arrivals
  const jit = new Jit(b.hart, { threshold: 100, pageHeat: 1, compile: 'sync' });
  assert.equal(a.hart.run(5000), StopReason.Budget);
  assert.equal(jit.run(5000), StopReason.Budget);
  assert.equal(b.hart.getX(10), a.hart.getX(10));
  assert.equal(b.hart.instret, a.hart.instret);
  assert.equal(b.hart.getPc(), a.hart.getPc());
  assert.equal(jit.info.modulesCompiled, 1);
  // the runner is asked only when the page becomes watched and when the start is hot
  assert.ok(jit.info.lookupsMissed <= 2, `${jit.info.lookupsMissed} look-ups without code`);
  assert.ok(jit.info.jitInstructions > 3000, `only ${jit.info.jitInstructions} instructions in generated code`);
});
