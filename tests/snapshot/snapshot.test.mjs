// Whole-machine snapshots on a real Linux boot (issue 8): machine A boots the default guest on a
// deterministic host; at a random point of the boot its state is saved and restored into a
// fresh machine B; both run on to the shell with the same console input, and their console
// output and final states (every hart, device and RAM byte) must be identical. Then a snapshot
// taken while idle at the shell is restored and typed into. BANQUISE_SNAPSHOT_SEED=n replays a run.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { findGuest } from '../support/guest-session.mjs';
import { DeterministicHost } from '../support/deterministic-host.mjs';
import { validateMachineConfig } from '../../dist/machine/index.js';

const guest = await findGuest();
const skip = typeof guest === 'string' ? guest : false;
if (skip) console.log(`# skipping snapshot tests: ${skip}`);

/** Instructions per step once the random first slice is done. */
const SLICE = 1_000_000;
/** Give up after this many steps (a boot is a few hundred million instructions). */
const MAX_STEPS = 20_000;
const PROMPT = /# $/;

const seed = Number(process.env.BANQUISE_SNAPSHOT_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.log(`# snapshot seed ${seed} (BANQUISE_SNAPSHOT_SEED=${seed} replays it)`);
function rng() {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

/** Steps `host` until `until(host)` holds at a step boundary; returns the number of steps. */
function runUntil(host, until, what) {
  for (let i = 0; i < MAX_STEPS; i++) {
    if (until(host)) return i;
    if (host.machine.exit !== undefined) throw new Error(`guest exited (${JSON.stringify(host.machine.exit)}) waiting for ${what}; console tail:\n${host.output.slice(-2000)}`);
    host.step(SLICE);
  }
  throw new Error(`no ${what} after ${MAX_STEPS} steps; console tail:\n${host.output.slice(-2000)}`);
}

/** The state with RAM replaced by its hash (deepEqual on 128 MiB is slow and unreadable). */
function comparable(state) {
  const { ram, ...rest } = state;
  return { ...rest, ram: createHash('sha256').update(ram).digest('hex') };
}

/** Types `line` and runs until its output and the next prompt are there. */
function type(host, line, expect) {
  const mark = host.output.length;
  host.machine.consoleInput(new TextEncoder().encode(`${line}\n`));
  runUntil(host, (h) => expect.test(h.output.slice(mark)) && PROMPT.test(h.output), `output of ${line}`);
  return host.output.slice(mark);
}

describe('machine snapshots on a Linux boot', { skip }, () => {
  let config;
  let blobs;
  before(() => {
    blobs = { Image: new Uint8Array(readFileSync(guest.kernel)), initrd: new Uint8Array(readFileSync(guest.initrd)) };
    config = validateMachineConfig({
      mode: 'pv', memoryBytes: 128 << 20, vcpus: 1,
      boot: { kernel: { path: 'Image' }, initrd: { path: 'initrd' }, cmdline: 'console=ttyS0' },
      devices: { rng: true, balloon: true },
    });
  });

  let a; // the uninterrupted machine, at the shell after the first test
  test('saved at a random point of the boot, a restored machine runs on exactly like the original', () => {
    const r = rng();
    a = new DeterministicHost(blobs);
    a.build(config);
    a.step(1 + Math.floor(r() * SLICE)); // the save point is not a multiple of the slice
    const saveAt = 2_000_000 + Math.floor(r() * 60_000_000);
    runUntil(a, (h) => h.machine.instret() >= saveAt, `instruction ${saveAt}`);
    assert.equal(PROMPT.test(a.output), false, 'the save point must fall during the boot');
    const state = a.machine.save();
    const outputAtSave = a.output.length;
    console.log(`# saved at instruction ${a.machine.instret()}, ${outputAtSave} console bytes in`);
    const stateJson = JSON.parse(JSON.stringify({ ...state, ram: undefined }));
    const b = new DeterministicHost(blobs, a.timeline());
    b.build(config, { ...stateJson, ram: state.ram });
    assert.deepEqual(comparable(b.machine.save()), comparable(state), 'restore then save gives the same state');

    for (const h of [a, b]) {
      runUntil(h, (x) => /Banquise guest ready/.test(x.output) && PROMPT.test(x.output), 'the shell prompt');
      type(h, 'echo snap-$((6 * 7)); cat /proc/interrupts | wc -l', /snap-42\r?\n\d+/);
    }
    assert.equal(b.output, a.output.slice(outputAtSave), 'console output after the save point');
    assert.match(b.output, /snap-42/);
    assert.equal(b.machine.instret(), a.machine.instret());
    assert.deepEqual(comparable(b.machine.save()), comparable(a.machine.save()), 'final states');
  });

  test('saved while idle at the shell, a restored machine answers typed commands', { skip: false }, () => {
    assert.ok(a, 'needs the machine of the previous test');
    runUntil(a, (h) => h.machine.harts.every((x) => x.waiting), 'an idle guest');
    const state = a.machine.save();
    const c = new DeterministicHost(blobs, a.timeline());
    c.build(config, state);
    const outA = type(a, 'echo idle-$((1 + 2)); uname -m', /idle-3\r?\nriscv64/);
    const outC = type(c, 'echo idle-$((1 + 2)); uname -m', /idle-3\r?\nriscv64/);
    assert.equal(outC, outA);
    assert.deepEqual(comparable(c.machine.save()), comparable(a.machine.save()));
  });
});
