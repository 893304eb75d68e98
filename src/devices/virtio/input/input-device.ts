// virtio input device (virtio 1.2 §5.8): a keyboard with the host's power and reboot keys, the
// graceful shutdown request Linux understands (virtio_input → evdev → busybox acpid in the guest).
import { ChainStatus, DescriptorChain } from '../virtqueue.js';
import { VirtioDeviceBase, VIRTIO_F_VERSION_1 } from '../virtio-device.js';

/** Device ID of virtio-input (§5.8.1). */
export const VIRTIO_ID_INPUT = 18;

/** virtio_input_config.select values (§5.8.4). */
export const enum VirtioInputCfg {
  VIRTIO_INPUT_CFG_UNSET = 0x00,
  VIRTIO_INPUT_CFG_ID_NAME = 0x01,
  VIRTIO_INPUT_CFG_ID_SERIAL = 0x02,
  VIRTIO_INPUT_CFG_ID_DEVIDS = 0x03,
  VIRTIO_INPUT_CFG_PROP_BITS = 0x10,
  VIRTIO_INPUT_CFG_EV_BITS = 0x11,
  VIRTIO_INPUT_CFG_ABS_INFO = 0x12,
}

/** evdev event types (linux/input-event-codes.h, which §5.8 refers to). */
export const EV_SYN = 0x00;
/** Key press/release events. */
export const EV_KEY = 0x01;
/** SYN_REPORT: ends one group of events. */
export const SYN_REPORT = 0;
/** The power key: busybox acpid maps it to PWRF/00000080 (poweroff). */
export const KEY_POWER = 116;
/** The restart key: busybox acpid maps it to RSTF/00000080 (see README). */
export const KEY_RESTART = 0x198;

/** Queue indices (§5.8.2). */
const EVENTQ = 0;
const STATUSQ = 1;
const QUEUE_SIZE = 64;
/** Size of one virtio_input_event {le16 type; le16 code; le32 value} (§5.8.6). */
export const VIRTIO_INPUT_EVENT_BYTES = 8;
/** Offset of the union `u` in virtio_input_config (select, subsel, size, reserved[5]). */
const CFG_U = 8;
/** Size of the config space: 8-byte header + 128-byte union. */
const CFG_BYTES = CFG_U + 128;
/** Events kept while the driver has no buffers posted (older ones are dropped and counted). */
const PENDING_EVENTS_MAX = 64;

/** What the host may ask the guest to do. */
export type InputKey = 'power' | 'restart';

/** virtio-input keyboard offering KEY_POWER and KEY_RESTART. */
export class VirtioInputDevice extends VirtioDeviceBase {
  readonly deviceId = VIRTIO_ID_INPUT;
  readonly deviceFeatures = VIRTIO_F_VERSION_1;
  readonly queueCount = 2;
  /** Events delivered to the guest. */
  eventsDelivered = 0;
  /** Events dropped because the guest posted no buffers for too long. */
  eventsDropped = 0;
  private readonly pending: number[] = []; // flattened (type, code, value) triples
  private readonly chain = new DescriptorChain(QUEUE_SIZE);
  private select = 0;
  private subsel = 0;

  constructor(private readonly name = 'Banquise power button') {
    super(CFG_BYTES);
    this.refreshConfig();
  }

  queueMaxSize(): number {
    return QUEUE_SIZE;
  }

  /** Presses and releases `key` (each followed by SYN_REPORT); delivered when the guest has buffers. */
  pressKey(key: InputKey): void {
    const code = key === 'power' ? KEY_POWER : KEY_RESTART;
    this.queueEvent(EV_KEY, code, 1);
    this.queueEvent(EV_SYN, SYN_REPORT, 0);
    this.queueEvent(EV_KEY, code, 0);
    this.queueEvent(EV_SYN, SYN_REPORT, 0);
    const ctx = this.ctx;
    if (ctx !== undefined) ctx.schedule(() => this.processQueue(EVENTQ));
  }

  /** True once the guest driver set DRIVER_OK (someone can receive the key). */
  get driverReady(): boolean {
    return this.ctx !== undefined;
  }

  override writeConfig(offset: number, size: 1 | 2 | 4, value: number): void {
    // Only `select` and `subsel` are driver-writable (§5.8.4); byte writes as Linux does them.
    for (let i = 0; i < size; i++) {
      const o = offset + i;
      const b = (value >>> (8 * i)) & 0xff;
      if (o === 0) this.select = b;
      else if (o === 1) this.subsel = b;
    }
    if (offset <= 1) this.refreshConfig();
  }

  override reset(): void {
    super.reset();
    this.pending.length = 0;
    this.select = 0;
    this.subsel = 0;
    this.refreshConfig();
  }

  processQueue(q: number): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const vq = ctx.queues[q]!;
    const c = this.chain;
    let used = 0;
    if (q === STATUSQ) {
      // LED and similar feedback from the driver: consumed and ignored (we have no LEDs).
      for (;;) {
        const st = vq.pop(c);
        if (st === ChainStatus.Empty || st === ChainStatus.NotReady) break;
        if (st !== ChainStatus.Ok) return this.malformed(q, st);
        vq.pushUsed(c.head, 0);
        used++;
      }
    } else if (q === EVENTQ) {
      while (this.pending.length > 0) {
        const st = vq.pop(c);
        if (st === ChainStatus.Empty || st === ChainStatus.NotReady) break;
        if (st !== ChainStatus.Ok) return this.malformed(q, st);
        const writable = c.count - c.readableCount;
        if (writable !== 1 || c.len[c.readableCount]! < VIRTIO_INPUT_EVENT_BYTES) {
          // An event buffer is one device-writable virtio_input_event (§5.8.6.1).
          this.counters.badRequests++;
          vq.pushUsed(c.head, 0);
          used++;
          continue;
        }
        const dst = ctx.mem.slice(c.gpa[c.readableCount]!, VIRTIO_INPUT_EVENT_BYTES)!;
        const dv = new DataView(dst.buffer, dst.byteOffset, VIRTIO_INPUT_EVENT_BYTES);
        dv.setUint16(0, this.pending.shift()!, true);
        dv.setUint16(2, this.pending.shift()!, true);
        dv.setUint32(4, this.pending.shift()! >>> 0, true);
        ctx.mem.markDirty(c.gpa[c.readableCount]!, VIRTIO_INPUT_EVENT_BYTES);
        vq.pushUsed(c.head, VIRTIO_INPUT_EVENT_BYTES);
        this.eventsDelivered++;
        used++;
      }
    }
    if (used > 0) ctx.notifyUsed(q);
  }

  private queueEvent(type: number, code: number, value: number): void {
    if (this.pending.length >= PENDING_EVENTS_MAX * 3) {
      this.pending.splice(0, 3);
      this.eventsDropped++;
    }
    this.pending.push(type, code, value);
  }

  /** Fills the config union for the current (select, subsel) (§5.8.4). */
  private refreshConfig(): void {
    const cfg = this.config;
    cfg.fill(0);
    cfg[0] = this.select;
    cfg[1] = this.subsel;
    let size = 0;
    switch (this.select) {
      case VirtioInputCfg.VIRTIO_INPUT_CFG_ID_NAME:
        if (this.subsel === 0) size = this.putString(this.name);
        break;
      case VirtioInputCfg.VIRTIO_INPUT_CFG_ID_SERIAL:
        if (this.subsel === 0) size = this.putString('banquise-0');
        break;
      case VirtioInputCfg.VIRTIO_INPUT_CFG_ID_DEVIDS:
        if (this.subsel === 0) {
          // bustype BUS_VIRTUAL (0x06), vendor, product, version.
          this.configView.setUint16(CFG_U, 0x06, true);
          this.configView.setUint16(CFG_U + 2, 0x0001, true);
          this.configView.setUint16(CFG_U + 4, 0x0001, true);
          this.configView.setUint16(CFG_U + 6, 0x0001, true);
          size = 8;
        }
        break;
      case VirtioInputCfg.VIRTIO_INPUT_CFG_EV_BITS:
        if (this.subsel === EV_KEY) {
          for (const code of [KEY_POWER, KEY_RESTART]) cfg[CFG_U + (code >> 3)]! |= 1 << (code & 7);
          size = (KEY_RESTART >> 3) + 1;
        }
        break;
      default:
        // UNSET, PROP_BITS (none), ABS_INFO (no axes), unknown selectors: size 0.
        break;
    }
    cfg[2] = size;
  }

  private putString(s: string): number {
    const n = Math.min(s.length, 128);
    for (let i = 0; i < n; i++) this.config[CFG_U + i] = s.charCodeAt(i) & 0x7f;
    return n;
  }
}
