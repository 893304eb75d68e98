// DomainHost on Node: each domain's machine runs in its own worker thread with a JS heap limit
// (resourceLimits) and a heartbeat watchdog, so a device exception, a worker out of memory or
// a stuck guest ends that domain only (DESIGN.md §4; docs/architecture.md says why threads).
import { Worker, type MessagePort } from 'node:worker_threads';
import type { DomainConfig } from '../../control/domain-config.js';
import type { DomainHandle, DomainHost, DomainHostEvents, HostKey, InjectedFault } from '../../control/domain-host.js';
import type { DomainWorkerData, FromWorker, ToWorker } from './domain-worker-protocol.js';
import type { NodeBridges } from './net/bridges.js';
import { WorkerMigrationRelay } from './worker-migration-relay.js';

/** Limits of a domain worker. */
export interface WorkerDomainHostOptions {
  /** Folder for the domains' host sockets. */
  readonly runtimeDir: string;
  /** V8 old-generation heap of a worker in MiB (guest RAM is outside it). Default 256. */
  readonly heapLimitMb?: number;
  /** A worker silent for this long is declared stuck and stopped. Default 15000. */
  readonly watchdogMs?: number;
  /** A worker that is not ready after this long (loading kernel, opening disks) is stopped. Default 120000. */
  readonly startTimeoutMs?: number;
  /** Stats/heartbeat period. Default 250. */
  readonly statsIntervalMs?: number;
  /** The daemon's bridges (nics with a bridge backend join them). */
  readonly bridges?: NodeBridges;
}

const WORKER_URL = new URL('./domain-worker.js', import.meta.url);

/** Starts each domain in a worker thread. */
export class WorkerDomainHost implements DomainHost {
  constructor(private readonly opts: WorkerDomainHostOptions) {}

  start(spec: { readonly id: number; readonly uuid: string; readonly config: DomainConfig; readonly incoming?: boolean }, events: DomainHostEvents): DomainHandle {
    const o = this.opts;
    const watchdogMs = o.watchdogMs ?? 15_000;
    const links = spec.config.machine.devices.nics.map((n) =>
      n.backend.kind === 'bridge' ? o.bridges?.connect(n.backend.bridge, spec.config.name) : undefined,
    );
    const bridgePorts = links.map((l) => l?.port);
    const unlink = (): void => {
      for (const l of links) l?.close();
    };
    const data: DomainWorkerData = { ...spec, runtimeDir: o.runtimeDir, statsIntervalMs: o.statsIntervalMs ?? 250, bridgePorts };
    const worker = new Worker(WORKER_URL, {
      workerData: data,
      transferList: bridgePorts.filter((p): p is MessagePort => p !== undefined),
      resourceLimits: { maxOldGenerationSizeMb: o.heapLimitMb ?? 256, maxYoungGenerationSizeMb: 32 },
      stdout: false,
      stderr: false,
    });
    let ended = false;
    let ready = false;
    let lastBeat = Date.now();
    const startedAt = Date.now();
    let gone: Promise<void> | undefined;
    const finish = (exit: Parameters<DomainHostEvents['exit']>[0]): void => {
      if (ended) return;
      ended = true;
      migrations.abort(`the domain stopped during the migration (${exit.kind === 'crash' ? exit.reason : exit.kind})`);
      clearInterval(watchdog);
      unlink();
      events.exit(exit);
    };
    const watchdog = setInterval(() => {
      const now = Date.now();
      if (!ready && now - startedAt > (o.startTimeoutMs ?? 120_000)) {
        void worker.terminate();
        finish({ kind: 'crash', reason: `the domain did not start within ${Math.round((o.startTimeoutMs ?? 120_000) / 1000)} s` });
      } else if (ready && now - lastBeat > watchdogMs) {
        void worker.terminate();
        finish({ kind: 'crash', reason: `no progress: the domain's worker did not answer for ${Math.round(watchdogMs / 1000)} s (stopped)` });
      }
    }, Math.min(1000, watchdogMs / 4));
    worker.on('message', (m: FromWorker) => {
      lastBeat = Date.now();
      switch (m.type) {
        case 'ready':
          ready = true;
          break;
        case 'console':
          events.output(m.bytes);
          break;
        case 'stats':
          events.stats(m.stats);
          break;
        case 'log':
          events.log(m.line);
          break;
        case 'exit':
          finish(m.exit);
          break;
        case 'migration':
          migrations.onMessage(m);
          break;
      }
    });
    worker.on('error', (err: Error & { code?: string }) => {
      const reason =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `out of memory: the domain's worker exceeded its ${o.heapLimitMb ?? 256} MiB heap limit`
          : `host error in the domain: ${err.message}`;
      finish({ kind: 'crash', reason });
    });
    worker.on('exit', (code) => finish({ kind: 'crash', reason: `the domain's worker exited (status ${code})` }));
    const send = (m: ToWorker, transfer: readonly MessagePort[] = []): void => {
      if (!ended) worker.postMessage(m, transfer);
    };
    const migrations = new WorkerMigrationRelay(send);
    return {
      pause: () => send({ type: 'pause' }),
      unpause: () => send({ type: 'unpause' }),
      input: (bytes) => send({ type: 'input', bytes }),
      pressKey: (key: HostKey) => send({ type: 'key', key }),
      setMemoryTarget: (bytes) => send({ type: 'memory-target', bytes }),
      injectFault: (fault: InjectedFault) => send({ type: 'fault', fault }),
      setCpuBudget: (budgetMs, periodMs) => send({ type: 'budget', budgetMs, periodMs }),
      migrateOut: async (link, options) => (await migrations.run('out', link, options))!,
      migrateIn: async (link) => {
        await migrations.run('in', link);
      },
      kill: () => {
        migrations.abort('the domain was destroyed during the migration');
        ended = true;
        clearInterval(watchdog);
        unlink();
        gone ??= worker.terminate().then(() => undefined);
        return gone;
      },
    };
  }
}
