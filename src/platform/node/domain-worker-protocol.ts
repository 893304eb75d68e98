// Messages between the daemon's main thread and a domain's worker thread (structured clone).
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
}

/** Main thread → worker. */
export type ToWorker =
  | { readonly type: 'pause' }
  | { readonly type: 'unpause' }
  | { readonly type: 'input'; readonly bytes: Uint8Array }
  | { readonly type: 'key'; readonly key: HostKey }
  | { readonly type: 'memory-target'; readonly bytes: number }
  | { readonly type: 'fault'; readonly fault: InjectedFault };

/** Worker → main thread. */
export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'console'; readonly bytes: Uint8Array }
  | { readonly type: 'stats'; readonly stats: DomainStats }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'exit'; readonly exit: DomainExit };
