// Domain states as `xl list` shows them, and what the host reports about a running domain.
import type { DeviceInfo } from '../machine/machine-devices.js';
import type { JitInfo } from '../machine/index.js';

/** State of a domain (xl list's r b p s c d). */
export type DomainState = 'running' | 'blocked' | 'paused' | 'shutdown' | 'crashed' | 'dying';

/** The one-letter column of `xl list` for each state. */
export const STATE_LETTER: Readonly<Record<DomainState, string>> = {
  running: 'r',
  blocked: 'b',
  paused: 'p',
  shutdown: 's',
  crashed: 'c',
  dying: 'd',
};

/** What a domain's host reports periodically (counters since the current boot). */
export interface DomainStats {
  /** Guest instructions retired since the domain's first boot. */
  readonly instructions: number;
  /** Milliseconds of host CPU time used: the domain thread's own CPU time where the platform can
   * measure it (Linux), else the wall time of its guest slices. */
  readonly cpuMs: number;
  /** True when the last slice ended with every hart in `wfi` (state blocked). */
  readonly idle: boolean;
  /** Bytes read from / written to the domain's disks. */
  readonly blockReadBytes: number;
  readonly blockWriteBytes: number;
  /** Frames received / sent by the domain's network interfaces. */
  readonly netRxFrames: number;
  readonly netTxFrames: number;
  /** Balloon target (bytes of guest RAM the guest should keep), when there is a balloon. */
  readonly balloonTargetBytes?: number;
  /** Each virtio device's state and error counters (`info devices`), in slot order. */
  readonly devices?: readonly DeviceInfo[];
  /** Milliseconds the domain wanted to run but was held back (out of credit, or others' turn). */
  readonly waitMs?: number;
  /** The JIT's counters, all harts added up, since the current boot (absent when the JIT is off). */
  readonly jit?: JitInfo;
}

/** Why a domain's machine stopped. */
export type DomainExit =
  | { readonly kind: 'poweroff' }
  | { readonly kind: 'reboot' }
  /** The guest failed, a device model threw, the worker ran out of memory or stopped answering. */
  | { readonly kind: 'crash'; readonly reason: string };
