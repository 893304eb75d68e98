// Which domains may run now, shared by every domain's thread (after Xen credit2's runqueue):
// each domain has a virtual time, the host CPU time it used divided by its weight; of the
// domains that want to run, the `hostCpus` with the smallest virtual time run, the others wait.
// So busy domains share the CPUs the daemon is given in proportion to weight, whatever else
// the host runs (a per-period budget alone cannot: on a host busy with other work no domain
// uses its budget up, and the host's own scheduler then shares evenly). Plain numbers in a
// SharedArrayBuffer; a domain writes only its own slot, others read it (a stale read costs a
// moment of extra or missing concurrency, never a wrong account).
import { DEFAULT_WEIGHT } from './credit-scheduler.js';

const HEADER = 3; // [hostCpus, slots, generation (an int32 in the third double)]
const STRIDE = 3; // [state, vtime, weight]
const enum SlotState {
  Free = 0,
  Blocked = 1,
  Runnable = 2,
}

/**
 * How far behind the most-served runnable domain a domain that wakes may be (virtual ms): a
 * domain that slept does not bank its sleep and then hold the CPUs for seconds.
 */
export const WAKE_LAG_MS = 30;

/** The shared table; the daemon makes it, every domain thread wraps the same buffer. */
export class SharedRunQueue {
  private readonly f: Float64Array;
  /**
   * Bumped (and waiters notified) whenever a waiting domain's turn may have come: a running
   * domain gave up its turn, stopped wanting to run, or left. A waiting thread sleeps on it
   * (Atomics.waitAsync). Billing a slice does not bump it: a domain still within its turn runs
   * on without waking the others.
   */
  readonly signal: Int32Array;

  /** A table for `slots` domains sharing `hostCpus` host CPUs. */
  static create(slots: number, hostCpus: number): SharedRunQueue {
    const q = new SharedRunQueue(new SharedArrayBuffer((HEADER + slots * STRIDE) * 8));
    q.f[0] = hostCpus;
    q.f[1] = slots;
    return q;
  }

  /** Wraps a table made by `create` (in another thread). */
  constructor(readonly buffer: SharedArrayBuffer) {
    this.f = new Float64Array(buffer);
    this.signal = new Int32Array(buffer, 16, 1);
  }

  /** The signal's current value (read it before asking wantsToRun, then wait on it). */
  generation(): number {
    return Atomics.load(this.signal, 0);
  }

  /** Host CPUs shared. */
  get hostCpus(): number {
    return this.f[0]!;
  }

  /** A free slot, taken for a new domain (blocked, weight default), or -1 when full. */
  claim(): number {
    const n = this.f[1]!;
    for (let s = 0; s < n; s++) {
      const o = HEADER + s * STRIDE;
      if (this.f[o] !== SlotState.Free) continue;
      this.f[o] = SlotState.Blocked;
      this.f[o + 1] = this.minRunnableVtime(s) ?? 0;
      this.f[o + 2] = DEFAULT_WEIGHT;
      return s;
    }
    return -1;
  }

  /** Gives a slot back (its domain is gone). */
  release(slot: number): void {
    this.f[HEADER + slot * STRIDE] = SlotState.Free;
    this.changed();
  }

  /** Sets a domain's weight (1..65535). */
  setWeight(slot: number, weight: number): void {
    this.f[HEADER + slot * STRIDE + 2] = weight;
  }

  /**
   * The domain wants to run: true when it is among the `hostCpus` runnable domains with the
   * least virtual time (ties go to the lower slot). A domain that was blocked first catches up
   * to within WAKE_LAG_MS of the least-served runnable one.
   */
  wantsToRun(slot: number): boolean {
    const o = HEADER + slot * STRIDE;
    if (this.f[o] !== SlotState.Runnable) {
      const min = this.minRunnableVtime(slot);
      if (min !== undefined && this.f[o + 1]! < min - WAKE_LAG_MS) this.f[o + 1] = min - WAKE_LAG_MS;
      this.f[o] = SlotState.Runnable;
    }
    const mine = this.f[o + 1]!;
    const n = this.f[1]!;
    let ahead = 0;
    for (let s = 0; s < n; s++) {
      if (s === slot) continue;
      const p = HEADER + s * STRIDE;
      if (this.f[p] !== SlotState.Runnable) continue;
      const v = this.f[p + 1]!;
      if (v < mine || (v === mine && s < slot)) ahead++;
    }
    return ahead < this.f[0]!;
  }

  /** The domain does not want to run (idle, paused, or out of credit for this period). */
  block(slot: number): void {
    const o = HEADER + slot * STRIDE;
    if (this.f[o] !== SlotState.Runnable) return;
    this.f[o] = SlotState.Blocked;
    this.changed();
  }

  /** Bills `cpuMs` of host CPU to the domain: its virtual time grows by cpuMs × 256 / weight. */
  charge(slot: number, cpuMs: number): void {
    const o = HEADER + slot * STRIDE;
    this.f[o + 1] = this.f[o + 1]! + (cpuMs * DEFAULT_WEIGHT) / (this.f[o + 2]! || DEFAULT_WEIGHT);
  }

  /**
   * A domain that was running found it is no longer its turn: wakes the waiting ones. (Only a
   * domain that ran calls it; waiting domains that decline do not, or they would wake each
   * other in turn forever.)
   */
  yieldTurn(): void {
    this.changed();
  }

  private changed(): void {
    Atomics.add(this.signal, 0, 1);
    Atomics.notify(this.signal, 0);
  }

  /** A domain's virtual time (tests, diagnostics). */
  vtime(slot: number): number {
    return this.f[HEADER + slot * STRIDE + 1]!;
  }

  private minRunnableVtime(except: number): number | undefined {
    let min: number | undefined;
    const n = this.f[1]!;
    for (let s = 0; s < n; s++) {
      if (s === except) continue;
      const p = HEADER + s * STRIDE;
      if (this.f[p] !== SlotState.Runnable) continue;
      const v = this.f[p + 1]!;
      if (min === undefined || v < min) min = v;
    }
    return min;
  }
}
