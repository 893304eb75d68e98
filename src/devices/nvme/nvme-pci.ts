// The NVMe controller as a PCI function: class 01/08/02 (NVM Express I/O controller), BAR0 a
// 64-bit memory BAR with the registers and doorbells, INTA, DMA only with Bus Master Enable.
import type { GuestMemory } from '../../memory/guest-memory.js';
import { PciConfigSpace } from '../pci/pci-config.js';
import type { BlockBackend } from '../virtio/blk/block-device.js';
import { NVME_BAR0_BYTES, NvmeController } from './nvme-controller.js';

/** Options of an NVMe disk. */
export interface NvmePciConfig {
  readonly serial: string;
  readonly readOnly?: boolean;
  readonly wake?: () => void;
}

/** An NVMe PCI function over `backend`, and its controller (for counters). */
export function nvmePciFunction(mem: GuestMemory, backend: BlockBackend, cfg: NvmePciConfig): { fn: PciConfigSpace; controller: NvmeController } {
  let fn: PciConfigSpace | undefined;
  const intx = { set: (level: boolean) => fn?.intx.set(level) };
  const controller = new NvmeController(mem, backend, intx, {
    serial: cfg.serial,
    ...(cfg.readOnly !== undefined ? { readOnly: cfg.readOnly } : {}),
    ...(cfg.wake !== undefined ? { wake: cfg.wake } : {}),
    busMaster: () => fn?.busMasterEnabled() === true,
  });
  fn = new PciConfigSpace({
    vendorId: 0x1b36, deviceId: 0x0010, // QEMU's NVMe: Linux binds by class code anyway
    classCode: 0x01_08_02, revisionId: 2,
    subsystemVendorId: 0x1af4, subsystemId: 0x1100,
    interruptPin: 1,
    bars: [{ kind: 'mem64', sizeBytes: NVME_BAR0_BYTES, device: controller.bar0 }],
  });
  return { fn, controller };
}
