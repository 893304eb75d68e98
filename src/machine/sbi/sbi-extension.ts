// The shape every SBI extension file implements, and what the SBI layer needs from the board.
import type { Hart } from '../../cpu/hart.js';
import type { GuestMemory } from '../../memory/guest-memory.js';
import { SbiError } from './sbi-constants.js';

/** Result of one SBI call: `error` goes to a0 and `value` to a1 (legacy calls: `value` to a0). */
export interface SbiRet {
  error: number;
  value: bigint;
}

/** How the machine ends or restarts after a system reset request. */
export type SbiResetKind = 'shutdown' | 'reboot' | 'failure';

/** The board as the SBI layer sees it (the machine implements it; tests mock it). */
export interface SbiHost {
  readonly harts: readonly Hart[];
  readonly mem: GuestMemory;
  /** Current `time`, in timebase ticks. */
  now(): number;
  /** HSM state of a hart (HsmState). */
  hartState(hartId: number): number;
  /** Moves a STOPPED hart to START_PENDING; the machine starts it in S-mode at `startAddr`. */
  startHart(hartId: number, startAddr: bigint, opaque: bigint): void;
  /** Stops the calling hart (it leaves the run loop until hart_start). */
  stopHart(hartId: number): void;
  /** Suspends the calling hart until an enabled interrupt is pending. */
  suspendHart(hartId: number, nonRetentive: boolean, resumeAddr: bigint, opaque: bigint): void;
  /** Host console output (DBCN, legacy putchar). */
  consoleWrite(bytes: Uint8Array): void;
  /** Takes up to `into.length` bytes of pending console input; returns the count (0 if none). */
  consoleRead(into: Uint8Array): number;
  /** System reset / shutdown request: the machine stops at the end of the current slice. */
  systemReset(kind: SbiResetKind, reason: number): void;
}

/** One SBI extension: `call` reads arguments a0..a5 from the hart and fills `ret`. Never throws. */
export interface SbiExtension {
  readonly eid: number;
  /** Name used in statistics (the spec's short name: BASE, TIME, IPI, RFNC, …). */
  readonly name: string;
  /** Legacy (v0.1) calls return one value in a0 and leave a1 alone. */
  readonly legacy?: boolean;
  call(fid: number, hart: Hart, ret: SbiRet): void;
}

/** Argument register n (a0 = x10) as an unsigned 64-bit BigInt. */
export function sbiArg(hart: Hart, n: number): bigint {
  return BigInt.asUintN(64, hart.getX(10 + n));
}

const ALL_ONES = (1n << 64n) - 1n;

/**
 * Applies `fn` to every hart selected by (hart_mask, hart_mask_base) (SBI v2.0 §3.1): a base of
 * all ones selects every hart. Validates first and returns SBI_ERR_INVALID_PARAM, applying
 * nothing, if the base or any selected hart id does not exist.
 */
export function forEachHartInMask(
  hartMask: bigint,
  hartMaskBase: bigint,
  hartCount: number,
  fn: (hartId: number) => void,
): number {
  if (hartMaskBase === ALL_ONES) {
    for (let h = 0; h < hartCount; h++) fn(h);
    return SbiError.SBI_SUCCESS;
  }
  if (hartMask === 0n) return SbiError.SBI_SUCCESS;
  if (hartMaskBase >= BigInt(hartCount)) return SbiError.SBI_ERR_INVALID_PARAM;
  const base = Number(hartMaskBase);
  // Bits beyond the last hart make the whole request invalid.
  const span = hartCount - base;
  if (span < 64 && hartMask >> BigInt(span) !== 0n) return SbiError.SBI_ERR_INVALID_PARAM;
  for (let bit = 0; bit < span && bit < 64; bit++) {
    if ((hartMask >> BigInt(bit)) & 1n) fn(base + bit);
  }
  return SbiError.SBI_SUCCESS;
}
