// A guest virtio driver written in TypeScript: it programs a virtio-mmio window through
// register reads/writes and lays out rings and buffers in a GuestMemory, exactly as Linux's
// virtio_mmio + virtio_ring would. Every device test uses it; no guest kernel needed.
import { GuestMemory } from '../../memory/guest-memory.js';
import type { MmioDevice } from '../../memory/mmio-bus.js';
import {
  VIRTIO_F_VERSION_1,
  VIRTIO_STATUS_ACKNOWLEDGE,
  VIRTIO_STATUS_DRIVER,
  VIRTIO_STATUS_DRIVER_OK,
  VIRTIO_STATUS_FEATURES_OK,
  type VirtioDevice,
} from './virtio-device.js';
import { VirtioMmioReg as R, VIRTIO_MMIO_MAGIC, virtioMmio } from './virtio-mmio.js';
import { VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from './virtqueue.js';

/** One buffer of a chain the mock driver posts. */
export interface MockSegment {
  /** Bytes the device reads (device-readable segment); omit for a writable one. */
  data?: Uint8Array;
  /** Size of a device-writable segment. */
  writableBytes?: number;
}

/** A used element reaped from the used ring. */
export interface MockUsed {
  /** Head descriptor index. */
  id: number;
  /** Bytes the device wrote. */
  len: number;
  /** Guest addresses of the chain's writable segments (to read back what the device wrote). */
  writable: { gpa: number; len: number }[];
}

/** Layout of one queue the mock driver set up. */
interface MockQueue {
  size: number;
  descGpa: number;
  availGpa: number;
  usedGpa: number;
  freeHeads: number[];
  availIdx: number;
  lastUsedIdx: number;
  posted: Map<number, { gpa: number; len: number }[]>;
  /** Descriptor ids of each posted direct chain, by head. */
  chains: Map<number, number[]>;
}

/** Drives a virtio-mmio transport the way a guest driver does. */
export class MockDriver {
  private heap: number;
  private readonly queues = new Map<number, MockQueue>();
  /** Features accepted in the last `init`. */
  features = 0n;

  constructor(
    /** The transport this driver programs (see `switchTransport`). */
    public mmio: MmioDevice,
    readonly mem: GuestMemory,
    /** First guest-physical address the driver's allocator hands out. */
    heapGpa = mem.ramBaseGpa + 0x1000,
  ) {
    this.heap = heapGpa;
  }

  /** Continues with the same rings on another transport (one restored from a snapshot). */
  switchTransport(mmio: MmioDevice): void {
    this.mmio = mmio;
  }

  /** Next address the allocator hands out. */
  get heapGpa(): number {
    return this.heap;
  }

  /** Restarts the allocator at `gpa` (tests that re-initialise a device many times). */
  resetHeap(gpa: number): void {
    this.heap = gpa;
  }

  /** Allocates `len` bytes of guest RAM aligned to `align`, zero-filled. */
  alloc(len: number, align = 16): number {
    const gpa = Math.ceil(this.heap / align) * align;
    if (!this.mem.contains(gpa, len)) throw new Error('mock driver: out of guest memory');
    this.heap = gpa + len;
    this.mem.slice(gpa, len)!.fill(0);
    return gpa;
  }

  /** 32-bit register read. */
  reg(offset: number): number {
    return this.mmio.read(offset, 4);
  }

  /** 32-bit register write. */
  setReg(offset: number, value: number): void {
    this.mmio.write(offset, 4, value >>> 0);
  }

  /** The 64-bit DeviceFeatures. */
  deviceFeatures(): bigint {
    this.setReg(R.VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    const lo = this.reg(R.VIRTIO_MMIO_DEVICE_FEATURES);
    this.setReg(R.VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    const hi = this.reg(R.VIRTIO_MMIO_DEVICE_FEATURES);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /**
   * Full initialisation (§3.1.1): reset, ACKNOWLEDGE, DRIVER, features (`wanted` ∩ offered,
   * VERSION_1 forced unless `exactFeatures`), FEATURES_OK check, queues, DRIVER_OK.
   * Returns the accepted features; throws if the device refused them.
   */
  init(wanted: bigint = ~0n, queueSizes: number[] = [], exactFeatures = false): bigint {
    if (this.reg(R.VIRTIO_MMIO_MAGIC_VALUE) !== VIRTIO_MMIO_MAGIC) throw new Error('bad magic');
    if (this.reg(R.VIRTIO_MMIO_VERSION) !== 2) throw new Error('not a version 2 device');
    this.setReg(R.VIRTIO_MMIO_STATUS, 0);
    this.queues.clear();
    this.setReg(R.VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
    this.setReg(R.VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    const offered = this.deviceFeatures();
    const f = exactFeatures ? wanted : (wanted & offered) | VIRTIO_F_VERSION_1;
    this.setReg(R.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    this.setReg(R.VIRTIO_MMIO_DRIVER_FEATURES, Number(f & 0xffffffffn));
    this.setReg(R.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    this.setReg(R.VIRTIO_MMIO_DRIVER_FEATURES, Number((f >> 32n) & 0xffffffffn));
    this.setReg(R.VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    if (!(this.reg(R.VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) throw new Error('device refused features');
    this.features = f;
    for (let q = 0; q < queueSizes.length; q++) this.setupQueue(q, queueSizes[q]!);
    this.setReg(R.VIRTIO_MMIO_STATUS, this.reg(R.VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
    return f;
  }

  /** Allocates rings for queue `q` with `size` entries (0: QueueNumMax) and makes it ready. */
  setupQueue(q: number, size = 0): void {
    this.setReg(R.VIRTIO_MMIO_QUEUE_SEL, q);
    if (this.reg(R.VIRTIO_MMIO_QUEUE_READY) !== 0) throw new Error(`queue ${q} already ready`);
    const max = this.reg(R.VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max === 0) throw new Error(`queue ${q} not available`);
    const n = size === 0 ? max : Math.min(size, max);
    const descGpa = this.alloc(16 * n, 16);
    const availGpa = this.alloc(6 + 2 * n, 2);
    const usedGpa = this.alloc(6 + 8 * n, 4);
    this.setReg(R.VIRTIO_MMIO_QUEUE_NUM, n);
    this.setReg(R.VIRTIO_MMIO_QUEUE_DESC_LOW, descGpa % 2 ** 32);
    this.setReg(R.VIRTIO_MMIO_QUEUE_DESC_HIGH, Math.floor(descGpa / 2 ** 32));
    this.setReg(R.VIRTIO_MMIO_QUEUE_AVAIL_LOW, availGpa % 2 ** 32);
    this.setReg(R.VIRTIO_MMIO_QUEUE_AVAIL_HIGH, Math.floor(availGpa / 2 ** 32));
    this.setReg(R.VIRTIO_MMIO_QUEUE_USED_LOW, usedGpa % 2 ** 32);
    this.setReg(R.VIRTIO_MMIO_QUEUE_USED_HIGH, Math.floor(usedGpa / 2 ** 32));
    this.setReg(R.VIRTIO_MMIO_QUEUE_READY, 1);
    const freeHeads: number[] = [];
    for (let i = n - 1; i >= 0; i--) freeHeads.push(i);
    this.queues.set(q, { size: n, descGpa, availGpa, usedGpa, freeHeads, availIdx: 0, lastUsedIdx: 0, posted: new Map(), chains: new Map() });
  }

  /** Ring addresses of queue `q` (for tests that corrupt rings on purpose). */
  queueLayout(q: number): { size: number; descGpa: number; availGpa: number; usedGpa: number } {
    const mq = this.mustQueue(q);
    return { size: mq.size, descGpa: mq.descGpa, availGpa: mq.availGpa, usedGpa: mq.usedGpa };
  }

  private mustQueue(q: number): MockQueue {
    const mq = this.queues.get(q);
    if (mq === undefined) throw new Error(`queue ${q} not set up`);
    return mq;
  }

  /**
   * Posts one chain (readable segments, then writable ones) on queue `q` and publishes it in
   * the available ring. With `indirect`, the chain goes in an indirect table. Returns the head.
   */
  post(q: number, segments: MockSegment[], indirect = false): number {
    const mq = this.mustQueue(q);
    const m = this.mem;
    const bufs: { gpa: number; len: number; write: boolean }[] = [];
    for (const s of segments) {
      if (s.data !== undefined) {
        const gpa = this.alloc(Math.max(1, s.data.length), 8);
        m.write(gpa, s.data);
        bufs.push({ gpa, len: s.data.length, write: false });
      } else {
        const len = s.writableBytes ?? 0;
        bufs.push({ gpa: this.alloc(Math.max(1, len), 8), len, write: true });
      }
    }
    let head: number;
    if (indirect) {
      const table = this.alloc(16 * bufs.length, 16);
      bufs.forEach((b, i) => {
        writeDesc(m, table + 16 * i, b.gpa, b.len, (b.write ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < bufs.length ? VIRTQ_DESC_F_NEXT : 0), i + 1);
      });
      head = this.takeHead(mq);
      writeDesc(m, mq.descGpa + 16 * head, table, 16 * bufs.length, VIRTQ_DESC_F_INDIRECT, 0);
    } else {
      if (bufs.length > mq.freeHeads.length) throw new Error('queue full');
      const ids = bufs.map(() => this.takeHead(mq));
      bufs.forEach((b, i) => {
        const more = i + 1 < bufs.length;
        writeDesc(m, mq.descGpa + 16 * ids[i]!, b.gpa, b.len, (b.write ? VIRTQ_DESC_F_WRITE : 0) | (more ? VIRTQ_DESC_F_NEXT : 0), more ? ids[i + 1]! : 0);
      });
      head = ids[0]!;
      mq.posted.set(head, bufs.filter((b) => b.write).map((b) => ({ gpa: b.gpa, len: b.len })));
      mq.chains.set(head, ids);
    }
    if (indirect) mq.posted.set(head, bufs.filter((b) => b.write).map((b) => ({ gpa: b.gpa, len: b.len })));
    this.publish(q, head);
    return head;
  }

  /** Puts a raw head index in the available ring and bumps avail.idx (no descriptor writes). */
  publish(q: number, head: number): void {
    const mq = this.mustQueue(q);
    this.mem.writeU16(mq.availGpa + 4 + 2 * (mq.availIdx % mq.size), head);
    mq.availIdx = (mq.availIdx + 1) & 0xffff;
    this.mem.writeU16(mq.availGpa + 2, mq.availIdx);
  }

  private takeHead(mq: MockQueue): number {
    const h = mq.freeHeads.pop();
    if (h === undefined) throw new Error('queue full');
    return h;
  }

  /** Writes QueueNotify for queue `q`. */
  notify(q: number): void {
    this.setReg(R.VIRTIO_MMIO_QUEUE_NOTIFY, q);
  }

  /** Sets used_event (EVENT_IDX): the driver wants an interrupt once used.idx passes `idx`. */
  setUsedEvent(q: number, idx: number): void {
    const mq = this.mustQueue(q);
    this.mem.writeU16(mq.availGpa + 4 + 2 * mq.size, idx & 0xffff);
  }

  /** Sets avail.flags (VIRTQ_AVAIL_F_NO_INTERRUPT). */
  setAvailFlags(q: number, flags: number): void {
    this.mem.writeU16(this.mustQueue(q).availGpa, flags);
  }

  /** avail_event the device wrote (EVENT_IDX). */
  availEvent(q: number): number {
    const mq = this.mustQueue(q);
    return this.mem.readU16(mq.usedGpa + 4 + 8 * mq.size);
  }

  /** Takes every new used element of queue `q`, freeing its descriptors. */
  reap(q: number): MockUsed[] {
    const mq = this.mustQueue(q);
    const out: MockUsed[] = [];
    const usedIdx = this.mem.readU16(mq.usedGpa + 2);
    while (mq.lastUsedIdx !== usedIdx) {
      const e = mq.usedGpa + 4 + 8 * (mq.lastUsedIdx % mq.size);
      const id = this.mem.readU32(e);
      const len = this.mem.readU32(e + 4);
      mq.lastUsedIdx = (mq.lastUsedIdx + 1) & 0xffff;
      out.push({ id, len, writable: mq.posted.get(id) ?? [] });
      mq.posted.delete(id);
      const ids = mq.chains.get(id) ?? [id];
      mq.chains.delete(id);
      for (const i of ids) mq.freeHeads.push(i);
    }
    return out;
  }

  /** Concatenated bytes the device wrote into a used element's writable segments. */
  written(u: MockUsed): Uint8Array {
    const out = new Uint8Array(u.writable.reduce((a, w) => a + w.len, 0));
    let o = 0;
    for (const w of u.writable) {
      out.set(this.mem.slice(w.gpa, w.len)!, o);
      o += w.len;
    }
    return out;
  }

  /** Reads InterruptStatus and acknowledges it; returns the bits that were set. */
  ackInterrupt(): number {
    const s = this.reg(R.VIRTIO_MMIO_INTERRUPT_STATUS);
    if (s !== 0) this.setReg(R.VIRTIO_MMIO_INTERRUPT_ACK, s);
    return s;
  }

  /** Device status register. */
  status(): number {
    return this.reg(R.VIRTIO_MMIO_STATUS);
  }

  /** Reads a config field of `size` bytes (1, 2, 4 or 8) at config offset `offset`. */
  config(offset: number, size: 1 | 2 | 4 | 8): bigint {
    if (size === 8) {
      const lo = this.mmio.read(R.VIRTIO_MMIO_CONFIG + offset, 4);
      const hi = this.mmio.read(R.VIRTIO_MMIO_CONFIG + offset + 4, 4);
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    return BigInt(this.mmio.read(R.VIRTIO_MMIO_CONFIG + offset, size));
  }

  /** Writes a config field of `size` bytes. */
  setConfig(offset: number, size: 1 | 2 | 4, value: number): void {
    this.mmio.write(R.VIRTIO_MMIO_CONFIG + offset, size, value);
  }
}

function writeDesc(m: GuestMemory, at: number, gpa: number, len: number, flags: number, next: number): void {
  m.writeU64(at, BigInt(gpa));
  m.writeU32(at + 8, len);
  m.writeU16(at + 12, flags);
  m.writeU16(at + 14, next);
}

/** A scheduler for tests: collects callbacks, runs them on `run()` (as the machine does between slices). */
export class ManualScheduler {
  private readonly queue: (() => void)[] = [];
  /** Pass this as the transport's `schedule`. */
  readonly schedule = (fn: () => void): void => {
    this.queue.push(fn);
  };
  /** Runs queued callbacks (and those they queue) until none is left or `limit` ran. */
  run(limit = 10000): number {
    let n = 0;
    while (this.queue.length > 0 && n < limit) {
      this.queue.shift()!();
      n++;
    }
    return n;
  }
  /** Callbacks waiting. */
  get pending(): number {
    return this.queue.length;
  }
}

/** An IrqLine that records its level and how many times it went high. */
export class RecordingIrq {
  level = false;
  raises = 0;
  set(level: boolean): void {
    if (level && !this.level) this.raises++;
    this.level = level;
  }
}

/** Everything a device test needs: RAM, the transport, a manual scheduler and the mock driver. */
export interface MockHarness {
  mem: GuestMemory;
  mmio: MmioDevice;
  sched: ManualScheduler;
  irq: RecordingIrq;
  drv: MockDriver;
}

/** Builds RAM (default 4 MiB at 0x8000_0000), a transport for `device` and a mock driver. */
export function mockHarness(device: VirtioDevice, ramSizeBytes = 4 << 20, memory?: GuestMemory): MockHarness {
  const mem = memory ?? new GuestMemory({ ramBaseGpa: 0x8000_0000, ramSizeBytes, stateSizeBytes: 0 });
  const sched = new ManualScheduler();
  const irq = new RecordingIrq();
  const mmio = virtioMmio(device, sched.schedule)(mem, irq);
  return { mem, mmio, sched, irq, drv: new MockDriver(mmio, mem) };
}
