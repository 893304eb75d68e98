// The PCI functions of a full-mode `banquise run`: NVMe disks (`--disk FILE,if=nvme`).
import type { BlockBackend } from '../../devices/virtio/blk/block-device.js';
import { nvmePciFunction } from '../../devices/nvme/nvme-pci.js';
import type { PciSlotFactory } from '../../machine/index.js';
import type { VirtioOptionsConfig } from './virtio-options.js';

/**
 * One factory per NVMe disk of `cfg` (in `--disk` order, `disks` as `openDisks` returned them).
 * Each machine (a reboot builds a new one) gets a fresh controller over the same image.
 */
export function buildPciSlots(cfg: VirtioOptionsConfig, disks: readonly BlockBackend[], wake: () => void): PciSlotFactory[] {
  const out: PciSlotFactory[] = [];
  cfg.disks.forEach((d, i) => {
    if (d.interface !== 'nvme') return;
    const backend = disks[i]!;
    const serial = d.serial ?? `BQNVME${String(out.length).padStart(4, '0')}`;
    out.push((mem) => nvmePciFunction(mem, backend, { serial, readOnly: d.readOnly, wake }).fn);
  });
  return out;
}
