// What a virtio device (block, console, …) implements, and what the transport gives it.
// Transport-independent: virtio-mmio drives it today; nothing here knows about MMIO registers.
import type { GuestMemory } from '../../memory/guest-memory.js';
import { DescriptorChain, Virtqueue } from './virtqueue.js';

/** Device-independent feature bits (virtio 1.2 §6). */
export const VIRTIO_F_INDIRECT_DESC = 1n << 28n;
/** used_event / avail_event notification suppression (§2.7.10). */
export const VIRTIO_F_EVENT_IDX = 1n << 29n;
/** Compliance with virtio 1.x; mandatory for a modern device. */
export const VIRTIO_F_VERSION_1 = 1n << 32n;
/** Individual virtqueue reset (§2.6.1). */
export const VIRTIO_F_RING_RESET = 1n << 40n;

/** Device status bits (§2.1). */
export const VIRTIO_STATUS_ACKNOWLEDGE = 1;
/** The guest knows how to drive the device. */
export const VIRTIO_STATUS_DRIVER = 2;
/** The driver is set up and ready to drive the device. */
export const VIRTIO_STATUS_DRIVER_OK = 4;
/** Feature negotiation is complete. */
export const VIRTIO_STATUS_FEATURES_OK = 8;
/** The device hit an error it cannot recover from without a reset. */
export const VIRTIO_STATUS_DEVICE_NEEDS_RESET = 64;
/** The driver gave up on the device. */
export const VIRTIO_STATUS_FAILED = 128;

/** Device type identifiers (§5). */
export const enum VirtioDeviceId {
  Net = 1,
  Block = 2,
  Console = 3,
  Entropy = 4,
  Balloon = 5,
  P9 = 9,
  Vsock = 19,
}

/** What the transport gives a device once the driver set DRIVER_OK. */
export interface VirtioContext {
  /** Guest memory (bounds-checked accessors). */
  readonly mem: GuestMemory;
  /** The device's queues, by index. */
  readonly queues: readonly Virtqueue[];
  /** Features the driver accepted. */
  readonly driverFeatures: bigint;
  /** Raises the used-buffer interrupt for queue `q` if the driver wants one (EVENT_IDX etc.). */
  notifyUsed(q: number): void;
  /** Bumps ConfigGeneration and raises the configuration-change interrupt. */
  notifyConfigChange(): void;
  /** Sets DEVICE_NEEDS_RESET (§2.1.2) and tells the driver; the device stops until reset. */
  needsReset(reason: string): void;
  /** Runs `fn` later, between CPU slices (never inside an MMIO access). */
  schedule(fn: () => void): void;
  /** Counts one `counter` event of this device at the host's logger, with a message (bounded by the caller). */
  report?(counter: string, message: string): void;
}

/** Counters every device keeps (never reset by the guest). */
export interface VirtioCounters {
  /** Malformed descriptor chains / rings. */
  malformed: number;
  /** Well-formed requests answered with an error status. */
  badRequests: number;
  /** Times the device entered DEVICE_NEEDS_RESET. */
  needsReset: number;
}

/** A virtio device as the transport sees it. */
export interface VirtioDevice {
  /** Device type (§5), e.g. 2 for block. */
  readonly deviceId: number;
  /** Every feature bit offered, device-specific and transport (VERSION_1 included). */
  readonly deviceFeatures: bigint;
  /** Number of virtqueues. */
  readonly queueCount: number;
  /** QueueNumMax of queue `q`. */
  queueMaxSize(q: number): number;
  /** Reads `size` bytes of device configuration space at `offset` (0 outside it). */
  readConfig(offset: number, size: 1 | 2 | 4): number;
  /** Writes device configuration space; writes to read-only fields are ignored. */
  writeConfig(offset: number, size: 1 | 2 | 4, value: number): void;
  /** The driver set DRIVER_OK: queues are ready, `ctx` stays valid until `reset`. */
  activate(ctx: VirtioContext): void;
  /** The driver wrote 0 to Status: forget all guest state, drop in-flight work. */
  reset(): void;
  /** Queue `q` was reset on its own (VIRTIO_F_RING_RESET). */
  resetQueue?(q: number): void;
  /**
   * True while work started before the last reset may still write guest memory (host I/O that
   * writes straight into RAM and cannot be cancelled). Until it is false the transport does not
   * let the reset complete: Status reads non-zero (§2.4: the driver waits for 0).
   */
  busy?(): boolean;
  /** Process available buffers of queue `q` (called from the scheduler, never inside MMIO). */
  processQueue(q: number): void;
  /** Error counters. */
  readonly counters: VirtioCounters;
  /** Requests handed to an asynchronous host backend and not completed yet (a snapshot waits for 0). */
  readonly inFlight?: number;
  /** Device-specific state as JSON-compatible plain data (after `activate`, for snapshots). */
  saveState?(): unknown;
  /** Restores `saveState` output; called right after `activate` on the restored transport. */
  restoreState?(state: unknown): void;
}

/**
 * Base class with the bookkeeping every device shares: the context, an epoch that changes at
 * each reset (so async completions for a previous life are dropped), counters, config helpers.
 */
export abstract class VirtioDeviceBase implements VirtioDevice {
  abstract readonly deviceId: number;
  abstract readonly deviceFeatures: bigint;
  abstract readonly queueCount: number;
  readonly counters: VirtioCounters = { malformed: 0, badRequests: 0, needsReset: 0 };
  /** Context while the driver has the device running, else undefined. */
  protected ctx: VirtioContext | undefined;
  /** Incremented at every reset; async work captures it and drops its result on mismatch. */
  protected epoch = 0;
  /** Bytes of the device configuration space (little-endian), owned by the subclass. */
  protected readonly config: Uint8Array;
  protected readonly configView: DataView;

  constructor(configSizeBytes: number) {
    this.config = new Uint8Array(configSizeBytes);
    this.configView = new DataView(this.config.buffer);
  }

  abstract queueMaxSize(q: number): number;
  abstract processQueue(q: number): void;

  /** True if the driver accepted feature `bit` (valid while active). */
  protected hasFeature(bit: bigint): boolean {
    return this.ctx !== undefined && (this.ctx.driverFeatures & bit) !== 0n;
  }

  readConfig(offset: number, size: 1 | 2 | 4): number {
    if (offset < 0 || offset + size > this.config.length) return 0;
    const v = this.configView;
    return size === 1 ? v.getUint8(offset) : size === 2 ? v.getUint16(offset, true) : v.getUint32(offset, true);
  }

  writeConfig(_offset: number, _size: 1 | 2 | 4, _value: number): void {
    // Read-only by default.
  }

  activate(ctx: VirtioContext): void {
    this.ctx = ctx;
  }

  reset(): void {
    this.ctx = undefined;
    this.epoch++;
  }

  /**
   * Handles a chain that `Virtqueue.pop` found malformed: counts it and puts the device in
   * DEVICE_NEEDS_RESET (the driver's buffers can no longer be trusted).
   */
  protected malformed(q: number, status: number): void {
    this.counters.malformed++;
    const reason = `queue ${q}: malformed descriptor chain (status ${status})`;
    this.ctx?.report?.('malformed', reason);
    this.fail(reason);
  }

  /** Enters DEVICE_NEEDS_RESET. */
  protected fail(reason: string): void {
    this.counters.needsReset++;
    this.ctx?.needsReset(reason);
    this.ctx = undefined;
  }
}

/** A pool of chains for devices that keep requests in flight across async backend calls. */
export class ChainPool {
  private readonly free: DescriptorChain[] = [];
  constructor(private readonly capacity: number) {}
  /** A chain with room for `capacity` segments (reused when possible). */
  take(): DescriptorChain {
    return this.free.pop() ?? new DescriptorChain(this.capacity);
  }
  /** Returns a chain to the pool. */
  give(c: DescriptorChain): void {
    if (this.free.length < 1024) this.free.push(c);
  }
}
