// The one builder (DESIGN.md §4): a validated MachineConfig plus the host backends in, a wired
// and booted Machine out. The only place that turns config into devices: the fixed board comes
// from BOARD_LAYOUT (Machine's constructor places it), the virtio slots and (full mode) the PCI
// functions are filled here in a fixed order, and pv boot (kernel, initrd, device tree) or full
// boot (firmware, next stage, initrd, device tree, boot ROM) loads the guest.
import { BanquiseError } from '../base/errors.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { IrqLine } from '../memory/irq-line.js';
import type { MmioDevice } from '../memory/mmio-bus.js';
import { virtioMmio } from '../devices/virtio/virtio-mmio.js';
import type { VirtioDevice } from '../devices/virtio/virtio-device.js';
import { VirtioBalloonDevice } from '../devices/virtio/balloon/balloon-device.js';
import { VirtioBlockDevice } from '../devices/virtio/blk/block-device.js';
import { VirtioConsoleDevice } from '../devices/virtio/console/console-device.js';
import { VirtioNetDevice } from '../devices/virtio/net/virtio-net.js';
import { P9Server } from '../devices/virtio/p9/p9-server.js';
import { Virtio9pDevice } from '../devices/virtio/p9/virtio-9p.js';
import { VirtioEntropyDevice } from '../devices/virtio/rng/entropy-device.js';
import { VirtioVsockDevice } from '../devices/virtio/vsock/vsock-device.js';
import { e1000PciFunction } from '../devices/e1000/e1000-pci.js';
import { nvmePciFunction } from '../devices/nvme/nvme-pci.js';
import type { NetBackend } from '../devices/virtio/net/net-backend.js';
import { fullBoot } from './full-boot.js';
import { VirtioInputDevice } from '../devices/virtio/input/input-device.js';
import type { HostBackends } from './host-backends.js';
import { Machine, type MachineExit, type PciSlotFactory, type VirtioSlotFactory } from './machine.js';
import type { MachineConfig } from './machine-config.js';
import type { MachineDevices, NamedVirtioDevice } from './machine-devices.js';
import type { MachineState } from './machine-state.js';
import { pvBoot } from './pv-boot.js';

/** Options of one build. */
export interface BuildOptions {
  /** Called once when the guest powers off, reboots or fails. */
  readonly onExit?: (exit: MachineExit) => void;
  /**
   * Restore this snapshot (`Machine.save()`, of a machine built from the same config) instead
   * of booting: RAM, harts and every device continue where the snapshot was taken.
   */
  readonly state?: MachineState;
  /** Run hot guest code as WebAssembly (docs/jit.md; default on, false interprets only), and its hotness threshold. */
  readonly jit?: boolean;
  readonly jitThreshold?: number;
  /**
   * false: neither boot nor restore; RAM stays zero and the harts in reset, for a caller that
   * fills RAM itself and then calls `machine.restore` (a migration destination, built before
   * the pages arrive so that the stop does not wait for a 256 MiB allocation). Default true.
   */
  readonly boot?: boolean;
}

/** Default MAC of interface `index`: QEMU's 52:54:00:12:34:56, last byte + index. */
export function defaultMac(index: number): string {
  return `52:54:00:12:34:${((0x56 + index) & 0xff).toString(16).padStart(2, '0')}`;
}

function macBytes(mac: string): Uint8Array {
  return new Uint8Array(mac.split(':').map((h) => parseInt(h, 16)));
}

/**
 * The virtio devices of `config`, in slot order: disks, virtio console, rng, balloon, vsock,
 * nics, shares, input. Slot order is guest-visible (probe order: vda, vdb…, eth0…): keep it stable.
 * NVMe disks and e1000 NICs (full mode) are PCI functions: see pciFactories.
 */
function createDevices(config: MachineConfig, backends: HostBackends): MachineDevices {
  const d = config.devices;
  const all: NamedVirtioDevice[] = [];
  const add = <T extends VirtioDevice>(kind: string, index: number, device: T): T => {
    all.push({ name: `virtio-${kind}.${index}`, slot: all.length, device });
    return device;
  };
  const blocks = d.disks.flatMap((disk, i) => disk.interface === 'nvme' ? [] : [
    add('blk', i, new VirtioBlockDevice(backends.block(i, disk), { readOnly: disk.readOnly, ...(disk.serial !== undefined ? { serial: disk.serial } : {}) })),
  ]);
  const console = d.console === 'virtio' ? add('console', 0, new VirtioConsoleDevice(backends.virtioConsole())) : undefined;
  const rng = d.rng ? add('rng', 0, new VirtioEntropyDevice(backends.entropy)) : undefined;
  const balloon = d.balloon ? add('balloon', 0, new VirtioBalloonDevice(Math.floor(config.memoryBytes / 4096))) : undefined;
  const vsock = d.vsock !== undefined ? add('vsock', 0, new VirtioVsockDevice(d.vsock.guestCid, backends.vsock(d.vsock))) : undefined;
  const nets = d.nics.flatMap((nic, i) => nic.model === 'e1000' ? [] : [
    add('net', i, new VirtioNetDevice(backends.net(i, nic), { mac: macBytes(nic.mac ?? defaultMac(i)) })),
  ]);
  const shares = d.shares.map((s, i) => {
    const name = `virtio-9p.${i}`;
    const onHostError = (err: unknown): void => {
      backends.log.count(name, 'hostError');
      backends.log.log('error', name, `host bug in a 9P request (answered EIO): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    };
    return add('9p', i, new Virtio9pDevice(new P9Server(backends.share(i, s), { onHostError }), s.tag));
  });
  const input = d.input === true ? add('input', 0, new VirtioInputDevice()) : undefined;
  return {
    all,
    blocks,
    nets,
    shares,
    ...(console !== undefined ? { console } : {}),
    ...(rng !== undefined ? { rng } : {}),
    ...(balloon !== undefined ? { balloon } : {}),
    ...(vsock !== undefined ? { vsock } : {}),
    ...(input !== undefined ? { input } : {}),
  };
}

/**
 * The PCI functions of a full-mode `config`, plugged from device 1 on: NVMe disks in disk order,
 * then e1000 NICs in NIC order. Each build makes new functions on the same host backends;
 * completions and received frames wake the host's run loop.
 */
function pciFactories(config: MachineConfig, backends: HostBackends): PciSlotFactory[] {
  const out: PciSlotFactory[] = [];
  const wake = (): void => backends.wake();
  config.devices.disks.forEach((disk, i) => {
    if (disk.interface !== 'nvme') return;
    const serial = disk.serial ?? `BQNVME${String(i).padStart(4, '0')}`;
    out.push((mem) => nvmePciFunction(mem, backends.block(i, disk), { serial, readOnly: disk.readOnly, wake }).fn);
  });
  config.devices.nics.forEach((nic, i) => {
    if (nic.model !== 'e1000') return;
    const host = backends.net(i, nic);
    const waking: NetBackend = {
      send: (frame) => host.send(frame),
      onReceive: (cb) => host.onReceive((frame) => { cb(frame); wake(); }),
      close: () => host.close(),
    };
    const mac = macBytes(nic.mac ?? defaultMac(i));
    out.push((mem) => e1000PciFunction(mem, waking, mac).fn);
  });
  return out;
}

/** Slot factories whose interrupt also wakes the host's run loop. */
function slotFactories(devices: MachineDevices, backends: HostBackends): VirtioSlotFactory[] {
  return devices.all.map(({ device, name }) => {
    const make = virtioMmio(device, backends.schedule, { log: backends.log, name });
    return (mem: GuestMemory, irq: IrqLine): MmioDevice =>
      make(mem, {
        set: (level: boolean) => {
          irq.set(level);
          if (level) backends.wake();
        },
      });
  });
}

/**
 * Builds the machine `config` describes (validate it first: validateMachineConfig) on
 * `backends`, and boots it: in `pv` mode the kernel Image, initrd and a generated device tree
 * are loaded and hart 0 enters the kernel in S-mode; in `full` mode the firmware (`boot.bios`)
 * goes at the start of RAM, the kernel at 0x8020_0000 as its next stage, and every hart starts
 * in M-mode at the boot ROM. Throws BanquiseError (status 64) for a mode this build cannot run,
 * boot files that do not fit, or a `state` that does not fit.
 */
export function buildMachine(config: MachineConfig, backends: HostBackends, options: BuildOptions = {}): Machine {
  if (config.mode === 'full' && config.boot.bios === undefined) {
    throw new BanquiseError('mode "full" needs boot.bios: the firmware (e.g. OpenSBI fw_dynamic.bin)', 64);
  }
  if (config.mode === 'bare') {
    throw new BanquiseError('mode "bare" runs through `banquise elf` (ElfRunner), not the machine builder', 64);
  }
  const devices = createDevices(config, backends);
  const machine = new Machine({
    mode: config.mode,
    ramSizeBytes: config.memoryBytes,
    vcpus: config.vcpus,
    clock: backends.clock,
    wallClockNs: () => backends.wallClockNs(),
    console: backends.console,
    virtio: slotFactories(devices, backends),
    ...(config.mode === 'full' ? { pci: pciFactories(config, backends) } : {}),
    config,
    devices,
    ...(options.onExit !== undefined ? { onExit: options.onExit } : {}),
    ...(options.jit !== undefined ? { jit: options.jit } : {}),
    ...(options.jitThreshold !== undefined ? { jitThreshold: options.jitThreshold } : {}),
  });
  if (options.state !== undefined) {
    machine.restore(options.state);
    return machine;
  }
  if (options.boot === false) return machine;
  const boot = config.boot;
  const files = {
    kernel: backends.blob(boot.kernel),
    ...(boot.initrd !== undefined ? { initrd: backends.blob(boot.initrd) } : {}),
    bootargs: boot.cmdline,
    random: (b: Uint8Array) => backends.random(b),
  };
  if (config.mode === 'full' && boot.bios !== undefined) fullBoot(machine, { ...files, firmware: backends.blob(boot.bios) });
  else pvBoot(machine, files);
  return machine;
}
