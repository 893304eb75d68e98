// virtio memory balloon (virtio 1.2 §5.5): the host sets a target (`num_pages`), the guest
// inflates (gives pages back) or deflates, and may report memory statistics.
import { PAGE_SIZE } from '../../../memory/guest-memory.js';
import { ChainStatus, DescriptorChain } from '../virtqueue.js';
import { VirtioDeviceBase, VirtioDeviceId, VIRTIO_F_VERSION_1 } from '../virtio-device.js';

/** A statistics virtqueue is present. */
export const VIRTIO_BALLOON_F_STATS_VQ = 1n << 1n;
/** The guest deflates the balloon when it runs out of memory. */
export const VIRTIO_BALLOON_F_DEFLATE_ON_OOM = 1n << 2n;
/** Balloon page frame numbers are in 4096-byte units (VIRTIO_BALLOON_PFN_SHIFT). */
export const VIRTIO_BALLOON_PFN_SHIFT = 12;

/** Statistic tags (§5.5.6.3), by name. */
export const BALLOON_STAT_NAMES = [
  'swapIn', 'swapOut', 'majorFaults', 'minorFaults', 'freeMemory', 'totalMemory',
  'availableMemory', 'diskCaches', 'hugetlbAllocations', 'hugetlbFailures',
] as const;

/** Memory statistics the guest reported (bytes for memory amounts, counts otherwise). */
export type BalloonStats = Partial<Record<(typeof BALLOON_STAT_NAMES)[number], bigint>>;

/** Snapshot of a running balloon (plain data). */
export interface BalloonState {
  numPages: number;
  actual: number;
  /** Indexes (from the start of RAM) of the inflated pages. */
  inflated: number[];
  /** Head of the stats buffer the device holds, or -1. */
  statsHead: number;
}

/** What the host sees of the balloon. */
export interface BalloonInfo {
  /** Pages the host asked the guest to give back (`num_pages`). */
  targetPages: number;
  /** Pages the guest says it gave (`actual`). */
  actualPages: number;
  /** Pages the device saw inflated and not deflated since the last reset. */
  inflatedPages: number;
}

const QUEUE_SIZE = 128;
const INFLATEQ = 0;
const DEFLATEQ = 1;
const STATSQ = 2;
const STAT_BYTES = 10;
/** Most tags read from one stats buffer (there are 10 defined; extra entries are skipped). */
const MAX_STATS = 64;

/**
 * virtio-balloon. Inflated pages are zero-filled and tracked in a bitmap: JavaScript cannot
 * return pages of a WebAssembly.Memory to the host OS (no madvise), so the honest effect is that
 * the guest no longer uses them and their content is gone (they also compress to nothing in a
 * snapshot or migration stream).
 */
export class VirtioBalloonDevice extends VirtioDeviceBase {
  readonly deviceId = VirtioDeviceId.Balloon;
  readonly deviceFeatures = VIRTIO_F_VERSION_1 | VIRTIO_BALLOON_F_STATS_VQ | VIRTIO_BALLOON_F_DEFLATE_ON_OOM;
  readonly queueCount = 3;
  /** Latest statistics the guest reported. */
  stats: BalloonStats | undefined;
  /** Called whenever the guest reports statistics. */
  onStats: ((stats: BalloonStats) => void) | undefined;
  private readonly chain = new DescriptorChain(QUEUE_SIZE);
  private readonly pfnBuf = new Uint8Array(4 * 256);
  private readonly statBuf = new Uint8Array(STAT_BYTES);
  private inflated: Uint32Array | undefined;
  private inflatedCount = 0;
  /** Head of the stats buffer the device holds (-1: none). */
  private statsHead = -1;

  constructor(private readonly ramPages: number) {
    super(16);
  }

  queueMaxSize(): number {
    return QUEUE_SIZE;
  }

  /** Asks the guest to give back `pages` pages (clamped to RAM); raises a config change. */
  setTargetPages(pages: number): void {
    const n = Math.max(0, Math.min(Math.floor(pages), this.ramPages));
    this.configView.setUint32(0, n, true); // num_pages
    this.ctx?.notifyConfigChange();
  }

  /** Asks the guest to give back `bytes` of RAM (rounded down to pages). */
  setTargetBytes(bytes: number): void {
    this.setTargetPages(bytes / PAGE_SIZE);
  }

  /** Target, guest-reported and device-seen sizes of the balloon. */
  info(): BalloonInfo {
    return {
      targetPages: this.configView.getUint32(0, true),
      actualPages: this.configView.getUint32(4, true),
      inflatedPages: this.inflatedCount,
    };
  }

  /**
   * Asks the guest for fresh statistics by returning the buffer it posted on the stats queue
   * (§5.5.6.3); the answer arrives in `stats` / `onStats`. False if the guest has no buffer.
   */
  requestStats(): boolean {
    const ctx = this.ctx;
    if (ctx === undefined || this.statsHead < 0) return false;
    const vq = ctx.queues[STATSQ]!;
    vq.pushUsed(this.statsHead, 0);
    this.statsHead = -1;
    ctx.notifyUsed(STATSQ);
    return true;
  }

  saveState(): BalloonState {
    const inflated: number[] = [];
    const bm = this.inflated;
    if (bm !== undefined) {
      for (let w = 0; w < bm.length; w++) {
        if (bm[w] === 0) continue;
        for (let b = 0; b < 32; b++) if (bm[w]! & (1 << b)) inflated.push(w * 32 + b);
      }
    }
    return { numPages: this.configView.getUint32(0, true), actual: this.configView.getUint32(4, true), inflated, statsHead: this.statsHead };
  }

  restoreState(state: unknown): void {
    const s = state as BalloonState;
    this.configView.setUint32(0, Math.min(s.numPages >>> 0, this.ramPages), true);
    this.configView.setUint32(4, s.actual >>> 0, true);
    const bm = (this.inflated ??= new Uint32Array(Math.ceil(this.ramPages / 32)));
    bm.fill(0);
    this.inflatedCount = 0;
    for (const p of s.inflated) {
      if (!Number.isInteger(p) || p < 0 || p >= this.ramPages || bm[p >>> 5]! & (1 << (p & 31))) continue;
      bm[p >>> 5]! |= 1 << (p & 31);
      this.inflatedCount++;
    }
    const q = this.ctx?.queues[STATSQ];
    this.statsHead = q !== undefined && Number.isInteger(s.statsHead) && s.statsHead >= 0 && s.statsHead < q.size ? s.statsHead : -1;
  }

  override writeConfig(offset: number, size: 1 | 2 | 4, value: number): void {
    // Only `actual` (offset 4) is driver-writable.
    if (offset < 4 || offset + size > 8) return;
    if (size === 4) this.configView.setUint32(4, value, true);
    else if (size === 2) this.configView.setUint16(offset, value & 0xffff, true);
    else this.configView.setUint8(offset, value & 0xff);
  }

  override reset(): void {
    super.reset();
    this.statsHead = -1;
    this.inflated?.fill(0);
    this.inflatedCount = 0;
    this.configView.setUint32(4, 0, true);
  }


  processQueue(q: number): void {
    if (q === INFLATEQ || q === DEFLATEQ) this.pages(q);
    else if (q === STATSQ) this.readStats();
  }

  private pages(q: number): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const mem = ctx.mem;
    const bitmap = (this.inflated ??= new Uint32Array(Math.ceil(this.ramPages / 32)));
    const vq = ctx.queues[q]!;
    const c = this.chain;
    const buf = this.pfnBuf;
    const view = new DataView(buf.buffer);
    let used = 0;
    for (;;) {
      const st = vq.pop(c);
      if (st === ChainStatus.Empty || st === ChainStatus.NotReady) break;
      if (st !== ChainStatus.Ok) {
        this.malformed(q, st);
        return;
      }
      const total = c.readableBytes - (c.readableBytes % 4);
      for (let off = 0; off < total; ) {
        const n = c.readFrom(mem, off, buf, 0, Math.min(buf.length, total - off));
        for (let i = 0; i < n; i += 4) {
          const pfn = view.getUint32(i, true);
          const page = pfn - mem.ramBaseGpa / PAGE_SIZE;
          if (page < 0 || page >= this.ramPages) {
            this.counters.badRequests++;
            continue;
          }
          const bit = 1 << (page & 31);
          const word = page >>> 5;
          if (q === INFLATEQ) {
            if ((bitmap[word]! & bit) === 0) {
              bitmap[word]! |= bit;
              this.inflatedCount++;
            }
            const gpa = pfn * PAGE_SIZE;
            mem.slice(gpa, PAGE_SIZE)!.fill(0);
            mem.markDirty(gpa, PAGE_SIZE);
          } else if (bitmap[word]! & bit) {
            bitmap[word]! &= ~bit;
            this.inflatedCount--;
          }
        }
        off += n;
      }
      vq.pushUsed(c.head, 0);
      used++;
    }
    if (used > 0) ctx.notifyUsed(q);
  }

  /** Takes the guest's stats buffer, parses {le16 tag, le64 val} entries, and keeps it. */
  private readStats(): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const vq = ctx.queues[STATSQ]!;
    const c = this.chain;
    for (;;) {
      const st = vq.pop(c);
      if (st === ChainStatus.Empty || st === ChainStatus.NotReady) return;
      if (st !== ChainStatus.Ok) {
        this.malformed(STATSQ, st);
        return;
      }
      // A second buffer while we hold one: give the old one back.
      if (this.statsHead >= 0) {
        vq.pushUsed(this.statsHead, 0);
        ctx.notifyUsed(STATSQ);
      }
      this.statsHead = c.head;
      const stats: BalloonStats = {};
      const v = new DataView(this.statBuf.buffer);
      const count = Math.min(MAX_STATS, Math.floor(c.readableBytes / STAT_BYTES));
      for (let i = 0; i < count; i++) {
        c.readFrom(ctx.mem, i * STAT_BYTES, this.statBuf);
        const name = BALLOON_STAT_NAMES[v.getUint16(0, true)];
        if (name !== undefined) stats[name] = v.getBigUint64(2, true);
      }
      this.stats = stats;
      this.onStats?.(stats);
    }
  }
}
