// A deterministic host for in-process machines (snapshot and migration tests): time is driven
// by retired instructions (10 per mtime tick) plus the sleeps the machine asked for while idle,
// the wall clock follows it, entropy is a function of time, device work runs at fixed points
// (after each slice). Two machines driven the same way from the same state do the same thing.
import { buildMachine } from '../../dist/machine/index.js';
import { NULL_LOGGER } from '../../dist/base/logger.js';

/** Instructions per mtime tick (10 MHz timebase: a 100 MIPS guest). */
export const INSTRUCTIONS_PER_TICK = 10;
/** Wall clock at tick 0: 2026-01-01T00:00:00Z. */
const EPOCH_NS = 1_767_225_600_000_000_000n;

/** One machine on a deterministic host; `step()` is one slice plus the device work after it. */
export class DeterministicHost {
  /**
   * `blobs` maps BlobRef paths to bytes. `from` continues another host's time (restore): its
   * idle ticks and the instruction count of the state restored.
   */
  constructor(blobs, from = { idleTicks: 0, instret: 0 }) {
    this.blobs = blobs;
    this.idleTicks = from.idleTicks;
    this.baseInstret = from.instret;
    this.machine = undefined;
    this.output = '';
    this.queue = [];
  }

  ticks() {
    const n = this.machine === undefined ? this.baseInstret : this.machine.instret();
    return Math.floor(n / INSTRUCTIONS_PER_TICK) + this.idleTicks;
  }

  /** The HostBackends of this host (no disks, nics, shares or vsock). */
  backends() {
    const none = (what) => () => {
      throw new Error(`deterministic host: no ${what}`);
    };
    const fill = (b) => {
      let x = (this.ticks() ^ 0x9e3779b9) >>> 0;
      for (let i = 0; i < b.length; i++) {
        x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
        b[i] = x >>> 24;
      }
    };
    return {
      clock: { ticks: () => this.ticks() },
      wallClockNs: () => EPOCH_NS + BigInt(this.ticks()) * 100n,
      console: { write: (b) => (this.output += Buffer.from(b).toString('latin1')) },
      virtioConsole: none('virtio console'),
      blob: (ref) => {
        const b = this.blobs[ref.path];
        if (b === undefined) throw new Error(`deterministic host: no blob ${ref.path}`);
        return b;
      },
      block: none('disk'),
      net: none('nic'),
      share: none('share'),
      vsock: none('vsock'),
      entropy: { fill },
      random: fill,
      wake() {},
      schedule: (fn) => this.queue.push(fn),
      log: NULL_LOGGER,
    };
  }

  /** Builds (or, with `state`, restores) the machine of `config` on this host. */
  build(config, state) {
    this.machine = buildMachine(config, this.backends(), state === undefined ? {} : { state });
    return this.machine;
  }

  /** Runs one slice of `budget` instructions, then the queued device work; idle time passes at once. */
  step(budget) {
    const s = this.machine.runSlice(budget);
    while (this.queue.length > 0) this.queue.shift()();
    if (s.reason === 'idle') this.idleTicks += Math.max(1, Math.ceil(s.sleepMs * 10_000));
    return s;
  }

  /** Where another host must start to continue this one's time from a state saved now. */
  timeline() {
    return { idleTicks: this.idleTicks, instret: this.machine.instret() };
  }
}
