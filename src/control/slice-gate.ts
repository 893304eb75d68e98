// The credit scheduler's part inside a domain's host: before each slice, may the domain run?
// It may not when its credit for the period is spent (its budget: caps, and its share when
// host CPUs are contended) or when the shared run queue gives the CPUs to domains that have
// had less than their weight's share. Billing is in host CPU time of the domain's thread where
// the platform can read it (wall time of the slices otherwise), so time the host's own
// scheduler gave to other processes is not billed to the domain.
import type { SharedRunQueue } from './shared-run-queue.js';

/** What the gate bills with and whom it asks. */
export interface SliceGateDeps {
  /** CPU time of the domain's thread in ms; absent: the wall time of its slices is billed. */
  readonly cpuMs?: () => number;
  /** The daemon's run queue and this domain's slot in it (absent: no sharing, budget only). */
  readonly queue?: { readonly queue: SharedRunQueue; readonly slot: number };
}

/**
 * Longest wait (ms) before asking again when other domains have the CPUs; the host should wake
 * the domain earlier, when the queue's signal moves (see `turnWait`).
 */
export const TURN_WAIT_MS = 50;

/** Per-domain credit accounting and admission of slices (all times in ms). */
export class SliceGate {
  private budgetMs: number | undefined;
  private periodMs = 100;
  private periodStart: number;
  private credit = Infinity;
  private billed = 0;
  private sliceWallMs = 0;
  private sliceStart = 0;
  private heldSince: number | undefined;
  private turnGeneration: number | undefined;
  /** The last admission let the domain run (it holds a turn in the run queue). */
  private running = false;
  /** Time the domain wanted to run but was held back (no credit, or others' turn). */
  waitMs = 0;

  constructor(private readonly deps: SliceGateDeps, nowMs: number) {
    this.periodStart = nowMs;
    this.billed = this.cpuMs();
  }

  /** The scheduler's grant: `budgetMs` of CPU per `periodMs` (undefined: unlimited). */
  setBudget(budgetMs: number | undefined, periodMs: number): void {
    this.budgetMs = budgetMs;
    this.periodMs = periodMs;
    this.credit = budgetMs === undefined ? Infinity : Number.isFinite(this.credit) ? Math.min(this.credit, budgetMs) : budgetMs;
  }

  /** Host CPU time the domain has used. */
  cpuMs(): number {
    return this.deps.cpuMs !== undefined ? this.deps.cpuMs() : this.sliceWallMs;
  }

  /** Before a slice: 0 when the domain may run now, else how long to wait before asking again. */
  admit(nowMs: number): number {
    const periods = Math.floor((nowMs - this.periodStart) / this.periodMs);
    if (periods >= 1) {
      this.periodStart += periods * this.periodMs;
      // Every elapsed period refills the budget; debt is paid off, unused credit is not banked.
      if (this.budgetMs !== undefined) this.credit = Math.min(Math.min(this.credit, 0) + periods * this.budgetMs, this.budgetMs);
    }
    this.bill();
    const q = this.deps.queue;
    if (this.credit <= 0) {
      q?.queue.block(q.slot);
      this.running = false;
      this.heldSince ??= nowMs;
      this.turnGeneration = undefined;
      return Math.max(1, Math.ceil(this.periodStart + this.periodMs - nowMs));
    }
    this.turnGeneration = q?.queue.generation();
    if (q !== undefined && !q.queue.wantsToRun(q.slot)) {
      if (this.running) q.queue.yieldTurn();
      this.running = false;
      this.heldSince ??= nowMs;
      return TURN_WAIT_MS;
    }
    this.turnGeneration = undefined;
    this.running = true;
    if (this.heldSince !== undefined) {
      this.waitMs += nowMs - this.heldSince;
      this.heldSince = undefined;
    }
    this.sliceStart = nowMs;
    return 0;
  }

  /**
   * After `admit` answered "others' turn": the signal to sleep on and the value it had when the
   * turn was asked (Atomics.waitAsync(signal, 0, value)); undefined otherwise.
   */
  turnWait(): { readonly signal: Int32Array; readonly value: number } | undefined {
    const q = this.deps.queue;
    return q !== undefined && this.turnGeneration !== undefined ? { signal: q.queue.signal, value: this.turnGeneration } : undefined;
  }

  /** After an admitted slice; `idle` when every vCPU ended in wfi (it stops wanting to run). */
  done(nowMs: number, idle: boolean): void {
    this.sliceWallMs += nowMs - this.sliceStart;
    this.bill();
    const q = this.deps.queue;
    if (!idle) return;
    q?.queue.block(q.slot);
    this.running = false;
  }

  /** The domain is paused: it neither runs nor waits to run. */
  pause(): void {
    const q = this.deps.queue;
    q?.queue.block(q.slot);
    this.running = false;
    this.heldSince = undefined;
  }

  /** Charges the CPU used since the last bill (slices and the work between them). */
  private bill(): void {
    const c = this.cpuMs();
    const d = c - this.billed;
    this.billed = c;
    if (d <= 0) return;
    this.credit -= d;
    const q = this.deps.queue;
    q?.queue.charge(q.slot, d);
  }
}
