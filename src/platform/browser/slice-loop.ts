// The platform's loop around a core that runs in budgeted slices (DESIGN.md §4), for a Web
// Worker: run a slice, let queued messages (console input, device completions) in, sleep with
// setTimeout when the guest is idle.

import type { LoopStep, RunLoop } from '../../base/run-loop.js';

/**
 * Runs `step` repeatedly. After a busy step the next one is queued as a message on a private
 * MessageChannel: unlike setTimeout(0) it is not clamped to 4 ms, and unlike a microtask it
 * lets the worker's queued messages run first. After an idle step it sleeps `sleepMs` in a
 * setTimeout, so an idle guest costs ~0 % of a core. `afterStep` runs after every step.
 */
export function startSliceLoop<T>(step: () => LoopStep<T>, afterStep?: () => void): RunLoop<T> {
  const channel = new MessageChannel();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let queued = false;
  let finished = false;
  let resolveDone!: (v: T) => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<T>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });

  const finish = (): void => {
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    channel.port1.onmessage = null;
    channel.port1.close();
    channel.port2.close();
  };
  const queue = (): void => {
    if (queued) return;
    queued = true;
    channel.port2.postMessage(0);
  };
  const tick = (): void => {
    queued = false;
    timer = undefined;
    if (finished) return;
    let r: LoopStep<T>;
    try {
      r = step();
      afterStep?.();
    } catch (err) {
      finish();
      rejectDone(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (r.done !== undefined) {
      finish();
      resolveDone(r.done);
      return;
    }
    if (r.sleepMs >= 1) timer = setTimeout(tick, Math.min(r.sleepMs, 2 ** 31 - 1));
    else queue();
  };
  channel.port1.onmessage = tick;
  queue();

  return {
    done,
    wake(): void {
      if (finished || timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      queue();
    },
    abort(reason: Error): void {
      if (finished) return;
      finish();
      rejectDone(reason);
    },
  };
}
