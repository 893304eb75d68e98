// Host time sources for the core in a browser (or a Web Worker): `mtime` ticks and the wall clock.
import { TIMEBASE_HZ, type Clock } from '../../base/clock.js';

const TICKS_PER_MS = TIMEBASE_HZ / 1000;

/** `mtime` from `performance.now()` (monotonic), 0 when the clock is created. */
export class BrowserClock implements Clock {
  private readonly originMs = performance.now();

  ticks(): number {
    return Math.floor((performance.now() - this.originMs) * TICKS_PER_MS);
  }
}

/** Wall-clock time in nanoseconds since the Unix epoch (the goldfish RTC's source). */
export function browserWallClockNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}
