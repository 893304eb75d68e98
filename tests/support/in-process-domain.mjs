// A guest machine run inside the test (or benchmark) process: built from a MachineConfig with
// the Node host backends, on a setImmediate loop that can be paused (for migration), with the
// console collected and each output line's host arrival time kept. Every wait has a timeout.
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { REPO } from './guest-session.mjs';

const dist = (p) => join(REPO, 'dist', p);
const { buildMachine } = await import(dist('machine/index.js'));
const { openNodeBackends } = await import(dist('platform/node/node-host-backends.js'));

/** Instructions per slice. */
const SLICE = 2_000_000;

export class InProcessDomain {
  /** Builds (and boots, or restores `state`) a machine of `config`. */
  static async create(config, state) {
    const d = new InProcessDomain();
    d.backends = await openNodeBackends(config, { console: { write: (b) => d.onOutput(b) }, wake: () => d.wake() });
    d.machine = buildMachine(config, d.backends, state !== undefined ? { state } : {});
    return d;
  }

  /** Builds a machine of `config` that neither boots nor restores (a migration destination). */
  static async createEmpty(config) {
    const d = new InProcessDomain();
    d.backends = await openNodeBackends(config, { console: { write: (b) => d.onOutput(b) }, wake: () => d.wake() });
    d.machine = buildMachine(config, d.backends, { boot: false });
    return d;
  }

  /** Guest RAM of the machine (a view: a migration writes into it). */
  ram() {
    const mem = this.machine.mem;
    return mem.u8.subarray(mem.ramOffset, mem.ramOffset + mem.ramSizeBytes);
  }

  constructor() {
    this.output = '';
    this.lineTimes = [];
    this.running = false;
    this.timer = undefined;
  }

  onOutput(bytes) {
    const text = Buffer.from(bytes).toString('latin1');
    this.output += text;
    const now = performance.now();
    for (const ch of text) if (ch === '\n') this.lineTimes.push(now);
  }

  wake() {
    if (!this.running || this.sleeping === undefined) return;
    clearTimeout(this.sleeping);
    this.sleeping = undefined;
    this.timer = setImmediate(() => this.tick());
  }

  tick() {
    this.sleeping = undefined;
    if (!this.running) return;
    const s = this.machine.runSlice(SLICE);
    if (this.machine.exit !== undefined) {
      this.running = false;
      return;
    }
    if (s.sleepMs > 0) this.sleeping = setTimeout(() => this.tick(), Math.min(s.sleepMs, 10));
    else this.timer = setImmediate(() => this.tick());
  }

  /** Runs the guest. */
  start() {
    if (this.running) return;
    this.running = true;
    this.timer = setImmediate(() => this.tick());
  }

  /** Stops the guest: no slice runs after this returns. */
  pause() {
    this.running = false;
    clearImmediate(this.timer);
    clearTimeout(this.sleeping);
    this.sleeping = undefined;
  }

  /** Waits until the output after `from` matches `re`. */
  async waitFor(re, timeoutMs = 15 * 60_000, from = 0) {
    const t0 = performance.now();
    while (!re.test(this.output.slice(from))) {
      if (performance.now() - t0 > timeoutMs) throw new Error(`timeout waiting for ${re}; console tail:\n${this.output.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Types `line` and waits for `expect` in the output that follows (write markers the echo of
   * the line cannot match, e.g. `echo do''ne` for /done/). Returns that output.
   */
  async type(line, expect = /# $/, timeoutMs = 10 * 60_000) {
    const mark = this.output.length;
    this.machine.consoleInput(new TextEncoder().encode(`${line}\n`));
    await this.waitFor(expect, timeoutMs, mark);
    return this.output.slice(mark);
  }

  /** Pauses and releases the host backends. */
  async close() {
    this.pause();
    await this.backends.close();
  }
}
