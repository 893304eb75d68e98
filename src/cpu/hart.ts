// CONTRACT STUB — the CPU work replaces the bodies, keeping these exported names and signatures.
import type { Clock } from '../base/clock.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { MmioBus } from '../memory/mmio-bus.js';

/** What a hart needs from the board it sits on. */
export interface HartEnv {
  /** Guest RAM (and the hart state area at `stateOffset`). */
  readonly mem: GuestMemory;
  /** Every physical address outside RAM. An address in neither faults (access fault). */
  readonly bus: MmioBus;
  /** `time` CSR and Sstc `stimecmp` comparisons. */
  readonly clock: Clock;
  /**
   * pv mode: called on ECALL from S-mode instead of trapping to M-mode. The hook reads a0..a7
   * with getX, writes a0/a1 with setX and returns true; the hart then continues at pc + 4.
   * Returning false makes the ECALL trap normally (cause 9).
   */
  readonly sbi?: (hart: Hart) => boolean;
}

/** Why `Hart.run` returned. */
export const enum StopReason {
  /** The budget was used up. */
  Budget = 0,
  /** The hart executed WFI (or is stopped in WFI) with no interrupt pending: it may sleep. */
  Wfi = 1,
  /** `requestStop()` was called (by an SBI hook, a device, the machine). */
  Requested = 2,
}

/** mip bit numbers driven by hardware. */
export const enum Irq {
  SSIP = 1, MSIP = 3, STIP = 5, MTIP = 7, SEIP = 9, MEIP = 11,
}

/** One RV64GC hart. */
export declare class Hart {
  readonly hartId: number;
  /** Hart state lives in `env.mem.buffer` at [stateOffset, stateOffset + HART_STATE_BYTES). */
  constructor(env: HartEnv, hartId: number, stateOffset: number);
  /** Runs up to `budget` instructions (interrupts checked at block boundaries). */
  run(budget: number): StopReason;
  /** Instructions retired since reset (exact up to 2^53). */
  readonly instret: number;
  /** True while in WFI with nothing pending. */
  readonly waiting: boolean;
  /** Makes `run` return `Requested` at the next block boundary. */
  requestStop(): void;
  /** Sets or clears a hardware-driven `mip` bit (see Irq). Wakes the hart from WFI if needed. */
  setPending(bit: number, level: boolean): void;
  /** `stimecmp` deadline in ticks when Sstc is enabled and the timer is armed, else Infinity. */
  nextTimerDeadline(): number;
  /** Current privilege: 0 = U, 1 = S, 3 = M. */
  priv: number;
  getX(reg: number): bigint;
  setX(reg: number, value: bigint): void;
  getF(reg: number): bigint;
  setF(reg: number, value: bigint): void;
  getPc(): bigint;
  setPc(value: bigint): void;
  /** Raw CSR access for the machine/SBI (no privilege checks, WARL masks applied on write). */
  readCsr(csr: number): bigint;
  writeCsr(csr: number, value: bigint): void;
  /** Flushes every TLB (remote sfence.vma, satp changes done by the machine). */
  flushTlb(): void;
  /** Flushes cached decoded instructions / fetch pages (remote fence.i). */
  flushIcache(): void;
  /** Architectural reset: M-mode, pc = resetPc, CSRs at reset values, not waiting. */
  reset(resetPc: bigint): void;
}
