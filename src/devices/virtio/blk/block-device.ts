// virtio block device (virtio 1.2 §5.2): a disk image behind an async `BlockBackend`.
// Requests are processed concurrently; each completes when its backend calls do.
import { ChainStatus, DescriptorChain } from '../virtqueue.js';
import { ChainPool, VirtioDeviceBase, VirtioDeviceId, VIRTIO_F_VERSION_1 } from '../virtio-device.js';

/** Maximum size of one segment is in `size_max`. */
export const VIRTIO_BLK_F_SIZE_MAX = 1n << 1n;
/** Maximum number of segments of a request is in `seg_max`. */
export const VIRTIO_BLK_F_SEG_MAX = 1n << 2n;
/** The device is read-only. */
export const VIRTIO_BLK_F_RO = 1n << 5n;
/** Block size of the disk is in `blk_size`. */
export const VIRTIO_BLK_F_BLK_SIZE = 1n << 6n;
/** Cache flush command support. */
export const VIRTIO_BLK_F_FLUSH = 1n << 9n;
/** Discard command support. */
export const VIRTIO_BLK_F_DISCARD = 1n << 13n;
/** Write zeroes command support. */
export const VIRTIO_BLK_F_WRITE_ZEROES = 1n << 14n;

/** Request types (§5.2.6). */
export const VIRTIO_BLK_T_IN = 0;
/** Write. */
export const VIRTIO_BLK_T_OUT = 1;
/** Flush the write cache. */
export const VIRTIO_BLK_T_FLUSH = 4;
/** Device serial (20 bytes). */
export const VIRTIO_BLK_T_GET_ID = 8;
/** Discard ranges. */
export const VIRTIO_BLK_T_DISCARD = 11;
/** Write zeroes to ranges. */
export const VIRTIO_BLK_T_WRITE_ZEROES = 13;
/** Request status: success. */
export const VIRTIO_BLK_S_OK = 0;
/** Request status: I/O error (also: out of range, write to a read-only disk). */
export const VIRTIO_BLK_S_IOERR = 1;
/** Request status: request type not supported. */
export const VIRTIO_BLK_S_UNSUPP = 2;
/** Length of the GET_ID answer. */
export const VIRTIO_BLK_ID_BYTES = 20;

/** The host side of a disk: byte-addressed async I/O on an image. */
export interface BlockBackend {
  /** Image size in bytes (the device exposes floor(size / 512) sectors). */
  readonly sizeBytes: number;
  /** Writes are refused (VIRTIO_BLK_F_RO). */
  readonly readOnly: boolean;
  /** Fills `dst` from the image at `offsetBytes`. */
  read(offsetBytes: number, dst: Uint8Array): Promise<void>;
  /** Writes `src` to the image at `offsetBytes`. */
  write(offsetBytes: number, src: Uint8Array): Promise<void>;
  /** Makes every completed write durable (fsync/fdatasync). */
  flush(): Promise<void>;
  /** The guest no longer needs the range (its content becomes unspecified; zeroes are fine). */
  discard(offsetBytes: number, lengthBytes: number): Promise<void>;
  /** The range reads back as zeroes afterwards. */
  writeZeroes(offsetBytes: number, lengthBytes: number, mayUnmap: boolean): Promise<void>;
}

/** Validated user configuration of one disk. */
export interface BlockConfig {
  /** Serial number answered to GET_ID (at most 20 bytes, ASCII). */
  readonly serial?: string;
  /** Force read-only even if the backend could write. */
  readonly readOnly?: boolean;
}

const SECTOR = 512;
const QUEUE_SIZE = 256;
/** Limits advertised in config space; requests beyond them are answered IOERR. */
const SEG_MAX = QUEUE_SIZE - 2;
const SIZE_MAX = 1 << 20;
const MAX_DISCARD_SECTORS = 0x3fffff;
const MAX_DISCARD_SEG = 32;
const RANGE_BYTES = 16;

/** virtio block device over a `BlockBackend`. */
export class VirtioBlockDevice extends VirtioDeviceBase {
  readonly deviceId = VirtioDeviceId.Block;
  readonly deviceFeatures: bigint;
  readonly queueCount = 1;
  /** Capacity in 512-byte sectors. */
  readonly capacitySectors: number;
  /** Requests completed, by outcome. */
  readonly stats = { ok: 0, ioerr: 0, unsupp: 0, readBytes: 0, writeBytes: 0 };
  private readonly readOnly: boolean;
  private readonly serial = new Uint8Array(VIRTIO_BLK_ID_BYTES);
  private readonly pool = new ChainPool(QUEUE_SIZE);
  private readonly header = new Uint8Array(RANGE_BYTES);
  private readonly headerView = new DataView(this.header.buffer);
  private readonly statusByte = new Uint8Array(1);
  /** In-flight requests (bounded by the queue size). */
  inFlight = 0;

  constructor(private readonly backend: BlockBackend, config: BlockConfig = {}) {
    super(60);
    this.readOnly = backend.readOnly || config.readOnly === true;
    this.capacitySectors = Math.floor(backend.sizeBytes / SECTOR);
    let f = VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_SIZE_MAX | VIRTIO_BLK_F_SEG_MAX | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH;
    if (this.readOnly) f |= VIRTIO_BLK_F_RO;
    else f |= VIRTIO_BLK_F_DISCARD | VIRTIO_BLK_F_WRITE_ZEROES;
    this.deviceFeatures = f;
    new TextEncoder().encode(config.serial ?? '').subarray(0, VIRTIO_BLK_ID_BYTES).forEach((b, i) => (this.serial[i] = b));
    const c = this.configView;
    c.setBigUint64(0, BigInt(this.capacitySectors), true); // capacity
    c.setUint32(8, SIZE_MAX, true); // size_max
    c.setUint32(12, SEG_MAX, true); // seg_max
    c.setUint32(20, SECTOR, true); // blk_size
    c.setUint32(36, MAX_DISCARD_SECTORS, true); // max_discard_sectors
    c.setUint32(40, MAX_DISCARD_SEG, true); // max_discard_seg
    c.setUint32(44, 1, true); // discard_sector_alignment
    c.setUint32(48, MAX_DISCARD_SECTORS, true); // max_write_zeroes_sectors
    c.setUint32(52, MAX_DISCARD_SEG, true); // max_write_zeroes_seg
    c.setUint8(56, 1); // write_zeroes_may_unmap
  }

  queueMaxSize(): number {
    return QUEUE_SIZE;
  }

  /** Reads of any life write guest RAM straight from the host file: a reset waits for them. */
  busy(): boolean {
    return this.inFlight > 0;
  }

  processQueue(q: number): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const vq = ctx.queues[q]!;
    for (;;) {
      const chain = this.pool.take();
      const st = vq.pop(chain);
      if (st === ChainStatus.Empty || st === ChainStatus.NotReady) {
        this.pool.give(chain);
        return;
      }
      if (st !== ChainStatus.Ok) {
        this.pool.give(chain);
        this.malformed(q, st);
        return;
      }
      if (chain.writableBytes === 0) {
        // No room for the status byte: nothing can be reported back.
        this.pool.give(chain);
        this.counters.badRequests++;
        this.fail('block request without a status byte');
        return;
      }
      this.inFlight++;
      const epoch = this.epoch;
      this.execute(chain).then(
        (status) => this.complete(q, chain, epoch, status),
        () => this.complete(q, chain, epoch, -VIRTIO_BLK_S_IOERR),
      );
    }
  }

  /** Writes the status byte, returns the chain and interrupts (if still the same device life). */
  private complete(q: number, chain: DescriptorChain, epoch: number, result: number): void {
    this.inFlight--;
    const ctx = this.ctx;
    if (epoch === this.epoch && ctx !== undefined) {
      // result >= 0: status OK with `result` data bytes written; < 0: -status, no data.
      const status = result >= 0 ? VIRTIO_BLK_S_OK : -result;
      const dataBytes = result >= 0 ? result : 0;
      if (status === VIRTIO_BLK_S_OK) this.stats.ok++;
      else if (status === VIRTIO_BLK_S_UNSUPP) this.stats.unsupp++;
      else this.stats.ioerr++;
      if (status !== VIRTIO_BLK_S_OK) this.counters.badRequests++;
      this.statusByte[0] = status;
      chain.writeTo(ctx.mem, chain.writableBytes - 1, this.statusByte);
      const vq = ctx.queues[q]!;
      vq.pushUsed(chain.head, dataBytes + 1);
      ctx.notifyUsed(q);
    }
    this.pool.give(chain);
  }

  /** Runs one request; resolves to data bytes written to the guest, or -status on error. */
  private async execute(chain: DescriptorChain): Promise<number> {
    const ctx = this.ctx!;
    if (chain.readableBytes < 16 || chain.readFrom(ctx.mem, 0, this.header, 0, 16) !== 16) return -VIRTIO_BLK_S_IOERR;
    const h = this.headerView;
    const type = h.getUint32(0, true);
    const sectorLo = h.getUint32(8, true);
    const sectorHi = h.getUint32(12, true);
    const sector = sectorHi >= 0x200000 ? Number.MAX_SAFE_INTEGER : sectorHi * 4294967296 + sectorLo;
    switch (type) {
      case VIRTIO_BLK_T_IN: {
        const len = chain.writableBytes - 1;
        if (!this.inRange(sector, len) || chain.count - chain.readableCount > SEG_MAX + 1) return -VIRTIO_BLK_S_IOERR;
        await this.transfer(chain, sector * SECTOR, len, false);
        this.stats.readBytes += len;
        return len;
      }
      case VIRTIO_BLK_T_OUT: {
        if (this.readOnly) return -VIRTIO_BLK_S_IOERR;
        const len = chain.readableBytes - 16;
        if (!this.inRange(sector, len) || chain.readableCount > SEG_MAX + 1) return -VIRTIO_BLK_S_IOERR;
        await this.transfer(chain, sector * SECTOR, len, true);
        if (!this.hasFeature(VIRTIO_BLK_F_FLUSH)) await this.backend.flush(); // write-through
        this.stats.writeBytes += len;
        return 0;
      }
      case VIRTIO_BLK_T_FLUSH:
        await this.backend.flush();
        return 0;
      case VIRTIO_BLK_T_GET_ID: {
        if (chain.writableBytes - 1 < VIRTIO_BLK_ID_BYTES) return -VIRTIO_BLK_S_IOERR;
        return chain.writeTo(ctx.mem, 0, this.serial);
      }
      case VIRTIO_BLK_T_DISCARD:
      case VIRTIO_BLK_T_WRITE_ZEROES:
        return this.ranges(chain, type);
      default:
        return -VIRTIO_BLK_S_UNSUPP;
    }
  }

  /** Sector range check: `len` a multiple of 512 and [sector, sector+len/512) inside the disk. */
  private inRange(sector: number, len: number): boolean {
    return len % SECTOR === 0 && sector <= this.capacitySectors && len / SECTOR <= this.capacitySectors - sector;
  }

  /**
   * Moves `len` bytes between the image at `offset` and the chain's data segments (readable
   * segments after the 16-byte header when `toDisk`, else writable ones before the status
   * byte), straight from/into guest RAM.
   */
  private async transfer(chain: DescriptorChain, offset: number, len: number, toDisk: boolean): Promise<void> {
    const mem = this.ctx!.mem;
    const ops: Promise<void>[] = [];
    this.forData(chain, len, toDisk, (gpa, n, at) => {
      const view = mem.slice(gpa, n)!;
      ops.push(toDisk ? this.backend.write(offset + at, view) : this.backend.read(offset + at, view));
    });
    await Promise.all(ops);
    // DMA into guest RAM: mark the pages once the data is there (live migration copies them again).
    if (!toDisk) this.forData(chain, len, false, (gpa, n) => mem.markDirty(gpa, n));
  }

  /**
   * Calls `fn(gpa, bytes, offsetInData)` for each piece of the first `len` data bytes: readable
   * segments after the 16-byte header (`readable`), or writable ones before the status byte.
   */
  private forData(chain: DescriptorChain, len: number, readable: boolean, fn: (gpa: number, n: number, at: number) => void): void {
    let skip = readable ? 16 : 0;
    let done = 0;
    const end = readable ? chain.readableCount : chain.count;
    for (let i = readable ? 0 : chain.readableCount; i < end && done < len; i++) {
      const segLen = chain.len[i]!;
      if (skip >= segLen) {
        skip -= segLen;
        continue;
      }
      const n = Math.min(segLen - skip, len - done);
      fn(chain.gpa[i]! + skip, n, done);
      done += n;
      skip = 0;
    }
  }

  /** DISCARD / WRITE_ZEROES: an array of {sector u64, num_sectors u32, flags u32} (§5.2.6). */
  private async ranges(chain: DescriptorChain, type: number): Promise<number> {
    if (this.readOnly) return -VIRTIO_BLK_S_IOERR;
    const bytes = chain.readableBytes - 16;
    const n = bytes / RANGE_BYTES;
    if (bytes <= 0 || bytes % RANGE_BYTES !== 0 || n > MAX_DISCARD_SEG) return -VIRTIO_BLK_S_IOERR;
    const mem = this.ctx!.mem;
    const r = new Uint8Array(RANGE_BYTES);
    const v = new DataView(r.buffer);
    const todo: [number, number, boolean][] = [];
    for (let i = 0; i < n; i++) {
      chain.readFrom(mem, 16 + i * RANGE_BYTES, r);
      const hi = v.getUint32(4, true);
      const sector = hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 4294967296 + v.getUint32(0, true);
      const count = v.getUint32(8, true);
      const flags = v.getUint32(12, true);
      const unmap = (flags & 1) !== 0;
      // Discard must not carry the unmap flag; unknown flag bits are unsupported (§5.2.6.2).
      if ((flags & ~1) !== 0 || (type === VIRTIO_BLK_T_DISCARD && unmap)) return -VIRTIO_BLK_S_UNSUPP;
      if (count > MAX_DISCARD_SECTORS || !this.inRange(sector, count * SECTOR)) return -VIRTIO_BLK_S_IOERR;
      todo.push([sector * SECTOR, count * SECTOR, unmap]);
    }
    for (const [off, len, unmap] of todo) {
      if (type === VIRTIO_BLK_T_DISCARD) await this.backend.discard(off, len);
      else await this.backend.writeZeroes(off, len, unmap);
    }
    return 0;
  }
}
