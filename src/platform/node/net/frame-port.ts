// Ethernet frames between threads: one end of a MessageChannel, with a bounded number of frames
// in flight (the receiver acknowledges what it took) so a slow or stuck domain cannot make the
// other side queue without limit; what does not fit is dropped and counted, as a full NIC does.
import type { MessagePort } from 'node:worker_threads';
import type { NetBackend } from '../../../devices/virtio/net/net-backend.js';
import { NET_MAX_FRAME_BYTES, NET_MIN_FRAME_BYTES } from '../../../devices/virtio/net/net-backend.js';

/** Frames one end may have sent and not yet seen acknowledged. */
export const FRAME_PORT_WINDOW = 256;
/** The receiver acknowledges after this many frames (and at least every ACK_MS). */
const ACK_EVERY = 32;
const ACK_MS = 20;

/** Counters of one end. */
export interface FramePortStats {
  sent: number;
  received: number;
  /** Frames not sent because FRAME_PORT_WINDOW were in flight. */
  dropped: number;
  /** Messages from the other end that were not a frame of a valid size (dropped). */
  malformed: number;
}

type Message = { readonly f: Uint8Array } | { readonly ack: number };

/**
 * One end of a frame channel; a NetBackend, so a domain's virtio-net can use it directly and a
 * switch port can feed it. `close()` closes the MessagePort.
 */
export class FramePort implements NetBackend {
  /** What crossed (or did not). */
  readonly stats: FramePortStats = { sent: 0, received: 0, dropped: 0, malformed: 0 };
  private deliver: ((frame: Uint8Array) => void) | undefined;
  private acked = 0;
  private unacked = 0;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(private readonly port: MessagePort) {
    port.on('message', (m: Message) => this.onMessage(m));
  }

  /** @inheritdoc */
  send(frame: Uint8Array): void {
    if (this.closed) return;
    if (this.stats.sent - this.acked >= FRAME_PORT_WINDOW) {
      this.stats.dropped++;
      return;
    }
    this.stats.sent++;
    const copy = frame.slice();
    this.port.postMessage({ f: copy }, [copy.buffer]);
  }

  /** Frames sent and not yet acknowledged by the other end. */
  inFlight(): number {
    return this.stats.sent - this.acked;
  }

  /** @inheritdoc */
  onReceive(cb: (frame: Uint8Array) => void): void {
    this.deliver = cb;
  }

  /** @inheritdoc */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    this.port.close();
  }

  private onMessage(m: Message): void {
    if (this.closed || typeof m !== 'object' || m === null) return;
    if ('ack' in m) {
      if (typeof m.ack === 'number' && m.ack > this.acked && m.ack <= this.stats.sent) this.acked = m.ack;
      return;
    }
    const f = (m as { f?: unknown }).f;
    if (!(f instanceof Uint8Array) || f.length < NET_MIN_FRAME_BYTES || f.length > NET_MAX_FRAME_BYTES) {
      this.stats.malformed++;
    } else {
      this.deliver?.(f);
    }
    // Every message counts against the sender's window, good or not.
    this.stats.received++;
    if (++this.unacked >= ACK_EVERY) this.ack();
    else this.ackTimer ??= setTimeout(() => this.ack(), ACK_MS);
  }

  private ack(): void {
    if (this.ackTimer !== undefined) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    this.unacked = 0;
    if (!this.closed) this.port.postMessage({ ack: this.stats.received });
  }
}
