// virtio entropy device (virtio 1.2 §5.4): fills the driver's buffers with random bytes.
import { ChainStatus, DescriptorChain } from '../virtqueue.js';
import { VirtioDeviceBase, VirtioDeviceId, VIRTIO_F_VERSION_1 } from '../virtio-device.js';

/** Where random bytes come from (host CSPRNG: node:crypto, or crypto.getRandomValues). */
export interface EntropySource {
  /** Fills `dst` with random bytes. `dst` may be a view of guest memory. */
  fill(dst: Uint8Array): void;
}

const QUEUE_SIZE = 64;
/** Largest number of bytes given per request (bounds the work one guest buffer can ask for). */
export const ENTROPY_MAX_BYTES_PER_REQUEST = 64 * 1024;

/** virtio-rng: one request queue, device-writable buffers only. */
export class VirtioEntropyDevice extends VirtioDeviceBase {
  readonly deviceId = VirtioDeviceId.Entropy;
  readonly deviceFeatures = VIRTIO_F_VERSION_1;
  readonly queueCount = 1;
  /** Bytes handed to the guest since creation. */
  bytesServed = 0;
  private readonly chain = new DescriptorChain(QUEUE_SIZE);

  constructor(private readonly source: EntropySource) {
    super(0);
  }

  queueMaxSize(): number {
    return QUEUE_SIZE;
  }

  processQueue(q: number): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const vq = ctx.queues[q]!;
    const c = this.chain;
    let served = 0;
    for (;;) {
      const st = vq.pop(c);
      if (st === ChainStatus.Empty || st === ChainStatus.NotReady) break;
      if (st !== ChainStatus.Ok) {
        this.malformed(q, st);
        return;
      }
      let left = ENTROPY_MAX_BYTES_PER_REQUEST;
      let written = 0;
      for (let i = c.readableCount; i < c.count && left > 0; i++) {
        const n = Math.min(c.len[i]!, left);
        if (n === 0) continue;
        const view = ctx.mem.slice(c.gpa[i]!, n)!;
        this.source.fill(view);
        ctx.mem.markDirty(c.gpa[i]!, n);
        written += n;
        left -= n;
      }
      if (c.readableCount > 0) this.counters.badRequests++; // readable buffers are ignored
      this.bytesServed += written;
      vq.pushUsed(c.head, written);
      served++;
    }
    if (served > 0) ctx.notifyUsed(q);
  }
}
