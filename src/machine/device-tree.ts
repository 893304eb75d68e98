// The flattened device tree of the `virt` board, generated from BOARD_LAYOUT (DESIGN.md §2) in
// the shape of QEMU's `-M virt` tree, so the same kernels find the same devices.
import { FdtBuilder } from '../loader/fdt-builder.js';
import { TIMEBASE_HZ } from '../base/clock.js';
import {
  BOARD_LAYOUT,
  PCIE_INTX_BASE_IRQ,
  PLIC_SOURCE_COUNT,
  TEST_POWEROFF_VALUE,
  TEST_REBOOT_VALUE,
  UART_CLOCK_HZ,
  boardSlot,
  type BoardSlot,
} from './board-layout.js';

/** The `riscv,isa` string of every hart: what the Banquise hart implements. */
export const HART_ISA = 'rv64imafdc_zicsr_zifencei_zicntr_sstc';
/** Single-letter and multi-letter extensions, for the newer `riscv,isa-extensions` property. */
export const HART_ISA_EXTENSIONS: readonly string[] = ['i', 'm', 'a', 'f', 'd', 'c', 'zicsr', 'zifencei', 'zicntr', 'sstc'];
/** The MMU's widest mode (Linux probes `satp` itself; this is informative). */
export const HART_MMU_TYPE = 'riscv,sv48';

/** Everything the generated tree depends on. */
export interface DeviceTreeConfig {
  readonly vcpus: number;
  readonly ramBaseGpa: number;
  readonly ramSizeBytes: number;
  /** Kernel command line (`/chosen/bootargs`). */
  readonly bootargs: string;
  /** Initial ramdisk, [start, end) guest-physical, if any. */
  readonly initrd?: { readonly startGpa: number; readonly endGpa: number };
  /** Random bytes for `/chosen/rng-seed` (64 recommended). */
  readonly rngSeed: Uint8Array;
  /** virtio-mmio slots that hold a device (only those get a node). */
  readonly virtioSlots: readonly number[];
  /** The PCIe host bridge (full mode): a `pci-host-ecam-generic` node as QEMU's. */
  readonly pci?: boolean;
}

/** QEMU virt's `interrupt-map`: device slots 0..3 (mask 0x1800), pins 1..4, swizzled onto the PLIC. */
function pciInterruptMap(plicPhandle: number): number[] {
  const out: number[] = [];
  for (let slot = 0; slot < 4; slot++) {
    for (let pin = 1; pin <= 4; pin++) {
      out.push(slot << 11, 0, 0, pin, plicPhandle, PCIE_INTX_BASE_IRQ + ((slot + pin - 1) % 4));
    }
  }
  return out;
}

function hex(n: number): string {
  return n.toString(16);
}

/** Two-cell (64-bit) address or size as `<hi lo>`. */
function cells64(n: number): number[] {
  return [Math.floor(n / 2 ** 32) >>> 0, n >>> 0];
}

function reg(slot: BoardSlot): number[] {
  return [...cells64(slot.baseGpa), ...cells64(slot.sizeBytes)];
}

/** The unit name of a slot's node, `name@base`. */
export function nodeName(slot: BoardSlot): string {
  return `${slot.name}@${hex(slot.baseGpa)}`;
}

/** Builds the DTB blob for a pv-mode `virt` board. */
export function buildDeviceTree(cfg: DeviceTreeConfig): Uint8Array {
  const fdt = new FdtBuilder();
  const intc: number[] = [];
  const cpuPhandles: number[] = [];
  for (let h = 0; h < cfg.vcpus; h++) {
    cpuPhandles.push(fdt.allocPhandle());
    intc.push(fdt.allocPhandle());
  }
  const plicPhandle = fdt.allocPhandle();
  const testPhandle = fdt.allocPhandle();
  const uart = boardSlot('uart');

  fdt.beginNode('');
  fdt.propU32('#address-cells', 2);
  fdt.propU32('#size-cells', 2);
  fdt.propString('compatible', 'riscv-virtio');
  fdt.propString('model', 'riscv-virtio,banquise');

  fdt.beginNode('chosen');
  fdt.propString('bootargs', cfg.bootargs);
  fdt.propString('stdout-path', `/soc/${nodeName(uart)}`);
  if (cfg.initrd !== undefined) {
    fdt.propU64('linux,initrd-start', BigInt(cfg.initrd.startGpa));
    fdt.propU64('linux,initrd-end', BigInt(cfg.initrd.endGpa));
  }
  fdt.propBytes('rng-seed', cfg.rngSeed);
  fdt.endNode();

  fdt.beginNode(`memory@${hex(cfg.ramBaseGpa)}`);
  fdt.propString('device_type', 'memory');
  fdt.propCells('reg', [...cells64(cfg.ramBaseGpa), ...cells64(cfg.ramSizeBytes)]);
  fdt.endNode();

  fdt.beginNode('cpus');
  fdt.propU32('#address-cells', 1);
  fdt.propU32('#size-cells', 0);
  fdt.propU32('timebase-frequency', TIMEBASE_HZ);
  for (let h = 0; h < cfg.vcpus; h++) {
    fdt.beginNode(`cpu@${h}`);
    fdt.propU32('phandle', cpuPhandles[h]!);
    fdt.propString('device_type', 'cpu');
    fdt.propU32('reg', h);
    fdt.propString('status', 'okay');
    fdt.propString('compatible', 'riscv');
    fdt.propString('riscv,isa', HART_ISA);
    fdt.propString('riscv,isa-base', 'rv64i');
    fdt.propStrings('riscv,isa-extensions', HART_ISA_EXTENSIONS);
    fdt.propString('mmu-type', HART_MMU_TYPE);
    fdt.beginNode('interrupt-controller');
    fdt.propU32('#address-cells', 0);
    fdt.propU32('#interrupt-cells', 1);
    fdt.propEmpty('interrupt-controller');
    fdt.propString('compatible', 'riscv,cpu-intc');
    fdt.propU32('phandle', intc[h]!);
    fdt.endNode();
    fdt.endNode();
  }
  fdt.beginNode('cpu-map');
  fdt.beginNode('cluster0');
  for (let h = 0; h < cfg.vcpus; h++) {
    fdt.beginNode(`core${h}`);
    fdt.propU32('cpu', cpuPhandles[h]!);
    fdt.endNode();
  }
  fdt.endNode();
  fdt.endNode();
  fdt.endNode(); // cpus

  fdt.beginNode('soc');
  fdt.propU32('#address-cells', 2);
  fdt.propU32('#size-cells', 2);
  fdt.propString('compatible', 'simple-bus');
  fdt.propEmpty('ranges');
  for (const slot of BOARD_LAYOUT) {
    switch (slot.kind) {
      case 'test':
        fdt.beginNode(nodeName(slot));
        fdt.propU32('phandle', testPhandle);
        fdt.propCells('reg', reg(slot));
        fdt.propStrings('compatible', slot.compatible);
        fdt.endNode();
        break;
      case 'pvpanic':
        fdt.beginNode(nodeName(slot));
        fdt.propCells('reg', reg(slot));
        fdt.propStrings('compatible', slot.compatible);
        fdt.endNode();
        break;
      case 'rtc':
      case 'uart':
        fdt.beginNode(nodeName(slot));
        fdt.propU32('interrupts', slot.irq!);
        fdt.propU32('interrupt-parent', plicPhandle);
        if (slot.kind === 'uart') fdt.propU32('clock-frequency', UART_CLOCK_HZ);
        fdt.propCells('reg', reg(slot));
        fdt.propStrings('compatible', slot.compatible);
        fdt.endNode();
        break;
      case 'virtio':
        if (!cfg.virtioSlots.includes(slot.index)) break;
        fdt.beginNode(nodeName(slot));
        fdt.propU32('interrupts', slot.irq!);
        fdt.propU32('interrupt-parent', plicPhandle);
        fdt.propCells('reg', reg(slot));
        fdt.propStrings('compatible', slot.compatible);
        fdt.endNode();
        break;
      case 'plic': {
        fdt.beginNode(nodeName(slot));
        fdt.propU32('phandle', plicPhandle);
        fdt.propU32('riscv,ndev', PLIC_SOURCE_COUNT);
        fdt.propCells('reg', reg(slot));
        // Context 2h: hart h M-mode external (11); 2h + 1: S-mode external (9).
        fdt.propCells('interrupts-extended', intc.flatMap((p) => [p, 11, p, 9]));
        fdt.propEmpty('interrupt-controller');
        fdt.propStrings('compatible', slot.compatible);
        fdt.propU32('#address-cells', 0);
        fdt.propU32('#interrupt-cells', 1);
        fdt.endNode();
        break;
      }
      case 'clint':
        fdt.beginNode(nodeName(slot));
        // Per hart: machine software (3) and machine timer (7) interrupts.
        fdt.propCells('interrupts-extended', intc.flatMap((p) => [p, 3, p, 7]));
        fdt.propCells('reg', reg(slot));
        fdt.propStrings('compatible', slot.compatible);
        fdt.endNode();
        break;
      case 'pcie-ecam': {
        if (cfg.pci !== true) break;
        const pio = boardSlot('pcie-pio');
        const mmio = boardSlot('pcie-mmio');
        fdt.beginNode(nodeName(slot));
        fdt.propCells('interrupt-map-mask', [0x1800, 0, 0, 7]);
        fdt.propCells('interrupt-map', pciInterruptMap(plicPhandle));
        // (space flags, PCI address hi lo) (CPU address) (size): I/O from 0, 32-bit memory 1:1.
        fdt.propCells('ranges', [
          0x0100_0000, 0, 0, ...cells64(pio.baseGpa), ...cells64(pio.sizeBytes),
          0x0200_0000, ...cells64(mmio.baseGpa), ...cells64(mmio.baseGpa), ...cells64(mmio.sizeBytes),
        ]);
        fdt.propCells('reg', reg(slot));
        fdt.propEmpty('dma-coherent');
        fdt.propCells('bus-range', [0, 0xff]);
        fdt.propU32('linux,pci-domain', 0);
        fdt.propString('device_type', 'pci');
        fdt.propStrings('compatible', slot.compatible);
        fdt.propU32('#size-cells', 2);
        fdt.propU32('#interrupt-cells', 1);
        fdt.propU32('#address-cells', 3);
        fdt.endNode();
        break;
      }
      default:
        break;
    }
  }
  fdt.endNode(); // soc

  fdt.beginNode('poweroff');
  fdt.propU32('value', TEST_POWEROFF_VALUE);
  fdt.propU32('offset', 0);
  fdt.propU32('regmap', testPhandle);
  fdt.propString('compatible', 'syscon-poweroff');
  fdt.endNode();
  fdt.beginNode('reboot');
  fdt.propU32('value', TEST_REBOOT_VALUE);
  fdt.propU32('offset', 0);
  fdt.propU32('regmap', testPhandle);
  fdt.propString('compatible', 'syscon-reboot');
  fdt.endNode();

  fdt.endNode(); // root
  return fdt.finish();
}
