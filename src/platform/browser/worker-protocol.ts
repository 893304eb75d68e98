// Messages between the page and the machine's Web Worker. Plain data only (structured clone);
// ArrayBuffers are transferred. The worker checks every message it receives (parseToWorker).
import type { DiskConfig, MachineConfig } from '../../machine/machine-config.js';

export type { MachineConfig, DiskConfig };

/** Page → worker: boot `config`; `blobs` holds the bytes of every BlobRef/disk path it names. */
export interface BootMessage {
  readonly type: 'boot';
  readonly config: MachineConfig;
  readonly blobs: Readonly<Record<string, ArrayBuffer>>;
}

/** Page → worker: keystrokes for the guest console. */
export interface InputMessage {
  readonly type: 'input';
  readonly bytes: Uint8Array;
}

/** Everything the page sends. */
export type ToWorker = BootMessage | InputMessage;

/** Where a machine is in its life. */
export type MachinePhase = 'booting' | 'rebooting' | 'poweroff' | 'failed';

/** Worker → page: a phase change (with a message for `failed`). */
export interface PhaseMessage {
  readonly type: 'phase';
  readonly phase: MachinePhase;
  readonly message?: string;
}

/** Worker → page: guest console output. */
export interface OutputMessage {
  readonly type: 'output';
  readonly bytes: Uint8Array;
}

/** Worker → page: speed over the last interval (sent about once a second while running). */
export interface StatsMessage {
  readonly type: 'stats';
  /** Instructions retired since boot. */
  readonly instructions: number;
  /** Guest speed while it ran: instructions / time spent in slices, in millions per second. */
  readonly mips: number;
  /** Share of the interval the worker spent running the guest (the rest it slept: guest idle). */
  readonly busyPercent: number;
  /** Milliseconds since the machine booted. */
  readonly uptimeMs: number;
}

/** Worker → page: a request the worker could not honour (bad config, missing blob…). */
export interface ErrorMessage {
  readonly type: 'error';
  readonly message: string;
}

/** Everything the worker sends. */
export type FromWorker = PhaseMessage | OutputMessage | StatsMessage | ErrorMessage;

/** Largest console input accepted in one message (a paste); more is refused, not truncated. */
export const MAX_INPUT_BYTES = 1 << 20;

/**
 * Checks the shape of a page message; returns it typed, or a string saying what is wrong.
 * The MachineConfig inside a boot message is validated by the builder, not here.
 */
export function parseToWorker(data: unknown): ToWorker | string {
  if (typeof data !== 'object' || data === null) return 'message is not an object';
  const m = data as Record<string, unknown>;
  if (m['type'] === 'input') {
    const bytes = m['bytes'];
    if (!(bytes instanceof Uint8Array)) return 'input: bytes must be a Uint8Array';
    if (bytes.length > MAX_INPUT_BYTES) return `input: ${bytes.length} bytes in one message (at most ${MAX_INPUT_BYTES})`;
    return { type: 'input', bytes };
  }
  if (m['type'] === 'boot') {
    const config = m['config'];
    const blobs = m['blobs'];
    if (typeof config !== 'object' || config === null) return 'boot: config must be an object';
    if (typeof blobs !== 'object' || blobs === null) return 'boot: blobs must be an object';
    for (const [path, value] of Object.entries(blobs)) {
      if (!(value instanceof ArrayBuffer)) return `boot: blob ${JSON.stringify(path)} is not an ArrayBuffer`;
    }
    return { type: 'boot', config: config as MachineConfig, blobs: blobs as Record<string, ArrayBuffer> };
  }
  return `unknown message type ${JSON.stringify(m['type'])}`;
}
