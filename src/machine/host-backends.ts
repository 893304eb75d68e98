// What the machine builder needs from the host (DESIGN.md §4): time, the console, the boot
// files, and the host end of every device. Platform-free: src/platform/node implements it
// (nodeHostBackends), a browser platform will too. Everything slow (opening disk files,
// reading the kernel) happens before the build, so every method here is synchronous.
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import type { BlockBackend } from '../devices/virtio/blk/block-device.js';
import type { ConsoleBackend as VirtioConsoleBackend } from '../devices/virtio/console/console-device.js';
import type { NetBackend } from '../devices/virtio/net/net-backend.js';
import type { P9Backend } from '../devices/virtio/p9/p9-backend.js';
import type { EntropySource } from '../devices/virtio/rng/entropy-device.js';
import type { VsockBackend } from '../devices/virtio/vsock/vsock-device.js';
import type { BlobRef, DiskConfig, NicConfig, ShareConfig, VsockConfig } from './machine-config.js';

/** Host side of the serial/SBI console: receives the guest's output bytes (a live view: copy to keep). */
export interface ConsoleBackend {
  write(bytes: Uint8Array): void;
}

/**
 * The host services one machine uses. A platform prepares them for a config (async: files are
 * opened, blobs read), then the builder asks for each device's host end by index. Called again
 * for a rebuild (guest reboot, restore), the per-device methods return the same host objects
 * (the same open disk, the same listening sockets): only the guest-side devices are new.
 */
export interface HostBackends {
  /** Source of `mtime` (TIMEBASE_HZ ticks); tests give an instruction-driven clock. */
  readonly clock: Clock;
  /** Wall-clock time in ns since the Unix epoch (the RTC). */
  wallClockNs(): bigint;
  /** Serial (16550) and SBI console output. */
  readonly console: ConsoleBackend;
  /** The host end of the virtio console (`devices.console` = 'virtio'). */
  virtioConsole(): VirtioConsoleBackend;
  /** The bytes of a boot file (kernel, initrd, firmware), loaded during preparation. */
  blob(ref: BlobRef): Uint8Array;
  /** The opened image of `devices.disks[index]`. */
  block(index: number, disk: DiskConfig): BlockBackend;
  /** The host end of `devices.nics[index]` (user network, socket, bridge). */
  net(index: number, nic: NicConfig): NetBackend;
  /** The file system behind `devices.shares[index]`. */
  share(index: number, share: ShareConfig): P9Backend;
  /** The host end of the vsock device (a new one per build: connections do not survive it). */
  vsock(cfg: VsockConfig): VsockBackend;
  /** Random bytes for virtio-rng. */
  readonly entropy: EntropySource;
  /** Fills `into` with random bytes (the device tree's rng-seed). */
  random(into: Uint8Array): void;
  /** Wakes the run loop: a device completed I/O outside a slice (its interrupt rose). */
  wake(): void;
  /** Runs device queue processing later, between CPU slices (default: a microtask). */
  readonly schedule?: (fn: () => void) => void;
  /** Where devices report events and count errors (per device: `virtio-blk.0`, …). */
  readonly log: Logger;
}
