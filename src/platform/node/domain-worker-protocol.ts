// Messages between the daemon's main thread and a domain's worker thread (structured clone).
import type { MessagePort } from 'node:worker_threads';
import type { DomainConfig } from '../../control/domain-config.js';
import type { HostKey, InjectedFault } from '../../control/domain-host.js';
import type { SaveInfo, SavedDomain } from '../../control/domain-image.js';
import type { NodeImagePayload } from './domain-image-node.js';
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
  /** The daemon's run queue (control/shared-run-queue.ts) and this domain's slot, when CPUs are shared. */
  readonly runQueue?: { readonly buffer: SharedArrayBuffer; readonly slot: number };
  /** Continue this machine instead of booting (restore, fork). */
  readonly image?: NodeImagePayload;
  /** Start paused (restore -p). */
  readonly paused?: boolean;
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
  | { readonly type: 'capture'; readonly id: number }
  | { readonly type: 'save-file'; readonly id: number; readonly path: string; readonly domain: SavedDomain }
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
  /** A save-file request `id` has written `percent` of the RAM. */
  | { readonly type: 'progress'; readonly id: number; readonly percent: number }
  /** Answer to capture / save-file `id`: the image or the save's figures, or why it failed. */
  | { readonly type: 'done'; readonly id: number; readonly image?: NodeImagePayload; readonly saved?: SaveInfo; readonly error?: string }

  | { readonly type: 'migration'; readonly progress?: WorkerMigrationProgress; readonly done?: { readonly ok: boolean; readonly message?: string; readonly info?: MigrationInfo } };
