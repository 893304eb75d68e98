// TEMPORARY: wires a pv machine from a MachineConfig until machine/ has the one builder
// (buildMachine); then this file goes and the worker calls the builder.
import { BanquiseError } from '../../base/errors.js';
import { VirtioBlockDevice } from '../../devices/virtio/blk/block-device.js';
import { VirtioEntropyDevice } from '../../devices/virtio/rng/entropy-device.js';
import { virtioMmio } from '../../devices/virtio/virtio-mmio.js';
import type { MachineConfig } from '../../machine/machine-config.js';
import { Machine, type MachineExit, type VirtioSlotFactory } from '../../machine/machine.js';
import { pvBoot } from '../../machine/pv-boot.js';
import type { BrowserHost } from './browser-host.js';

/** Builds and boots a pv machine for `config` on `host`; `wake` is called on device interrupts. */
export function buildMachineShim(config: MachineConfig, host: BrowserHost, wake: () => void, onExit: (e: MachineExit) => void): Machine {
  if (config.mode !== 'pv') throw new BanquiseError(`mode ${config.mode} is not available in the browser yet`, 64);
  const d = config.devices;
  if (d.nics.length > 0 || d.shares.length > 0 || d.vsock !== undefined) {
    throw new BanquiseError('network, shared folders and vsock are not available in the browser', 64);
  }
  const slots: VirtioSlotFactory[] = [];
  const wrap = (make: VirtioSlotFactory): VirtioSlotFactory => (mem, irq) =>
    make(mem, { set: (level) => { irq.set(level); if (level) wake(); } });
  for (const disk of d.disks) {
    slots.push(wrap(virtioMmio(new VirtioBlockDevice(host.disk(disk), { readOnly: disk.readOnly, ...(disk.serial !== undefined ? { serial: disk.serial } : {}) }))));
  }
  if (d.rng) slots.push(wrap(virtioMmio(new VirtioEntropyDevice(host.entropy))));
  const machine = new Machine({
    mode: 'pv',
    ramSizeBytes: config.memoryBytes,
    vcpus: config.vcpus,
    clock: host.clock(),
    wallClockNs: () => host.wallClockNs(),
    console: host.console,
    virtio: slots,
    onExit,
  });
  host.onInput((bytes) => machine.consoleInput(bytes));
  pvBoot(machine, {
    kernel: host.blob(config.boot.kernel, 'kernel'),
    ...(config.boot.initrd !== undefined ? { initrd: host.blob(config.boot.initrd, 'initrd') } : {}),
    bootargs: config.boot.cmdline,
    random: (b) => host.entropy.fill(b),
  });
  return machine;
}
