// A two-hart board for migration and snapshot unit tests: real GuestMemory, real harts running a
// store loop (each hart increments a counter and writes it to four pages), save/restore through
// Hart.save/restore, and a setImmediate run loop that can be paused. Not the virt board.
import { ManualClock } from '../base/clock.js';
import { GuestMemory } from '../memory/guest-memory.js';
import { MmioBus } from '../memory/mmio-bus.js';
import { Hart, type HartEnv, type HartState } from '../cpu/hart.js';
import { HART_STATE_BYTES } from '../cpu/hart-layout.js';
import type { MachineConfig } from '../machine/machine-config.js';
import type { MachineState } from '../machine/machine-state.js';
import type { MachineStateData } from '../control/snapshot/machine-snapshot.js';
import type { PlainData } from '../control/snapshot/plain-codec.js';
import { rv } from './rv-asm.js';

export const MINI_RAM_BASE = 0x8000_0000;
const T0 = 5, T1 = 6, A0 = 10, A1 = 11, A2 = 12, A3 = 13, T3 = 28;

/**
 * A loop storing to four pages, from base = its own address + imm20 << 12: sw to page +0, sd to
 * +1, fsd to +2, amoadd.w to +3 (the four store paths of the interpreter); counter in t1.
 */
export function miniStoreLoop(imm20: number): number[] {
  return [
    rv.auipc(T0, imm20),
    rv.lui(T3, 2),
    rv.csrrs(0, 0x300, T3),
    rv.lui(A3, 1), rv.add(A0, T0, A3),
    rv.lui(A3, 2), rv.add(A1, T0, A3),
    rv.lui(A3, 3), rv.add(A2, T0, A3),
    rv.sw(T1, T0, 0),
    rv.sd(T1, A0, 8),
    rv.fsd(0, A1, 16),
    rv.amo(0, false, 0, A2, T1),
    rv.addi(T1, T1, 1),
    rv.jal(0, -20),
  ];
}

/** Config of the mini machine (only memoryBytes and vcpus matter). */
export function miniConfig(memoryBytes: number): MachineConfig {
  return {
    version: 1, mode: 'pv', memoryBytes, vcpus: 2,
    boot: { kernel: { path: 'none' }, cmdline: '' },
    devices: { disks: [], nics: [], shares: [], console: 'serial', balloon: false, rng: false },
  };
}

/** State of the mini machine. */
export interface MiniState extends MachineStateData {
  readonly dma: { readonly count: number };
  readonly ram?: Uint8Array;
}

/** Two harts on one RAM; hart h's code at page h, its stores at pages 16·(h+1) … +3. */
export class MiniMachine {
  readonly mem: GuestMemory;
  readonly harts: Hart[];
  readonly config: MachineConfig;
  /** A device-like component with state (a DMA counter that writes page 8). */
  dmaCount = 0;
  private running = false;
  private timer: ReturnType<typeof setImmediate> | undefined;

  constructor(memoryBytes = 16 << 20, boot = true) {
    this.config = miniConfig(memoryBytes);
    this.mem = new GuestMemory({ ramBaseGpa: MINI_RAM_BASE, ramSizeBytes: memoryBytes, stateSizeBytes: 2 * HART_STATE_BYTES });
    const env: HartEnv = { mem: this.mem, bus: new MmioBus(), clock: new ManualClock() };
    this.harts = [new Hart(env, 0, 0), new Hart(env, 1, HART_STATE_BYTES)];
    if (boot) {
      miniStoreLoop(0x10).forEach((w, i) => this.mem.writeU32(MINI_RAM_BASE + 4 * i, w));
      miniStoreLoop(0x1f).forEach((w, i) => this.mem.writeU32(MINI_RAM_BASE + 0x1000 + 4 * i, w));
      this.harts[0]!.reset(BigInt(MINI_RAM_BASE));
      this.harts[1]!.reset(BigInt(MINI_RAM_BASE + 0x1000));
    }
  }

  /** One slice: each hart runs `n` instructions, and the "device" writes its counter to page 8. */
  slice(n = 2000): void {
    for (const h of this.harts) h.run(n);
    this.mem.writeU32(MINI_RAM_BASE + 8 * 4096, ++this.dmaCount);
  }

  /** Starts the run loop (slices back to back on setImmediate). */
  start(): void {
    if (this.running) return;
    this.running = true;
    const tick = (): void => {
      if (!this.running) return;
      this.slice();
      this.timer = setImmediate(tick);
    };
    this.timer = setImmediate(tick);
  }

  /** Stops the run loop: no slice runs after this returns. */
  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearImmediate(this.timer);
    this.timer = undefined;
  }

  save(options: { readonly withoutRam?: boolean } = {}): MiniState {
    return {
      harts: this.harts.map((h) => h.save() as unknown as PlainData),
      dma: { count: this.dmaCount },
      ...(options.withoutRam === true ? {} : { ram: this.ram().slice() }),
    };
  }

  /** A machine made from a state read by readMachineState (RAM included). */
  static fromState(state: MachineState): MiniMachine {
    const m = new MiniMachine(state.config.memoryBytes, false);
    m.mem.u8.set(state.ram, m.mem.ramOffset);
    m.restore(state as unknown as MiniState);
    return m;
  }

  restore(state: MiniState): void {
    state.harts.forEach((s, i) => this.harts[i]!.restore(s as unknown as HartState));
    this.dmaCount = state.dma.count;
  }

  /** The hart's loop counter (t1). */
  counter(h: number): bigint {
    return this.harts[h]!.getX(T1);
  }

  /** RAM bytes (a view). */
  ram(): Uint8Array {
    return this.mem.u8.subarray(this.mem.ramOffset, this.mem.ramOffset + this.mem.ramSizeBytes);
  }
}
