// Messages between the daemon's main thread and a domain's worker thread (structured clone).
import type { MessagePort } from 'node:worker_threads';
import type { DomainConfig } from '../../control/domain-config.js';
import type { HostKey, InjectedFault } from '../../control/domain-host.js';
import type { DomainExit, DomainStats } from '../../control/domain-state.js';
import type { MigrationInfo } from '../../control/migration/precopy.js';
import type { MigrationProgressReport } from '../../control/domain-host.js';

/** Progress of an outgoing migration (worker → main). */
export type WorkerMigrationProgress = MigrationProgressReport;

/** workerData of a domain worker. */
export interface DomainWorkerData {
  readonly id: number;
  readonly uuid: string;
  readonly config: DomainConfig;
  /** Folder for the domain's host sockets (vsock). */
  readonly runtimeDir: string;
  /** Milliseconds between stats messages (also the worker's heartbeat). */
  readonly statsIntervalMs: number;
  /** Per nic index: the channel to its bridge (transferred), for nics on a bridge. */
  readonly bridgePorts: readonly (MessagePort | undefined)[];
  /** Build the machine without booting and wait for a `migrate-in` (a migration destination). */
  readonly incoming?: boolean;
}

/** Main thread → worker. */
export type ToWorker =
  | { readonly type: 'pause' }
  | { readonly type: 'unpause' }
  | { readonly type: 'input'; readonly bytes: Uint8Array }
  | { readonly type: 'key'; readonly key: HostKey }
  | { readonly type: 'memory-target'; readonly bytes: number }
  | { readonly type: 'fault'; readonly fault: InjectedFault }
  | { readonly type: 'budget'; readonly budgetMs: number | undefined; readonly periodMs: number }
  /** Live migration over `port` (transferred; see port-migration-link.ts), out or in. */
  | { readonly type: 'migrate-out'; readonly port: MessagePort; readonly downtimeBudgetMs?: number }
  | { readonly type: 'migrate-in'; readonly port: MessagePort };

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'console'; readonly bytes: Uint8Array }
  | { readonly type: 'stats'; readonly stats: DomainStats }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'exit'; readonly exit: DomainExit }
  | { readonly type: 'migration'; readonly progress?: WorkerMigrationProgress; readonly done?: { readonly ok: boolean; readonly message?: string; readonly info?: MigrationInfo } };
