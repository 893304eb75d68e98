// What a machine's guest made the emulator do, counted exactly since the machine was built (or
// restored): instructions per privilege, traps into M-mode, SBI calls answered in TypeScript,
// device register accesses (MMIO exits) and interrupts per device. For `info counters` and
// `npm run bench:modes` (pv versus full, docs/pv-vs-full.md). Plain data.
import type { Hart } from '../cpu/hart.js';
import type { MmioRegion } from '../memory/mmio-bus.js';
import type { Plic } from '../devices/plic/plic.js';
import type { PciHost } from '../devices/pci/pci-host.js';
import { PCI_SLOT_COUNT, swizzle } from '../devices/pci/pci-host.js';
import { BOARD_LAYOUT, PCIE_INTX_BASE_IRQ } from './board-layout.js';
import type { NamedVirtioDevice } from './machine-devices.js';

/** The counters of a machine, summed over its harts. */
export interface MachineCounters {
  /** Instructions retired in U, S and M mode (M: firmware, in full mode). */
  readonly retired: { readonly user: number; readonly supervisor: number; readonly machine: number };
  /** Traps taken into M-mode: ecalls (SBI calls in full mode), other exceptions, interrupts. */
  readonly trapsToM: { readonly ecall: number; readonly exception: number; readonly interrupt: number };
  /** SBI calls answered in TypeScript (pv mode; 0 in full mode, where the firmware answers). */
  readonly sbiCalls: number;
  /**
   * Register accesses per device (each read or write of at most 4 bytes that reached it; an
   * 8-byte guest access counts twice), by device name (`virtio-blk.0`, `nvme.0`, `serial`...).
   */
  readonly mmio: Readonly<Record<string, number>>;
  /** Interrupts claimed from the PLIC per device name (a shared PCIe INTx wire: names joined by `+`). */
  readonly irqs: Readonly<Record<string, number>>;
}

/** What the counters are read from (the Machine has it). */
export interface CounterSources {
  readonly harts: readonly Hart[];
  readonly regions: readonly MmioRegion[];
  readonly plic: Plic;
  readonly pci: PciHost | undefined;
  readonly virtio: readonly NamedVirtioDevice[];
  readonly sbiCalls: number;
}

/** Name of the PCI function in a slot: `nvme.N`, `e1000.N`, or `pci-SLOT` (N counts per kind). */
function pciNames(pci: PciHost | undefined): Map<number, string> {
  const names = new Map<number, string>();
  if (pci === undefined) return names;
  const perKind = new Map<string, number>();
  for (let slot = 1; slot < PCI_SLOT_COUNT; slot++) {
    const fn = pci.function(slot);
    if (fn === undefined) continue;
    const kind = fn.def.classCode === 0x01_08_02 ? 'nvme' : fn.def.vendorId === 0x8086 && fn.def.deviceId === 0x100e ? 'e1000' : undefined;
    if (kind === undefined) {
      names.set(slot, `pci-${slot}`);
      continue;
    }
    const n = perKind.get(kind) ?? 0;
    perKind.set(kind, n + 1);
    names.set(slot, `${kind}.${n}`);
  }
  return names;
}

/** Reads every counter now. */
export function readCounters(src: CounterSources): MachineCounters {
  const retired = { user: 0, supervisor: 0, machine: 0 };
  const trapsToM = { ecall: 0, exception: 0, interrupt: 0 };
  for (const h of src.harts) {
    const r = h.retiredByPriv();
    retired.user += r.user;
    retired.supervisor += r.supervisor;
    retired.machine += r.machine;
    trapsToM.ecall += h.trapsToM.ecall;
    trapsToM.exception += h.trapsToM.exception;
    trapsToM.interrupt += h.trapsToM.interrupt;
  }

  const virtioName = new Map(src.virtio.map((d) => [d.slot, d.name]));
  const irqName = new Map<number, string>();
  const mmio: Record<string, number> = {};
  for (const region of src.regions) {
    const slot = BOARD_LAYOUT.find((s) => s.baseGpa === region.baseGpa);
    if (slot?.kind === 'pcie-mmio' || slot?.kind === 'pcie-pio') continue; // counted per function below
    const name = slot === undefined ? region.name
      : slot.kind === 'virtio' ? (virtioName.get(slot.index) ?? `virtio-mmio.${slot.index}`)
        : slot.kind === 'pcie-ecam' ? 'pcie-ecam' : slot.name;
    if (slot?.irq !== undefined) irqName.set(slot.irq, name);
    mmio[name] = region.accesses.reads + region.accesses.writes;
  }
  const pciName = pciNames(src.pci);
  const intx: string[][] = [[], [], [], []];
  for (const [slot, name] of pciName) {
    mmio[name] = src.pci!.barAccesses[slot]!;
    const pin = src.pci!.function(slot)!.def.interruptPin;
    if (pin >= 1 && pin <= 4) intx[swizzle(slot, pin)]!.push(name);
  }
  intx.forEach((names, wire) => { if (names.length > 0) irqName.set(PCIE_INTX_BASE_IRQ + wire, names.join('+')); });

  const irqs: Record<string, number> = {};
  for (let id = 1; id < src.plic.claims.length; id++) {
    const n = src.plic.claims[id]!;
    const name = irqName.get(id);
    if (name !== undefined) irqs[name] = n;
    else if (n > 0) irqs[`plic-source-${id}`] = n;
  }
  return { retired, trapsToM, sbiCalls: src.sbiCalls, mmio, irqs };
}
