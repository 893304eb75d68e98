// SiFive test finisher (`sifive,test0` / `sifive,test1`), as QEMU's `virt` board provides at
// 0x100000 and Linux drives through the `syscon-poweroff` / `syscon-reboot` bindings: a 32-bit
// write at offset 0 whose low 16 bits select the action and whose high 16 bits carry an exit code.
import type { MmioDevice } from '../../memory/mmio-bus.js';

/** What the guest asked the board to do. */
export type ExitRequest = { kind: 'poweroff' } | { kind: 'reboot' } | { kind: 'fail'; code: number };

/** The finisher has no state; an empty record keeps the save/restore shape of every device. */
export type SifiveTestState = Record<string, never>;

/** Low half of the value: fail, exit code in the high half (FINISHER_FAIL). */
export const FINISHER_FAIL = 0x3333;
/** Low half of the value: power off (FINISHER_PASS). */
export const FINISHER_PASS = 0x5555;
/** Low half of the value: reset (FINISHER_RESET). */
export const FINISHER_RESET = 0x7777;

/**
 * The test finisher. Only 32-bit writes at offset 0 act (16-bit writes too, whose high half is 0);
 * any other value, size or offset is ignored, and every read returns 0.
 */
export class SifiveTest implements MmioDevice {
  private static readonly POWEROFF: ExitRequest = Object.freeze({ kind: 'poweroff' });
  private static readonly REBOOT: ExitRequest = Object.freeze({ kind: 'reboot' });

  constructor(private readonly onExit: (request: ExitRequest) => void) {}

  /** MmioDevice read: the finisher has nothing to read. */
  read(_offset: number, _size: 1 | 2 | 4): number {
    return 0;
  }

  /** MmioDevice write: offset 0, 16 or 32 bits; FINISHER_PASS, FINISHER_RESET or (code << 16) | FINISHER_FAIL. */
  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (offset !== 0 || size === 1) return;
    const v = size === 4 ? value >>> 0 : value & 0xffff;
    const status = v & 0xffff;
    if (status === FINISHER_PASS) this.onExit(SifiveTest.POWEROFF);
    else if (status === FINISHER_RESET) this.onExit(SifiveTest.REBOOT);
    else if (status === FINISHER_FAIL) this.onExit({ kind: 'fail', code: v >>> 16 });
  }

  /** Plain-data snapshot (empty). */
  save(): SifiveTestState {
    return {};
  }

  /** Restores a snapshot (nothing to restore). */
  restore(_state: SifiveTestState): void {}
}
