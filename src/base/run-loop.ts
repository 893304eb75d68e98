// The loop around a core that runs in budgeted slices (DESIGN.md §4), and its contract:
// platform/node (setImmediate/setTimeout) and platform/browser (a MessageChannel in a Web
// Worker) each supply a LoopScheduler to the one `startLoop`.

/** What one step of the core reports. */
export interface LoopStep<T> {
  /** Set when the run is over. */
  readonly done?: T;
  /** How long the loop may sleep before the next step (0 = run again right away). */
  readonly sleepMs: number;
}

/** A running loop: `done` settles with the core's result; `wake()` cuts a sleep short. */
export interface RunLoop<T> {
  readonly done: Promise<T>;
  /** Host input or a device completion: run the next step now if the loop sleeps. */
  wake(): void;
  /** Stops the loop; `done` rejects with `reason`. */
  abort(reason: Error): void;
}

/** How a platform runs a callback: soon (after pending host events) or after a delay. */
export interface LoopScheduler {
  /** Runs `fn` once host events already queued have run; returns a canceller. */
  soon(fn: () => void): () => void;
  /** Runs `fn` after `ms` milliseconds; returns a canceller. */
  after(ms: number, fn: () => void): () => void;
  /** Releases what the scheduler holds, once the loop has ended. */
  close?(): void;
}

/**
 * Runs `step` repeatedly on `scheduler`: right after a busy step through `soon`, after an idle
 * step through `after(sleepMs)` so an idle guest costs ~0 % of a core. `afterStep` runs after
 * every step (e.g. flush console output). A step that throws ends the loop with that error.
 */
export function startLoop<T>(scheduler: LoopScheduler, step: () => LoopStep<T>, afterStep?: () => void): RunLoop<T> {
  let cancel: (() => void) | undefined;
  let sleeping = false;
  let finished = false;
  let resolveDone!: (v: T) => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<T>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });

  const end = (): void => {
    finished = true;
    cancel?.();
    cancel = undefined;
    scheduler.close?.();
  };
  const tick = (): void => {
    cancel = undefined;
    sleeping = false;
    if (finished) return;
    let r: LoopStep<T>;
    try {
      r = step();
      afterStep?.();
    } catch (err) {
      end();
      rejectDone(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (r.done !== undefined) {
      end();
      resolveDone(r.done);
      return;
    }
    sleeping = r.sleepMs >= 1;
    cancel = sleeping ? scheduler.after(Math.min(r.sleepMs, 2 ** 31 - 1), tick) : scheduler.soon(tick);
  };
  cancel = scheduler.soon(tick);

  return {
    done,
    wake(): void {
      if (finished || !sleeping) return;
      cancel?.();
      sleeping = false;
      cancel = scheduler.soon(tick);
    },
    abort(reason: Error): void {
      if (finished) return;
      end();
      rejectDone(reason);
    },
  };
}
