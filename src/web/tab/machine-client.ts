// The page's handle on the machine's Web Worker: boot it, type into it, hear what it says.
import type { BootMessage, FromWorker, MachineConfig, ToWorker } from '../../platform/browser/worker-protocol.js';

/** Callbacks for what the worker reports. */
export interface MachineClientEvents {
  onMessage(msg: FromWorker): void;
  /** The worker script failed to load or threw outside the machine. */
  onCrash(message: string): void;
}

/** One machine in one module worker (a new boot gets a new worker). */
export class MachineClient {
  private readonly worker: Worker;

  constructor(workerUrl: string, events: MachineClientEvents) {
    this.worker = new Worker(workerUrl, { type: 'module', name: 'banquise-machine' });
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => events.onMessage(ev.data);
    this.worker.onerror = (ev: ErrorEvent) => events.onCrash(ev.message || 'the machine worker failed to start');
  }

  /** Boots `config`; the blobs are transferred (no longer usable here afterwards). */
  boot(config: MachineConfig, blobs: Record<string, ArrayBuffer>): void {
    const msg: BootMessage = { type: 'boot', config, blobs };
    this.send(msg, Object.values(blobs));
  }

  /** Console input (keystrokes, pastes). */
  input(bytes: Uint8Array): void {
    this.send({ type: 'input', bytes });
  }

  /** Stops the machine at once (the tab's equivalent of pulling the plug). */
  terminate(): void {
    this.worker.terminate();
  }

  private send(msg: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(msg, transfer);
  }
}
