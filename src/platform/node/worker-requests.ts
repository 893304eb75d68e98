// Requests to a domain worker that are answered later (capture, save-file) and its start: each
// settles once, and all of them fail with the reason when the worker ends.
import type { FromWorker } from './domain-worker-protocol.js';

type Done = Extract<FromWorker, { type: 'done' }>;
type Progress = Extract<FromWorker, { type: 'progress' }>;

/** Pending answers of one worker. */
export class WorkerRequests {
  /** Resolves when the worker reports ready; rejects if it ends first. */
  readonly started: Promise<void>;
  private resolveStart!: () => void;
  private rejectStart!: (err: Error) => void;
  private readonly pending = new Map<number, { resolve: (m: Done) => void; reject: (err: Error) => void; onProgress?: (percent: number) => void }>();
  private nextId = 1;
  private endedWith: string | undefined;

  constructor() {
    this.started = new Promise((res, rej) => {
      this.resolveStart = res;
      this.rejectStart = rej;
    });
    this.started.catch(() => {}); // a boot nobody waits for must not be an unhandled rejection
  }

  /** The worker is running. */
  ready(): void {
    this.resolveStart();
  }

  /** Sends a request (through `send`, given its id) and resolves with its answer. */
  ask(send: (id: number) => void, onProgress?: (percent: number) => void): Promise<Done> {
    if (this.endedWith !== undefined) return Promise.reject(new Error(this.endedWith));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(onProgress !== undefined ? { onProgress } : {}) });
      send(id);
    }).then((m) => {
      const done = m as Done;
      if (done.error !== undefined) throw new Error(done.error);
      return done;
    });
  }

  /** Progress of request `m.id` (unknown ids are ignored). */
  progress(m: Progress): void {
    this.pending.get(m.id)?.onProgress?.(m.percent);
  }

  /** An answer from the worker (unknown ids are ignored). */
  answer(m: Done): void {
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    p.resolve(m);
  }

  /** The worker is gone: everything pending fails with `reason`. */
  end(reason: string): void {
    this.endedWith ??= reason;
    this.rejectStart(new Error(reason));
    for (const p of this.pending.values()) p.reject(new Error(reason));
    this.pending.clear();
  }
}
