// A MigrationLink over a MessagePort: how a domain's worker thread reaches the migration socket
// the daemon's main thread holds (a socket cannot move to a worker). Flow control by credit:
// at most WINDOW_BYTES are unacknowledged in each direction, and the receiver acknowledges a
// chunk once its consumer has taken it, so a slow reader slows the sender (and the TCP socket).
import type { MessagePort } from 'node:worker_threads';
import type { MigrationLink } from '../../control/migration/migration-link.js';

/** Unacknowledged bytes allowed in flight in one direction. */
export const WINDOW_BYTES = 8 * 1024 * 1024;

/** What the two ends of the port exchange. */
type PortMessage =
  | { readonly kind: 'data'; readonly bytes: Uint8Array }
  | { readonly kind: 'ack'; readonly n: number }
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly message: string };

/**
 * One end of a link over `port` (the other end is `portMigrationLink` of the paired port).
 * `close` ends the other side's `receive`; `fail` also makes its `send` reject with `message`.
 */
export function portMigrationLink(port: MessagePort): MigrationLink & { fail(message: string): void } {
  const queue: Uint8Array[] = [];
  let ended = false;
  /** Set when the other end closed or failed: sends reject with it. */
  let broken: Error | undefined;
  /** Set when the other end failed: `receive` throws it after the queued chunks. */
  let failed: Error | undefined;
  let unacked = 0;
  let wakeReader: (() => void) | undefined;
  let wakeWriter: (() => void) | undefined;
  const wake = (): void => {
    const r = wakeReader;
    const w = wakeWriter;
    wakeReader = undefined;
    wakeWriter = undefined;
    r?.();
    w?.();
  };
  const post = (m: PortMessage): void => port.postMessage(m);
  port.on('message', (m: PortMessage) => {
    switch (m.kind) {
      case 'data':
        queue.push(m.bytes);
        break;
      case 'ack':
        unacked -= m.n;
        break;
      case 'end':
        ended = true;
        broken ??= new Error('the other end closed the migration link');
        break;
      case 'error':
        ended = true;
        failed ??= new Error(m.message);
        broken ??= failed;
        break;
    }
    wake();
  });
  port.on('close', () => {
    ended = true;
    failed ??= new Error('migration channel closed');
    broken ??= failed;
    wake();
  });
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    post({ kind: 'end' });
  };
  return {
    send: async (chunk) => {
      if (broken !== undefined) throw broken;
      if (closed) throw new Error('migration link is closed');
      post({ kind: 'data', bytes: chunk.slice() });
      unacked += chunk.length;
      while (unacked > WINDOW_BYTES && broken === undefined) await new Promise<void>((r) => (wakeWriter = r));
      if (broken !== undefined) throw broken;
    },
    receive: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const c = queue.shift();
          if (c !== undefined) {
            post({ kind: 'ack', n: c.length });
            yield c;
            continue;
          }
          if (failed !== undefined) throw failed;
          if (ended) return;
          await new Promise<void>((r) => (wakeReader = r));
        }
      },
    },
    close,
    fail: (message) => {
      if (closed) return;
      closed = true;
      post({ kind: 'error', message });
    },
  };
}
