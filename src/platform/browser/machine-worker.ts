// Entry point of the machine's Web Worker: receives a boot request from the page, validates the
// MachineConfig and builds the machine with the core's one builder (buildMachine) on the
// browser's HostBackends, then runs it in budgeted slices, sleeping while the guest is idle.
// Console bytes, phases and speed figures go back to the page.
import { BanquiseError } from '../../base/errors.js';
import { buildMachine, kernelConsole, validateMachineConfig, type Machine, type MachineConfig, type MachineExit } from '../../machine/index.js';
import { BrowserHost } from './browser-host.js';
import { startSliceLoop } from './slice-loop.js';
import { parseToWorker, type FromWorker } from './worker-protocol.js';

declare const self: DedicatedWorkerGlobalScope;

/** Instructions per slice: tens of ms of guest time, short enough for a responsive terminal. */
export const BROWSER_SLICE_INSTRUCTIONS = 1_000_000;
/** How often speed figures are sent to the page. */
export const STATS_INTERVAL_MS = 1000;
/** Device events passed on to the page; a guest provoking errors in a loop must not flood it. */
export const MAX_EVENTS_TO_PAGE = 50;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

/** The running machine and how console input reaches it. */
interface Current {
  machine: Machine;
  wake: () => void;
}

let host: BrowserHost | undefined;
let current: Current | undefined;
let inputToVirtio = false;
let events = 0;

/** Runs boots of `config` until poweroff or failure (a guest reboot builds and boots it again). */
async function runMachine(config: MachineConfig, h: BrowserHost): Promise<void> {
  let boots = 0;
  let instructionsBefore = 0;
  for (;;) {
    post({ type: 'phase', phase: boots === 0 ? 'booting' : 'rebooting' });
    boots++;
    const machine = buildMachine(config, h);
    const bootedAt = performance.now();
    let lastStatsAt = bootedAt;
    let busyMs = 0;
    let lastInstret = 0;
    const loop = startSliceLoop<MachineExit>(
      () => {
        const t0 = performance.now();
        const s = machine.runSlice(BROWSER_SLICE_INSTRUCTIONS);
        const t1 = performance.now();
        busyMs += t1 - t0;
        if (t1 - lastStatsAt >= STATS_INTERVAL_MS) {
          const instret = machine.instret();
          post({
            type: 'stats',
            instructions: instructionsBefore + instret,
            mips: busyMs > 0 ? (instret - lastInstret) / busyMs / 1000 : 0,
            busyPercent: Math.min(100, (100 * busyMs) / (t1 - lastStatsAt)),
            uptimeMs: t1 - bootedAt,
          });
          lastStatsAt = t1;
          lastInstret = instret;
          busyMs = 0;
        }
        if (machine.exit !== undefined) return { done: machine.exit, sleepMs: 0 };
        return { sleepMs: s.sleepMs };
      },
      () => h.console.flush(),
    );
    current = { machine, wake: loop.wake };
    const exit = await loop.done;
    current = undefined;
    instructionsBefore += machine.instret();
    h.console.flush();
    if (exit.kind === 'reboot') continue;
    if (exit.kind === 'poweroff') {
      post({ type: 'phase', phase: 'poweroff' });
      return;
    }
    post({ type: 'phase', phase: 'failed', message: exit.message ?? `guest failed with code ${exit.code}` });
    return;
  }
}

function consoleInput(bytes: Uint8Array): void {
  if (host === undefined || current === undefined) return;
  if (!(inputToVirtio && host.virtioConsoleInput(bytes))) current.machine.consoleInput(bytes);
  current.wake();
}

self.onmessage = (ev: MessageEvent<unknown>): void => {
  const msg = parseToWorker(ev.data);
  if (typeof msg === 'string') {
    post({ type: 'error', message: msg });
    return;
  }
  if (msg.type === 'input') {
    consoleInput(msg.bytes);
    return;
  }
  if (host !== undefined) {
    post({ type: 'error', message: 'this worker already runs a machine (start a new worker to boot again)' });
    return;
  }
  let config: MachineConfig;
  try {
    config = validateMachineConfig(msg.config);
  } catch (err) {
    post({ type: 'phase', phase: 'failed', message: err instanceof Error ? err.message : String(err) });
    return;
  }
  // Keystrokes go to the console the guest reads: hvc0 when the kernel's console is the virtio one.
  inputToVirtio = config.devices.console === 'virtio' && kernelConsole(config.boot.cmdline)?.startsWith('hvc') === true;
  const h = new BrowserHost({
    blobs: msg.blobs,
    output: (bytes) => post({ type: 'output', bytes }, [bytes.buffer]),
    wake: () => current?.wake(),
    onEvent: (e) => {
      events++;
      if (events < MAX_EVENTS_TO_PAGE) post({ type: 'error', message: `${e.source}: ${e.message}` });
      else if (events === MAX_EVENTS_TO_PAGE) post({ type: 'error', message: `${e.source}: ${e.message} (further device events are not shown)` });
    },
  });
  host = h;
  runMachine(config, h).catch((err: unknown) => {
    const message = err instanceof BanquiseError || err instanceof Error ? err.message : String(err);
    post({ type: 'phase', phase: 'failed', message });
  });
};
