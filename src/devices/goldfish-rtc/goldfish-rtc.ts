// Goldfish real-time clock (`google,goldfish-rtc`), the RTC of QEMU's `virt` board, with the
// register semantics Linux's drivers/rtc/rtc-goldfish.c relies on: a 64-bit nanosecond counter
// read low half first (the read latches the high half), and one alarm with an interrupt.
import { BanquiseError } from '../../base/errors.js';
import type { MmioDevice } from '../../memory/mmio-bus.js';
import type { IrqLine } from '../../memory/irq-line.js';

/** Plain-data snapshot of the RTC; 64-bit values as decimal strings. */
export interface GoldfishRtcState {
  /** Guest RTC time minus host wall-clock time, in ns. */
  offsetNs: string;
  /** Alarm time on the guest RTC, in ns since the epoch. */
  alarmNs: string;
  alarmArmed: boolean;
  irqEnabled: boolean;
  irqPending: boolean;
  /** TIME_HIGH as latched by the last TIME_LOW read. */
  timeHighLatch: number;
  /** TIME_HIGH written and waiting for the TIME_LOW write that commits it, or -1. */
  timeHighStaged: number;
}

/** TIME_LOW: low 32 bits of the time in ns; reading it latches TIME_HIGH; writing it sets the time. */
export const TIME_LOW = 0x00;
/** TIME_HIGH: high 32 bits, as latched by the last TIME_LOW read; written before TIME_LOW to set the time. */
export const TIME_HIGH = 0x04;
/** ALARM_LOW: low 32 bits of the alarm; writing it arms the alarm. */
export const ALARM_LOW = 0x08;
/** ALARM_HIGH: high 32 bits of the alarm, written first. */
export const ALARM_HIGH = 0x0c;
/** IRQ_ENABLED: bit 0 enables the alarm interrupt. */
export const IRQ_ENABLED = 0x10;
/** CLEAR_ALARM: any write disarms the alarm. */
export const CLEAR_ALARM = 0x14;
/** ALARM_STATUS: 1 while an alarm is armed and has not fired. */
export const ALARM_STATUS = 0x18;
/** CLEAR_INTERRUPT: any write acknowledges the alarm interrupt. */
export const CLEAR_INTERRUPT = 0x1c;

const MASK64 = (1n << 64n) - 1n;

/**
 * The RTC. The guest's time is the host wall clock plus an offset the guest sets; an armed
 * alarm fires when `update()` (called by the machine between slices) sees it due, or at once
 * when it is set in the past. The interrupt line is high while the alarm fired and enabled.
 */
export class GoldfishRtc implements MmioDevice {
  private offsetNs = 0n;
  private alarmNs = 0n;
  private alarmArmed = false;
  private irqEnabled = false;
  private irqPending = false;
  private timeHighLatch = 0;
  private timeHighStaged = -1;
  private irqLevel = false;

  constructor(
    private readonly irq: IrqLine,
    private readonly wallClockNs: () => bigint,
  ) {
    irq.set(false);
  }

  /** Guest RTC time now, modulo 2^64. */
  private now(): bigint {
    return (this.wallClockNs() + this.offsetNs) & MASK64;
  }

  private updateIrq(): void {
    const level = this.irqPending && this.irqEnabled;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }

  /** Fires the alarm if it is armed and due. Allocates nothing when no alarm is armed. */
  update(): void {
    if (!this.alarmArmed) return;
    if (this.now() >= this.alarmNs) {
      this.alarmArmed = false;
      this.irqPending = true;
      this.updateIrq();
    }
  }

  /** Host wall-clock time (ns since the epoch, as `wallClockNs()`) at which the armed alarm fires; Infinity if none. */
  nextDeadlineNs(): number {
    if (!this.alarmArmed) return Infinity;
    const wall = this.wallClockNs();
    const now = (wall + this.offsetNs) & MASK64;
    return now >= this.alarmNs ? Number(wall) : Number(wall + (this.alarmNs - now));
  }

  /** MmioDevice read: 32-bit registers; other sizes or offsets read 0. */
  read(offset: number, size: 1 | 2 | 4): number {
    if (size !== 4) return 0;
    switch (offset) {
      case TIME_LOW: {
        const t = this.now();
        this.timeHighLatch = Number(t >> 32n);
        return Number(t & 0xffffffffn);
      }
      case TIME_HIGH:
        return this.timeHighLatch;
      case ALARM_LOW:
        return Number(this.alarmNs & 0xffffffffn);
      case ALARM_HIGH:
        return Number(this.alarmNs >> 32n);
      case IRQ_ENABLED:
        return this.irqEnabled ? 1 : 0;
      case ALARM_STATUS:
        return this.alarmArmed ? 1 : 0;
      default:
        return 0;
    }
  }

  /** MmioDevice write: 32-bit registers; other sizes, offsets and read-only registers ignore writes. */
  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (size !== 4) return;
    const v = value >>> 0;
    switch (offset) {
      case TIME_LOW: {
        const wall = this.wallClockNs();
        const now = (wall + this.offsetNs) & MASK64;
        const high = this.timeHighStaged >= 0 ? BigInt(this.timeHighStaged) : now >> 32n;
        this.timeHighStaged = -1;
        const wanted = (high << 32n) | BigInt(v);
        this.offsetNs = (wanted - wall) & MASK64;
        this.update();
        return;
      }
      case TIME_HIGH:
        this.timeHighStaged = v;
        return;
      case ALARM_LOW:
        this.alarmNs = (this.alarmNs & ~0xffffffffn & MASK64) | BigInt(v);
        this.alarmArmed = true;
        this.update();
        return;
      case ALARM_HIGH:
        this.alarmNs = (BigInt(v) << 32n) | (this.alarmNs & 0xffffffffn);
        return;
      case IRQ_ENABLED:
        this.irqEnabled = (v & 1) !== 0;
        this.updateIrq();
        return;
      case CLEAR_ALARM:
        this.alarmArmed = false;
        return;
      case CLEAR_INTERRUPT:
        this.irqPending = false;
        this.updateIrq();
        return;
      default:
        return;
    }
  }

  /** Plain-data snapshot. */
  save(): GoldfishRtcState {
    return {
      offsetNs: this.offsetNs.toString(),
      alarmNs: this.alarmNs.toString(),
      alarmArmed: this.alarmArmed,
      irqEnabled: this.irqEnabled,
      irqPending: this.irqPending,
      timeHighLatch: this.timeHighLatch,
      timeHighStaged: this.timeHighStaged,
    };
  }

  /** Restores a snapshot: the guest's clock keeps its offset from the (new) host's wall clock. */
  restore(state: GoldfishRtcState): void {
    let offset: bigint;
    let alarm: bigint;
    try {
      offset = BigInt(state.offsetNs);
      alarm = BigInt(state.alarmNs);
    } catch {
      throw new BanquiseError('RTC state holds a malformed time value', 64);
    }
    this.offsetNs = offset & MASK64;
    this.alarmNs = alarm & MASK64;
    this.alarmArmed = state.alarmArmed === true;
    this.irqEnabled = state.irqEnabled === true;
    this.irqPending = state.irqPending === true;
    this.timeHighLatch = state.timeHighLatch >>> 0;
    this.timeHighStaged = state.timeHighStaged >= 0 ? state.timeHighStaged >>> 0 : -1;
    this.irqLevel = this.irqPending && this.irqEnabled;
    this.irq.set(this.irqLevel);
    this.update();
  }
}
