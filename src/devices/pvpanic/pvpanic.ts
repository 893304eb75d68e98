// pvpanic, MMIO flavour (`qemu,pvpanic-mmio`): QEMU's paravirtual panic notifier
// (QEMU docs/specs/pvpanic.rst), which Linux's `pvpanic-mmio` driver writes from its panic
// notifier. One byte at offset 0: a read returns the events the device supports, a write reports
// events (bit 0 PVPANIC_PANICKED, bit 1 PVPANIC_CRASH_LOADED).
import type { MmioDevice } from '../../memory/mmio-bus.js';

/** Event bit: the guest kernel panicked. */
export const PVPANIC_PANICKED = 1 << 0;
/** Event bit: the guest panicked and a crash kernel (kdump) is loaded and will take over. */
export const PVPANIC_CRASH_LOADED = 1 << 1;

/** What the guest reported. */
export type PvpanicEvent = 'panicked' | 'crash-loaded';

/** Counters (plain data, also the snapshot). */
export interface PvpanicState {
  panicked: number;
  crashLoaded: number;
}

/**
 * The pvpanic device. Only byte (or wider) writes at offset 0 act; bits other than the two
 * events are ignored. `onEvent` is called for each event bit set in a write.
 */
export class Pvpanic implements MmioDevice {
  private state: PvpanicState = { panicked: 0, crashLoaded: 0 };

  constructor(private readonly onEvent: (event: PvpanicEvent) => void) {}

  /** MmioDevice read: offset 0 returns the supported events; anything else 0. */
  read(offset: number, _size: 1 | 2 | 4): number {
    return offset === 0 ? PVPANIC_PANICKED | PVPANIC_CRASH_LOADED : 0;
  }

  /** MmioDevice write: offset 0, the low byte holds the events. */
  write(offset: number, _size: 1 | 2 | 4, value: number): void {
    if (offset !== 0 || !Number.isFinite(value)) return;
    const v = value & 0xff;
    if (v & PVPANIC_PANICKED) {
      this.state.panicked++;
      this.onEvent('panicked');
    }
    if (v & PVPANIC_CRASH_LOADED) {
      this.state.crashLoaded++;
      this.onEvent('crash-loaded');
    }
  }

  /** Events reported so far. */
  info(): Readonly<PvpanicState> {
    return this.state;
  }

  /** Plain-data snapshot. */
  save(): PvpanicState {
    return { ...this.state };
  }

  /** Restores a snapshot. */
  restore(state: PvpanicState): void {
    this.state = { panicked: state.panicked >>> 0, crashLoaded: state.crashLoaded >>> 0 };
  }
}
