// Differential test in `npm test`: a bounded number of random seeds, each run on
// qemu-riscv64 (reference) and banquise elf, must give identical register/memory dumps.
// A self-check injects a fake divergence to prove the comparison and the bisection work.
// Skips (does not fail) only when a cross toolchain or qemu-riscv64 is absent.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { checkSeed, compareDumps, missingTools, runBanquise } from './diff-lib.mjs';
import { generate } from './generator.mjs';

const SEEDS = Number(process.env.BANQUISE_DIFF_SEEDS ?? 30);
const FP_SEEDS = Number(process.env.BANQUISE_DIFF_FP_SEEDS ?? 10);
const missing = missingTools();
const skip = missing ? `${missing}: differential test skipped` : false;

describe('differential: qemu-riscv64 vs banquise elf', { skip }, () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    test(`seed ${seed}`, () => {
      const r = checkSeed(seed, 300);
      if (!r.ok) assert.fail(r.report);
    });
  }
  // the same seeds with the JIT translating every block at once, and with the interpreter alone
  for (let seed = 1; seed <= SEEDS; seed++) {
    test(`seed ${seed} (jit threshold 0)`, () => {
      const r = checkSeed(seed, 300, (elf) => runBanquise(elf, undefined, ['--jit-threshold', '0']));
      if (!r.ok) assert.fail(r.report);
    });
    if (seed <= 10) {
      test(`seed ${seed} (--no-jit)`, () => {
        const r = checkSeed(seed, 300, (elf) => runBanquise(elf, undefined, ['--no-jit']));
        if (!r.ok) assert.fail(r.report);
      });
    }
  }
  // tricky FP operands: FMA cancellation, near-equal sums, subnormal/huge, conversion edges
  for (let seed = 1; seed <= FP_SEEDS; seed++) {
    test(`fp seed ${seed}`, () => {
      const r = checkSeed(seed, 300, undefined, 'fp');
      if (!r.ok) assert.fail(r.report);
    });
  }
});

describe('differential harness self-checks', { skip }, () => {
  test('the generator is deterministic and varied', () => {
    const a = generate(7, 200);
    const b = generate(7, 200);
    assert.deepEqual(a.insns, b.insns);
    assert.deepEqual(a.initX, b.initX);
    const c = generate(8, 200);
    assert.notDeepEqual(a.insns, c.insns);
    const mnemonics = new Set(a.insns.map((s) => s.split(' ')[0]));
    assert.ok(mnemonics.size > 40, `only ${mnemonics.size} distinct mnemonics`);
  });
  test('compareDumps reports the first differing line by register name', () => {
    const lines = Array.from({ length: 70 }, (_, i) => i.toString(16).padStart(16, '0'));
    const other = [...lines];
    other[35] = 'ffffffffffffffff';
    other[40] = 'eeeeeeeeeeeeeeee';
    const d = compareDumps(lines.join('\n'), other.join('\n'));
    assert.equal(d.name, 'f3');
    assert.equal(d.got, 'ffffffffffffffff');
    assert.equal(compareDumps(lines.join('\n'), lines.join('\n')), null);
  });
  test('an injected divergence is caught and bisected to its instruction', () => {
    // A fake target: banquise elf, but f3 corrupted once the sequence has >= 137 instructions.
    const fake = (elf, length) => {
      const r = runBanquise(elf);
      if (length < 137 || r.status !== 0) return r;
      const lines = r.stdout.split('\n');
      lines[35] = lines[35].replace(/^./, (c) => (c === '0' ? '1' : '0'));
      return { ...r, stdout: lines.join('\n') };
    };
    const r = checkSeed(3, 200, fake);
    assert.equal(r.ok, false);
    assert.match(r.report, /first difference in f3/);
    assert.match(r.report, /first diverging instruction #136:/);
  });
});
