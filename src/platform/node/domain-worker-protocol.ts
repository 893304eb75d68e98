// Messages between the daemon's main thread and a domain's worker thread (structured clone).
import type { MessagePort } from 'node:worker_threads';
import type { DomainConfig } from '../../control/domain-config.js';
import type { HostKey, InjectedFault } from '../../control/domain-host.js';
import type { DomainExit, DomainStats } from '../../control/domain-state.js';

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
}

/** Main thread → worker. */
export type ToWorker =
  | { readonly type: 'pause' }
  | { readonly type: 'unpause' }
  | { readonly type: 'input'; readonly bytes: Uint8Array }
  | { readonly type: 'key'; readonly key: HostKey }
  | { readonly type: 'memory-target'; readonly bytes: number }
  | { readonly type: 'fault'; readonly fault: InjectedFault }
  | { readonly type: 'budget'; readonly budgetMs: number | undefined; readonly periodMs: number };

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'console'; readonly bytes: Uint8Array }
  | { readonly type: 'stats'; readonly stats: DomainStats }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'exit'; readonly exit: DomainExit };
