// Waiting on a stream of console output: a set of checks run again whenever output arrives.

/** Checks re-run on every `notify()` until each settles. */
export class Waiters {
  constructor() {
    this.checks = new Set();
  }

  /** Runs every pending check (call when new output arrived or the stream ended). */
  notify() {
    for (const c of [...this.checks]) c();
  }

  /**
   * Resolves with `check()`'s `{ value }` or rejects with its `{ error }`; `check` returns
   * undefined to keep waiting. After `timeoutMs` it rejects with `timeoutMessage()`.
   */
  until(check, timeoutMs, timeoutMessage) {
    return new Promise((res, rej) => {
      const run = () => {
        const r = check();
        if (r === undefined) return;
        cleanup();
        if (r.error !== undefined) rej(r.error);
        else res(r.value);
      };
      const timer = setTimeout(() => {
        cleanup();
        rej(new Error(timeoutMessage()));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.checks.delete(run);
      };
      this.checks.add(run);
      run();
    });
  }
}

/**
 * Waits in `owner` (with `output`, `mark`, `waiters`) for `re` after the mark: resolves with the
 * text up to the end of the match and moves the mark past it. `ended()` says why no more output
 * can come (or undefined).
 */
export function waitForText(owner, re, timeoutMs, ended, timeoutMessage) {
  return owner.waiters.until(() => {
    const rest = owner.output.slice(owner.mark);
    const m = re.exec(rest);
    if (m) {
      owner.mark += m.index + m[0].length;
      return { value: rest.slice(0, m.index + m[0].length) };
    }
    const why = ended();
    return why !== undefined ? { error: new Error(why) } : undefined;
  }, timeoutMs, timeoutMessage);
}
