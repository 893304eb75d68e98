// Live migration inside a domain's worker thread (the machine lives there): the pre-copy
// engine (control/migration/precopy.ts) over a MessagePort link to the daemon's main thread,
// which relays it to the TCP socket (and closes the port when done). Progress and the outcome
// go back as `migration` messages.
import type { MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { migrateIn, migrateOut, type MigrationProgress } from '../../control/migration/precopy.js';
import { ramBytes } from '../../control/snapshot/machine-snapshot.js';
import { SnapshotError } from '../../control/snapshot/snapshot-error.js';
import type { Machine, MachineConfig } from '../../machine/index.js';
import type { FromWorker, WorkerMigrationProgress } from './domain-worker-protocol.js';
import { hostWallClockNs } from './host-clock.js';
import { portMigrationLink } from './port-migration-link.js';
import { banquiseVersion } from './snapshot-file.js';
import { syncZlibPageCompressor } from './zlib-page-compressor.js';

/** Progress messages are sent at most this often (ms). */
const PROGRESS_INTERVAL_MS = 200;
/** The guest runs this long between two pre-copy rounds (ms). */
const ROUND_GAP_MS = 5;
/**
 * While the guest runs, the migration gives the thread back to it (one slice) after at most this
 * much continuous work (ms): sends that fit the link's window resolve without a macrotask, so a
 * full pass would otherwise starve the guest for seconds.
 */
const SHARE_MS = 20;

/** What the migration needs from the worker around the machine. */
export interface WorkerMigrationHooks {
  readonly machine: Machine;
  /** true: no guest slice runs after this returns; false: the guest runs again. */
  hold(on: boolean): void;
  post(m: FromWorker): void;
}

/** Migrates the worker's machine out over `port`; posts the outcome (the daemon destroys the source on success). */
export async function migrateOutOfWorker(port: MessagePort, downtimeBudgetMs: number | undefined, h: WorkerMigrationHooks): Promise<void> {
  const link = portMigrationLink(port);
  let bytes = 0;
  let last: MigrationProgress | undefined;
  let lastPost = 0;
  let paused = false;
  const report = (force: boolean): void => {
    const now = performance.now();
    if (!force && now - lastPost < PROGRESS_INTERVAL_MS) return;
    lastPost = now;
    const p: WorkerMigrationProgress = {
      bytesSent: bytes,
      round: last?.round ?? 0,
      dirtyPages: last?.dirtyPages ?? 0,
      dirtyRate: last?.dirtyRate ?? 0,
      phase: paused ? 'stopped' : last === undefined ? 'full-pass' : 'rounds',
    };
    h.post({ type: 'migration', progress: p });
  };
  let workSince = performance.now();
  const counted = {
    ...link,
    send: async (chunk: Uint8Array): Promise<void> => {
      bytes += chunk.length;
      report(false);
      await link.send(chunk);
      if (!paused && performance.now() - workSince > SHARE_MS) {
        await new Promise((r) => setImmediate(r)); // the run loop's slice is queued first
        workSince = performance.now();
      }
    },
  };
  try {
    const info = await migrateOut(h.machine, counted, {
      banquiseVersion: banquiseVersion(),
      wallClockNs: hostWallClockNs,
      nowMs: () => performance.now(),
      pause: () => {
        paused = true;
        h.hold(true);
      },
      resume: () => {
        paused = false;
        h.hold(false);
      },
      yieldToGuest: () => new Promise((r) => setTimeout(r, ROUND_GAP_MS)),
      compressor: syncZlibPageCompressor(),
      ...(downtimeBudgetMs !== undefined ? { downtimeBudgetMs } : {}),
      onProgress: (p) => {
        last = p;
        report(true);
      },
    });
    h.post({ type: 'migration', done: { ok: true, info } });
  } catch (err) {
    h.post({ type: 'migration', done: { ok: false, message: (err as Error).message } });
  }
}

/**
 * Receives a guest over `port` into the worker's machine (built without booting, RAM zero):
 * pages land in its RAM while the source still runs; at END the state is applied, the guest
 * started and RUNNING sent. Any failure is posted; the daemon then discards this domain.
 */
export async function migrateIntoWorker(port: MessagePort, expected: MachineConfig, h: WorkerMigrationHooks): Promise<void> {
  const link = portMigrationLink(port);
  try {
    const got = await migrateIn(link, {
      compressor: syncZlibPageCompressor(),
      prepare: (header) => {
        const c = header.config;
        if (header.purpose !== 'migration') throw new SnapshotError(`the stream is a ${header.purpose}, not a migration`);
        if (c.memoryBytes !== expected.memoryBytes || c.vcpus !== expected.vcpus || c.mode !== expected.mode) {
          throw new SnapshotError(`the stream's machine (${c.mode}, ${c.memoryBytes >> 20} MiB, ${c.vcpus} vCPUs) is not the one announced (${expected.mode}, ${expected.memoryBytes >> 20} MiB, ${expected.vcpus} vCPUs)`);
        }
      },
      ram: () => ramBytes(h.machine.mem),
    });
    try {
      h.machine.restore(got.state);
    } catch (err) {
      await got.fail((err as Error).message);
      throw err;
    }
    h.hold(false);
    await got.confirmRunning();
    h.post({ type: 'migration', done: { ok: true } });
  } catch (err) {
    h.hold(true);
    h.post({ type: 'migration', done: { ok: false, message: (err as Error).message } });
  }
}
