// Entry of a domain's worker thread: builds the domain's machine and runs it in budgeted
// slices (pause stops the slices), forwarding console output and stats to the main thread.
// Anything thrown here ends this worker only; the main thread marks the domain crashed.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { DomainExit, DomainStats } from '../../control/domain-state.js';
import { buildDomainMachine } from './domain-machine.js';
import { FramePort } from './net/frame-port.js';
import type { DomainWorkerData, FromWorker, ToWorker } from './domain-worker-protocol.js';
import { startRunLoop } from './run-loop.js';
import { migrateIntoWorker, migrateOutOfWorker, type WorkerMigrationHooks } from './domain-worker-migration.js';

/** Instructions per slice (as `banquise run`). */
const SLICE_INSTRUCTIONS = 2_000_000;
/** Console output is sent in chunks of at most this many bytes. */
const CONSOLE_CHUNK_BYTES = 16 * 1024;
/** Device events forwarded to the daemon's log per boot. */
const LOG_EVENTS_MAX = 100;

const port = parentPort!;
const data = workerData as DomainWorkerData;
const post = (m: FromWorker): void => port.postMessage(m);

let out: Uint8Array[] = [];
let outBytes = 0;
const flush = (): void => {
  if (outBytes === 0) return;
  const all = new Uint8Array(outBytes);
  let o = 0;
  for (const b of out) {
    all.set(b, o);
    o += b.length;
  }
  out = [];
  outBytes = 0;
  for (let i = 0; i < all.length; i += CONSOLE_CHUNK_BYTES) post({ type: 'console', bytes: all.slice(i, i + CONSOLE_CHUNK_BYTES) });
};

let wakeLoop = (): void => {};
let logged = 0;
const dm = await buildDomainMachine(data.config.machine, {
  console: {
    write: (bytes) => {
      out.push(Uint8Array.from(bytes));
      outBytes += bytes.length;
    },
  },
  wake: () => wakeLoop(),
  runtimeDir: data.runtimeDir,
  bridgePort: (i) => {
    const p = data.bridgePorts[i];
    if (p === undefined) throw new Error(`nic ${i} has no bridge channel`);
    return new FramePort(p);
  },
  boot: data.incoming !== true,
  // Device warnings and errors go to the daemon's log, at most LOG_EVENTS_MAX per boot (a
  // guest that provokes errors in a loop must not flood it; the counters keep counting).
  onEvent: (e) => {
    if (e.level !== 'warn' && e.level !== 'error') return;
    if (++logged <= LOG_EVENTS_MAX) post({ type: 'log', line: `${e.source}: ${e.message}${logged === LOG_EVENTS_MAX ? ' (further device events not logged)' : ''}` });
  },
});
const machine = dm.machine;
const devices = machine.devices;
let paused = false;
/** Held by a live migration: a destination until the guest arrived, a source while it is stopped. */
let migrationHold = data.incoming === true;
const migration: WorkerMigrationHooks = {
  machine,
  hold: (on) => {
    migrationHold = on;
    if (!on) wakeLoop();
  },
  post,
};
let cpuMs = 0;
// Credit (the scheduler's budget): refilled every period, overuse carried as debt; while it is
// not positive the loop sleeps to the next period and the time counts as waiting.
let budgetMs: number | undefined;
let periodMs = 100;
let periodStart = performance.now();
let credit = Infinity;
let waitMs = 0;
let heldSince: number | undefined;
let idle = false;
let held: Uint8Array[] = [];
const release = (): void => {
  // Input typed before the guest's serial driver listens would be lost in its FIFO reset.
  if (held.length === 0 || !machine.serialReaderPresent()) return;
  for (const b of held) machine.consoleInput(b);
  held = [];
};

const stats = (): DomainStats => {
  let blockReadBytes = 0;
  let blockWriteBytes = 0;
  for (const b of devices.blocks) {
    blockReadBytes += b.stats.readBytes;
    blockWriteBytes += b.stats.writeBytes;
  }
  let netRxFrames = 0;
  let netTxFrames = 0;
  for (const n of devices.nets) {
    netRxFrames += n.stats.rxFrames;
    netTxFrames += n.stats.txFrames;
  }
  const balloon = devices.balloon?.info();
  return {
    instructions: machine.instret(),
    cpuMs,
    idle,
    blockReadBytes,
    blockWriteBytes,
    netRxFrames,
    netTxFrames,
    devices: machine.deviceInfo(),
    waitMs,
    ...(balloon !== undefined ? { balloonTargetBytes: data.config.machine.memoryBytes - balloon.targetPages * 4096 } : {}),
  };
};
const heartbeat = setInterval(() => post({ type: 'stats', stats: stats() }), data.statsIntervalMs);

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'pause':
      paused = true;
      break;
    case 'unpause':
      paused = false;
      break;
    case 'input':
      held.push(m.bytes);
      release();
      break;
    case 'key':
      devices.input?.pressKey(m.key);
      break;
    case 'memory-target':
      devices.balloon?.setTargetBytes(data.config.machine.memoryBytes - m.bytes);
      break;
    case 'fault':
      injectFault(m.fault);
      break;
    case 'budget':
      budgetMs = m.budgetMs;
      periodMs = m.periodMs;
      credit = budgetMs === undefined ? Infinity : Number.isFinite(credit) ? Math.min(credit, budgetMs) : budgetMs;
      break;
    case 'migrate-out':
      void migrateOutOfWorker(m.port, m.downtimeBudgetMs, migration);
      break;
    case 'migrate-in':
      void migrateIntoWorker(m.port, data.config.machine, migration);
      break;
  }
  wakeLoop();
});

/** Test-only failures, each a different way a domain can die (see DomainHandle.injectFault). */
function injectFault(kind: 'throw' | 'oom' | 'hang'): void {
  if (kind === 'throw') {
    setImmediate(() => {
      throw new Error('injected fault: a device model threw');
    });
  } else if (kind === 'oom') {
    setImmediate(() => {
      const hog: unknown[] = [];
      for (;;) hog.push(new Array(1 << 20).fill(hog.length));
    });
  } else {
    setImmediate(() => {
      for (;;) {
        // A guest-triggered host loop: the heartbeat stops, the main thread's watchdog acts.
      }
    });
  }
}

post({ type: 'ready' });
const loop = startRunLoop<DomainExit>(
  () => {
    if (paused || migrationHold) return { sleepMs: 1000 };
    release();
    const t0 = performance.now();
    if (t0 - periodStart >= periodMs) {
      periodStart = t0;
      credit = budgetMs === undefined ? Infinity : Math.min(credit, 0) + budgetMs;
    }
    if (credit <= 0) {
      heldSince ??= t0;
      return { sleepMs: Math.max(1, Math.ceil(periodStart + periodMs - t0)) };
    }
    if (heldSince !== undefined) {
      waitMs += t0 - heldSince;
      heldSince = undefined;
    }
    const s = machine.runSlice(SLICE_INSTRUCTIONS);
    const t1 = performance.now();
    cpuMs += t1 - t0;
    credit -= t1 - t0;
    idle = s.reason === 'idle';
    const e = machine.exit;
    if (e !== undefined) {
      if (e.kind === 'fail') return { done: { kind: 'crash', reason: e.message ?? `guest failed with code ${e.code}` }, sleepMs: 0 };
      return { done: { kind: e.kind }, sleepMs: 0 };
    }
    return { sleepMs: s.sleepMs };
  },
  flush,
);
wakeLoop = loop.wake;
const exit = await loop.done;
flush();
clearInterval(heartbeat);
post({ type: 'stats', stats: stats() });
post({ type: 'exit', exit });
await dm.close();
port.close();
