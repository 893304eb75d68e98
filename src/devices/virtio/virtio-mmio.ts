// virtio-mmio transport, version 2 (virtio 1.2 §4.2): the register window a guest driver
// programs to negotiate features, set up queues and exchange notifications with one device.
import type { GuestMemory } from '../../memory/guest-memory.js';
import type { Logger } from '../../base/logger.js';
import type { IrqLine } from '../../memory/irq-line.js';
import type { MmioDevice } from '../../memory/mmio-bus.js';
import {
  VIRTIO_F_EVENT_IDX,
  VIRTIO_F_INDIRECT_DESC,
  VIRTIO_F_RING_RESET,
  VIRTIO_F_VERSION_1,
  VIRTIO_STATUS_DEVICE_NEEDS_RESET,
  VIRTIO_STATUS_DRIVER_OK,
  VIRTIO_STATUS_FEATURES_OK,
  type VirtioContext,
  type VirtioDevice,
} from './virtio-device.js';
import { Virtqueue, type VirtqueueState } from './virtqueue.js';

/** Register offsets of the virtio-mmio window (§4.2.2, Table "MMIO Device Register Layout"). */
/**
 * Status read back while a reset waits for in-flight host I/O of the previous life (any non-zero
 * value tells the driver the reset is not complete, §2.4); DEVICE_NEEDS_RESET says why.
 */
const RESET_IN_PROGRESS = VIRTIO_STATUS_DEVICE_NEEDS_RESET;

export const enum VirtioMmioReg {
  VIRTIO_MMIO_MAGIC_VALUE = 0x000,
  VIRTIO_MMIO_VERSION = 0x004,
  VIRTIO_MMIO_DEVICE_ID = 0x008,
  VIRTIO_MMIO_VENDOR_ID = 0x00c,
  VIRTIO_MMIO_DEVICE_FEATURES = 0x010,
  VIRTIO_MMIO_DEVICE_FEATURES_SEL = 0x014,
  VIRTIO_MMIO_DRIVER_FEATURES = 0x020,
  VIRTIO_MMIO_DRIVER_FEATURES_SEL = 0x024,
  VIRTIO_MMIO_QUEUE_SEL = 0x030,
  VIRTIO_MMIO_QUEUE_NUM_MAX = 0x034,
  VIRTIO_MMIO_QUEUE_NUM = 0x038,
  VIRTIO_MMIO_QUEUE_READY = 0x044,
  VIRTIO_MMIO_QUEUE_NOTIFY = 0x050,
  VIRTIO_MMIO_INTERRUPT_STATUS = 0x060,
  VIRTIO_MMIO_INTERRUPT_ACK = 0x064,
  VIRTIO_MMIO_STATUS = 0x070,
  VIRTIO_MMIO_QUEUE_DESC_LOW = 0x080,
  VIRTIO_MMIO_QUEUE_DESC_HIGH = 0x084,
  VIRTIO_MMIO_QUEUE_AVAIL_LOW = 0x090,
  VIRTIO_MMIO_QUEUE_AVAIL_HIGH = 0x094,
  VIRTIO_MMIO_QUEUE_USED_LOW = 0x0a0,
  VIRTIO_MMIO_QUEUE_USED_HIGH = 0x0a4,
  VIRTIO_MMIO_SHM_SEL = 0x0ac,
  VIRTIO_MMIO_SHM_LEN_LOW = 0x0b0,
  VIRTIO_MMIO_SHM_LEN_HIGH = 0x0b4,
  VIRTIO_MMIO_SHM_BASE_LOW = 0x0b8,
  VIRTIO_MMIO_SHM_BASE_HIGH = 0x0bc,
  VIRTIO_MMIO_QUEUE_RESET = 0x0c0,
  VIRTIO_MMIO_CONFIG_GENERATION = 0x0fc,
  VIRTIO_MMIO_CONFIG = 0x100,
}

/** "virt" in little-endian. */
export const VIRTIO_MMIO_MAGIC = 0x74726976;
/** InterruptStatus bit: a used buffer was added. */
export const VIRTIO_MMIO_INT_VRING = 1;
/** InterruptStatus bit: the configuration changed. */
export const VIRTIO_MMIO_INT_CONFIG = 2;
/** Our VendorID ("BNQS"). */
export const BANQUISE_VENDOR_ID = 0x53514e42;

/** Feature bits the transport itself implements and offers on top of the device's own. */
const TRANSPORT_FEATURES = VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC | VIRTIO_F_RING_RESET;

/**
 * Builds the transport for `device`; the returned factory matches the machine's
 * `VirtioSlotFactory`. `schedule` runs queue processing later (default: a microtask).
 */
export function virtioMmio(
  device: VirtioDevice,
  schedule: (fn: () => void) => void = queueMicrotask,
  report?: DeviceReport,
): (mem: GuestMemory, irq: IrqLine) => MmioDevice {
  return (mem, irq) => new VirtioMmioTransport(device, mem, irq, schedule, report);
}

/** Where a transport reports its device's errors: the machine's logger and the device's name. */
export interface DeviceReport {
  readonly log: Logger;
  /** Name the device reports under (`virtio-blk.0`). */
  readonly name: string;
}

/** Plain-data snapshot of a transport and its device (JSON-compatible). */
export interface VirtioMmioState {
  readonly version: 1;
  readonly deviceId: number;
  readonly status: number;
  readonly interruptStatus: number;
  readonly configGeneration: number;
  /** DriverFeatures, low and high words. */
  readonly driverFeatures: readonly [number, number];
  readonly deviceFeaturesSel: number;
  readonly driverFeaturesSel: number;
  readonly queueSel: number;
  readonly shmSel: number;
  readonly queueWasReset: readonly boolean[];
  readonly queues: readonly VirtqueueState[];
  /** The device's own state (`VirtioDevice.saveState`), if it has any. */
  readonly device?: unknown;
}

/** The register file and state machine of one virtio-mmio window (§4.2.2, §3.1). */
export class VirtioMmioTransport implements MmioDevice {
  /** Device status (§2.1). */
  status = 0;
  /** InterruptStatus bits. */
  interruptStatus = 0;
  /** ConfigGeneration. */
  configGeneration = 0;
  /** Features the driver wrote (lo, hi words). */
  private readonly driverFeatureWords = new Uint32Array(2);
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private queueSel = 0;
  private shmSel = 0;
  /** Per queue: reset through QueueReset and not yet re-enabled. */
  private readonly queueWasReset: boolean[];
  readonly queues: Virtqueue[];
  /** Features offered to the driver. */
  readonly offered: bigint;
  /** Why the device last entered DEVICE_NEEDS_RESET (for `info devices`), or undefined. */
  lastNeedsResetReason: string | undefined;
  private ctx: (VirtioContext & { live: boolean }) | undefined;
  private readonly pending: boolean[];
  private scheduled = false;
  private readonly runPending = (): void => this.processPending();

  constructor(
    readonly device: VirtioDevice,
    readonly mem: GuestMemory,
    private readonly irq: IrqLine,
    private readonly schedule: (fn: () => void) => void,
    private readonly report?: DeviceReport,
  ) {
    this.offered = device.deviceFeatures | TRANSPORT_FEATURES;
    // A device reused by a new machine (guest reboot) forgets its previous transport.
    device.reset();
    this.queues = [];
    this.pending = [];
    this.queueWasReset = [];
    for (let q = 0; q < device.queueCount; q++) {
      this.queues.push(new Virtqueue(mem, Math.min(device.queueMaxSize(q), 32768)));
      this.pending.push(false);
      this.queueWasReset.push(false);
    }
  }

  /** The 64-bit feature set the driver wrote. */
  get driverFeatures(): bigint {
    return (BigInt(this.driverFeatureWords[1]!) << 32n) | BigInt(this.driverFeatureWords[0]!);
  }

  read(offset: number, size: 1 | 2 | 4): number {
    if (offset >= VirtioMmioReg.VIRTIO_MMIO_CONFIG) {
      return this.device.readConfig(offset - VirtioMmioReg.VIRTIO_MMIO_CONFIG, size) >>> 0;
    }
    if (size !== 4 || (offset & 3) !== 0) return 0;
    const q = this.queues[this.queueSel];
    switch (offset) {
      case VirtioMmioReg.VIRTIO_MMIO_MAGIC_VALUE: return VIRTIO_MMIO_MAGIC;
      case VirtioMmioReg.VIRTIO_MMIO_VERSION: return 2;
      case VirtioMmioReg.VIRTIO_MMIO_DEVICE_ID: return this.device.deviceId;
      case VirtioMmioReg.VIRTIO_MMIO_VENDOR_ID: return BANQUISE_VENDOR_ID;
      case VirtioMmioReg.VIRTIO_MMIO_DEVICE_FEATURES:
        return this.deviceFeaturesSel > 1 ? 0 : Number(BigInt.asUintN(32, this.offered >> BigInt(32 * this.deviceFeaturesSel)));
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_NUM_MAX: return q ? q.maxSize : 0;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_NUM: return q ? q.size : 0;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_READY: return q?.ready ? 1 : 0;
      case VirtioMmioReg.VIRTIO_MMIO_INTERRUPT_STATUS: return this.interruptStatus;
      case VirtioMmioReg.VIRTIO_MMIO_STATUS: return this.status === 0 && this.device.busy?.() === true ? RESET_IN_PROGRESS : this.status;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_DESC_LOW: return q ? lo(q.descGpa) : 0;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_DESC_HIGH: return q ? hi(q.descGpa) : 0;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_AVAIL_LOW: return q ? lo(q.availGpa) : 0;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_AVAIL_HIGH: return q ? hi(q.availGpa) : 0;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_USED_LOW: return q ? lo(q.usedGpa) : 0;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_USED_HIGH: return q ? hi(q.usedGpa) : 0;
      // No shared memory regions: length ~0 means "region does not exist" (§4.2.2).
      case VirtioMmioReg.VIRTIO_MMIO_SHM_LEN_LOW:
      case VirtioMmioReg.VIRTIO_MMIO_SHM_LEN_HIGH:
      case VirtioMmioReg.VIRTIO_MMIO_SHM_BASE_LOW:
      case VirtioMmioReg.VIRTIO_MMIO_SHM_BASE_HIGH:
        return 0xffffffff;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_RESET: return this.queueWasReset[this.queueSel] ? 1 : 0;
      case VirtioMmioReg.VIRTIO_MMIO_CONFIG_GENERATION: return this.configGeneration;
      default: return 0;
    }
  }

  write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (offset >= VirtioMmioReg.VIRTIO_MMIO_CONFIG) {
      this.device.writeConfig(offset - VirtioMmioReg.VIRTIO_MMIO_CONFIG, size, value >>> 0);
      return;
    }
    if (size !== 4 || (offset & 3) !== 0) return;
    value >>>= 0;
    const q = this.queues[this.queueSel];
    // Queue layout registers only change while the queue is not ready (§4.2.3.2).
    const qw = q !== undefined && !q.ready;
    switch (offset) {
      case VirtioMmioReg.VIRTIO_MMIO_DEVICE_FEATURES_SEL: this.deviceFeaturesSel = value; break;
      case VirtioMmioReg.VIRTIO_MMIO_DRIVER_FEATURES_SEL: this.driverFeaturesSel = value; break;
      case VirtioMmioReg.VIRTIO_MMIO_DRIVER_FEATURES:
        if (this.driverFeaturesSel <= 1 && !(this.status & VIRTIO_STATUS_FEATURES_OK)) {
          this.driverFeatureWords[this.driverFeaturesSel] = value;
        }
        break;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_SEL: this.queueSel = value; break;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_NUM: if (qw) q.size = value; break;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_READY: this.writeQueueReady(value); break;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_NOTIFY: this.notify(value & 0xffff); break;
      case VirtioMmioReg.VIRTIO_MMIO_INTERRUPT_ACK:
        this.interruptStatus &= ~value;
        this.irq.set(this.interruptStatus !== 0);
        break;
      case VirtioMmioReg.VIRTIO_MMIO_STATUS: this.writeStatus(value & 0xff); break;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_DESC_LOW: if (qw) q.descGpa = setLo(q.descGpa, value); break;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_DESC_HIGH: if (qw) q.descGpa = setHi(q.descGpa, value); break;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_AVAIL_LOW: if (qw) q.availGpa = setLo(q.availGpa, value); break;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_AVAIL_HIGH: if (qw) q.availGpa = setHi(q.availGpa, value); break;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_USED_LOW: if (qw) q.usedGpa = setLo(q.usedGpa, value); break;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_USED_HIGH: if (qw) q.usedGpa = setHi(q.usedGpa, value); break;
      case VirtioMmioReg.VIRTIO_MMIO_SHM_SEL: this.shmSel = value; break;
      case VirtioMmioReg.VIRTIO_MMIO_QUEUE_RESET: if (value === 1) this.resetQueue(this.queueSel); break;
      default: break;
    }
  }

  /**
   * Snapshot of the transport and device. Take it between slices, once asynchronous device work
   * has completed (e.g. a block device's `inFlight` is 0): in-flight requests are not saved.
   */
  save(): VirtioMmioState {
    const dev = this.ctx !== undefined ? this.device.saveState?.() : undefined;
    return {
      version: 1,
      deviceId: this.device.deviceId,
      status: this.status,
      interruptStatus: this.interruptStatus,
      configGeneration: this.configGeneration,
      driverFeatures: [this.driverFeatureWords[0]!, this.driverFeatureWords[1]!],
      deviceFeaturesSel: this.deviceFeaturesSel,
      driverFeaturesSel: this.driverFeaturesSel,
      queueSel: this.queueSel,
      shmSel: this.shmSel,
      queueWasReset: [...this.queueWasReset],
      queues: this.queues.map((q) => q.save()),
      ...(dev !== undefined ? { device: dev } : {}),
    };
  }

  /**
   * Restores a snapshot taken from a transport of the same device type over the same guest
   * memory contents; a running device is re-activated and its queues re-examined.
   */
  restore(s: VirtioMmioState): void {
    if (s.version !== 1 || s.deviceId !== this.device.deviceId || s.queues.length !== this.queues.length) {
      throw new Error(`virtio-mmio restore: snapshot of device ${s.deviceId} with ${s.queues.length} queues does not fit device ${this.device.deviceId}`);
    }
    this.reset();
    this.status = s.status & 0xff;
    this.configGeneration = s.configGeneration >>> 0;
    this.driverFeatureWords[0] = s.driverFeatures[0];
    this.driverFeatureWords[1] = s.driverFeatures[1];
    this.deviceFeaturesSel = s.deviceFeaturesSel >>> 0;
    this.driverFeaturesSel = s.driverFeaturesSel >>> 0;
    this.queueSel = s.queueSel >>> 0;
    this.shmSel = s.shmSel >>> 0;
    const f = this.driverFeatures;
    this.queues.forEach((q, i) => {
      q.eventIdx = (f & VIRTIO_F_EVENT_IDX) !== 0n;
      q.indirect = (f & VIRTIO_F_INDIRECT_DESC) !== 0n;
      q.restore(s.queues[i]!);
      this.queueWasReset[i] = s.queueWasReset[i] === true;
    });
    if (this.status & VIRTIO_STATUS_DRIVER_OK && !(this.status & VIRTIO_STATUS_DEVICE_NEEDS_RESET)) {
      this.activate(); // also re-examines every ready queue
      if (s.device !== undefined) this.device.restoreState?.(s.device);
    }
    this.interruptStatus = s.interruptStatus & 3;
    this.irq.set(this.interruptStatus !== 0);
  }

  /** Status register write (§3.1.1, §2.1.2). */
  private writeStatus(value: number): void {
    if (value === 0) {
      this.reset();
      return;
    }
    // A reset still draining I/O of the previous life: the driver must wait for Status 0 (§2.4).
    if (this.status === 0 && this.device.busy?.() === true) return;
    const old = this.status;
    // The driver only sets bits; DEVICE_NEEDS_RESET belongs to the device.
    let next = (old | value) & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    next |= old & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    if (next & VIRTIO_STATUS_FEATURES_OK && !(old & VIRTIO_STATUS_FEATURES_OK)) {
      const f = this.driverFeatures;
      if ((f & ~this.offered) !== 0n || (f & VIRTIO_F_VERSION_1) === 0n) next &= ~VIRTIO_STATUS_FEATURES_OK;
    }
    if (next & VIRTIO_STATUS_DRIVER_OK && !(next & VIRTIO_STATUS_FEATURES_OK)) next &= ~VIRTIO_STATUS_DRIVER_OK;
    this.status = next;
    if (next & VIRTIO_STATUS_DRIVER_OK && !(old & VIRTIO_STATUS_DRIVER_OK) && !(next & VIRTIO_STATUS_DEVICE_NEEDS_RESET)) {
      this.activate();
    }
  }

  private activate(): void {
    const self = this;
    const ctx = {
      live: true,
      mem: this.mem,
      queues: this.queues,
      driverFeatures: this.driverFeatures,
      notifyUsed(q: number): void {
        if (!ctx.live) return;
        const vq = self.queues[q];
        if (vq !== undefined && vq.needsInterrupt()) self.raise(VIRTIO_MMIO_INT_VRING);
      },
      notifyConfigChange(): void {
        if (!ctx.live) return;
        self.configGeneration = (self.configGeneration + 1) >>> 0;
        self.raise(VIRTIO_MMIO_INT_CONFIG);
      },
      needsReset(reason: string): void {
        if (!ctx.live) return;
        self.noteNeedsReset(reason);
        ctx.live = false;
        self.status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
        self.raise(VIRTIO_MMIO_INT_CONFIG);
      },
      schedule(fn: () => void): void {
        self.schedule(() => {
          if (ctx.live) fn();
        });
      },
      report(counter: string, message: string): void {
        self.report?.log.count(self.report.name, counter);
        self.report?.log.log('warn', self.report.name, message);
      },
    };
    this.ctx = ctx;
    this.device.activate(ctx);
    // Drivers populate (and notify) queues before DRIVER_OK (§3.1.1 step 7); the device could not
    // consume them then, so it looks at every ready queue now.
    for (let q = 0; q < this.queues.length; q++) if (this.queues[q]!.ready) this.notify(q);
  }

  /** Writing 0 to Status: the device forgets everything the driver set up (§2.4). */
  private reset(): void {
    if (this.ctx) this.ctx.live = false;
    this.ctx = undefined;
    this.device.reset();
    this.status = 0;
    this.interruptStatus = 0;
    this.driverFeatureWords.fill(0);
    this.deviceFeaturesSel = this.driverFeaturesSel = this.queueSel = this.shmSel = 0;
    for (let q = 0; q < this.queues.length; q++) {
      this.queues[q]!.reset();
      this.pending[q] = false;
      this.queueWasReset[q] = false;
    }
    this.irq.set(false);
  }

  private writeQueueReady(value: number): void {
    const q = this.queues[this.queueSel];
    if (q === undefined) return;
    if ((value & 1) === 0) {
      q.ready = false;
      return;
    }
    if (q.ready) return;
    if (!q.validate()) {
      // A queue the device cannot use: the driver must reset us (§2.1.2).
      this.deviceError();
      return;
    }
    const f = this.driverFeatures;
    q.eventIdx = (f & VIRTIO_F_EVENT_IDX) !== 0n;
    q.indirect = (f & VIRTIO_F_INDIRECT_DESC) !== 0n;
    q.activate();
    this.queueWasReset[this.queueSel] = false;
  }

  private resetQueue(index: number): void {
    const q = this.queues[index];
    if (q === undefined || (this.driverFeatures & VIRTIO_F_RING_RESET) === 0n) return;
    if (!(this.status & VIRTIO_STATUS_FEATURES_OK)) return;
    q.reset();
    this.pending[index] = false;
    this.queueWasReset[index] = true;
    this.device.resetQueue?.(index);
  }

  /** Records why the device needs a reset: for `info devices` and the logger. */
  private noteNeedsReset(reason: string): void {
    this.lastNeedsResetReason = reason;
    this.report?.log.count(this.report.name, 'needsReset');
    this.report?.log.log('warn', this.report.name, `needs reset: ${reason}`);
  }

  private deviceError(reason = 'bad queue configuration'): void {
    this.device.counters.needsReset++;
    if (this.ctx) {
      this.ctx.needsReset(reason);
    } else {
      this.noteNeedsReset(reason);
      this.status |= VIRTIO_STATUS_DEVICE_NEEDS_RESET;
      if (this.status & VIRTIO_STATUS_DRIVER_OK) this.raise(VIRTIO_MMIO_INT_CONFIG);
    }
  }

  /** QueueNotify: schedule processing (never inline, §4.2.3.3 allows deferral). */
  private notify(q: number): void {
    if (this.ctx === undefined || q >= this.queues.length || !this.queues[q]!.ready) return;
    if (this.pending[q]) return;
    this.pending[q] = true;
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this.runPending);
    }
  }

  private processPending(): void {
    this.scheduled = false;
    for (let q = 0; q < this.pending.length; q++) {
      if (!this.pending[q]) continue;
      this.pending[q] = false;
      const ctx = this.ctx;
      if (ctx === undefined || !ctx.live || !this.queues[q]!.ready) continue;
      try {
        this.device.processQueue(q);
      } catch (err) {
        // A throw here is a host bug: contain it to this device, and say so.
        this.report?.log.count(this.report.name, 'hostError');
        this.report?.log.log('error', this.report.name, `host bug processing queue ${q}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        this.deviceError(`host error processing queue ${q}`);
      }
    }
  }

  private raise(bits: number): void {
    this.interruptStatus |= bits;
    this.irq.set(true);
  }
}

function lo(v: number): number {
  return v % 4294967296 >>> 0;
}
function hi(v: number): number {
  return Math.floor(v / 4294967296) >>> 0;
}
function setLo(v: number, w: number): number {
  return hi(v) * 4294967296 + w;
}
function setHi(v: number, w: number): number {
  // Addresses >= 2^53 cannot be RAM; keep them out of range (validate() rejects them).
  return w >= 0x200000 ? Number.MAX_SAFE_INTEGER : w * 4294967296 + lo(v);
}
