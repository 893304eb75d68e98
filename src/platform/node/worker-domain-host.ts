// DomainHost on Node: each domain's machine runs in its own worker thread with a JS heap limit
// (resourceLimits) and a heartbeat watchdog, so a device exception, a worker out of memory or
// a stuck guest ends that domain only (DESIGN.md §4; docs/architecture.md says why threads).
import { Worker, type MessagePort } from 'node:worker_threads';
import type { DomainHandle, DomainHost, DomainHostEvents, DomainStartSpec, HostKey, InjectedFault } from '../../control/domain-host.js';
import type { DomainImage } from '../../control/domain-image.js';
import { SharedRunQueue } from '../../control/shared-run-queue.js';
import { loadImageFile, type NodeImagePayload } from './domain-image-node.js';
import { WorkerRequests } from './worker-requests.js';
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
  /** Host CPUs the domains share (the credit scheduler's run queue); absent: no sharing. */
  readonly hostCpus?: number;
  /** Most domains at once; the run queue has twice as many slots (a reboot overlaps two workers). Default 256. */
  readonly maxDomains?: number;
}

const WORKER_URL = new URL('./domain-worker.js', import.meta.url);

/** Starts each domain in a worker thread. */
export class WorkerDomainHost implements DomainHost {
  private readonly runQueue: SharedRunQueue | undefined;

  constructor(private readonly opts: WorkerDomainHostOptions) {
    this.runQueue = opts.hostCpus !== undefined ? SharedRunQueue.create(2 * (opts.maxDomains ?? 256), opts.hostCpus) : undefined;
  }

  loadImage(path: string, admit?: Parameters<NonNullable<DomainHost['loadImage']>>[1]): Promise<DomainImage> {
    return loadImageFile(path, admit);
  }

  start(spec: DomainStartSpec, events: DomainHostEvents): DomainHandle {
    const o = this.opts;
    const watchdogMs = o.watchdogMs ?? 15_000;
    const links = spec.config.machine.devices.nics.map((n) =>
      n.backend.kind === 'bridge' ? o.bridges?.connect(n.backend.bridge, spec.config.name) : undefined,
    );
    const bridgePorts = links.map((l) => l?.port);
    const unlink = (): void => {
      for (const l of links) l?.close();
    };
    const { image, paused, ...identity } = spec;
    const queue = this.runQueue;
    const slot = queue?.claim() ?? -1;
    const data: DomainWorkerData = {
      ...identity,
      runtimeDir: o.runtimeDir,
      statsIntervalMs: o.statsIntervalMs ?? 250,
      bridgePorts,
      ...(queue !== undefined && slot >= 0 ? { runQueue: { buffer: queue.buffer, slot } } : {}),
      ...(image !== undefined ? { image: image.payload as NodeImagePayload } : {}),
      ...(paused === true ? { paused } : {}),
    };
    const requests = new WorkerRequests();
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
      requests.end(exit.kind === 'crash' ? exit.reason : `the domain stopped (${exit.kind})`);
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
          requests.ready();
          break;
        case 'done':
          requests.answer(m);
          break;
        case 'progress':
          requests.progress(m);
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
    worker.once('exit', () => {
      if (slot >= 0) queue?.release(slot);
    });
    worker.on('exit', (code) => finish({ kind: 'crash', reason: `the domain's worker exited (status ${code})` }));
    let lastBudget: { budgetMs: number | undefined; periodMs: number } = { budgetMs: undefined, periodMs: 0 };
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
      setCpuBudget: (budgetMs, periodMs, weight) => {
        if (weight !== undefined && slot >= 0) queue?.setWeight(slot, weight);
        // Sent only when it changes: a message wakes the worker, and an idle domain's budget
        // stays the same period after period.
        if (budgetMs === lastBudget.budgetMs && periodMs === lastBudget.periodMs) return;
        lastBudget = { budgetMs, periodMs };
        send({ type: 'budget', budgetMs, periodMs });
      },
      ready: requests.started,
      capture: async () => {
        const payload = (await requests.ask((id) => send({ type: 'capture', id }))).image!;
        return { machine: spec.config.machine, payload };
      },
      saveFile: async (path, domain, onProgress) => (await requests.ask((id) => send({ type: 'save-file', id, path, domain }), onProgress)).saved!,
      migrateOut: async (link, options) => (await migrations.run('out', link, options))!,
      migrateIn: async (link) => {
        await migrations.run('in', link);
      },
      kill: () => {
        if (!ended) requests.end('the domain was destroyed');
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
