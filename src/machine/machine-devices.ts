// Handles on a machine's virtio devices, by kind, for the host: the monitor's balloon, vsock
// connects, counters for `info devices`.
import type { VirtioDevice } from '../devices/virtio/virtio-device.js';
import type { VirtioBalloonDevice } from '../devices/virtio/balloon/balloon-device.js';
import type { VirtioBlockDevice } from '../devices/virtio/blk/block-device.js';
import type { VirtioConsoleDevice } from '../devices/virtio/console/console-device.js';
import type { VirtioNetDevice } from '../devices/virtio/net/virtio-net.js';
import type { Virtio9pDevice } from '../devices/virtio/p9/virtio-9p.js';
import type { VirtioEntropyDevice } from '../devices/virtio/rng/entropy-device.js';
import type { VirtioVsockDevice } from '../devices/virtio/vsock/vsock-device.js';
import type { VirtioInputDevice } from '../devices/virtio/input/input-device.js';

/** One virtio device with the name it reports under (`virtio-blk.0`) and its slot. */
export interface NamedVirtioDevice {
  readonly name: string;
  readonly slot: number;
  readonly device: VirtioDevice;
}

/** The virtio devices of a machine, in slot order and by kind (`devices.disks[i]` is `blocks[i]`). */
export interface MachineDevices {
  readonly all: readonly NamedVirtioDevice[];
  readonly blocks: readonly VirtioBlockDevice[];
  readonly nets: readonly VirtioNetDevice[];
  readonly shares: readonly Virtio9pDevice[];
  readonly console?: VirtioConsoleDevice;
  readonly rng?: VirtioEntropyDevice;
  readonly balloon?: VirtioBalloonDevice;
  readonly vsock?: VirtioVsockDevice;
  /** The power/restart keys (devices.input). */
  readonly input?: VirtioInputDevice;
}

/** A machine without virtio devices. */
export const NO_DEVICES: MachineDevices = Object.freeze({ all: [], blocks: [], nets: [], shares: [] });

/** What the host sees of one virtio device (`info devices`, the API): plain data. */
export interface DeviceInfo {
  readonly name: string;
  readonly slot: number;
  /** `reset` (no driver yet or reset), `configuring`, `running`, `needs-reset` (DEVICE_NEEDS_RESET), `failed` (the driver gave up). */
  readonly state: 'reset' | 'configuring' | 'running' | 'needs-reset' | 'failed';
  /** Malformed descriptor chains or rings. */
  readonly malformed: number;
  /** Well-formed requests answered with an error status. */
  readonly badRequests: number;
  /** Times the device entered DEVICE_NEEDS_RESET. */
  readonly needsReset: number;
  /** Why it last did, if it ever did. */
  readonly lastNeedsResetReason?: string;
}
