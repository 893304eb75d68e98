// Entry of a domain's worker thread: builds the domain's machine and runs it in budgeted
// slices (pause stops the slices), forwarding console output and stats to the main thread.
// Anything thrown here ends this worker only; the main thread marks the domain crashed.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { DomainExit, DomainStats } from '../../control/domain-state.js';
import { SharedRunQueue } from '../../control/shared-run-queue.js';
import { SliceGate } from '../../control/slice-gate.js';
import { buildDomainMachine } from './domain-machine.js';
import { answerSnapshotRequest } from './domain-worker-snapshot.js';
import { FramePort } from './net/frame-port.js';
import type { DomainWorkerData, FromWorker, ToWorker } from './domain-worker-protocol.js';
import { startRunLoop } from './run-loop.js';
import { openThreadCpuClock } from './thread-cpu-clock.js';
import { migrateIntoWorker, migrateOutOfWorker, type WorkerMigrationHooks } from './domain-worker-migration.js';

/** Instructions per slice (as `banquise run`). */
const SLICE_INSTRUCTIONS = 2_000_000;
/** Console output is sent in chunks of at most this many bytes. */
const CONSOLE_CHUNK_BYTES = 16 * 1024;
/** Stats (heartbeat) are this many times less frequent while the guest idles or is paused. */
const IDLE_STATS_FACTOR = 4;
/** Device events forwarded to the daemon's log per boot. */
const LOG_EVENTS_MAX = 100;

const port = parentPort!;
const data = workerData as DomainWorkerData;
const tData = performance.now();
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
  // A domain continued from an image may be a copy of one still running: its own vsock socket.
  ...(data.image !== undefined ? { image: data.image, vsockPath: `${data.runtimeDir}/vsock-${data.config.machine.devices.vsock?.guestCid}-${data.config.name}` } : {}),
  boot: data.incoming !== true,
  ...(data.config.jit !== undefined ? { jit: data.config.jit } : {}),
  ...(data.config.jitThreshold !== undefined ? { jitThreshold: data.config.jitThreshold } : {}),
  // Device warnings and errors go to the daemon's log, at most LOG_EVENTS_MAX per boot (a
  // guest that provokes errors in a loop must not flood it; the counters keep counting).
  onEvent: (e) => {
    if (e.level !== 'warn' && e.level !== 'error') return;
    if (++logged <= LOG_EVENTS_MAX) post({ type: 'log', line: `${e.source}: ${e.message}${logged === LOG_EVENTS_MAX ? ' (further device events not logged)' : ''}` });
  },
});
const machine = dm.machine;
const devices = machine.devices;
let paused = data.paused === true;
/** Atomics.waitAsync (ES2024, in Node 20; this folder compiles against ES2022). */
const atomicsWaitAsync = (Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number, timeoutMs: number): { async: boolean; value: unknown } }).waitAsync;
// The credit scheduler's gate (budget per period, turn in the daemon's run queue), billing this
// thread's own CPU time (its whole work: slices, devices, messages).
const cpuClock = openThreadCpuClock();
const gate = new SliceGate(
  {
    ...(cpuClock !== undefined ? { cpuMs: () => cpuClock.cpuMs() } : {}),
    ...(data.runQueue !== undefined ? { queue: { queue: new SharedRunQueue(data.runQueue.buffer), slot: data.runQueue.slot } } : {}),
  },
  performance.now(),
);
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
  const jit = machine.jitInfo();
  return {
    instructions: machine.instret(),
    cpuMs: gate.cpuMs(),
    idle,
    blockReadBytes,
    blockWriteBytes,
    netRxFrames,
    netTxFrames,
    devices: machine.deviceInfo(),
    waitMs: gate.waitMs,
    ...(jit !== undefined ? { jit } : {}),
    ...(balloon !== undefined ? { balloonTargetBytes: data.config.machine.memoryBytes - balloon.targetPages * 4096 } : {}),
  };
};
// Stats double as the heartbeat: every statsIntervalMs while the guest is busy, four times
// less often while it idles in wfi or is paused, since each wake-up costs host CPU.
let heartbeat: ReturnType<typeof setTimeout> | undefined;
const beat = (): void => {
  const s = stats();
  post({ type: 'stats', stats: s });
  heartbeat = setTimeout(beat, s.idle || paused ? data.statsIntervalMs * IDLE_STATS_FACTOR : data.statsIntervalMs);
};
heartbeat = setTimeout(beat, data.statsIntervalMs);

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
      gate.setBudget(m.budgetMs, m.periodMs);
      break;
    case 'capture':
    case 'save-file':
      answerSnapshotRequest(machine, dm.ramTracked, m, post);
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
if (data.image !== undefined) post({ type: 'log', line: `continued from a saved state: machine built and ${data.image.pages.length} pages copied in ${(performance.now() - tData).toFixed(0)} ms` });
const loop = startRunLoop<DomainExit>(
  () => {
    if (paused || migrationHold) {
      gate.pause();
      return { sleepMs: 1000 };
    }
    release();
    const wait = gate.admit(performance.now());
    if (wait > 0) {
      // Waiting for its turn: sleep on the run queue's signal, so the domain wakes as soon as
      // another one finishes its slice rather than polling.
      const turn = gate.turnWait();
      if (turn !== undefined) {
        const w = atomicsWaitAsync(turn.signal, 0, turn.value, wait);
        if (!w.async) return { sleepMs: 0 }; // the signal moved already: ask again
        void (w.value as Promise<unknown>).then(() => wakeLoop());
      }
      return { sleepMs: wait };
    }
    const s = machine.runSlice(SLICE_INSTRUCTIONS);
    idle = s.reason === 'idle';
    gate.done(performance.now(), idle);
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
clearTimeout(heartbeat);
post({ type: 'stats', stats: stats() });
post({ type: 'exit', exit });
await dm.close();
cpuClock?.close();
port.close();
