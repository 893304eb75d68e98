// Split virtqueue (virtio 1.2 §2.7): descriptor table, available ring and used ring in guest
// memory. Every guest-supplied value is validated before use; chains are read into a reusable
// `DescriptorChain` so popping a chain allocates nothing.
import type { GuestMemory } from '../../memory/guest-memory.js';

/** virtq_desc.flags: the buffer continues via the `next` field (§2.7.5). */
export const VIRTQ_DESC_F_NEXT = 1;
/** virtq_desc.flags: the buffer is device write-only (otherwise device read-only). */
export const VIRTQ_DESC_F_WRITE = 2;
/** virtq_desc.flags: the buffer contains a table of indirect descriptors (§2.7.5.3). */
export const VIRTQ_DESC_F_INDIRECT = 4;
/** virtq_avail.flags: the driver does not want used-buffer notifications (no EVENT_IDX). */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;
/** virtq_used.flags: the device does not want available-buffer notifications (no EVENT_IDX). */
export const VIRTQ_USED_F_NO_NOTIFY = 1;
/** Largest queue size a split virtqueue may have (§2.7). */
export const VIRTQ_MAX_SIZE = 32768;

/** Why `Virtqueue.pop` failed; 0 is success. Negative codes are malformed guest data. */
export const enum ChainStatus {
  Ok = 0,
  /** The available ring holds no new buffer. */
  Empty = 1,
  /** The queue is not ready / not configured. */
  NotReady = 2,
  /** avail.idx moved more than the queue size past what the device consumed. */
  BadAvailIdx = -1,
  /** A head or `next` index is >= the queue size. */
  BadIndex = -2,
  /** More descriptors than the queue size (or indirect table) holds: a loop. */
  Loop = -3,
  /** A buffer lies (partly) outside guest RAM. */
  BadAddress = -4,
  /** Indirect table with a bad length, nested, or combined with NEXT. */
  BadIndirect = -5,
  /** A device-readable descriptor after a device-writable one. */
  BadOrder = -6,
  /** Readable or writable byte total does not fit in 32 bits. */
  LengthOverflow = -7,
}

/**
 * One descriptor chain as the device sees it: the head index, then segments in chain order
 * (all device-readable segments first, then device-writable ones). Reused between pops.
 */
export class DescriptorChain {
  /** Index of the head descriptor (what goes back in the used ring). */
  head = 0;
  /** Number of segments. */
  count = 0;
  /** Number of device-readable segments (they come first). */
  readableCount = 0;
  /** Total bytes of device-readable segments. */
  readableBytes = 0;
  /** Total bytes of device-writable segments. */
  writableBytes = 0;
  /** Guest-physical address of each segment (always inside RAM). */
  readonly gpa: Float64Array;
  /** Length of each segment in bytes. */
  readonly len: Uint32Array;

  constructor(capacity: number) {
    this.gpa = new Float64Array(capacity);
    this.len = new Uint32Array(capacity);
  }

  /**
   * Copies up to `length` bytes of the device-readable part, starting `offset` bytes into it,
   * into `dst[dstOffset..]`. Returns the number of bytes copied.
   */
  readFrom(mem: GuestMemory, offset: number, dst: Uint8Array, dstOffset = 0, length = dst.length - dstOffset): number {
    let copied = 0;
    let skip = offset;
    for (let i = 0; i < this.readableCount && copied < length; i++) {
      const segLen = this.len[i]!;
      if (skip >= segLen) {
        skip -= segLen;
        continue;
      }
      const n = Math.min(segLen - skip, length - copied);
      const src = mem.offsetOf(this.gpa[i]! + skip);
      copyBytes(mem.u8, src, dst, dstOffset + copied, n);
      copied += n;
      skip = 0;
    }
    return copied;
  }

  /**
   * Copies `length` bytes of `src[srcOffset..]` into the device-writable part, starting
   * `offset` bytes into it, and marks the pages dirty. Returns the number of bytes copied.
   */
  writeTo(mem: GuestMemory, offset: number, src: Uint8Array, srcOffset = 0, length = src.length - srcOffset): number {
    let copied = 0;
    let skip = offset;
    for (let i = this.readableCount; i < this.count && copied < length; i++) {
      const segLen = this.len[i]!;
      if (skip >= segLen) {
        skip -= segLen;
        continue;
      }
      const n = Math.min(segLen - skip, length - copied);
      const gpa = this.gpa[i]! + skip;
      copyBytes(src, srcOffset + copied, mem.u8, mem.offsetOf(gpa), n);
      mem.markDirty(gpa, n);
      copied += n;
      skip = 0;
    }
    return copied;
  }

  /** Copies this chain's contents into `other` (for devices that keep requests in flight). */
  copyTo(other: DescriptorChain): void {
    other.head = this.head;
    other.count = this.count;
    other.readableCount = this.readableCount;
    other.readableBytes = this.readableBytes;
    other.writableBytes = this.writableBytes;
    other.gpa.set(this.gpa.subarray(0, this.count));
    other.len.set(this.len.subarray(0, this.count));
  }
}

/** Copies `n` bytes; small copies (headers, status bytes) without allocating a subarray view. */
function copyBytes(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, n: number): void {
  if (n <= 64) {
    for (let k = 0; k < n; k++) dst[dstOff + k] = src[srcOff + k]!;
  } else {
    dst.set(src.subarray(srcOff, srcOff + n), dstOff);
  }
}

/** Plain-data snapshot of a queue (for save/restore). */
export interface VirtqueueState {
  size: number;
  ready: boolean;
  descGpa: number;
  availGpa: number;
  usedGpa: number;
  lastAvailIdx: number;
  usedIdx: number;
  signalledUsedIdx: number;
}

/**
 * A split virtqueue. The transport writes its configuration; the device pops chains and
 * pushes used elements; the transport asks `needsInterrupt()` after a batch.
 */
export class Virtqueue {
  /** Queue size chosen by the driver (QueueNum), a power of two <= maxSize. */
  size: number;
  ready = false;
  descGpa = 0;
  availGpa = 0;
  usedGpa = 0;
  /** VIRTIO_F_EVENT_IDX negotiated. */
  eventIdx = false;
  /** VIRTIO_F_INDIRECT_DESC negotiated. */
  indirect = false;
  /** Next avail ring slot the device will consume (free-running 16-bit). */
  lastAvailIdx = 0;
  /** Next used ring slot the device will fill (free-running 16-bit). */
  usedIdx = 0;
  /** used.idx value at the last interrupt decision (for EVENT_IDX). */
  private signalledUsedIdx = 0;
  /** Used elements pushed since the last interrupt decision. */
  private pendingUsed = 0;

  constructor(
    private readonly mem: GuestMemory,
    /** Largest size the device accepts (QueueNumMax). */
    readonly maxSize: number,
  ) {
    this.size = maxSize;
  }

  /** Returns the queue to its reset state (not ready, default size, addresses 0). */
  reset(): void {
    this.size = this.maxSize;
    this.ready = false;
    this.descGpa = this.availGpa = this.usedGpa = 0;
    this.lastAvailIdx = this.usedIdx = this.signalledUsedIdx = this.pendingUsed = 0;
  }

  /**
   * Checks size, alignment and that the three areas lie in guest RAM (§2.7, §4.2.2); true if
   * the queue can be made ready.
   */
  validate(): boolean {
    const n = this.size;
    if (n < 1 || n > this.maxSize || (n & (n - 1)) !== 0) return false;
    const m = this.mem;
    return (
      this.descGpa % 16 === 0 && m.contains(this.descGpa, 16 * n) &&
      this.availGpa % 2 === 0 && m.contains(this.availGpa, 6 + 2 * n) &&
      this.usedGpa % 4 === 0 && m.contains(this.usedGpa, 6 + 8 * n)
    );
  }

  /** Makes the queue ready, taking the driver's starting indexes (0 after a reset). */
  activate(): void {
    this.ready = true;
    this.lastAvailIdx = 0;
    this.usedIdx = this.mem.readU16(this.usedGpa + 2) & 0xffff;
    this.signalledUsedIdx = this.usedIdx;
    this.pendingUsed = 0;
    if (this.eventIdx) this.writeAvailEvent();
  }

  /** Current avail.idx written by the driver. */
  private availIdx(): number {
    return this.mem.view.getUint16(this.mem.offsetOf(this.availGpa + 2), true);
  }

  /** Number of chains the driver made available that the device has not popped (or -1 if bogus). */
  availableCount(): number {
    if (!this.ready) return 0;
    const n = (this.availIdx() - this.lastAvailIdx) & 0xffff;
    return n > this.size ? -1 : n;
  }

  /** Tells the driver (EVENT_IDX) which avail index should trigger the next notification. */
  private writeAvailEvent(): void {
    this.mem.writeU16(this.usedGpa + 4 + 8 * this.size, this.lastAvailIdx);
  }

  /**
   * Pops the next available chain into `chain`. On a malformed chain returns a negative
   * `ChainStatus`; the chain is still consumed and `chain.head` names it when the head index
   * itself was valid (so the device can complete it with an error).
   */
  pop(chain: DescriptorChain): ChainStatus {
    if (!this.ready) return ChainStatus.NotReady;
    const avail = this.availableCount();
    if (avail === 0) {
      if (this.eventIdx) this.writeAvailEvent();
      return ChainStatus.Empty;
    }
    if (avail < 0) return ChainStatus.BadAvailIdx;
    const m = this.mem;
    const slot = this.lastAvailIdx % this.size;
    const head = m.view.getUint16(m.offsetOf(this.availGpa + 4 + 2 * slot), true);
    this.lastAvailIdx = (this.lastAvailIdx + 1) & 0xffff;
    if (this.eventIdx) this.writeAvailEvent();
    chain.head = head;
    chain.count = chain.readableCount = chain.readableBytes = chain.writableBytes = 0;
    if (head >= this.size) {
      chain.head = -1;
      return ChainStatus.BadIndex;
    }
    return this.walk(chain, head);
  }

  /** Follows a chain from `head`, expanding at most one indirect table. */
  private walk(chain: DescriptorChain, head: number): ChainStatus {
    const m = this.mem;
    const view = m.view;
    let tableGpa = this.descGpa;
    let tableSize = this.size;
    let idx = head;
    let steps = 0;
    let inIndirect = false;
    let seenWritable = false;
    const cap = chain.gpa.length;
    for (;;) {
      if (idx >= tableSize) return ChainStatus.BadIndex;
      if (++steps > tableSize) return ChainStatus.Loop;
      const d = m.offsetOf(tableGpa + 16 * idx);
      const lo = view.getUint32(d, true);
      const hi = view.getUint32(d + 4, true);
      const len = view.getUint32(d + 8, true);
      const flags = view.getUint16(d + 12, true);
      const next = view.getUint16(d + 14, true);
      // 64-bit address without losing precision: anything >= 2^53 is outside RAM anyway.
      const gpa = hi >= 0x200000 ? -1 : hi * 4294967296 + lo;
      if (flags & VIRTQ_DESC_F_INDIRECT) {
        if (!this.indirect || inIndirect || flags & VIRTQ_DESC_F_NEXT) return ChainStatus.BadIndirect;
        if (len === 0 || len % 16 !== 0) return ChainStatus.BadIndirect;
        if (!m.contains(gpa, len)) return ChainStatus.BadAddress;
        inIndirect = true;
        tableGpa = gpa;
        tableSize = len / 16;
        idx = 0;
        steps = 0;
        continue;
      }
      if (!m.contains(gpa, len)) return ChainStatus.BadAddress;
      if (chain.count >= cap) return ChainStatus.Loop;
      if (flags & VIRTQ_DESC_F_WRITE) {
        seenWritable = true;
        chain.writableBytes += len;
        if (chain.writableBytes > 0xffffffff) return ChainStatus.LengthOverflow;
      } else {
        if (seenWritable) return ChainStatus.BadOrder;
        chain.readableCount++;
        chain.readableBytes += len;
        if (chain.readableBytes > 0xffffffff) return ChainStatus.LengthOverflow;
      }
      chain.gpa[chain.count] = gpa;
      chain.len[chain.count] = len;
      chain.count++;
      if (!(flags & VIRTQ_DESC_F_NEXT)) return ChainStatus.Ok;
      idx = next;
    }
  }

  /** Puts a consumed chain back so the next `pop` returns it again (a device out of space). */
  unpop(): void {
    this.lastAvailIdx = (this.lastAvailIdx - 1) & 0xffff;
    if (this.eventIdx) this.writeAvailEvent();
  }

  /** Appends {id: head, len: writtenBytes} to the used ring and publishes used.idx. */
  pushUsed(head: number, writtenBytes: number): void {
    if (!this.ready) return;
    const m = this.mem;
    const slot = this.usedIdx % this.size;
    const e = this.usedGpa + 4 + 8 * slot;
    m.writeU32(e, head);
    m.writeU32(e + 4, writtenBytes);
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    m.writeU16(this.usedGpa + 2, this.usedIdx);
    this.pendingUsed++;
  }

  /**
   * Whether the driver wants an interrupt for the used elements pushed since the last call
   * (§2.7.10: `VIRTQ_AVAIL_F_NO_INTERRUPT`, or `used_event` with EVENT_IDX). Resets the batch.
   */
  needsInterrupt(): boolean {
    if (!this.ready || this.pendingUsed === 0) return false;
    const oldIdx = this.signalledUsedIdx;
    const newIdx = this.usedIdx;
    this.signalledUsedIdx = newIdx;
    const batch = this.pendingUsed;
    this.pendingUsed = 0;
    const m = this.mem;
    if (this.eventIdx) {
      if (batch >= 0x10000) return true;
      const usedEvent = m.view.getUint16(m.offsetOf(this.availGpa + 4 + 2 * this.size), true);
      // vring_need_event(): (new - event - 1) < (new - old), all mod 2^16.
      return ((newIdx - usedEvent - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
    }
    const flags = m.view.getUint16(m.offsetOf(this.availGpa), true);
    return (flags & VIRTQ_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /** Plain-data snapshot. */
  save(): VirtqueueState {
    return {
      size: this.size, ready: this.ready, descGpa: this.descGpa, availGpa: this.availGpa,
      usedGpa: this.usedGpa, lastAvailIdx: this.lastAvailIdx, usedIdx: this.usedIdx,
      signalledUsedIdx: this.signalledUsedIdx,
    };
  }

  /** Restores a snapshot taken by `save` (validated: a bad snapshot leaves the queue not ready). */
  restore(s: VirtqueueState): void {
    this.size = s.size;
    this.descGpa = s.descGpa;
    this.availGpa = s.availGpa;
    this.usedGpa = s.usedGpa;
    this.lastAvailIdx = s.lastAvailIdx & 0xffff;
    this.usedIdx = s.usedIdx & 0xffff;
    this.signalledUsedIdx = s.signalledUsedIdx & 0xffff;
    this.pendingUsed = 0;
    this.ready = s.ready && this.validate();
  }
}
