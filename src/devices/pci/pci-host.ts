// A generic PCI Express host bridge as QEMU's `gpex` on `virt` (Linux binding
// `pci-host-ecam-generic`): an ECAM config window (PCI Express Base 4.0 §7.2.2, bus 0 only), a
// 32-bit memory window and an I/O window through which the BARs are reached wherever software
// placed them, and the four INTx wires swizzled onto PLIC sources (PCI-to-PCI Bridge 1.2 §9.1).
import type { IrqLine } from '../../memory/irq-line.js';
import type { MmioDevice } from '../../memory/mmio-bus.js';
import type { PciBarWindow, PciConfigSpace, PciFunctionDef } from './pci-config.js';

/** Device slots on bus 0 (PCI: 32 devices, function 0 only here). */
export const PCI_SLOT_COUNT = 32;

/** Counters of what the guest did that went nowhere (each would be a master abort on hardware). */
export interface PciHostStats {
  /** Config accesses to an empty slot, a function other than 0, or a bus other than 0. */
  configMisses: number;
  /** Memory or I/O window accesses that hit no BAR. */
  windowMisses: number;
}

/** Wiring of the host bridge to the board. */
export interface PciHostConfig {
  /** Guest-physical base of the memory window (the CPU address equals the PCI address). */
  readonly mmioBaseGpa: number;
  readonly mmioSizeBytes: number;
  /** PLIC lines of INTA..INTD at slot 0 (four wires, swizzled by slot). */
  readonly intx: readonly IrqLine[];
}

/** The INTx wire (0..3) of `pin` (1..4) at device `slot`: the standard swizzle. */
export function swizzle(slot: number, pin: number): number {
  return (slot + pin - 1) % 4;
}

/** A window (memory or I/O) of the host bridge as an MMIO device on the CPU's bus. */
class PciWindow implements MmioDevice {
  constructor(private readonly host: PciHost, private readonly kind: 'mem' | 'io', private readonly baseAddr: number) {}

  read(offset: number, size: 1 | 2 | 4): number {
    const hit = this.host.decode(this.kind, this.baseAddr + offset, size);
    if (hit === undefined) return size === 4 ? 0xffff_ffff : (1 << (size * 8)) - 1;
    return hit.w.device.read(hit.offset, size);
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    const hit = this.host.decode(this.kind, this.baseAddr + offset, size);
    if (hit !== undefined) hit.w.device.write(hit.offset, size, value);
  }
}

/** The host bridge: config space by ECAM, BAR windows, INTx routing. */
export class PciHost {
  /** ECAM window (bus << 20 | device << 15 | function << 12 | register). */
  readonly ecam: MmioDevice;
  /** The memory window (map it at `mmioBaseGpa`). */
  readonly mmio: MmioDevice;
  /** The I/O window (PCI I/O address 0 at its base). */
  readonly pio: MmioDevice;
  readonly stats: PciHostStats = { configMisses: 0, windowMisses: 0 };
  /** Register accesses through the BARs of the function in each slot (memory and I/O windows). */
  readonly barAccesses: number[] = new Array<number>(PCI_SLOT_COUNT).fill(0);
  private readonly slots: (PciConfigSpace | undefined)[] = new Array<PciConfigSpace | undefined>(PCI_SLOT_COUNT);
  /** How many functions assert each INTx wire (a wired OR). */
  private readonly intxCount = [0, 0, 0, 0];
  private windows: PciBarWindow[] = [];
  /** Slot of each entry of `windows`. */
  private windowSlots: number[] = [];

  constructor(private readonly cfg: PciHostConfig) {
    if (cfg.intx.length !== 4) throw new Error('a PCI host bridge has four INTx wires');
    this.ecam = {
      read: (off, size) => this.configRead(off, size),
      write: (off, size, v) => this.configWrite(off, size, v),
    };
    this.mmio = new PciWindow(this, 'mem', cfg.mmioBaseGpa);
    this.pio = new PciWindow(this, 'io', 0);
  }

  /** Plugs a function into device slot `slot` of bus 0 (a wiring bug throws). */
  attach(slot: number, fn: PciConfigSpace): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= PCI_SLOT_COUNT || this.slots[slot] !== undefined) {
      throw new Error(`PCI slot ${slot} is taken or out of range`);
    }
    this.slots[slot] = fn;
    const pin = fn.def.interruptPin;
    const wire = pin >= 1 && pin <= 4 ? swizzle(slot, pin) : -1;
    fn.onIntxChange = (level) => {
      if (wire < 0) return;
      const before = this.intxCount[wire]! > 0;
      this.intxCount[wire]! += level ? 1 : -1;
      const after = this.intxCount[wire]! > 0;
      if (before !== after) this.cfg.intx[wire]!.set(after);
    };
    fn.onDecodeChange = () => this.redecode();
    this.redecode();
  }

  /** The function in `slot`, if any. */
  function(slot: number): PciConfigSpace | undefined {
    return this.slots[slot];
  }

  /** @internal The BAR holding [addr, addr + size) in the given space, and the offset in it. */
  decode(kind: 'mem' | 'io', addr: number, size: number): { w: PciBarWindow; offset: number } | undefined {
    for (let i = 0; i < this.windows.length; i++) {
      const w = this.windows[i]!;
      if (w.kind === kind && addr >= w.baseAddr && addr + size <= w.baseAddr + w.sizeBytes) {
        this.barAccesses[this.windowSlots[i]!]!++;
        return { w, offset: addr - w.baseAddr };
      }
    }
    this.stats.windowMisses++;
    return undefined;
  }

  /**
   * Rebuilds the list of decoding BARs. A BAR outside the host's windows (in RAM, say) is kept
   * but unreachable from the CPU, as on hardware; overlapping BARs resolve to the lowest slot.
   */
  private redecode(): void {
    const list: PciBarWindow[] = [];
    const slots: number[] = [];
    this.slots.forEach((fn, slot) => {
      for (const w of fn?.windows() ?? []) {
        list.push(w);
        slots.push(slot);
      }
    });
    this.windows = list;
    this.windowSlots = slots;
  }

  private configFunction(off: number): PciConfigSpace | undefined {
    const bus = Math.floor(off / 2 ** 20);
    const slot = (off >>> 15) & 0x1f;
    const fn = (off >>> 12) & 7;
    const f = bus === 0 && fn === 0 ? this.slots[slot] : undefined;
    if (f === undefined) this.stats.configMisses++;
    return f;
  }

  private configRead(off: number, size: 1 | 2 | 4): number {
    const f = this.configFunction(off);
    if (f === undefined) return size === 4 ? 0xffff_ffff : (1 << (size * 8)) - 1; // no device: all ones
    return f.read(off & 0xfff, size);
  }

  private configWrite(off: number, size: 1 | 2 | 4, value: number): void {
    this.configFunction(off)?.write(off & 0xfff, size, value);
  }
}

/** The host bridge's own function at 00:00.0, as QEMU's gpex (Red Hat 1b36:0008, class host bridge). */
export function hostBridgeFunction(): PciFunctionDef {
  return {
    vendorId: 0x1b36, deviceId: 0x0008, classCode: 0x06_00_00, revisionId: 0,
    subsystemVendorId: 0x1af4, subsystemId: 0x1100, interruptPin: 0, bars: [],
  };
}
