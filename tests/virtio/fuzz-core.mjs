// Seeded fuzzing of the virtio-mmio transport and every virtio device of src/devices/virtio:
// random register writes, random descriptor tables and rings in guest memory, random host-side
// events. Checks: no exception escapes a device, scheduled work drains in bounded steps, and
// nothing is written outside guest RAM (a canary fills the memory before RAM).
import { GuestMemory } from '../../dist/memory/guest-memory.js';
import { virtioMmio } from '../../dist/devices/virtio/virtio-mmio.js';
import { MockDriver, ManualScheduler, RecordingIrq } from '../../dist/devices/virtio/mock-driver.js';
import { VirtioBlockDevice } from '../../dist/devices/virtio/blk/block-device.js';
import { VirtioConsoleDevice } from '../../dist/devices/virtio/console/console-device.js';
import { VirtioEntropyDevice } from '../../dist/devices/virtio/rng/entropy-device.js';
import { VirtioBalloonDevice } from '../../dist/devices/virtio/balloon/balloon-device.js';
import { VirtioVsockDevice } from '../../dist/devices/virtio/vsock/vsock-device.js';

const RAM_BASE = 0x8000_0000;
const RAM_SIZE = 256 * 1024;
const STATE = 64 * 1024;
const CANARY = 0xa5;

/** Small seeded PRNG (xorshift32). */
export function rng(seed) {
  let x = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
  return {
    u32: next,
    int: (n) => next() % n,
    bool: (p = 0.5) => next() / 4294967296 < p,
    pick: (a) => a[next() % a.length],
  };
}

/** In-memory disk for the block device (fast, deterministic). */
class RamDisk {
  constructor(sizeBytes, readOnly) {
    this.data = new Uint8Array(sizeBytes);
    this.sizeBytes = sizeBytes;
    this.readOnly = readOnly;
  }
  async read(off, dst) { dst.set(this.data.subarray(off, off + dst.length)); }
  async write(off, src) {
    if (off < 0 || off + src.length > this.sizeBytes) throw new Error('backend: out of range');
    this.data.set(src, off);
  }
  async flush() {}
  async discard(off, len) { this.data.fill(0, off, off + len); }
  async writeZeroes(off, len) { this.data.fill(0, off, off + len); }
}

function blkRequest(r) {
  const h = new Uint8Array(16);
  const v = new DataView(h.buffer);
  const type = r.pick([0, 0, 1, 1, 4, 8, 11, 13, r.u32()]);
  v.setUint32(0, type, true);
  v.setUint32(8, r.bool(0.9) ? r.int(140) : r.u32(), true);
  v.setUint32(12, r.bool(0.95) ? 0 : r.u32(), true);
  const segs = [{ data: h }];
  const n = 512 * r.int(4) + (r.bool(0.9) ? 0 : r.int(512));
  if (type === 1) segs.push({ data: new Uint8Array(n).fill(type) });
  else if (type === 11 || type === 13) {
    const range = new Uint8Array(16 * (1 + r.int(3)));
    const rv = new DataView(range.buffer);
    for (let i = 0; i < range.length; i += 16) {
      rv.setUint32(i, r.int(140), true);
      rv.setUint32(i + 8, r.int(8), true);
      rv.setUint32(i + 12, r.bool(0.8) ? r.int(2) : r.u32(), true);
    }
    segs.push({ data: range });
  } else if (type === 0 || type === 8) segs.push({ writableBytes: type === 8 ? 20 : n });
  if (r.bool(0.97)) segs.push({ writableBytes: 1 });
  return { q: 0, segs };
}

function vsockPacket(r) {
  const b = new Uint8Array(44 + (r.bool() ? r.int(100) : 0));
  const v = new DataView(b.buffer);
  v.setBigUint64(0, r.bool(0.95) ? 3n : BigInt(r.u32()), true);
  v.setBigUint64(8, r.bool(0.95) ? 2n : BigInt(r.u32()), true);
  v.setUint32(16, r.int(8), true);
  v.setUint32(20, r.bool(0.5) ? r.int(8) : 0x4000_0000 + r.int(8), true);
  v.setUint32(24, r.bool(0.9) ? b.length - 44 : r.u32(), true);
  v.setUint16(28, r.bool(0.95) ? 1 : r.int(4), true);
  v.setUint16(30, r.bool(0.95) ? 1 + r.int(7) : r.u32() & 0xffff, true);
  v.setUint32(32, r.int(4), true);
  v.setUint32(36, r.bool(0.9) ? 65536 : r.u32(), true);
  v.setUint32(40, r.u32() % 70000, true);
  return r.bool(0.8)
    ? { q: 1, segs: [{ data: b.subarray(0, 44) }, { data: b.subarray(44) }] }
    : { q: 0, segs: [{ writableBytes: r.bool(0.9) ? 44 + 4096 : r.int(60) }] };
}

/** Device makers, with host-side pokes the fuzzer may call and a generator of plausible requests. */
export const DEVICES = {
  blk: () => {
    const d = new VirtioBlockDevice(new RamDisk(64 * 1024, false), { serial: 'fuzz' });
    return { dev: d, async: true, poke() {}, request: blkRequest, ok: () => d.stats.ok };
  },
  'blk-ro': () => {
    const d = new VirtioBlockDevice(new RamDisk(16 * 1024, true));
    return { dev: d, async: true, poke() {}, request: blkRequest, ok: () => d.stats.ok };
  },
  console: () => {
    let input = () => {};
    const d = new VirtioConsoleDevice({ write() {}, onInput: (h) => (input = h) });
    return { dev: d, poke: (r) => (r.bool() ? input(new Uint8Array(r.int(300)).fill(65)) : d.resize(r.u32() & 0xffff, r.u32() & 0xffff)) };
  },
  rng: () => {
    let n = 0;
    return { dev: new VirtioEntropyDevice({ fill: (b) => b.fill(n++ & 0xff) }), poke() {} };
  },
  balloon: () => {
    const d = new VirtioBalloonDevice(RAM_SIZE / 4096);
    return { dev: d, poke: (r) => (r.bool() ? d.setTargetPages(r.int(100)) : d.requestStats()) };
  },
  vsock: () => {
    const conns = [];
    const d = new VirtioVsockDevice(3, {
      start() {},
      onGuestConnect(c) {
        conns.push(c);
        c.onData = (b) => c.ack(b.length);
        if (c.hostPort % 2 === 0) c.accept(); else c.reject();
      },
    });
    return {
      dev: d,
      request: vsockPacket,
      ok: () => conns.length,
      poke: (r) => {
        const k = r.int(5);
        if (k === 0) { const c = d.connect(r.int(8)); if (c) conns.push(c); }
        else if (conns.length > 0) {
          const c = r.pick(conns);
          if (k === 1) c.send(new Uint8Array(r.int(9000)).fill(7));
          else if (k === 2) c.end();
          else if (k === 3) c.close();
          else c.ack(r.int(5000));
        }
        if (conns.length > 64) conns.splice(0, 32);
      },
    };
  },
};

const REGS = [0x000, 0x004, 0x008, 0x00c, 0x010, 0x014, 0x020, 0x024, 0x030, 0x034, 0x038, 0x044, 0x050, 0x060, 0x064, 0x070,
  0x080, 0x084, 0x090, 0x094, 0x0a0, 0x0a4, 0x0ac, 0x0b0, 0x0b8, 0x0c0, 0x0fc, 0x100, 0x104, 0x108, 0x10c, 0x110, 0x138];

function randomGpa(r, len = 16) {
  switch (r.int(6)) {
    case 0: return r.u32() * 4294967296 + r.u32(); // anywhere (often unsafe integers)
    case 1: return RAM_BASE + RAM_SIZE - r.int(64); // straddles the end of RAM
    case 2: return RAM_BASE - r.int(64);
    default: return RAM_BASE + r.int(RAM_SIZE - len);
  }
}

function writeRandomDesc(mem, r, at, qsize) {
  const gpa = r.bool(0.8) ? RAM_BASE + r.int(RAM_SIZE - 4096) : randomGpa(r);
  const view = mem.view;
  const off = mem.offsetOf(at);
  view.setUint32(off, gpa % 4294967296 >>> 0, true);
  view.setUint32(off + 4, Math.floor(gpa / 4294967296) >>> 0, true);
  view.setUint32(off + 8, r.bool(0.8) ? r.int(4096) : r.u32(), true);
  view.setUint16(off + 12, r.bool(0.9) ? r.int(8) : r.u32() & 0xffff, true);
  view.setUint16(off + 14, r.bool(0.8) ? r.int(qsize) : r.u32() & 0xffff, true);
}

/** Runs `iterations` rounds against device `name` with `seed`; throws on a violation. */
export async function fuzzDevice(name, seed, iterations) {
  const r = rng(seed);
  const mem = new GuestMemory({ ramBaseGpa: RAM_BASE, ramSizeBytes: RAM_SIZE, stateSizeBytes: STATE });
  mem.u8.fill(CANARY, 0, mem.ramOffset);
  const { dev, poke, async: isAsync, request, ok } = DEVICES[name]();
  const sched = new ManualScheduler();
  const irq = new RecordingIrq();
  const mmio = virtioMmio(dev, sched.schedule)(mem, irq);
  const drv = new MockDriver(mmio, mem, RAM_BASE + 0x1000);
  const stats = { iterations: 0, malformed: 0, needsReset: 0, scheduled: 0, ok: 0 };
  for (let it = 0; it < iterations; it++) {
    stats.iterations++;
    const action = r.int(10);
    try {
      if (action === 0) {
        // Random register traffic.
        for (let k = 0; k < 1 + r.int(20); k++) {
          const off = r.bool(0.8) ? r.pick(REGS) : r.int(0x1000);
          const size = r.pick([1, 2, 4, 4, 4]);
          if (r.bool()) mmio.write(off, size, r.u32()); else mmio.read(off, size);
        }
      } else if (action === 1 || !(drv.status() & 4)) {
        // (Re)initialise properly with random features and queue sizes.
        drv.resetHeap(RAM_BASE + 0x1000);
        mem.u8.fill(0, mem.ramOffset, mem.ramOffset + 0x20000);
        try {
          drv.init(r.bool(0.7) ? ~0n : BigInt(r.u32()) | (BigInt(r.u32()) << 32n), Array.from({ length: dev.queueCount }, () => 1 << r.int(8)), false);
        } catch {
          // The device may refuse (that is fine); the fuzzer keeps going.
        }
      } else if (action <= 6) {
        // Random chains in a random queue: descriptors, avail ring entries, avail idx.
        const q = r.int(dev.queueCount);
        let layout;
        try { layout = drv.queueLayout(q); } catch { continue; }
        const n = 1 + r.int(layout.size);
        for (let k = 0; k < n; k++) writeRandomDesc(mem, r, layout.descGpa + 16 * r.int(layout.size), layout.size);
        if (r.bool(0.3)) {
          // An indirect table somewhere in RAM.
          const t = RAM_BASE + 0x20000 + 16 * r.int(1024);
          for (let k = 0; k < 8; k++) writeRandomDesc(mem, r, t + 16 * k, 8);
        }
        if (request !== undefined && r.bool(0.5)) {
          const p = request(r);
          try {
            drv.post(p.q, p.segs, r.bool(0.3));
            drv.notify(p.q);
          } catch { /* queue full / not set up */ }
          if (drv.heapGpa > RAM_BASE + RAM_SIZE - 0x10000) drv.resetHeap(RAM_BASE + 0x8000);
        } else if (r.bool(0.5)) {
          // A random request for this device, through the mock driver.
          const segs = [];
          for (let k = 0; k < 1 + r.int(4); k++) {
            if (r.bool()) {
              const b = new Uint8Array(r.int(64));
              for (let i = 0; i < b.length; i++) b[i] = r.bool(0.5) ? 0 : r.u32() & 0xff;
              if (b.length >= 4 && r.bool()) b[0] = r.int(16);
              segs.push({ data: b });
            } else segs.push({ writableBytes: r.int(5000) });
          }
          segs.sort((a, b) => (a.data ? 0 : 1) - (b.data ? 0 : 1));
          try { drv.post(q, segs, r.bool(0.3)); } catch { /* queue full / out of heap */ }
          if (drv.heapGpa > RAM_BASE + RAM_SIZE - 0x10000) drv.resetHeap(RAM_BASE + 0x8000);
        } else {
          for (let k = 0; k < 1 + r.int(4); k++) mem.writeU16(layout.availGpa + 4 + 2 * r.int(layout.size), r.bool(0.9) ? r.int(layout.size) : r.u32() & 0xffff);
          mem.writeU16(layout.availGpa + 2, (mem.readU16(layout.availGpa + 2) + (r.bool(0.9) ? r.int(4) : r.u32())) & 0xffff);
        }
        if (r.bool(0.2)) mem.writeU16(layout.availGpa, r.u32() & 0xffff);
        if (r.bool(0.2)) mem.writeU16(layout.availGpa + 4 + 2 * layout.size, r.u32() & 0xffff);
        drv.notify(r.bool(0.9) ? q : r.u32() & 0xffff);
      } else if (action === 7) {
        poke(r);
      } else if (action === 8) {
        drv.reap(r.int(dev.queueCount));
      } else {
        drv.ackInterrupt();
      }
    } catch (e) {
      if (e instanceof Error && /^(queue \d+ not set up|queue full|mock driver)/.test(e.message)) continue;
      throw new Error(`${name} seed ${seed} iteration ${it}: exception escaped: ${e?.stack ?? e}`);
    }
    let ran;
    try {
      ran = sched.run(5000);
    } catch (e) {
      throw new Error(`${name} seed ${seed} iteration ${it}: exception escaped from processing: ${e?.stack ?? e}`);
    }
    stats.scheduled += ran;
    if (sched.pending > 0) throw new Error(`${name} seed ${seed} iteration ${it}: scheduled work did not drain (possible livelock)`);
    if (isAsync && it % 8 === 0) await new Promise((res) => setImmediate(res));
    if (it % 16 === 0 || it === iterations - 1) {
      for (let i = 0; i < mem.ramOffset; i++) {
        if (mem.u8[i] !== CANARY) throw new Error(`${name} seed ${seed} iteration ${it}: write outside guest RAM at buffer offset ${i}`);
      }
    }
  }
  if (isAsync) for (let i = 0; i < 20; i++) await new Promise((res) => setImmediate(res));
  sched.run(5000);
  stats.malformed = dev.counters.malformed;
  stats.needsReset = dev.counters.needsReset;
  stats.ok = ok?.() ?? 0;
  return stats;
}
