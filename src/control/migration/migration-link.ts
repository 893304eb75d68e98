// The byte channel a live migration runs over: a duplex stream (a TCP socket between daemons,
// a MessagePort, or an in-process pair in tests).
import type { SnapshotSink } from '../snapshot/snapshot-writer.js';

/** One end of a duplex byte channel. */
export interface MigrationLink {
  /** Sends bytes to the other end (await it: backpressure). Rejects once the link is broken. */
  readonly send: SnapshotSink;
  /** Bytes from the other end, in order; ends when the other end closes. */
  readonly receive: AsyncIterable<Uint8Array>;
  /** Closes this end (the other end's `receive` ends). */
  close(): void;
  /** Closes this end with an error the other end's `receive` throws (optional). */
  fail?(message: string): void;
}

/** An unbounded in-order byte queue: push on one side, async-iterate on the other. */
class ByteQueue implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private waiter: (() => void) | undefined;
  closed = false;

  push(chunk: Uint8Array): void {
    if (this.closed) throw new Error('migration link is closed');
    this.chunks.push(chunk.slice());
    this.wakeUp();
  }

  close(): void {
    this.closed = true;
    this.wakeUp();
  }

  private wakeUp(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const c = this.chunks.shift();
      if (c !== undefined) {
        yield c;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}

/**
 * Two connected in-process ends. `send` resolves on a macrotask-free microtask, so a sender
 * that never awaits anything else would starve the event loop: the migration engine yields.
 */
export function linkPair(): [MigrationLink, MigrationLink] {
  const ab = new ByteQueue();
  const ba = new ByteQueue();
  const end = (out: ByteQueue, inp: ByteQueue): MigrationLink => ({
    send: (chunk) => out.push(chunk),
    receive: inp,
    close: () => out.close(),
  });
  return [end(ab, ba), end(ba, ab)];
}

/**
 * Joins two links: what `a` receives is sent on `b` and the other way round; when one side's
 * `receive` ends (or a send fails) both are closed. Resolves once both directions are done.
 */
export async function pipeLinks(a: MigrationLink, b: MigrationLink): Promise<void> {
  const pump = async (from: MigrationLink, to: MigrationLink): Promise<void> => {
    try {
      for await (const chunk of from.receive) await to.send(chunk);
      to.close();
      from.close();
    } catch (err) {
      const message = (err as Error).message;
      for (const l of [to, from]) {
        if (l.fail !== undefined) l.fail(message);
        else l.close();
      }
      throw err;
    }
  };
  const r = await Promise.allSettled([pump(a, b), pump(b, a)]);
  for (const x of r) if (x.status === 'rejected') throw x.reason;
}
