// The contract between a core that runs in budgeted slices and the platform loop around it
// (DESIGN.md §4): platform/node (setImmediate/setTimeout) and platform/browser (a
// MessageChannel in a Web Worker) each implement the loop; both speak these two types.

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
