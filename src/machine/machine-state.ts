// The whole machine as versioned plain data (DESIGN.md §4): what `Machine.save()` returns and
// `buildMachine(config, backends, { state })` restores. Everything is JSON-compatible except
// `ram`, a Uint8Array (a save file streams it page by page: `ramPages`). The stream format and
// migration belong to the save-file layer, not here.
import type { HartState } from '../cpu/hart.js';
import type { ClintState } from '../devices/clint/clint.js';
import type { GoldfishRtcState } from '../devices/goldfish-rtc/goldfish-rtc.js';
import type { PlicState } from '../devices/plic/plic.js';
import type { SifiveTestState } from '../devices/sifive-test/sifive-test.js';
import type { Uart16550State } from '../devices/uart16550/uart16550.js';
import type { VirtioMmioState } from '../devices/virtio/virtio-mmio.js';
import type { MachineConfig } from './machine-config.js';
import type { MachineExit } from './machine.js';

/** Format version of MachineState (bumped on incompatible change). */
export const MACHINE_STATE_VERSION = 1;

/** A pending SBI hart start or non-retentive resume (addresses as 0x-hex strings: JSON has no u64). */
export interface HartEntryState {
  readonly nonRetentive: boolean;
  readonly addr: string;
  readonly opaque: string;
}

/** A snapshot of a whole machine. */
export interface MachineState {
  readonly version: typeof MACHINE_STATE_VERSION;
  /** The config the machine was built from: restore builds the same board from it. */
  readonly config: MachineConfig;
  /** Every hart: registers, CSRs, pc, privilege, LR reservation, FP state (TLBs are flushed on restore). */
  readonly harts: readonly HartState[];
  /** SBI HSM state of each hart (HsmState), pending starts and suspended harts' resume points. */
  readonly hsm: readonly number[];
  readonly hartStarts: readonly (HartEntryState | null)[];
  readonly hartResumes: readonly (HartEntryState | null)[];
  /** Next hart of the round-robin. */
  readonly nextHart: number;
  /** Console input kept for SBI console reads, oldest first. */
  readonly sbiInput: readonly number[];
  readonly clint: ClintState;
  readonly plic: PlicState;
  readonly uart: Uart16550State;
  readonly rtc: GoldfishRtcState;
  readonly test: SifiveTestState;
  /** Each virtio-mmio slot's transport and device, by slot (null: empty slot). */
  readonly virtio: readonly (VirtioMmioState | null)[];
  /** Set when the guest had already powered off, rebooted or failed. */
  readonly exit?: MachineExit;
  /** Guest RAM, `config.memoryBytes` long (a copy: the machine runs on after `save`). */
  readonly ram: Uint8Array;
}

/** Page size of `ramPages`. */
export const RAM_PAGE_BYTES = 4096;

/** One page of RAM: its index (offset / RAM_PAGE_BYTES) and its bytes (a view into `ram`). */
export interface RamPage {
  readonly index: number;
  readonly bytes: Uint8Array;
}

/**
 * The pages of `ram` in address order, as views (no copy). With `skipZero`, pages that are all
 * zero are left out (a fresh guest's RAM is mostly zero: a save file stores only the rest).
 */
export function* ramPages(ram: Uint8Array, opts: { skipZero?: boolean } = {}): Generator<RamPage> {
  const words = ram.byteOffset % 4 === 0 ? new Uint32Array(ram.buffer, ram.byteOffset, Math.floor(ram.length / 4)) : undefined;
  const pages = Math.ceil(ram.length / RAM_PAGE_BYTES);
  for (let index = 0; index < pages; index++) {
    const start = index * RAM_PAGE_BYTES;
    const bytes = ram.subarray(start, Math.min(start + RAM_PAGE_BYTES, ram.length));
    if (opts.skipZero === true && isZero(bytes, words, start)) continue;
    yield { index, bytes };
  }
}

function isZero(bytes: Uint8Array, words: Uint32Array | undefined, start: number): boolean {
  if (words !== undefined && bytes.length === RAM_PAGE_BYTES) {
    const w0 = start / 4;
    for (let i = 0; i < RAM_PAGE_BYTES / 4; i++) if (words[w0 + i] !== 0) return false;
    return true;
  }
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
