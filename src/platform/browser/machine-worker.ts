// Entry point of the machine's Web Worker: receives a boot request from the page, builds the
// machine through the core's builder on browser host backends, and runs it in budgeted slices,
// sleeping while the guest is idle. Console bytes and speed figures go back to the page.
import { BanquiseError } from '../../base/errors.js';
import type { Machine, MachineExit } from '../../machine/machine.js';
import type { MachineConfig } from '../../machine/machine-config.js';
import { BrowserHost } from './browser-host.js';
import { buildMachineShim } from './build-machine-shim.js';
import { startSliceLoop } from './slice-loop.js';
import { parseToWorker, type FromWorker } from './worker-protocol.js';

declare const self: DedicatedWorkerGlobalScope;

/** Instructions per slice: ~10-40 ms of guest time, short enough for a responsive terminal. */
export const BROWSER_SLICE_INSTRUCTIONS = 1_000_000;
/** How often speed figures are sent to the page. */
export const STATS_INTERVAL_MS = 1000;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

/** Runs boots of `config` until poweroff or failure (a guest reboot boots it again). */
async function runMachine(config: MachineConfig, host: BrowserHost): Promise<void> {
  let boots = 0;
  for (;;) {
    post({ type: 'phase', phase: boots === 0 ? 'booting' : 'rebooting' });
    boots++;
    let wake = (): void => {};
    const machine: Machine = buildMachineShim(config, host, () => wake(), () => wake());
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
            instructions: instret,
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
      () => host.console.flush(),
    );
    wake = loop.wake;
    inputWake = loop.wake;
    const exit = await loop.done;
    host.console.flush();
    if (exit.kind === 'reboot') continue;
    if (exit.kind === 'poweroff') {
      post({ type: 'phase', phase: 'poweroff' });
      return;
    }
    post({ type: 'phase', phase: 'failed', message: exit.message ?? `guest failed with code ${exit.code}` });
    return;
  }
}

let host: BrowserHost | undefined;
let inputWake = (): void => {};

self.onmessage = (ev: MessageEvent<unknown>): void => {
  const msg = parseToWorker(ev.data);
  if (typeof msg === 'string') {
    post({ type: 'error', message: msg });
    return;
  }
  if (msg.type === 'input') {
    if (host?.input(msg.bytes)) inputWake();
    return;
  }
  if (host !== undefined) {
    post({ type: 'error', message: 'this worker already runs a machine (start a new worker to boot again)' });
    return;
  }
  const h = new BrowserHost({ blobs: msg.blobs, output: (bytes) => post({ type: 'output', bytes }, [bytes.buffer]) });
  host = h;
  runMachine(msg.config, h).catch((err: unknown) => {
    const message = err instanceof BanquiseError || err instanceof Error ? err.message : String(err);
    post({ type: 'phase', phase: 'failed', message });
  });
};
