// virtio network device (virtio 1.2 §5.1): queue 0 receiveq, queue 1 transmitq, frames handed
// to a `NetBackend`. Transmit offloads (checksum, TCP segmentation) are done here, so the
// backend always gets complete frames of at most one MSS.
import { ChainStatus, DescriptorChain } from '../virtqueue.js';
import { VirtioDeviceBase, VirtioDeviceId, VIRTIO_F_VERSION_1 } from '../virtio-device.js';
import { NET_MAX_FRAME_BYTES, NET_MIN_FRAME_BYTES, type NetBackend } from './net-backend.js';
import { l4ChecksumValid } from '../../net-offload/rx-checksum.js';
import {
  transmitWithOffloads, TxOutcome, type TxOffloadFeatures, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_HDR_F_DATA_VALID,
  VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_ECN, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_HOST_TSO6,
} from './virtio-net-offload.js';

/** The device has a MAC address in config space (§5.1.3). */
export const VIRTIO_NET_F_MAC = 1n << 5n;
/** The driver can merge receive buffers (`num_buffers` in the header). */
export const VIRTIO_NET_F_MRG_RXBUF = 1n << 15n;
/** Configuration `status` field is available. */
export const VIRTIO_NET_F_STATUS = 1n << 16n;
/** `status` bit: the link is up. */
export const VIRTIO_NET_S_LINK_UP = 1;
/** Size of struct virtio_net_hdr with VIRTIO_F_VERSION_1 (num_buffers always present). */
export const VIRTIO_NET_HDR_SIZE = 12;

const RECEIVEQ = 0;
const TRANSMITQ = 1;
const QUEUE_SIZE = 256;
/** Frames kept while the guest posts no receive buffers; beyond this they are dropped. */
const RX_BACKLOG_FRAMES = 256;
const RX_BACKLOG_BYTES = 2 << 20;

/** Validated settings of one network interface. */
export interface VirtioNetConfig {
  /** The guest's MAC address (6 bytes, unicast). */
  readonly mac: Uint8Array;
}

/** What the device did with frames (never reset by the guest). */
export interface VirtioNetStats {
  /** Frames handed to the backend (each segment of a GSO frame counts). */
  txFrames: number;
  /** Transmit frames whose checksum the device completed (NEEDS_CSUM, no GSO). */
  txCsum: number;
  /** GSO frames the device cut into segments. */
  txGso: number;
  /** Transmit chains refused: too short, too long, or a header the offloads cannot honour. */
  txErrors: number;
  rxFrames: number;
  /** Received frames whose TCP/UDP checksum the device verified (DATA_VALID, with GUEST_CSUM). */
  rxCsumValid: number;
  /** Frames dropped: device not running, backlog full, or frame larger than the buffers. */
  rxDropped: number;
}

/** virtio-net over a `NetBackend` (user-mode network, socket, switch). */
export class VirtioNetDevice extends VirtioDeviceBase {
  readonly deviceId = VirtioDeviceId.Net;
  readonly deviceFeatures = VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_NET_F_MRG_RXBUF |
    VIRTIO_NET_F_CSUM | VIRTIO_NET_F_HOST_TSO4 | VIRTIO_NET_F_HOST_TSO6 | VIRTIO_NET_F_HOST_ECN | VIRTIO_NET_F_GUEST_CSUM;
  readonly queueCount = 2;
  /** Counters. */
  readonly stats: VirtioNetStats = { txFrames: 0, txCsum: 0, txGso: 0, txErrors: 0, rxFrames: 0, rxCsumValid: 0, rxDropped: 0 };
  /** Separate chains: a backend may answer a transmitted frame synchronously (receive inside transmit). */
  private readonly txChain = new DescriptorChain(QUEUE_SIZE);
  private readonly rxChain = new DescriptorChain(QUEUE_SIZE);
  private readonly txBuf = new Uint8Array(VIRTIO_NET_HDR_SIZE + NET_MAX_FRAME_BYTES);
  /** Where GSO segments are built (a segment is never longer than the frame it comes from). */
  private readonly txSeg = new Uint8Array(NET_MAX_FRAME_BYTES);
  private readonly txOffloads: TxOffloadFeatures = { csum: false, tso4: false, tso6: false, ecn: false };
  private readonly sendToBackend = (frame: Uint8Array): void => {
    this.stats.txFrames++;
    this.backend.send(frame);
  };
  private readonly rxHdr = new Uint8Array(VIRTIO_NET_HDR_SIZE);
  /** Bytes written into each chain of a (merged) receive. */
  private readonly rxLens = new Uint32Array(QUEUE_SIZE);
  private backlog: Uint8Array[] = [];
  private backlogBytes = 0;
  private mergeable = false;
  /** The driver accepted GUEST_CSUM: received frames whose checksum verifies are marked DATA_VALID. */
  private guestCsum = false;

  constructor(private readonly backend: NetBackend, config: VirtioNetConfig) {
    super(10); // mac[6], status, max_virtqueue_pairs
    this.config.set(config.mac.subarray(0, 6), 0);
    this.configView.setUint16(6, VIRTIO_NET_S_LINK_UP, true);
    this.configView.setUint16(8, 1, true);
    backend.onReceive((frame) => this.receive(frame));
  }

  /** Both queues hold up to 256 entries. */
  queueMaxSize(_q: number): number {
    return QUEUE_SIZE;
  }

  /** Remembers whether the driver accepted merged receive buffers and which offloads. */
  override activate(ctx: Parameters<VirtioDeviceBase['activate']>[0]): void {
    super.activate(ctx);
    this.mergeable = this.hasFeature(VIRTIO_NET_F_MRG_RXBUF);
    this.guestCsum = this.hasFeature(VIRTIO_NET_F_GUEST_CSUM);
    const o = this.txOffloads;
    o.csum = this.hasFeature(VIRTIO_NET_F_CSUM);
    // §5.1.3.1: the TSO and ECN features depend on CSUM; without it they do not count.
    o.tso4 = o.csum && this.hasFeature(VIRTIO_NET_F_HOST_TSO4);
    o.tso6 = o.csum && this.hasFeature(VIRTIO_NET_F_HOST_TSO6);
    o.ecn = (o.tso4 || o.tso6) && this.hasFeature(VIRTIO_NET_F_HOST_ECN);
  }

  /** Drops the backlog with the rest of the guest state. */
  override reset(): void {
    super.reset();
    this.backlog = [];
    this.backlogBytes = 0;
  }

  /** transmitq: send every frame; receiveq: new buffers, so flush the backlog. */
  processQueue(q: number): void {
    if (q === TRANSMITQ) this.transmit();
    else if (q === RECEIVEQ) this.flushBacklog();
  }

  /** Drains the transmit queue into the backend. */
  private transmit(): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const vq = ctx.queues[TRANSMITQ]!;
    const chain = this.txChain;
    let done = 0;
    for (;;) {
      const st = vq.pop(chain);
      if (st === ChainStatus.Empty || st === ChainStatus.NotReady) break;
      if (st < 0) {
        this.malformed(TRANSMITQ, st);
        return;
      }
      const total = chain.readableBytes;
      if (total < VIRTIO_NET_HDR_SIZE + NET_MIN_FRAME_BYTES || total > this.txBuf.length) {
        this.stats.txErrors++;
        this.counters.badRequests++;
      } else {
        chain.readFrom(ctx.mem, 0, this.txBuf, 0, total);
        const hdr = this.txBuf.subarray(0, VIRTIO_NET_HDR_SIZE);
        const frame = this.txBuf.subarray(VIRTIO_NET_HDR_SIZE, total);
        const outcome = transmitWithOffloads(hdr, frame, this.txOffloads, this.txSeg, this.sendToBackend);
        if (outcome === TxOutcome.Refused) {
          this.stats.txErrors++;
          this.counters.badRequests++;
        } else if (outcome === TxOutcome.Checksummed) {
          this.stats.txCsum++;
        } else if (outcome === TxOutcome.Segmented) {
          this.stats.txGso++;
        }
      }
      vq.pushUsed(chain.head, 0);
      done++;
      if (this.ctx !== ctx) return; // the backend's answer reset the device
    }
    if (done > 0) ctx.notifyUsed(TRANSMITQ);
  }

  /** A frame from the backend: straight into guest buffers, or the bounded backlog. */
  private receive(frame: Uint8Array): void {
    if (this.ctx === undefined || frame.length === 0 || frame.length > NET_MAX_FRAME_BYTES) {
      this.stats.rxDropped++;
      return;
    }
    if (this.backlog.length > 0) this.flushBacklog(); // keep order; buffers may have come back
    if (this.backlog.length === 0) {
      const r = this.deliver(frame);
      if (r !== DeliverResult.NoBuffers) return;
    }
    if (this.backlog.length >= RX_BACKLOG_FRAMES || this.backlogBytes + frame.length > RX_BACKLOG_BYTES) {
      this.stats.rxDropped++;
      return;
    }
    this.backlog.push(frame.slice());
    this.backlogBytes += frame.length;
  }

  private flushBacklog(): void {
    while (this.backlog.length > 0 && this.ctx !== undefined) {
      const frame = this.backlog[0]!;
      if (this.deliver(frame) === DeliverResult.NoBuffers) return;
      this.backlog.shift();
      this.backlogBytes -= frame.length;
    }
  }

  /** Writes header + frame into one chain (or several, merged). */
  private deliver(frame: Uint8Array): DeliverResult {
    const ctx = this.ctx;
    if (ctx === undefined) return DeliverResult.Dropped;
    const vq = ctx.queues[RECEIVEQ]!;
    const chain = this.rxChain;
    const total = VIRTIO_NET_HDR_SIZE + frame.length;
    const hdr = this.rxHdr;
    let popped = 0;
    let room = 0;
    while (room < total) {
      if (popped > 0 && !this.mergeable) break;
      const st = vq.pop(chain);
      if (st === ChainStatus.Empty || st === ChainStatus.NotReady) {
        for (let i = 0; i < popped; i++) vq.unpop();
        return DeliverResult.NoBuffers;
      }
      if (st < 0) {
        this.malformed(RECEIVEQ, st);
        return DeliverResult.Dropped;
      }
      const take = Math.min(chain.writableBytes, total - room);
      this.rxLens[popped] = take;
      popped++;
      room += chain.writableBytes;
      if (popped >= QUEUE_SIZE) break;
    }
    if (room < total) {
      // The frame is larger than the buffers the driver posts: give them back untouched.
      for (let i = 0; i < popped; i++) vq.unpop();
      this.stats.rxDropped++;
      return DeliverResult.Dropped;
    }
    // Re-pop each chain to write into it (pop is cheap and allocation-free).
    for (let i = 0; i < popped; i++) vq.unpop();
    hdr.fill(0);
    // §5.1.6.4.1: DATA_VALID only when negotiated, and only for a checksum the device checked.
    if (this.guestCsum && l4ChecksumValid(frame)) {
      hdr[0] = VIRTIO_NET_HDR_F_DATA_VALID;
      this.stats.rxCsumValid++;
    }
    hdr[10] = popped & 0xff;
    hdr[11] = popped >>> 8;
    let written = 0; // bytes of header+frame written so far
    for (let i = 0; i < popped; i++) {
      vq.pop(chain);
      const n = this.rxLens[i]!;
      let off = 0;
      if (written < VIRTIO_NET_HDR_SIZE) {
        const h = Math.min(VIRTIO_NET_HDR_SIZE - written, n);
        chain.writeTo(ctx.mem, 0, hdr, written, h);
        off = h;
      }
      const fStart = written + off - VIRTIO_NET_HDR_SIZE;
      if (n > off) chain.writeTo(ctx.mem, off, frame, fStart, n - off);
      written += n;
      vq.pushUsed(chain.head, n);
    }
    this.stats.rxFrames++;
    ctx.notifyUsed(RECEIVEQ);
    return DeliverResult.Delivered;
  }
}

const enum DeliverResult {
  Delivered,
  NoBuffers,
  Dropped,
}
