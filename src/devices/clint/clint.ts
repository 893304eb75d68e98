// SiFive CLINT (Core-Local Interruptor) as on QEMU's `virt` board: per-hart software interrupt
// (msip) and machine timer (mtimecmp) registers plus the shared 64-bit mtime counter.
// Register map: SiFive FU540-C000 manual ch. 9 "Core Local Interruptor (CLINT)" and the RISC-V
// ACLINT spec (MSWI at +0x0, MTIMER mtimecmp at +0x4000, mtime at +0xbff8).
import type { Clock } from '../../base/clock.js';
import { BanquiseError } from '../../base/errors.js';
import type { MmioDevice } from '../../memory/mmio-bus.js';
import type { IrqLine } from '../../memory/irq-line.js';

/** The two wires the CLINT drives into one hart: `mip.MSIP` and `mip.MTIP`. */
export interface ClintHartLines {
  msip: IrqLine;
  mtip: IrqLine;
}

/** Snapshot of the CLINT: plain data, 64-bit values as unsigned 32-bit halves. */
export interface ClintState {
  /** msip[h] bit 0, one entry per hart. */
  msip: number[];
  /** mtimecmp[h], low and high halves. */
  mtimecmpLo: number[];
  mtimecmpHi: number[];
  /** mtime at the moment of the snapshot (restore makes it continue from there). */
  mtimeLo: number;
  mtimeHi: number;
}

/** Offset of msip[0] (one 32-bit register per hart, bit 0 significant). */
export const CLINT_MSIP = 0x0000;
/** Offset of mtimecmp[0] (one 64-bit register per hart). */
export const CLINT_MTIMECMP = 0x4000;
/** Offset of mtime (64-bit). */
export const CLINT_MTIME = 0xbff8;
/** Size of the CLINT window. */
export const CLINT_SIZE = 0x10000;
/** Harts a CLINT can address: 4095 (mtimecmp[4095] would overlap mtime). */
export const CLINT_MAX_HARTS = 4095;

const TWO_32 = 4294967296;

/**
 * The CLINT. `mtime` is `clock.ticks()` plus an offset the guest sets by writing mtime;
 * all 64-bit arithmetic is done on 32-bit halves so any guest value stays exact and nothing
 * is allocated on an access.
 */
export class Clint implements MmioDevice {
  private readonly msip: Uint8Array;
  private readonly cmpLo: Uint32Array;
  private readonly cmpHi: Uint32Array;
  /** Last level driven on each mtip line (avoids redundant set calls). */
  private readonly mtipLevel: Uint8Array;
  /** mtime - clock.ticks(), modulo 2^64, as halves. */
  private offLo = 0;
  private offHi = 0;
  /** Scratch result of `sampleMtime()`. */
  private nowLo = 0;
  private nowHi = 0;
  /**
   * High half of mtime sampled with the low half by a read of `mtime`: the read of the high
   * half that immediately follows returns it, so the two 32-bit halves of one 64-bit load
   * (the bus splits it, low first) are a consistent snapshot even if the low half wraps.
   */
  private latchedHi = 0;
  private latchValid = false;

  /** A Clock whose ticks() is this CLINT's mtime (exact below 2^53): give it to the harts' `time` CSR. */
  readonly mtimeClock: Clock;

  constructor(
    private readonly clock: Clock,
    private readonly harts: readonly ClintHartLines[],
  ) {
    if (harts.length < 1 || harts.length > CLINT_MAX_HARTS) {
      throw new Error(`CLINT supports 1..${CLINT_MAX_HARTS} harts, got ${harts.length}`);
    }
    const n = harts.length;
    this.msip = new Uint8Array(n);
    this.cmpLo = new Uint32Array(n).fill(0xffffffff);
    this.cmpHi = new Uint32Array(n).fill(0xffffffff);
    this.mtipLevel = new Uint8Array(n);
    this.mtimeClock = {
      ticks: (): number => {
        if (this.offLo === 0 && this.offHi === 0) return this.clock.ticks(); // mtime never written
        this.sampleMtime();
        return (this.nowHi % 0x200000) * TWO_32 + this.nowLo;
      },
    };
    for (let h = 0; h < n; h++) {
      harts[h].msip.set(false);
      harts[h].mtip.set(false);
    }
  }

  /** Loads mtime = clock.ticks() + offset into nowLo/nowHi. */
  private sampleMtime(): void {
    const t = this.clock.ticks();
    const tLo = t >>> 0;
    const tHi = Math.floor(t / TWO_32) >>> 0;
    const lo = tLo + this.offLo;
    this.nowLo = lo >>> 0;
    this.nowHi = (tHi + this.offHi + (lo >= TWO_32 ? 1 : 0)) >>> 0;
  }

  /** Makes mtime read `lo`/`hi` from now on (offset = value - clock.ticks()). */
  private setMtime(lo: number, hi: number): void {
    const t = this.clock.ticks();
    const tLo = t >>> 0;
    const tHi = Math.floor(t / TWO_32) >>> 0;
    const dLo = lo - tLo;
    this.offLo = dLo >>> 0;
    this.offHi = (hi - tHi - (dLo < 0 ? 1 : 0)) >>> 0;
  }

  /** True if mtime (as last sampled) >= mtimecmp[h]. */
  private expired(h: number): boolean {
    const hi = this.cmpHi[h];
    return this.nowHi > hi || (this.nowHi === hi && this.nowLo >= this.cmpLo[h]);
  }

  private driveMtip(h: number): void {
    const level = this.expired(h) ? 1 : 0;
    if (level !== this.mtipLevel[h]) {
      this.mtipLevel[h] = level;
      this.harts[h].mtip.set(level === 1);
    }
  }

  /** Recomputes every hart's MTIP line (mtime >= mtimecmp); the machine calls it between slices. */
  update(): void {
    this.sampleMtime();
    for (let h = 0; h < this.harts.length; h++) this.driveMtip(h);
  }

  /**
   * The clock.ticks() value at which the earliest timer not yet expired fires, Infinity if none
   * (or if it is more than 2^53 ticks away). Expired timers are excluded: their line is already high.
   */
  nextDeadline(): number {
    this.sampleMtime();
    const now = this.clock.ticks();
    let best = Infinity;
    for (let h = 0; h < this.harts.length; h++) {
      if (this.expired(h)) continue;
      const dLo = this.cmpLo[h] - this.nowLo;
      const dHi = (this.cmpHi[h] - this.nowHi - (dLo < 0 ? 1 : 0)) >>> 0;
      if (dHi >= 0x200000) continue;
      const at = now + dHi * TWO_32 + (dLo >>> 0);
      if (at < best) best = at;
    }
    return best;
  }

  /** Value of the aligned 32-bit register at `off` (a multiple of 4); 0 where nothing is mapped. */
  private read32(off: number, latched = false): number {
    const n = this.harts.length;
    if (off < CLINT_MTIMECMP) {
      const h = off >>> 2;
      return h < n ? this.msip[h] : 0;
    }
    if (off < CLINT_MTIME) {
      const h = (off - CLINT_MTIMECMP) >>> 3;
      if (h >= n) return 0;
      return (off & 4) === 0 ? this.cmpLo[h] : this.cmpHi[h];
    }
    if (off < CLINT_MTIME + 8) {
      if (off !== CLINT_MTIME && latched) return this.latchedHi;
      this.sampleMtime();
      if (off !== CLINT_MTIME) return this.nowHi;
      this.latchedHi = this.nowHi;
      this.latchValid = true;
      return this.nowLo;
    }
    return 0;
  }

  /** Stores the aligned 32-bit register at `off` with its side effects. */
  private write32(off: number, v: number): void {
    const n = this.harts.length;
    if (off < CLINT_MTIMECMP) {
      const h = off >>> 2;
      if (h >= n) return;
      const bit = v & 1;
      if (bit !== this.msip[h]) {
        this.msip[h] = bit;
        this.harts[h].msip.set(bit === 1);
      }
      return;
    }
    if (off < CLINT_MTIME) {
      const h = (off - CLINT_MTIMECMP) >>> 3;
      if (h >= n) return;
      if ((off & 4) === 0) this.cmpLo[h] = v;
      else this.cmpHi[h] = v;
      this.sampleMtime();
      this.driveMtip(h);
      return;
    }
    if (off < CLINT_MTIME + 8) {
      this.sampleMtime();
      if (off === CLINT_MTIME) this.setMtime(v >>> 0, this.nowHi);
      else this.setMtime(this.nowLo, v >>> 0);
      this.update();
    }
  }

  /** MmioDevice read: sub-word accesses see the bytes of the containing 32-bit register. */
  read(offset: number, size: 1 | 2 | 4): number {
    const latched = this.latchValid;
    this.latchValid = false;
    if (!(offset >= 0 && offset < CLINT_SIZE) || (offset & (size - 1)) !== 0) return 0;
    const word = this.read32(offset & ~3, latched && size === 4);
    if (size === 4) return word >>> 0;
    const shift = (offset & 3) * 8;
    return (word >>> shift) & (size === 1 ? 0xff : 0xffff);
  }

  /** MmioDevice write: sub-word writes merge into the containing 32-bit register. */
  write(offset: number, size: 1 | 2 | 4, value: number): void {
    this.latchValid = false;
    if (!(offset >= 0 && offset < CLINT_SIZE) || (offset & (size - 1)) !== 0) return;
    const aligned = offset & ~3;
    if (size === 4) {
      this.write32(aligned, value >>> 0);
      return;
    }
    const shift = (offset & 3) * 8;
    const mask = (size === 1 ? 0xff : 0xffff) << shift;
    const old = this.read32(aligned);
    this.write32(aligned, ((old & ~mask) | ((value << shift) & mask)) >>> 0);
  }

  /** Plain-data snapshot. */
  save(): ClintState {
    this.sampleMtime();
    return {
      msip: Array.from(this.msip),
      mtimecmpLo: Array.from(this.cmpLo),
      mtimecmpHi: Array.from(this.cmpHi),
      mtimeLo: this.nowLo,
      mtimeHi: this.nowHi,
    };
  }

  /** Restores a snapshot taken from a CLINT with the same hart count; mtime continues from the saved value. */
  restore(state: ClintState): void {
    const n = this.harts.length;
    if (state.msip.length !== n || state.mtimecmpLo.length !== n || state.mtimecmpHi.length !== n) {
      throw new BanquiseError(`CLINT state is for ${state.msip.length} harts, this board has ${n}`, 64);
    }
    for (let h = 0; h < n; h++) {
      this.msip[h] = state.msip[h] & 1;
      this.cmpLo[h] = state.mtimecmpLo[h];
      this.cmpHi[h] = state.mtimecmpHi[h];
      this.harts[h].msip.set(this.msip[h] === 1);
    }
    this.setMtime(state.mtimeLo >>> 0, state.mtimeHi >>> 0);
    this.sampleMtime();
    for (let h = 0; h < n; h++) {
      this.mtipLevel[h] = this.expired(h) ? 1 : 0;
      this.harts[h].mtip.set(this.mtipLevel[h] === 1);
    }
  }
}
