// Goldfish real-time clock (`google,goldfish-rtc`), the RTC of QEMU's `virt` board, with the
// register semantics Linux's drivers/rtc/rtc-goldfish.c relies on: a 64-bit nanosecond counter
// read low half first (the read latches the high half), and one alarm with an interrupt.
import { BanquiseError } from '../../base/errors.js';
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
export class GoldfishRtc {
    irq;
    wallClockNs;
    offsetNs = 0n;
    alarmNs = 0n;
    alarmArmed = false;
    irqEnabled = false;
    irqPending = false;
    timeHighLatch = 0;
    timeHighStaged = -1;
    irqLevel = false;
    constructor(irq, wallClockNs) {
        this.irq = irq;
        this.wallClockNs = wallClockNs;
        irq.set(false);
    }
    /** Guest RTC time now, modulo 2^64. */
    now() {
        return (this.wallClockNs() + this.offsetNs) & MASK64;
    }
    updateIrq() {
        const level = this.irqPending && this.irqEnabled;
        if (level !== this.irqLevel) {
            this.irqLevel = level;
            this.irq.set(level);
        }
    }
    /** Fires the alarm if it is armed and due. Allocates nothing when no alarm is armed. */
    update() {
        if (!this.alarmArmed)
            return;
        if (this.now() >= this.alarmNs) {
            this.alarmArmed = false;
            this.irqPending = true;
            this.updateIrq();
        }
    }
    /** Host wall-clock time (ns since the epoch, as `wallClockNs()`) at which the armed alarm fires; Infinity if none. */
    nextDeadlineNs() {
        if (!this.alarmArmed)
            return Infinity;
        return Number(this.alarmNs - this.offsetNs);
    }
    /** MmioDevice read: 32-bit registers; other sizes or offsets read 0. */
    read(offset, size) {
        if (size !== 4)
            return 0;
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
    write(offset, size, value) {
        if (size !== 4)
            return;
        const v = value >>> 0;
        switch (offset) {
            case TIME_LOW: {
                const now = this.now();
                const high = this.timeHighStaged >= 0 ? BigInt(this.timeHighStaged) : now >> 32n;
                this.timeHighStaged = -1;
                const wanted = (high << 32n) | BigInt(v);
                this.offsetNs = (wanted - (now - this.offsetNs)) & MASK64;
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
    save() {
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
    restore(state) {
        let offset;
        let alarm;
        try {
            offset = BigInt(state.offsetNs);
            alarm = BigInt(state.alarmNs);
        }
        catch {
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
//# sourceMappingURL=goldfish-rtc.js.map