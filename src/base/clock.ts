/** Frequency of the board's `mtime` / `time` counter, as in the device tree's `timebase-frequency`. */
export const TIMEBASE_HZ = 10_000_000;

/**
 * The guest's view of time. `ticks()` counts `mtime` at TIMEBASE_HZ; a JS number stays exact for
 * 28 years of ticks. Injected so tests can use a manual clock and the platform a host clock.
 */
export interface Clock {
  /** Current value of `mtime`, in TIMEBASE_HZ ticks. */
  ticks(): number;
}

/** A clock that only moves when told to: for deterministic tests. */
export class ManualClock implements Clock {
  constructor(private now = 0) {}
  ticks(): number {
    return this.now;
  }
  /** Moves time forward by `ticks`. */
  advance(ticks: number): void {
    this.now += ticks;
  }
}
