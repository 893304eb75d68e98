// virtio 9P transport device (virtio 1.2 §5.11 "9P Transport", Linux net/9p/trans_virtio.c):
// one request queue; each chain carries a T-message in its device-readable part and gets the
// R-message written into its device-writable part. Requests complete asynchronously.
import { ChainStatus, DescriptorChain } from '../virtqueue.js';
import { ChainPool, VirtioDeviceBase, VirtioDeviceId, VIRTIO_F_VERSION_1 } from '../virtio-device.js';
import type { P9Server } from './p9-server.js';

/** The mount tag is in config space (`tag_len` then `tag`). */
export const VIRTIO_9P_MOUNT_TAG = 1n << 0n;
/** Longest mount tag accepted (bytes). */
export const VIRTIO_9P_MAX_TAG_BYTES = 255;

const REQUESTQ = 0;
const QUEUE_SIZE = 128;
/**
 * Segments one request may have: Linux puts a 512 KiB zero-copy read or write in an indirect
 * table of one entry per page plus headers (~260); more than this is refused as a loop.
 */
const MAX_SEGMENTS = 1024;
/**
 * Requests handed to the server at once. Each holds up to ~msize of request and reply bytes,
 * so this bounds the host memory a guest can pin; further chains wait in the ring.
 */
const MAX_INFLIGHT = 32;

/** virtio-9p over a `P9Server`. */
export class Virtio9pDevice extends VirtioDeviceBase {
  readonly deviceId = VirtioDeviceId.P9;
  readonly deviceFeatures = VIRTIO_F_VERSION_1 | VIRTIO_9P_MOUNT_TAG;
  readonly queueCount = 1;
  private readonly pool = new ChainPool(MAX_SEGMENTS);
  private readonly chain = new DescriptorChain(MAX_SEGMENTS);
  /** Requests handed to the server and not yet completed. */
  inflight = 0;

  /** Requests the 9P server still works on (what a snapshot waits for: VirtioDevice.inFlight). */
  get inFlight(): number {
    return this.inflight;
  }
  /** Processing stopped at MAX_INFLIGHT with chains left in the ring. */
  private stalled = false;

  constructor(private readonly server: P9Server, tag: string) {
    const bytes = new TextEncoder().encode(tag);
    if (bytes.length === 0 || bytes.length > VIRTIO_9P_MAX_TAG_BYTES) throw new RangeError(`9p mount tag must be 1..${VIRTIO_9P_MAX_TAG_BYTES} bytes`);
    super(2 + bytes.length);
    this.configView.setUint16(0, bytes.length, true);
    this.config.set(bytes, 2);
  }

  /** The request queue holds up to 128 entries. */
  queueMaxSize(_q: number): number {
    return QUEUE_SIZE;
  }

  /** Forgets the session: fids, in-flight completions (dropped by epoch). */
  override reset(): void {
    super.reset();
    this.stalled = false;
    this.inflight = 0;
    this.server.reset();
  }

  /** The 9P session (msize, fids) as plain data; take it when `inflight` is 0. */
  saveState(): unknown {
    return this.server.saveState();
  }

  /** Restores the session: fids come back, open files are reopened on first use. */
  restoreState(state: unknown): void {
    this.server.restoreState(state);
  }

  /** Hands each request chain to the server (at most MAX_INFLIGHT at once). */
  processQueue(q: number): void {
    const ctx = this.ctx;
    if (ctx === undefined || q !== REQUESTQ) return;
    const vq = ctx.queues[REQUESTQ]!;
    const chain = this.chain;
    let completedNow = 0;
    for (;;) {
      if (this.inflight >= MAX_INFLIGHT) {
        this.stalled = true;
        break;
      }
      const st = vq.pop(chain);
      if (st === ChainStatus.Empty || st === ChainStatus.NotReady) break;
      if (st < 0) {
        this.malformed(REQUESTQ, st);
        return;
      }
      const len = chain.readableBytes;
      if (len < 7 || len > this.server.maxMessageBytes + 4096 || chain.writableBytes < 7) {
        this.counters.badRequests++;
        vq.pushUsed(chain.head, 0);
        completedNow++;
        continue;
      }
      const req = new Uint8Array(len);
      chain.readFrom(ctx.mem, 0, req, 0, len);
      const held = this.pool.take();
      chain.copyTo(held);
      const epoch = this.epoch;
      this.inflight++;
      void this.server.handle(req, chain.writableBytes).then((reply) => {
        const c = this.ctx;
        if (epoch !== this.epoch || c === undefined) {
          this.pool.give(held); // a request of a previous life (reset meanwhile)
          return;
        }
        this.inflight--;
        const n = held.writeTo(c.mem, 0, reply, 0, Math.min(reply.length, held.writableBytes));
        c.queues[REQUESTQ]!.pushUsed(held.head, n);
        this.pool.give(held);
        c.notifyUsed(REQUESTQ);
        if (this.stalled) {
          this.stalled = false;
          c.schedule(() => this.processQueue(REQUESTQ));
        }
      });
    }
    if (completedNow > 0) ctx.notifyUsed(REQUESTQ);
  }
}
