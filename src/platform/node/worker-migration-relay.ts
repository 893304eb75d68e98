// The main-thread side of a domain worker's live migration: a MessageChannel to the worker,
// piped to the MigrationLink the daemon opened (the TCP socket), and the worker's `migration`
// messages turned into the progress callback and the outcome.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { MigrationProgressReport } from '../../control/domain-host.js';
import { pipeLinks, type MigrationLink } from '../../control/migration/migration-link.js';
import type { MigrationInfo } from '../../control/migration/precopy.js';
import type { FromWorker, ToWorker } from './domain-worker-protocol.js';
import { portMigrationLink } from './port-migration-link.js';

/** After the outcome, the relay waits this long for the peer to close before cutting the link (ms). */
const LINGER_MS = 5000;

interface Pending {
  readonly resolve: (info: MigrationInfo | undefined) => void;
  readonly reject: (err: Error) => void;
  readonly onProgress?: (p: MigrationProgressReport) => void;
}

/** At most one migration at a time per worker. */
export class WorkerMigrationRelay {
  private pending: Pending | undefined;

  constructor(private readonly send: (m: ToWorker, transfer: readonly MessagePort[]) => void) {}

  /** Starts a migration out (`downtimeBudgetMs`, progress) or in over `link`; resolves with the outcome. */
  run(direction: 'out' | 'in', link: MigrationLink, options: { downtimeBudgetMs?: number; onProgress?: (p: MigrationProgressReport) => void } = {}): Promise<MigrationInfo | undefined> {
    if (this.pending !== undefined) return Promise.reject(new Error('a migration of this domain is already running'));
    const { port1, port2 } = new MessageChannel();
    const outcome = new Promise<MigrationInfo | undefined>((resolve, reject) => {
      this.pending = { resolve, reject, ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}) };
    });
    const relay = pipeLinks(link, portMigrationLink(port1)).catch(() => {
      // A broken link also fails the engine in the worker, which reports the reason.
    });
    const cleanup = (): void => {
      const timer = setTimeout(() => {
        link.close();
        port1.close();
      }, LINGER_MS);
      void relay.then(() => {
        clearTimeout(timer);
        port1.close();
      });
    };
    void outcome.then(cleanup, cleanup);
    if (direction === 'out') this.send({ type: 'migrate-out', port: port2, ...(options.downtimeBudgetMs !== undefined ? { downtimeBudgetMs: options.downtimeBudgetMs } : {}) }, [port2]);
    else this.send({ type: 'migrate-in', port: port2 }, [port2]);
    return outcome;
  }

  /** A `migration` message of the worker. */
  onMessage(m: Extract<FromWorker, { type: 'migration' }>): void {
    const p = this.pending;
    if (p === undefined) return;
    if (m.progress !== undefined) p.onProgress?.(m.progress);
    if (m.done !== undefined) {
      this.pending = undefined;
      if (m.done.ok) p.resolve(m.done.info);
      else p.reject(new Error(m.done.message ?? 'migration failed'));
    }
  }

  /** The worker is gone: a running migration fails. */
  abort(reason: string): void {
    const p = this.pending;
    this.pending = undefined;
    p?.reject(new Error(reason));
  }
}
