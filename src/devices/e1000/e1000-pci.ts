// The 82540EM as a PCI function (8086:100e, class 02/00/00 Ethernet): BAR0 the 128 KiB register
// window, BAR1 the I/O window (IOADDR/IODATA) Linux uses for the reset write, INTA.
import type { GuestMemory } from '../../memory/guest-memory.js';
import { PciConfigSpace } from '../pci/pci-config.js';
import type { NetBackend } from '../virtio/net/net-backend.js';
import { E1000_DEV_ID_82540EM, E1000_VENDOR_ID } from './e1000-spec.js';
import { E1000, E1000_BAR0_BYTES, E1000_IO_BAR_BYTES } from './e1000.js';

/** An e1000 PCI function on `backend` with MAC `mac`, and the device (for counters). */
export function e1000PciFunction(mem: GuestMemory, backend: NetBackend, mac: Uint8Array): { fn: PciConfigSpace; nic: E1000 } {
  let fn: PciConfigSpace | undefined;
  const intx = { set: (level: boolean) => fn?.intx.set(level) };
  const nic = new E1000(mem, backend, intx, { mac, busMaster: () => fn?.busMasterEnabled() === true });
  fn = new PciConfigSpace({
    vendorId: E1000_VENDOR_ID, deviceId: E1000_DEV_ID_82540EM, classCode: 0x02_00_00, revisionId: 3,
    subsystemVendorId: 0x1af4, subsystemId: 0x1100, interruptPin: 1,
    bars: [
      { kind: 'mem32', sizeBytes: E1000_BAR0_BYTES, device: nic.bar0 },
      { kind: 'io', sizeBytes: E1000_IO_BAR_BYTES, device: nic.io },
    ],
  });
  return { fn, nic };
}
