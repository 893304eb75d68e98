// A domain's machine from its MachineConfig on Node: devices, backends and pv boot.
// Interim wiring until the core builder (`buildMachine`) lands; then this file only adds what
// domains need on top of it (the power-key device and the handles the worker reports on).
import { randomFillSync } from 'node:crypto';
import { BanquiseError } from '../../base/errors.js';
import type { MachineConfig } from '../../machine/machine-config.js';
import { Machine, pvBoot, type ConsoleBackend, type VirtioSlotFactory } from '../../machine/index.js';
import { virtioMmio } from '../../devices/virtio/virtio-mmio.js';
import { VirtioInputDevice } from '../../devices/virtio/input/input-device.js';
import type { VirtioBlockDevice } from '../../devices/virtio/blk/block-device.js';
import type { VirtioBalloonDevice } from '../../devices/virtio/balloon/balloon-device.js';
import { loadFile } from './file-loader.js';
import { HostClock, hostWallClockNs } from './host-clock.js';
import { buildVirtioSlots, openDisks, type VirtioDevices } from './virtio-options.js';
import { buildNetSlots, buildShareSlots, type NetOptionConfig } from './net-options.js';

/** A built domain machine and the device handles the domain's worker drives. */
export interface DomainMachine {
  readonly machine: Machine;
  readonly input: VirtioInputDevice;
  readonly balloon: VirtioBalloonDevice | undefined;
  readonly blocks: readonly VirtioBlockDevice[];
  /** Frames received / sent by each network interface. */
  readonly nics: readonly { stats: { rxFrames: number; txFrames: number } }[];
  /** Closes the disk images. */
  close(): Promise<void>;
}

/** Host services of a domain machine. */
export interface DomainMachineDeps {
  readonly console: ConsoleBackend;
  /** Called when a device completes I/O outside a slice (wakes the run loop). */
  readonly wake: () => void;
  /** Folder for the vsock Unix sockets (`vsock-CID_PORT`). */
  readonly runtimeDir: string;
}

/** Builds and boots (pv) the machine `cfg` describes. */
export async function buildDomainMachine(cfg: MachineConfig, deps: DomainMachineDeps): Promise<DomainMachine> {
  if (cfg.mode !== 'pv') throw new BanquiseError(`mode '${cfg.mode}' is not available for domains yet: use pv`, 64);
  const kernel = loadFile(cfg.boot.kernel.path, 'kernel');
  const initrd = cfg.boot.initrd !== undefined ? loadFile(cfg.boot.initrd.path, 'initrd') : undefined;
  const d = cfg.devices;
  const virtioCfg = {
    disks: d.disks.map((x) => ({ path: x.path, readOnly: x.readOnly, ...(x.serial !== undefined ? { serial: x.serial } : {}) })),
    virtioConsole: d.console === 'virtio',
    balloon: d.balloon,
    rng: d.rng,
    ...(d.vsock !== undefined ? { vsock: { guestCid: d.vsock.guestCid, udsPath: d.vsock.udsPath ?? `${deps.runtimeDir}/vsock-${d.vsock.guestCid}` } } : {}),
  };
  const disks = await openDisks(virtioCfg);
  let devices: VirtioDevices | undefined;
  const nets: NetOptionConfig[] = d.nics.map((n) => {
    if (n.backend.kind !== 'user') throw new BanquiseError(`network backend '${n.backend.kind}' is not available for domains yet: use type=user`, 64);
    const mac = n.mac !== undefined ? Uint8Array.from(n.mac.split(':').map((h) => parseInt(h, 16))) : undefined;
    return {
      kind: 'user',
      user: { hostForwards: n.backend.hostForwards.map((f) => ({ protocol: 'tcp' as const, hostAddr: f.hostAddress, hostPort: f.hostPort, guestPort: f.guestPort })) },
      ...(mac !== undefined ? { mac } : {}),
    };
  });
  const input = new VirtioInputDevice();
  const wake = deps.wake;
  let slots: VirtioSlotFactory[];
  try {
    slots = [
      ...buildVirtioSlots(virtioCfg, { disks, ramSizeBytes: cfg.memoryBytes, wake }, (x) => (devices = x)),
      ...buildNetSlots(nets, { wake }),
      ...buildShareSlots(d.shares.map((s) => ({ hostDir: s.hostDir, tag: s.tag, readOnly: s.readOnly })), { wake }),
    ];
  } catch (err) {
    for (const x of disks) await x.close();
    throw err;
  }
  const makeInput = virtioMmio(input);
  slots.push((mem, irq) => makeInput(mem, { set: (level: boolean) => { irq.set(level); if (level) wake(); } }));
  if (slots.length > 8) {
    for (const x of disks) await x.close();
    throw new BanquiseError(`${slots.length} virtio devices with the power key; the board has 8 slots`, 64);
  }
  const machine = new Machine({
    mode: 'pv',
    ramSizeBytes: cfg.memoryBytes,
    vcpus: cfg.vcpus,
    clock: new HostClock(),
    wallClockNs: hostWallClockNs,
    console: deps.console,
    virtio: slots,
  });
  pvBoot(machine, { kernel, ...(initrd !== undefined ? { initrd } : {}), bootargs: cfg.boot.cmdline, random: (b) => randomFillSync(b) });
  return {
    machine,
    input,
    balloon: devices?.balloon,
    blocks: devices?.blocks ?? [],
    nics: [],
    close: async () => {
      for (const x of disks) await x.close();
    },
  };
}
