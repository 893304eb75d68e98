import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory } from '../../memory/guest-memory.js';
import { ChainStatus, DescriptorChain, VIRTQ_AVAIL_F_NO_INTERRUPT, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from './virtqueue.js';
import {
  VIRTIO_F_EVENT_IDX, VIRTIO_F_INDIRECT_DESC, VIRTIO_F_RING_RESET, VIRTIO_F_VERSION_1,
  VIRTIO_STATUS_DEVICE_NEEDS_RESET, VIRTIO_STATUS_DRIVER_OK, VIRTIO_STATUS_FEATURES_OK, VirtioDeviceBase,
} from './virtio-device.js';
import { virtioMmio, VirtioMmioReg as R, BANQUISE_VENDOR_ID } from './virtio-mmio.js';
import { ManualScheduler, MockDriver } from './mock-driver.js';

/** Test device: copies each chain's readable bytes, upper-cased, into its writable part. */
class EchoDevice extends VirtioDeviceBase {
  readonly deviceId: number = 42;
  readonly deviceFeatures = 1n << 3n;
  readonly queueCount = 1;
  processed = 0;
  private readonly chain = new DescriptorChain(64);
  private readonly buf = new Uint8Array(4096);
  constructor() {
    super(8);
    this.configView.setUint32(0, 0xcafe, true);
  }
  queueMaxSize(): number {
    return 16;
  }
  processQueue(q: number): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const vq = ctx.queues[q]!;
    for (;;) {
      const st = vq.pop(this.chain);
      if (st === ChainStatus.Empty) break;
      if (st !== ChainStatus.Ok) {
        this.malformed(q, st);
        return;
      }
      this.processed++;
      const n = this.chain.readFrom(ctx.mem, 0, this.buf, 0, Math.min(this.buf.length, this.chain.readableBytes));
      for (let i = 0; i < n; i++) this.buf[i] = this.buf[i]! >= 97 && this.buf[i]! <= 122 ? this.buf[i]! - 32 : this.buf[i]!;
      const w = this.chain.writeTo(ctx.mem, 0, this.buf, 0, Math.min(n, this.chain.writableBytes));
      vq.pushUsed(this.chain.head, w);
    }
    ctx.notifyUsed(q);
  }
}

function setup(): { mem: GuestMemory; dev: EchoDevice; sched: ManualScheduler; irq: { level: boolean; raises: number }; drv: MockDriver } {
  const mem = new GuestMemory({ ramBaseGpa: 0x8000_0000, ramSizeBytes: 1 << 20, stateSizeBytes: 4096 });
  const dev = new EchoDevice();
  const sched = new ManualScheduler();
  const irq = { level: false, raises: 0, set(l: boolean) { if (l && !this.level) this.raises++; this.level = l; } };
  const mmio = virtioMmio(dev, sched.schedule)(mem, irq);
  return { mem, dev, sched, irq, drv: new MockDriver(mmio, mem) };
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

test('identification registers', () => {
  const { drv } = setup();
  assert.equal(drv.reg(R.VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
  assert.equal(drv.reg(R.VIRTIO_MMIO_VERSION), 2);
  assert.equal(drv.reg(R.VIRTIO_MMIO_DEVICE_ID), 42);
  assert.equal(drv.reg(R.VIRTIO_MMIO_VENDOR_ID), BANQUISE_VENDOR_ID);
  const f = drv.deviceFeatures();
  assert.ok(f & VIRTIO_F_VERSION_1 && f & VIRTIO_F_EVENT_IDX && f & VIRTIO_F_INDIRECT_DESC && f & VIRTIO_F_RING_RESET);
  assert.ok(f & (1n << 3n));
  assert.equal(drv.reg(R.VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
  assert.equal(drv.reg(R.VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffff);
  assert.equal(Number(drv.config(0, 4)), 0xcafe);
  assert.equal(Number(drv.config(1, 1)), 0xca);
  assert.equal(Number(drv.config(100, 4)), 0);
  // Non-32-bit register accesses are ignored.
  assert.equal(drv.mmio.read(R.VIRTIO_MMIO_MAGIC_VALUE, 2), 0);
});

test('feature negotiation: unknown feature or missing VERSION_1 clears FEATURES_OK', () => {
  const { drv } = setup();
  assert.throws(() => drv.init(VIRTIO_F_VERSION_1 | (1n << 5n), [], true), /refused/);
  assert.throws(() => drv.init(1n << 3n, [], true), /refused/);
  const f = drv.init(VIRTIO_F_VERSION_1 | (1n << 3n), [8], true);
  assert.equal(f, VIRTIO_F_VERSION_1 | (1n << 3n));
  assert.ok(drv.status() & VIRTIO_STATUS_DRIVER_OK);
  // Driver features are locked after FEATURES_OK.
  drv.setReg(R.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  drv.setReg(R.VIRTIO_MMIO_DRIVER_FEATURES, 0xffffffff);
  drv.setReg(R.VIRTIO_MMIO_STATUS, 0);
  assert.equal(drv.status(), 0);
  assert.equal(drv.reg(R.VIRTIO_MMIO_QUEUE_READY), 0);
});

test('notification is deferred to the scheduler; used buffer raises the interrupt; ACK lowers it', () => {
  const { drv, sched, irq, dev } = setup();
  drv.init(VIRTIO_F_VERSION_1, [8]);
  drv.post(0, [{ data: enc('hello') }, { writableBytes: 16 }]);
  drv.notify(0);
  assert.equal(dev.processed, 0, 'nothing processed inside the MMIO write');
  assert.equal(sched.run(), 1);
  assert.equal(dev.processed, 1);
  assert.equal(irq.level, true);
  const used = drv.reap(0);
  assert.equal(used.length, 1);
  assert.equal(used[0]!.len, 5);
  assert.equal(dec(drv.written(used[0]!).subarray(0, 5)), 'HELLO');
  assert.equal(drv.ackInterrupt(), 1);
  assert.equal(irq.level, false);
});

test('indirect descriptors, and multi-segment scatter/gather', () => {
  const { drv, sched } = setup();
  drv.init(VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC, [8]);
  drv.post(0, [{ data: enc('ab') }, { data: enc('cde') }, { writableBytes: 1 }, { writableBytes: 10 }], true);
  drv.notify(0);
  sched.run();
  const [u] = drv.reap(0);
  assert.equal(u!.len, 5);
  assert.equal(dec(drv.written(u!).subarray(0, 5)), 'ABCDE');
});

test('indirect descriptor without the negotiated feature is malformed', () => {
  const { drv, sched, dev } = setup();
  drv.init(VIRTIO_F_VERSION_1, [8]);
  drv.post(0, [{ data: enc('ab') }, { writableBytes: 4 }], true);
  drv.notify(0);
  sched.run();
  assert.equal(dev.counters.malformed, 1);
  assert.ok(drv.status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
  // Recovers after a reset.
  drv.init(VIRTIO_F_VERSION_1, [8]);
  assert.equal(drv.status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET, 0);
});

function rawDesc(mem: GuestMemory, at: number, gpa: number, len: number, flags: number, next: number): void {
  mem.writeU64(at, BigInt(gpa));
  mem.writeU32(at + 8, len);
  mem.writeU16(at + 12, flags);
  mem.writeU16(at + 14, next);
}

test('malformed chains: loop, out-of-RAM buffer, readable after writable, bad next, bad head, nested indirect', () => {
  const cases: [string, (mem: GuestMemory, d: number, buf: number) => number][] = [
    ['loop', (mem, d, buf) => { rawDesc(mem, d, buf, 4, VIRTQ_DESC_F_NEXT, 1); rawDesc(mem, d + 16, buf, 4, VIRTQ_DESC_F_NEXT, 0); return 0; }],
    ['out of RAM', (mem, d) => { rawDesc(mem, d, 0x8000_0000 + (1 << 20) - 2, 4, 0, 0); return 0; }],
    ['huge address', (mem, d) => { mem.writeU64(d, 0xffff_ffff_ffff_f000n); mem.writeU32(d + 8, 4); mem.writeU16(d + 12, 0); return 0; }],
    ['order', (mem, d, buf) => { rawDesc(mem, d, buf, 4, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1); rawDesc(mem, d + 16, buf, 4, 0, 0); return 0; }],
    ['bad next', (mem, d, buf) => { rawDesc(mem, d, buf, 4, VIRTQ_DESC_F_NEXT, 9999); return 0; }],
    ['bad head', () => 500],
    ['nested indirect', (mem, d, buf) => { rawDesc(mem, d, buf, 16, VIRTQ_DESC_F_INDIRECT, 0); rawDesc(mem, buf, buf, 16, VIRTQ_DESC_F_INDIRECT, 0); return 0; }],
    ['indirect + next', (mem, d, buf) => { rawDesc(mem, d, buf, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1); return 0; }],
    ['indirect bad length', (mem, d, buf) => { rawDesc(mem, d, buf, 24, VIRTQ_DESC_F_INDIRECT, 0); return 0; }],
    ['indirect loop', (mem, d, buf) => { rawDesc(mem, d, buf, 32, VIRTQ_DESC_F_INDIRECT, 0); rawDesc(mem, buf, buf + 64, 4, VIRTQ_DESC_F_NEXT, 1); rawDesc(mem, buf + 16, buf + 64, 4, VIRTQ_DESC_F_NEXT, 0); return 0; }],
  ];
  for (const [name, build] of cases) {
    const { drv, sched, dev, mem } = setup();
    drv.init(VIRTIO_F_VERSION_1 | VIRTIO_F_INDIRECT_DESC, [8]);
    const { descGpa } = drv.queueLayout(0);
    const buf = drv.alloc(256, 16);
    const head = build(mem, descGpa, buf);
    drv.publish(0, head);
    drv.notify(0);
    sched.run();
    assert.equal(dev.processed, 0, name);
    assert.equal(dev.counters.malformed, 1, name);
    assert.ok(drv.status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET, name);
  }
});

test('a chain as long as the queue is fine (not a loop)', () => {
  const { drv, sched, dev, mem } = setup();
  drv.init(VIRTIO_F_VERSION_1, [4]);
  const { descGpa } = drv.queueLayout(0);
  const buf = drv.alloc(64);
  mem.write(buf, enc('abcd'));
  rawDesc(mem, descGpa, buf, 1, VIRTQ_DESC_F_NEXT, 1);
  rawDesc(mem, descGpa + 16, buf + 1, 1, VIRTQ_DESC_F_NEXT, 2);
  rawDesc(mem, descGpa + 32, buf + 2, 2, VIRTQ_DESC_F_NEXT, 3);
  rawDesc(mem, descGpa + 48, buf + 32, 8, VIRTQ_DESC_F_WRITE, 0);
  drv.publish(0, 0);
  drv.notify(0);
  sched.run();
  assert.equal(dev.processed, 1);
  assert.equal(dec(mem.slice(buf + 32, 4)!), 'ABCD');
});

test('avail.idx running more than the queue size ahead is a device error', () => {
  const { drv, sched, dev, mem } = setup();
  drv.init(VIRTIO_F_VERSION_1, [4]);
  mem.writeU16(drv.queueLayout(0).availGpa + 2, 100);
  drv.notify(0);
  sched.run();
  assert.equal(dev.counters.malformed, 1);
  assert.ok(drv.status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
});

test('queue setup validation: size not a power of two / above max / ring outside RAM', () => {
  for (const bad of ['size3', 'size32', 'ring']) {
    const { drv } = setup();
    drv.init(VIRTIO_F_VERSION_1, []);
    drv.setReg(R.VIRTIO_MMIO_QUEUE_SEL, 0);
    assert.equal(drv.reg(R.VIRTIO_MMIO_QUEUE_NUM_MAX), 16);
    drv.setReg(R.VIRTIO_MMIO_QUEUE_NUM, bad === 'size3' ? 3 : bad === 'size32' ? 32 : 8);
    const d = drv.alloc(4096);
    drv.setReg(R.VIRTIO_MMIO_QUEUE_DESC_LOW, bad === 'ring' ? 0x1000 : d);
    drv.setReg(R.VIRTIO_MMIO_QUEUE_AVAIL_LOW, d + 1024);
    drv.setReg(R.VIRTIO_MMIO_QUEUE_USED_LOW, d + 2048);
    drv.setReg(R.VIRTIO_MMIO_QUEUE_READY, 1);
    assert.equal(drv.reg(R.VIRTIO_MMIO_QUEUE_READY), 0, bad);
    assert.ok(drv.status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET, bad);
  }
});

test('VIRTQ_AVAIL_F_NO_INTERRUPT suppresses the interrupt without EVENT_IDX', () => {
  const { drv, sched, irq } = setup();
  drv.init(VIRTIO_F_VERSION_1, [8]);
  drv.setAvailFlags(0, VIRTQ_AVAIL_F_NO_INTERRUPT);
  drv.post(0, [{ data: enc('x') }, { writableBytes: 1 }]);
  drv.notify(0);
  sched.run();
  assert.equal(drv.reap(0).length, 1);
  assert.equal(irq.raises, 0);
});

test('EVENT_IDX: used_event decides the interrupt, avail_event is published', () => {
  const { drv, sched, irq } = setup();
  drv.init(VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX, [8]);
  // Only interrupt when used.idx goes past 2 (i.e. the third buffer).
  drv.setUsedEvent(0, 2);
  for (let i = 0; i < 2; i++) {
    drv.post(0, [{ data: enc('x') }, { writableBytes: 1 }]);
    drv.notify(0);
    sched.run();
  }
  assert.equal(irq.raises, 0);
  assert.equal(drv.availEvent(0), 2);
  drv.post(0, [{ data: enc('x') }, { writableBytes: 1 }]);
  drv.notify(0);
  sched.run();
  assert.equal(irq.raises, 1);
  assert.equal(drv.reap(0).length, 3);
});

test('QueueReset resets one queue when VIRTIO_F_RING_RESET is negotiated', () => {
  const { drv, sched, dev } = setup();
  drv.init(VIRTIO_F_VERSION_1 | VIRTIO_F_RING_RESET, [8]);
  drv.setReg(R.VIRTIO_MMIO_QUEUE_SEL, 0);
  drv.setReg(R.VIRTIO_MMIO_QUEUE_RESET, 1);
  assert.equal(drv.reg(R.VIRTIO_MMIO_QUEUE_RESET), 1);
  assert.equal(drv.reg(R.VIRTIO_MMIO_QUEUE_READY), 0);
  drv.setupQueue(0, 8);
  assert.equal(drv.reg(R.VIRTIO_MMIO_QUEUE_RESET), 0);
  drv.post(0, [{ data: enc('q') }, { writableBytes: 1 }]);
  drv.notify(0);
  sched.run();
  assert.equal(dev.processed, 1);
  assert.ok(drv.status() & VIRTIO_STATUS_FEATURES_OK);
});

test('notifications before DRIVER_OK or for bad queues are ignored', () => {
  const { drv, sched } = setup();
  drv.notify(0);
  drv.notify(12345);
  assert.equal(sched.pending, 0);
  drv.init(VIRTIO_F_VERSION_1, [8]);
  sched.run(); // DRIVER_OK looks at the ready queues once
  drv.notify(7);
  assert.equal(sched.pending, 0);
});

test('readable length sum above 32 bits is malformed (64 segments of 64 MiB)', async () => {
  const { Virtqueue } = await import('./virtqueue.js');
  const mem = new GuestMemory({ ramBaseGpa: 0x8000_0000, ramSizeBytes: 64 << 20, stateSizeBytes: 0 });
  const vq = new Virtqueue(mem, 64);
  vq.size = 64;
  vq.descGpa = 0x8000_0000;
  vq.availGpa = 0x8000_1000;
  vq.usedGpa = 0x8000_2000;
  assert.ok(vq.validate());
  vq.activate();
  for (let i = 0; i < 64; i++) rawDesc(mem, vq.descGpa + 16 * i, 0x8000_0000, 64 << 20, i < 63 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
  mem.writeU16(vq.availGpa + 4, 0);
  mem.writeU16(vq.availGpa + 2, 1);
  const chain = new DescriptorChain(64);
  assert.equal(vq.pop(chain), ChainStatus.LengthOverflow);
  // 63 of them fit.
  rawDesc(mem, vq.descGpa + 16 * 62, 0x8000_0000, 64 << 20, 0, 0);
  mem.writeU16(vq.availGpa + 6, 0);
  mem.writeU16(vq.availGpa + 2, 2);
  assert.equal(vq.pop(chain), ChainStatus.Ok);
  assert.equal(chain.readableBytes, 63 * (64 << 20));
  assert.equal(vq.pop(chain), ChainStatus.Empty);
});

test('save/restore through JSON: a new transport continues the queue where the old one stopped', async () => {
  const { VirtioMmioTransport } = await import('./virtio-mmio.js');
  const { drv, mem, sched } = setup();
  drv.init(VIRTIO_F_VERSION_1 | VIRTIO_F_EVENT_IDX, [8]);
  drv.post(0, [{ data: enc('one') }, { writableBytes: 8 }]);
  drv.notify(0);
  sched.run();
  assert.equal(drv.reap(0).length, 1);
  drv.post(0, [{ data: enc('two') }, { writableBytes: 8 }]);
  const old = drv.mmio as InstanceType<typeof VirtioMmioTransport>;
  const state = JSON.parse(JSON.stringify(old.save()));
  // A new device + transport over the same guest memory (as after restoring RAM).
  const dev2 = new EchoDevice();
  const sched2 = new ManualScheduler();
  const irq2 = { level: false, set(l: boolean) { this.level = l; } };
  const t2 = virtioMmio(dev2, sched2.schedule)(mem, irq2) as InstanceType<typeof VirtioMmioTransport>;
  t2.restore(state);
  assert.equal(t2.read(R.VIRTIO_MMIO_STATUS, 4), drv.status());
  sched2.run();
  assert.equal(dev2.processed, 1, 'the buffer posted before the snapshot is processed after restore');
  drv.switchTransport(t2);
  const [u] = drv.reap(0);
  assert.equal(dec(drv.written(u!).subarray(0, u!.len)), 'TWO');
  assert.equal(irq2.level, true);
  assert.equal(drv.ackInterrupt(), 1);
  assert.equal(irq2.level, false);
  const other = new (class extends EchoDevice { override readonly deviceId = 7; })();
  assert.throws(() => (virtioMmio(other)(mem, irq2) as InstanceType<typeof VirtioMmioTransport>).restore(state), /does not fit/);
});

test('buffers posted and notified before DRIVER_OK are processed once the driver sets it', () => {
  const { drv, sched, dev } = setup();
  drv.setReg(R.VIRTIO_MMIO_STATUS, 0);
  drv.setReg(R.VIRTIO_MMIO_STATUS, 1);
  drv.setReg(R.VIRTIO_MMIO_STATUS, 3);
  drv.setReg(R.VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  drv.setReg(R.VIRTIO_MMIO_DRIVER_FEATURES, 1);
  drv.setReg(R.VIRTIO_MMIO_STATUS, 11);
  drv.setupQueue(0, 8);
  drv.post(0, [{ data: enc('early') }, { writableBytes: 8 }]);
  drv.notify(0);
  sched.run();
  assert.equal(dev.processed, 0, 'not consumed before DRIVER_OK');
  drv.setReg(R.VIRTIO_MMIO_STATUS, 15);
  sched.run();
  assert.equal(dev.processed, 1);
  assert.equal(drv.reap(0).length, 1);
});
