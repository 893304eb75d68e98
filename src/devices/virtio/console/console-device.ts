// virtio console device (virtio 1.2 §5.3), single port: receiveq0 (host → guest) and
// transmitq0 (guest → host), backed by an injected ConsoleBackend (host stdio, a socket…).
import { ChainStatus, DescriptorChain } from '../virtqueue.js';
import { VirtioDeviceBase, VirtioDeviceId, VIRTIO_F_VERSION_1 } from '../virtio-device.js';

/** Console size (cols, rows) is in config space. */
export const VIRTIO_CONSOLE_F_SIZE = 1n << 0n;
/** Several ports and a control queue pair (not offered). */
export const VIRTIO_CONSOLE_F_MULTIPORT = 1n << 1n;
/** `emerg_wr` config field writes a character to the port. */
export const VIRTIO_CONSOLE_F_EMERG_WRITE = 1n << 2n;

/** The host end of the console. */
export interface ConsoleBackend {
  /** Guest output. `data` is only valid during the call (copy it to keep it). */
  write(data: Uint8Array): void;
  /** Registers the device's input handler; the backend calls it with host keystrokes. */
  onInput(handler: (data: Uint8Array) => void): void;
}

const QUEUE_SIZE = 128;
/** Host input kept while the guest has no receive buffer posted; beyond it input is dropped. */
export const CONSOLE_INPUT_LIMIT = 64 * 1024;
const TX_CHUNK = 4096;
const RECEIVEQ = 0;
const TRANSMITQ = 1;

/** virtio-console with one port (no MULTIPORT). */
export class VirtioConsoleDevice extends VirtioDeviceBase {
  readonly deviceId = VirtioDeviceId.Console;
  readonly deviceFeatures = VIRTIO_F_VERSION_1 | VIRTIO_CONSOLE_F_SIZE | VIRTIO_CONSOLE_F_EMERG_WRITE;
  readonly queueCount = 2;
  /** Input bytes dropped because the guest did not read them in time. */
  droppedInput = 0;
  private readonly chain = new DescriptorChain(QUEUE_SIZE);
  private readonly txBuf = new Uint8Array(TX_CHUNK);
  private readonly emerg = new Uint8Array(1);
  /** Ring buffer of pending input. */
  private readonly input = new Uint8Array(CONSOLE_INPUT_LIMIT);
  private inHead = 0;
  private inLen = 0;
  private rxScheduled = false;

  constructor(private readonly backend: ConsoleBackend, cols = 80, rows = 25) {
    super(12);
    this.configView.setUint16(0, cols, true); // cols
    this.configView.setUint16(2, rows, true); // rows
    this.configView.setUint32(4, 1, true); // max_nr_ports
    backend.onInput((data) => this.hostInput(data));
  }

  queueMaxSize(): number {
    return QUEUE_SIZE;
  }

  /** Updates cols/rows and tells the driver (config change interrupt). */
  resize(cols: number, rows: number): void {
    this.configView.setUint16(0, cols & 0xffff, true);
    this.configView.setUint16(2, rows & 0xffff, true);
    this.ctx?.notifyConfigChange();
  }

  override writeConfig(offset: number, size: 1 | 2 | 4, value: number): void {
    // emerg_wr (offset 8): the low byte is a character to output, even before DRIVER_OK.
    if (offset === 8) {
      this.emerg[0] = value & 0xff;
      this.backend.write(this.emerg);
    }
    void size;
  }

  override reset(): void {
    super.reset();
    this.rxScheduled = false;
  }

  /** Snapshot: console size and the host input the guest has not read yet. */
  saveState(): { cols: number; rows: number; input: number[] } {
    const input: number[] = [];
    for (let i = 0; i < this.inLen; i++) input.push(this.input[(this.inHead + i) % this.input.length]!);
    return { cols: this.configView.getUint16(0, true), rows: this.configView.getUint16(2, true), input };
  }

  restoreState(state: unknown): void {
    const s = state as { cols: number; rows: number; input: number[] };
    this.configView.setUint16(0, s.cols & 0xffff, true);
    this.configView.setUint16(2, s.rows & 0xffff, true);
    this.inHead = 0;
    this.inLen = 0;
    this.hostInput(Uint8Array.from(s.input.slice(0, this.input.length)));
  }

  /** Bytes of host input waiting for the guest. */
  get pendingInput(): number {
    return this.inLen;
  }

  private hostInput(data: Uint8Array): void {
    const cap = this.input.length;
    for (let i = 0; i < data.length; i++) {
      if (this.inLen === cap) {
        this.droppedInput += data.length - i;
        break;
      }
      this.input[(this.inHead + this.inLen) % cap] = data[i]!;
      this.inLen++;
    }
    const ctx = this.ctx;
    if (ctx !== undefined && !this.rxScheduled) {
      this.rxScheduled = true;
      ctx.schedule(() => {
        this.rxScheduled = false;
        this.fillReceive();
      });
    }
  }

  processQueue(q: number): void {
    if (q === RECEIVEQ) this.fillReceive();
    else if (q === TRANSMITQ) this.drainTransmit();
  }

  /** Moves pending host input into posted receive buffers. */
  private fillReceive(): void {
    const ctx = this.ctx;
    if (ctx === undefined || this.inLen === 0) return;
    const vq = ctx.queues[RECEIVEQ]!;
    const c = this.chain;
    let used = 0;
    const cap = this.input.length;
    while (this.inLen > 0) {
      const st = vq.pop(c);
      if (st === ChainStatus.Empty || st === ChainStatus.NotReady) break;
      if (st !== ChainStatus.Ok) {
        this.malformed(RECEIVEQ, st);
        return;
      }
      let written = 0;
      while (this.inLen > 0 && written < c.writableBytes) {
        const run = Math.min(this.inLen, cap - this.inHead, c.writableBytes - written);
        written += c.writeTo(ctx.mem, written, this.input, this.inHead, run);
        this.inHead = (this.inHead + run) % cap;
        this.inLen -= run;
      }
      if (c.readableCount > 0) this.counters.badRequests++;
      vq.pushUsed(c.head, written);
      used++;
    }
    if (used > 0) ctx.notifyUsed(RECEIVEQ);
  }

  /** Sends every posted transmit buffer to the backend. */
  private drainTransmit(): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const vq = ctx.queues[TRANSMITQ]!;
    const c = this.chain;
    let used = 0;
    for (;;) {
      const st = vq.pop(c);
      if (st === ChainStatus.Empty || st === ChainStatus.NotReady) break;
      if (st !== ChainStatus.Ok) {
        this.malformed(TRANSMITQ, st);
        return;
      }
      for (let off = 0; off < c.readableBytes; ) {
        const n = c.readFrom(ctx.mem, off, this.txBuf);
        if (n === 0) break;
        this.backend.write(this.txBuf.subarray(0, n));
        off += n;
      }
      if (c.writableBytes > 0) this.counters.badRequests++;
      vq.pushUsed(c.head, 0);
      used++;
    }
    if (used > 0) ctx.notifyUsed(TRANSMITQ);
  }
}
