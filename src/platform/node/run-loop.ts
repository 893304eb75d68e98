// The platform's loop around a core that runs in budgeted slices (DESIGN.md §4): run a slice,
// yield to the event loop (device completions, console input), sleep when the guest is idle.

import { startLoop, type LoopStep, type RunLoop } from '../../base/run-loop.js';

export type { LoopStep, RunLoop };

/**
 * Runs `step` repeatedly (base `startLoop`): right after a busy step through setImmediate (so
 * I/O callbacks run in between), after an idle step through setTimeout(sleepMs).
 */
export function startRunLoop<T>(step: () => LoopStep<T>, afterStep?: () => void): RunLoop<T> {
  return startLoop(
    {
      soon: (fn) => {
        const i = setImmediate(fn);
        return () => clearImmediate(i);
      },
      after: (ms, fn) => {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      },
    },
    step,
    afterStep,
  );
}
