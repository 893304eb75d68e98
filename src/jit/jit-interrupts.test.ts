// The JIT must not change where interrupts are taken: a run is then the same whatever is
// translated, which snapshots (a restored machine starts with an empty code cache) and the
// interpreter-vs-JIT comparisons rely on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory } from '../memory/guest-memory.js';
import { MmioBus } from '../memory/mmio-bus.js';
import { Hart } from '../cpu/hart.js';
import { HART_STATE_BYTES } from '../cpu/hart-layout.js';
import { li32, rv } from '../test-support/rv-asm.js';
import { Jit } from './jit.js';

const RAM = 0x8000_0000;
/** Retired instructions per timer tick (as tests/support/deterministic-host.mjs). */
const PER_TICK = 10;
const HANDLER = 0x400;

/**
 * M-mode: arms the Sstc timer (menvcfg.STCE, stimecmp = `deadline`, mie.STIE, mstatus.MIE),
 * then counts in a0 with a CSR read in the loop (which the translator leaves to the
 * interpreter); the handler records mepc in a1 and spins.
 */
function program(deadline: number): { main: number[]; handler: number[] } {
  const main = [
    rv.auipc(5, 0),
    rv.addi(5, 5, HANDLER),
    rv.csrrw(0, 0x305, 5), // mtvec
    rv.addi(5, 0, 1),
    rv.slli(5, 5, 63),
    rv.csrrw(0, 0x30a, 5), // menvcfg.STCE
    ...li32(5, deadline),
    rv.csrrw(0, 0x14d, 5), // stimecmp
    rv.addi(5, 0, 32),
    rv.csrrw(0, 0x304, 5), // mie.STIE
    rv.csrrsi(0, 0x300, 8), // mstatus.MIE
  ];
  const loop = [rv.addi(10, 10, 1), rv.csrrs(6, 0x340, 0), rv.jal(0, -8)];
  return { main: [...main, ...loop], handler: [rv.csrrs(11, 0x341, 0), rv.jal(0, 0)] };
}

/** A hart whose clock is its own retired-instruction count, running `program` in quanta. */
function run(withJit: boolean, quantum: number, quanta: number): { a0: bigint; a1: bigint; instret: number; jitInstructions: number } {
  const mem = new GuestMemory({ ramBaseGpa: RAM, ramSizeBytes: 1 << 20, stateSizeBytes: HART_STATE_BYTES });
  let hart: Hart | undefined;
  const clock = { ticks: () => Math.floor((hart?.instret ?? 0) / PER_TICK) };
  hart = new Hart({ mem, bus: new MmioBus(), clock }, 0, 0);
  hart.reset(BigInt(RAM));
  const p = program(3000); // 30 000 instructions in
  p.main.forEach((w, i) => mem.writeU32(RAM + 4 * i, w >>> 0));
  p.handler.forEach((w, i) => mem.writeU32(RAM + HANDLER + 4 * i, w >>> 0));
  const jit = withJit ? new Jit(hart, { threshold: 0, compile: 'sync' }) : undefined;
  for (let q = 0; q < quanta; q++) {
    if (jit !== undefined) jit.run(quantum);
    else hart.run(quantum);
  }
  return { a0: hart.getX(10), a1: hart.getX(11), instret: hart.instret, jitInstructions: jit?.info.jitInstructions ?? 0 };
}

test('an Sstc timer interrupt is taken at the same instruction with the JIT as with the interpreter alone', () => {
  for (const quantum of [997, 4096]) {
    const interp = run(false, quantum, 60);
    const jit = run(true, quantum, 60);
    assert.notEqual(interp.a1, 0n, 'the interrupt was taken');
    assert.ok(jit.jitInstructions > 1000, `generated code ran (${jit.jitInstructions} instructions)`);
    assert.deepEqual(jit, { ...interp, jitInstructions: jit.jitInstructions }, `quantum ${quantum}`);
  }
});
