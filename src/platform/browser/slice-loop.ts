// The platform's loop around a core that runs in budgeted slices (DESIGN.md §4), for a Web
// Worker: run a slice, let queued messages (console input, device completions) in, sleep with
// setTimeout when the guest is idle.

import { startLoop, type LoopStep, type RunLoop } from '../../base/run-loop.js';

/**
 * Runs `step` repeatedly (base `startLoop`). After a busy step the next one is queued as a
 * message on a private MessageChannel: unlike setTimeout(0) it is not clamped to 4 ms, and
 * unlike a microtask it lets the worker's queued messages run first. After an idle step it
 * sleeps `sleepMs` in a setTimeout.
 */
export function startSliceLoop<T>(step: () => LoopStep<T>, afterStep?: () => void): RunLoop<T> {
  const channel = new MessageChannel();
  // A posted message cannot be withdrawn: cancelling clears what it would run.
  let pending: (() => void) | undefined;
  channel.port1.onmessage = () => {
    const fn = pending;
    pending = undefined;
    fn?.();
  };
  return startLoop(
    {
      soon: (fn) => {
        pending = fn;
        channel.port2.postMessage(0);
        return () => {
          if (pending === fn) pending = undefined;
        };
      },
      after: (ms, fn) => {
        const t = setTimeout(fn, ms);
        return () => clearTimeout(t);
      },
      close: () => {
        pending = undefined;
        channel.port1.onmessage = null;
        channel.port1.close();
        channel.port2.close();
      },
    },
    step,
    afterStep,
  );
}
