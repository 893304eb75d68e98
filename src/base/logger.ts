// One logger/metrics sink, injected (no globals: one process hosts many domains). Components
// report events and count what went wrong under their own name; the host monitor and the API
// read the counters back (`info devices`).

/** How much an event matters. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where components report events and count occurrences (a device's name is its `source`). */
export interface Logger {
  /** Records one event of `source` (e.g. `virtio-blk.0`). */
  log(level: LogLevel, source: string, message: string): void;
  /** Adds `n` (default 1) to counter `counter` of `source`. */
  count(source: string, counter: string, n?: number): void;
}

/** One recorded event. */
export interface LogEvent {
  readonly level: LogLevel;
  readonly source: string;
  readonly message: string;
}

/** A logger that drops everything (for components built without a sink, e.g. unit tests). */
export const NULL_LOGGER: Logger = Object.freeze({
  log(): void {},
  count(): void {},
});

/** Events kept by a CountingLogger for `recent()`. */
export const RECENT_EVENTS = 256;

/**
 * Keeps counters per source, the last RECENT_EVENTS events (bounded: a guest that triggers
 * errors in a loop costs a fixed amount of memory), and forwards every event to `sink`.
 */
export class CountingLogger implements Logger {
  private readonly counters = new Map<string, Map<string, number>>();
  private readonly events: LogEvent[] = [];
  private next = 0;

  constructor(private readonly sink?: (event: LogEvent) => void) {}

  log(level: LogLevel, source: string, message: string): void {
    const e: LogEvent = { level, source, message };
    if (this.events.length < RECENT_EVENTS) this.events.push(e);
    else this.events[this.next] = e;
    this.next = (this.next + 1) % RECENT_EVENTS;
    this.sink?.(e);
  }

  count(source: string, counter: string, n = 1): void {
    let m = this.counters.get(source);
    if (m === undefined) this.counters.set(source, (m = new Map()));
    m.set(counter, (m.get(counter) ?? 0) + n);
  }

  /** Counter values by source then name, sources and names sorted (plain data). */
  snapshot(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const source of [...this.counters.keys()].sort()) {
      const m = this.counters.get(source)!;
      const o: Record<string, number> = {};
      for (const k of [...m.keys()].sort()) o[k] = m.get(k)!;
      out[source] = o;
    }
    return out;
  }

  /** The value of one counter (0 when never counted). */
  counter(source: string, counter: string): number {
    return this.counters.get(source)?.get(counter) ?? 0;
  }

  /** The recorded events, oldest first. */
  recent(): LogEvent[] {
    if (this.events.length < RECENT_EVENTS) return [...this.events];
    return [...this.events.slice(this.next), ...this.events.slice(0, this.next)];
  }
}
