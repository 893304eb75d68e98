// The platform's loop around a core that runs in budgeted slices (DESIGN.md §4): run a slice,
// yield to the event loop (device completions, console input), sleep when the guest is idle.

import type { LoopStep, RunLoop } from '../../base/run-loop.js';

export type { LoopStep, RunLoop };

/**
 * Runs `step` repeatedly: right after a busy step through setImmediate (so I/O callbacks run in
 * between), after an idle step through setTimeout(sleepMs) so an idle guest costs ~0 % CPU.
 * `afterStep` runs after every step (e.g. flush console output).
 */
export function startRunLoop<T>(step: () => LoopStep<T>, afterStep?: () => void): RunLoop<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let immediate: ReturnType<typeof setImmediate> | undefined;
  let finished = false;
  let resolveDone!: (v: T) => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<T>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });

  const tick = (): void => {
    timer = undefined;
    immediate = undefined;
    if (finished) return;
    let r: LoopStep<T>;
    try {
      r = step();
      afterStep?.();
    } catch (err) {
      finished = true;
      rejectDone(err as Error);
      return;
    }
    if (r.done !== undefined) {
      finished = true;
      resolveDone(r.done);
      return;
    }
    if (r.sleepMs >= 1) timer = setTimeout(tick, Math.min(r.sleepMs, 2 ** 31 - 1));
    else immediate = setImmediate(tick);
  };
  immediate = setImmediate(tick);

  return {
    done,
    wake(): void {
      if (finished || timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      immediate = setImmediate(tick);
    },
    abort(reason: Error): void {
      if (finished) return;
      finished = true;
      if (timer !== undefined) clearTimeout(timer);
      if (immediate !== undefined) clearImmediate(immediate);
      rejectDone(reason);
    },
  };
}
