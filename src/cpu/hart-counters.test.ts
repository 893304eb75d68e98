import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHartRig, RAM_BASE } from '../test-support/hart-rig.js';
import { rv } from '../test-support/rv-asm.js';

const B = BigInt(RAM_BASE);
const MSTATUS = 0x300;
const MTVEC = 0x305;
const MEPC = 0x341;
const MEDELEG = 0x302;
const STVEC = 0x105;

/** M: 2 nops + mret to S at +0x100; S: 4 nops + ecall; M handler at +0x200: 2 nops + wfi. */
function rig(delegateEcall: boolean) {
  const r = makeHartRig();
  const h = r.hart;
  h.writeCsr(0x3b0, (1n << 54n) - 1n); // PMP entry 0 over everything, RWX
  h.writeCsr(0x3a0, 0x1fn);
  r.load([rv.nop(), rv.nop(), rv.mret()], RAM_BASE);
  r.load([rv.nop(), rv.nop(), rv.nop(), rv.nop(), rv.ecall()], RAM_BASE + 0x100);
  r.load([rv.nop(), rv.nop(), rv.wfi()], RAM_BASE + 0x200);
  r.load([rv.nop(), rv.wfi()], RAM_BASE + 0x300);
  h.writeCsr(MTVEC, B + 0x200n);
  h.writeCsr(STVEC, B + 0x300n);
  h.writeCsr(MEPC, B + 0x100n);
  h.writeCsr(MSTATUS, 1n << 11n); // MPP = S
  if (delegateEcall) h.writeCsr(MEDELEG, 1n << 9n);
  h.setPc(B);
  return r;
}

test('retiredByPriv charges instructions to the privilege they ran in; an S ecall counts as a trap into M', () => {
  const { hart } = rig(false);
  hart.run(1000);
  assert.deepEqual(hart.retiredByPriv(), { user: 0, supervisor: 4, machine: 6 }, 'mret counts in M, the trapping ecall retires nothing');
  assert.equal(hart.instret, 10);
  assert.deepEqual(hart.trapsToM, { ecall: 1, exception: 0, interrupt: 0 });
});

test('a delegated ecall stays in S: no trap into M, the handler counts as S', () => {
  const { hart } = rig(true);
  hart.run(1000);
  assert.deepEqual(hart.retiredByPriv(), { user: 0, supervisor: 6, machine: 3 });
  assert.deepEqual(hart.trapsToM, { ecall: 0, exception: 0, interrupt: 0 });
});

test('counts split across runs are the same as in one run; restore and reset start them again', () => {
  const { hart } = rig(false);
  for (let i = 0; i < 20; i++) hart.run(1);
  assert.deepEqual(hart.retiredByPriv(), { user: 0, supervisor: 4, machine: 6 });
  const state = hart.save();
  hart.restore(state);
  assert.deepEqual(hart.retiredByPriv(), { user: 0, supervisor: 0, machine: 0 });
  assert.equal(hart.trapsToM.ecall, 0);
  hart.reset(B);
  assert.deepEqual(hart.retiredByPriv(), { user: 0, supervisor: 0, machine: 0 });
  hart.writeCsr(0x3b0, (1n << 54n) - 1n);
  hart.writeCsr(0x3a0, 0x1fn);
  hart.priv = 1; // a platform entering S-mode directly (pv boot)
  hart.setPc(B + 0x100n);
  hart.run(3);
  assert.deepEqual(hart.retiredByPriv(), { user: 0, supervisor: 3, machine: 0 });
});
