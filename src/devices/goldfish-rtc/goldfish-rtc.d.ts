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
export declare const TIME_LOW = 0;
/** TIME_HIGH: high 32 bits, as latched by the last TIME_LOW read; written before TIME_LOW to set the time. */
export declare const TIME_HIGH = 4;
/** ALARM_LOW: low 32 bits of the alarm; writing it arms the alarm. */
export declare const ALARM_LOW = 8;
/** ALARM_HIGH: high 32 bits of the alarm, written first. */
export declare const ALARM_HIGH = 12;
/** IRQ_ENABLED: bit 0 enables the alarm interrupt. */
export declare const IRQ_ENABLED = 16;
/** CLEAR_ALARM: any write disarms the alarm. */
export declare const CLEAR_ALARM = 20;
/** ALARM_STATUS: 1 while an alarm is armed and has not fired. */
export declare const ALARM_STATUS = 24;
/** CLEAR_INTERRUPT: any write acknowledges the alarm interrupt. */
export declare const CLEAR_INTERRUPT = 28;
/**
 * The RTC. The guest's time is the host wall clock plus an offset the guest sets; an armed
 * alarm fires when `update()` (called by the machine between slices) sees it due, or at once
 * when it is set in the past. The interrupt line is high while the alarm fired and enabled.
 */
export declare class GoldfishRtc implements MmioDevice {
    private readonly irq;
    private readonly wallClockNs;
    private offsetNs;
    private alarmNs;
    private alarmArmed;
    private irqEnabled;
    private irqPending;
    private timeHighLatch;
    private timeHighStaged;
    private irqLevel;
    constructor(irq: IrqLine, wallClockNs: () => bigint);
    /** Guest RTC time now, modulo 2^64. */
    private now;
    private updateIrq;
    /** Fires the alarm if it is armed and due. Allocates nothing when no alarm is armed. */
    update(): void;
    /** Host wall-clock time (ns since the epoch, as `wallClockNs()`) at which the armed alarm fires; Infinity if none. */
    nextDeadlineNs(): number;
    /** MmioDevice read: 32-bit registers; other sizes or offsets read 0. */
    read(offset: number, size: 1 | 2 | 4): number;
    /** MmioDevice write: 32-bit registers; other sizes, offsets and read-only registers ignore writes. */
    write(offset: number, size: 1 | 2 | 4, value: number): void;
    /** Plain-data snapshot. */
    save(): GoldfishRtcState;
    /** Restores a snapshot: the guest's clock keeps its offset from the (new) host's wall clock. */
    restore(state: GoldfishRtcState): void;
}
