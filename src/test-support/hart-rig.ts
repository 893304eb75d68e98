// A hart on a small board for unit tests: 1 MiB of RAM at 0x8000_0000, an MMIO bus, a manual
// clock. Programs are arrays of 32-bit words (or 16-bit halves) written straight into RAM.
import { ManualClock } from '../base/clock.js';
import { GuestMemory } from '../memory/guest-memory.js';
import { MmioBus } from '../memory/mmio-bus.js';
import { Hart, type HartEnv } from '../cpu/hart.js';
import { HART_STATE_BYTES } from '../cpu/hart-layout.js';

/** RAM base of the rig (as on the virt board). */
export const RAM_BASE = 0x8000_0000;

/** Everything a CPU test touches. */
export interface HartRig {
  readonly mem: GuestMemory;
  readonly bus: MmioBus;
  readonly clock: ManualClock;
  readonly hart: Hart;
  /** Writes 32-bit instruction words at gpa (default RAM_BASE). */
  load(words: readonly number[], gpa?: number): void;
  /** Writes 16-bit parcels at gpa. */
  load16(halves: readonly number[], gpa: number): void;
}

/** Builds a rig; `sbi`/`isExecutable` go into the env; `shared` uses shared memory. The hart starts in M-mode at RAM_BASE. */
export function makeHartRig(
  opts: { ramSizeBytes?: number; sbi?: HartEnv['sbi']; shared?: boolean; isExecutable?: HartEnv['isExecutable'] } = {},
): HartRig {
  const mem = new GuestMemory({
    ramBaseGpa: RAM_BASE, ramSizeBytes: opts.ramSizeBytes ?? 1 << 20, stateSizeBytes: HART_STATE_BYTES, shared: opts.shared ?? false,
  });
  const bus = new MmioBus();
  const clock = new ManualClock();
  const env: HartEnv = { mem, bus, clock, ...(opts.sbi ? { sbi: opts.sbi } : {}), ...(opts.isExecutable ? { isExecutable: opts.isExecutable } : {}) };
  const hart = new Hart(env, 0, 0);
  hart.reset(BigInt(RAM_BASE));
  return {
    mem, bus, clock, hart,
    load(words, gpa = RAM_BASE) {
      words.forEach((w, i) => mem.writeU32(gpa + 4 * i, w >>> 0));
    },
    load16(halves, gpa) {
      halves.forEach((h, i) => mem.writeU16(gpa + 2 * i, h & 0xffff));
    },
  };
}
