// The `virt` board's memory map and interrupt numbers (DESIGN.md §2), as ONE table. The machine
// builder wires devices from it and the device-tree generator describes them from it: no address
// is written anywhere else.

/** What kind of device sits in a board slot; the builder and the FDT generator switch on this. */
export type BoardDeviceKind =
  | 'boot-rom'
  | 'test'
  | 'rtc'
  | 'pvpanic'
  | 'clint'
  | 'plic'
  | 'uart'
  | 'virtio'
  | 'pcie-ecam'
  | 'pcie-pio'
  | 'pcie-mmio';

/** One row of the board table. */
export interface BoardSlot {
  /** Short name, used for the MMIO window and as the device-tree node name (`name@base`). */
  readonly name: string;
  readonly kind: BoardDeviceKind;
  readonly baseGpa: number;
  readonly sizeBytes: number;
  /** PLIC source number, if the device raises an interrupt. */
  readonly irq?: number;
  /** Device-tree `compatible` strings, most specific first (empty: no node of its own). */
  readonly compatible: readonly string[];
  /** Index among slots of the same kind (virtio-mmio n). */
  readonly index: number;
}

/** Number of virtio-mmio slots of the board. */
export const VIRTIO_SLOT_COUNT = 8;

/** Interrupt sources the PLIC offers (`riscv,ndev`), as QEMU's virt (VIRT_IRQCHIP_NUM_SOURCES). */
export const PLIC_SOURCE_COUNT = 96;

/** PLIC source of the PCIe INTA wire; INTB..INTD follow (QEMU virt's PCIE_IRQ). */
export const PCIE_INTX_BASE_IRQ = 32;

/** Guest-physical address of the first RAM byte. */
export const RAM_BASE_GPA = 0x8000_0000;

/** UART input clock (`clock-frequency` of the ns16550a node), as on QEMU's virt. */
export const UART_CLOCK_HZ = 3_686_400;

/** Value written to the test device to power off (published as the syscon-poweroff `value`). */
export const TEST_POWEROFF_VALUE = 0x5555;
/** Value written to the test device to reboot (published as the syscon-reboot `value`). */
export const TEST_REBOOT_VALUE = 0x7777;

function slot(
  name: string,
  kind: BoardDeviceKind,
  baseGpa: number,
  sizeBytes: number,
  compatible: readonly string[],
  irq?: number,
  index = 0,
): BoardSlot {
  return irq === undefined
    ? { name, kind, baseGpa, sizeBytes, compatible, index }
    : { name, kind, baseGpa, sizeBytes, compatible, irq, index };
}

const VIRTIO_BASE_GPA = 0x1000_1000;
const VIRTIO_STRIDE = 0x1000;

/** The board, in address order. */
export const BOARD_LAYOUT: readonly BoardSlot[] = Object.freeze([
  slot('boot-rom', 'boot-rom', 0x0000_1000, 0xf000, []),
  slot('test', 'test', 0x0010_0000, 0x1000, ['sifive,test1', 'sifive,test0', 'syscon']),
  slot('rtc', 'rtc', 0x0010_1000, 0x1000, ['google,goldfish-rtc'], 11),
  // Not on QEMU's riscv virt (which has no pvpanic): a free page after the RTC.
  slot('pvpanic-mmio', 'pvpanic', 0x0010_2000, 0x1000, ['qemu,pvpanic-mmio']),
  slot('clint', 'clint', 0x0200_0000, 0x1_0000, ['sifive,clint0', 'riscv,clint0']),
  slot('pcie-pio', 'pcie-pio', 0x0300_0000, 0x1_0000, []),
  slot('plic', 'plic', 0x0c00_0000, 0x60_0000, ['sifive,plic-1.0.0', 'riscv,plic0']),
  slot('serial', 'uart', 0x1000_0000, 0x100, ['ns16550a'], 10),
  ...Array.from({ length: VIRTIO_SLOT_COUNT }, (_, n) =>
    slot('virtio_mmio', 'virtio', VIRTIO_BASE_GPA + n * VIRTIO_STRIDE, VIRTIO_STRIDE, ['virtio,mmio'], 1 + n, n),
  ),
  slot('pci', 'pcie-ecam', 0x3000_0000, 0x1000_0000, ['pci-host-ecam-generic']),
  slot('pcie-mmio', 'pcie-mmio', 0x4000_0000, 0x4000_0000, []),
]);

/** The slot of a given kind (and index for virtio); throws on a wiring bug (unknown slot). */
export function boardSlot(kind: BoardDeviceKind, index = 0): BoardSlot {
  for (const s of BOARD_LAYOUT) if (s.kind === kind && s.index === index) return s;
  throw new Error(`board has no ${kind} slot ${index}`);
}
