// The configuration space of one PCI function: the type 0 header (PCI Local Bus 3.0 §6.1, PCI
// Express Base 4.0 §7.5.1) with the registers firmware and Linux program: Command, Status, BARs
// with their sizing protocol (§6.2.5.1), Interrupt Line/Pin. The device model owns the BARs'
// MMIO handlers and drives `intx`; the host bridge decodes config cycles and BAR windows.
import type { IrqLine } from '../../memory/irq-line.js';
import type { MmioDevice } from '../../memory/mmio-bus.js';

/** Config header offsets (PCI 3.0 §6.1). */
export const enum PciCfg {
  VENDOR_ID = 0x00, DEVICE_ID = 0x02, COMMAND = 0x04, STATUS = 0x06, REVISION_ID = 0x08,
  CLASS_PROG = 0x09, CACHE_LINE_SIZE = 0x0c, LATENCY_TIMER = 0x0d, HEADER_TYPE = 0x0e,
  BAR0 = 0x10, SUBSYSTEM_VENDOR_ID = 0x2c, SUBSYSTEM_ID = 0x2e, ROM_ADDRESS = 0x30,
  CAPABILITIES_PTR = 0x34, INTERRUPT_LINE = 0x3c, INTERRUPT_PIN = 0x3d,
}

/** Command register bits (PCI 3.0 §6.2.2). */
export const enum PciCommand {
  IO_SPACE = 1 << 0, MEMORY_SPACE = 1 << 1, BUS_MASTER = 1 << 2, INTX_DISABLE = 1 << 10,
}

/** Status register: Interrupt Status (read-only, the function's INTx is asserted). */
export const PCI_STATUS_INTERRUPT = 1 << 3;
/** Command bits a function implements; others read 0. */
const COMMAND_WRITABLE = PciCommand.IO_SPACE | PciCommand.MEMORY_SPACE | PciCommand.BUS_MASTER | PciCommand.INTX_DISABLE;

/** One Base Address Register. */
export interface PciBarDef {
  /** `mem32`, `mem64` (uses this BAR and the next) or `io`. */
  readonly kind: 'mem32' | 'mem64' | 'io';
  /** Power of two; at least 16 (memory) or 4 (I/O). */
  readonly sizeBytes: number;
  /** Registers behind the BAR: accesses arrive as offsets inside it. */
  readonly device: MmioDevice;
}

/** What identifies a function and what it decodes. */
export interface PciFunctionDef {
  readonly vendorId: number;
  readonly deviceId: number;
  /** Class code, 24 bits: base class << 16 | subclass << 8 | programming interface. */
  readonly classCode: number;
  readonly revisionId: number;
  readonly subsystemVendorId: number;
  readonly subsystemId: number;
  /** INTx pin: 0 none, 1..4 INTA..INTD. */
  readonly interruptPin: number;
  /** Header type (0 endpoint; the host bridge too, as QEMU's gpex). */
  readonly bars: readonly (PciBarDef | undefined)[];
}

/** A BAR as currently assigned (for the host's window decoding). */
export interface PciBarWindow {
  readonly kind: 'mem' | 'io';
  readonly baseAddr: number;
  readonly sizeBytes: number;
  readonly device: MmioDevice;
}

/** Plain-data snapshot. */
export interface PciConfigState {
  readonly command: number;
  readonly bars: number[];
  readonly interruptLine: number;
  readonly cacheLineSize: number;
  readonly latencyTimer: number;
}

const BAR_COUNT = 6;

function validBar(b: PciBarDef): boolean {
  const pow2 = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
  return b.kind === 'io' ? pow2(b.sizeBytes) && b.sizeBytes >= 4 && b.sizeBytes <= 256 : pow2(b.sizeBytes) && b.sizeBytes >= 16 && b.sizeBytes <= 2 ** 30;
}

/** The config space of one function, and its INTx wire as the device sees it. */
export class PciConfigSpace {
  /** The device drives this; the host sees it only while Command.INTX_DISABLE is clear. */
  readonly intx: IrqLine;
  /** Called when the effective INTx level changes (the host bridge routes it to the PLIC). */
  onIntxChange: (level: boolean) => void = () => {};
  /** Called when Command or a BAR changes (the host re-decodes its windows). */
  onDecodeChange: () => void = () => {};
  private command = 0;
  private intxLevel = false;
  private interruptLine = 0;
  private cacheLineSize = 0;
  private latencyTimer = 0;
  /** BAR register values as the guest wrote them (address bits only; flags are added on read). */
  private readonly barRegs = new Uint32Array(BAR_COUNT);

  constructor(readonly def: PciFunctionDef) {
    for (let i = 0; i < def.bars.length; i++) {
      const b = def.bars[i];
      if (b === undefined) continue;
      if (!validBar(b) || i >= BAR_COUNT || (b.kind === 'mem64' && (i + 1 >= BAR_COUNT || def.bars[i + 1] !== undefined))) {
        throw new Error(`PCI function ${def.vendorId.toString(16)}:${def.deviceId.toString(16)}: bad BAR ${i}`);
      }
    }
    this.intx = { set: (level) => this.setIntx(level) };
  }

  /** Bus mastering (DMA) is enabled by the driver (Command.BUS_MASTER). */
  busMasterEnabled(): boolean {
    return (this.command & PciCommand.BUS_MASTER) !== 0;
  }

  /** The effective INTx level (asserted and not disabled). */
  intxAsserted(): boolean {
    return this.intxLevel && (this.command & PciCommand.INTX_DISABLE) === 0;
  }

  /** Reads `size` bytes at `offset` of the 4 KiB config space (unimplemented registers read 0). */
  read(offset: number, size: 1 | 2 | 4): number {
    if (offset < 0 || offset + size > 0x1000 || (offset & (size - 1)) !== 0) return size === 4 ? 0xffff_ffff : (1 << (size * 8)) - 1;
    const dword = this.readDword(offset & ~3);
    const shift = (offset & 3) * 8;
    return size === 4 ? dword >>> 0 : (dword >>> shift) & ((1 << (size * 8)) - 1);
  }

  /** Writes the low `size` bytes of `value` at `offset`; read-only bits are kept. */
  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (offset < 0 || offset + size > 0x1000 || (offset & (size - 1)) !== 0) return;
    const base = offset & ~3;
    const shift = (offset & 3) * 8;
    const mask = size === 4 ? 0xffff_ffff : ((1 << (size * 8)) - 1) << shift;
    const merged = ((this.readDword(base) & ~mask) | ((value << shift) & mask)) >>> 0;
    this.writeDword(base, merged, mask >>> 0);
  }

  /** Current memory and I/O windows of the BARs that decode (their space enabled, address set). */
  windows(): PciBarWindow[] {
    const out: PciBarWindow[] = [];
    for (let i = 0; i < this.def.bars.length; i++) {
      const b = this.def.bars[i];
      if (b === undefined) continue;
      if (b.kind === 'io') {
        if ((this.command & PciCommand.IO_SPACE) === 0) continue;
        out.push({ kind: 'io', baseAddr: this.barRegs[i]! & ~(b.sizeBytes - 1) & 0xffff_fffc, sizeBytes: b.sizeBytes, device: b.device });
      } else {
        if ((this.command & PciCommand.MEMORY_SPACE) === 0) continue;
        const lo = (this.barRegs[i]! & ~(b.sizeBytes - 1) & 0xffff_fff0) >>> 0;
        const hi = b.kind === 'mem64' ? this.barRegs[i + 1]! : 0;
        out.push({ kind: 'mem', baseAddr: hi * 2 ** 32 + lo, sizeBytes: b.sizeBytes, device: b.device });
      }
    }
    return out;
  }

  /** Plain-data snapshot. */
  save(): PciConfigState {
    return {
      command: this.command, bars: Array.from(this.barRegs), interruptLine: this.interruptLine,
      cacheLineSize: this.cacheLineSize, latencyTimer: this.latencyTimer,
    };
  }

  /** Restores a snapshot (and re-decodes). */
  restore(s: PciConfigState): void {
    this.command = s.command & COMMAND_WRITABLE;
    for (let i = 0; i < BAR_COUNT; i++) this.barRegs[i] = (s.bars[i] ?? 0) >>> 0;
    this.interruptLine = s.interruptLine & 0xff;
    this.cacheLineSize = s.cacheLineSize & 0xff;
    this.latencyTimer = s.latencyTimer & 0xff;
    this.onDecodeChange();
    this.onIntxChange(this.intxAsserted());
  }

  private setIntx(level: boolean): void {
    const before = this.intxAsserted();
    this.intxLevel = level;
    if (this.intxAsserted() !== before) this.onIntxChange(this.intxAsserted());
  }

  private barRead(i: number): number {
    const b = this.def.bars[i];
    if (b === undefined) {
      const prev = this.def.bars[i - 1];
      return prev?.kind === 'mem64' ? this.barRegs[i]! : 0; // upper half of a 64-bit BAR
    }
    if (b.kind === 'io') return ((this.barRegs[i]! & ~(b.sizeBytes - 1)) | 1) >>> 0;
    const flags = b.kind === 'mem64' ? 0b100 : 0;
    return ((this.barRegs[i]! & ~(b.sizeBytes - 1) & 0xffff_fff0) | flags) >>> 0;
  }

  private readDword(off: number): number {
    const d = this.def;
    switch (off) {
      case PciCfg.VENDOR_ID: return (d.vendorId | (d.deviceId << 16)) >>> 0;
      case PciCfg.COMMAND: {
        const status = this.intxLevel ? PCI_STATUS_INTERRUPT : 0;
        return (this.command | (status << 16)) >>> 0;
      }
      case PciCfg.REVISION_ID: return ((d.revisionId & 0xff) | (d.classCode << 8)) >>> 0;
      case PciCfg.CACHE_LINE_SIZE: return this.cacheLineSize | (this.latencyTimer << 8); // header type 0, no BIST
      case PciCfg.SUBSYSTEM_VENDOR_ID: return (d.subsystemVendorId | (d.subsystemId << 16)) >>> 0;
      case PciCfg.INTERRUPT_LINE: return this.interruptLine | (d.interruptPin << 8);
      default:
        if (off >= PciCfg.BAR0 && off < PciCfg.BAR0 + 4 * BAR_COUNT) return this.barRead((off - PciCfg.BAR0) >> 2);
        return 0; // ROM BAR 0 (no expansion ROM), no capabilities, no extended capabilities
    }
  }

  private writeDword(off: number, value: number, mask: number): void {
    switch (off) {
      case PciCfg.COMMAND: {
        if ((mask & 0xffff) === 0) return; // Status: RW1C bits we do not implement
        const before = this.intxAsserted();
        const old = this.command;
        this.command = value & COMMAND_WRITABLE;
        if (((old ^ this.command) & (PciCommand.IO_SPACE | PciCommand.MEMORY_SPACE)) !== 0) this.onDecodeChange();
        if (this.intxAsserted() !== before) this.onIntxChange(this.intxAsserted());
        return;
      }
      case PciCfg.CACHE_LINE_SIZE:
        this.cacheLineSize = value & 0xff;
        this.latencyTimer = (value >>> 8) & 0xff;
        return;
      case PciCfg.INTERRUPT_LINE:
        this.interruptLine = value & 0xff;
        return;
      default:
        if (off >= PciCfg.BAR0 && off < PciCfg.BAR0 + 4 * BAR_COUNT) {
          const i = (off - PciCfg.BAR0) >> 2;
          const b = this.def.bars[i];
          const upper = b === undefined && this.def.bars[i - 1]?.kind === 'mem64';
          if (b === undefined && !upper) return; // unimplemented BAR: hardwired 0
          // Address bits below the size read back 0 (sizing, §6.2.5.1): kept masked in barRead.
          this.barRegs[i] = value >>> 0;
          this.onDecodeChange();
        }
    }
  }
}
