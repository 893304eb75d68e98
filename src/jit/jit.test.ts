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
