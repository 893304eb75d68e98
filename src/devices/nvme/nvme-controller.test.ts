import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GuestMemory } from '../../memory/guest-memory.js';
import type { BlockBackend } from '../virtio/blk/block-device.js';
import { MockNvmeDriver } from './mock-nvme-driver.js';
import { NvmeController, NVME_MAX_IO_QUEUES } from './nvme-controller.js';
import { NvmeAdmin, NvmeCns, NvmeFeature, NvmeIo, NvmeReg, NvmeStatus } from './nvme-spec.js';
import { walkPrps } from './prp.js';

const RAM = 0x8000_0000;
const RAM_BYTES = 8 * 1024 * 1024;
const DNR = NvmeStatus.DNR;

class MemBackend implements BlockBackend {
  readonly data: Uint8Array;
  flushes = 0;
  constructor(readonly sizeBytes: number, readonly readOnly = false) {
    this.data = new Uint8Array(sizeBytes);
  }
  async read(off: number, dst: Uint8Array): Promise<void> { dst.set(this.data.subarray(off, off + dst.length)); }
  async write(off: number, src: Uint8Array): Promise<void> { this.data.set(src, off); }
  async flush(): Promise<void> { this.flushes++; }
  async discard(): Promise<void> {}
  async writeZeroes(): Promise<void> {}
}

function rig(opts: { readOnly?: boolean; busMaster?: boolean } = {}) {
  const mem = new GuestMemory({ ramBaseGpa: RAM, ramSizeBytes: RAM_BYTES, stateSizeBytes: 0 });
  const backend = new MemBackend(1024 * 1024, opts.readOnly ?? false);
  const irq = { level: false, set(l: boolean) { this.level = l; } };
  const ctrl = new NvmeController(mem, backend, irq, { serial: 'BQ-TEST-1', busMaster: () => opts.busMaster ?? true });
  const drv = new MockNvmeDriver(ctrl.bar0, mem, RAM + 0x10_0000);
  return { mem, backend, irq, ctrl, drv };
}

test('enable: CAP/VS as advertised, CSTS.RDY after CC.EN, CFS for a bad admin queue, reset clears RDY', () => {
  const { ctrl, drv } = rig();
  assert.equal(ctrl.bar0.read(NvmeReg.VS, 4), 0x10400);
  assert.equal(ctrl.bar0.read(NvmeReg.CAP, 4) & 0xffff, 1023);
  assert.equal(drv.enable(), 1);
  ctrl.bar0.write(NvmeReg.CC, 4, 0);
  assert.equal(ctrl.bar0.read(NvmeReg.CSTS, 4) & 1, 0);
  // admin SQ pointing past RAM: controller fatal status, never a throw
  ctrl.bar0.write(NvmeReg.AQA, 4, 0x00ff00ff); // 256 entries: 16 KiB, only 4 KiB left
  drv.write64(NvmeReg.ASQ, RAM + RAM_BYTES - 0x1000);
  ctrl.bar0.write(NvmeReg.CC, 4, 1);
  assert.equal(ctrl.bar0.read(NvmeReg.CSTS, 4), 2); // CFS, not RDY
  assert.equal(ctrl.stats.fatal, 1);
});

test('Identify controller and namespace, Number of Queues, Get Features', async () => {
  const { mem, drv, ctrl } = rig();
  drv.enable();
  const buf = drv.alloc(4096);
  let c = await drv.run(0, { opcode: NvmeAdmin.IDENTIFY, prp1: buf, cdw: [NvmeCns.CONTROLLER] });
  assert.equal(c.status, 0);
  const page = mem.slice(buf, 4096)!;
  assert.equal(new TextDecoder().decode(page.subarray(4, 24)).trim(), 'BQ-TEST-1');
  assert.equal(page[0x200], 0x66);
  assert.equal(mem.readU32(buf + 0x204), 1); // NN
  c = await drv.run(0, { opcode: NvmeAdmin.IDENTIFY, nsid: 1, prp1: buf, cdw: [NvmeCns.NAMESPACE] });
  assert.equal(c.status, 0);
  assert.equal(mem.readU64(buf), BigInt(ctrl.sectors));
  assert.equal(mem.readU32(buf + 0x80), 9 << 16);
  c = await drv.run(0, { opcode: NvmeAdmin.IDENTIFY, nsid: 7, prp1: buf, cdw: [NvmeCns.NAMESPACE] });
  assert.equal(c.status, NvmeStatus.INVALID_NAMESPACE | DNR);
  c = await drv.run(0, { opcode: NvmeAdmin.SET_FEATURES, cdw: [NvmeFeature.NUMBER_OF_QUEUES, (63 << 16) | 63] });
  assert.equal(c.dw0, ((NVME_MAX_IO_QUEUES - 1) << 16) | (NVME_MAX_IO_QUEUES - 1));
  c = await drv.run(0, { opcode: NvmeAdmin.SET_FEATURES, cdw: [NvmeFeature.NUMBER_OF_QUEUES, (1 << 16) | 1] });
  assert.equal(c.dw0, (1 << 16) | 1);
  c = await drv.run(0, { opcode: NvmeAdmin.GET_FEATURES, cdw: [NvmeFeature.VOLATILE_WRITE_CACHE] });
  assert.deepEqual([c.status, c.dw0], [0, 1]);
  c = await drv.run(0, { opcode: 0x7f });
  assert.equal(c.status, NvmeStatus.INVALID_OPCODE | DNR);
});

test('I/O: write, read back, flush, through a PRP list spanning two list pages; INTx follows the CQ', async () => {
  const { mem, drv, backend, irq } = rig();
  drv.enable();
  const [cq, sq] = await drv.createIoQueues(1, 16);
  assert.deepEqual([cq.status, sq.status], [0, 0]);
  // 128 pages scattered (every other page) so nothing merges: 1 PRP1 + a list of 127 entries,
  // placed at the end of a list page so it must chain (entry 511 points to the next list page).
  const data = drv.alloc(256 * 4096);
  const pages = Array.from({ length: 128 }, (_, i) => data + 2 * i * 4096);
  const lists = drv.alloc(2 * 4096);
  const start = lists + 4096 - 8 * 4; // 3 entries, then the chain pointer in slot 511
  const entries = pages.slice(1);
  for (let i = 0; i < 3; i++) mem.writeU64(start + 8 * i, BigInt(entries[i]!));
  mem.writeU64(start + 24, BigInt(lists + 4096));
  for (let i = 3; i < entries.length; i++) mem.writeU64(lists + 4096 + 8 * (i - 3), BigInt(entries[i]!));
  pages.forEach((p, i) => mem.write(p, new Uint8Array(4096).fill(i + 1)));
  const blocks = (128 * 4096) / 512;
  let c = await drv.run(1, { opcode: NvmeIo.WRITE, nsid: 1, prp1: pages[0]!, prp2: start, cdw: [8, 0, blocks - 1] });
  assert.equal(c.status, 0);
  for (let i = 0; i < 128; i++) assert.equal(backend.data[8 * 512 + i * 4096], i + 1, `page ${i} on disk`);
  pages.forEach((p) => mem.write(p, new Uint8Array(4096)));
  c = await drv.run(1, { opcode: NvmeIo.READ, nsid: 1, prp1: pages[0]!, prp2: start, cdw: [8, 0, blocks - 1] });
  assert.equal(c.status, 0);
  for (let i = 0; i < 128; i++) assert.equal(mem.slice(pages[i]!, 1)![0], i + 1, `page ${i} read back`);
  c = await drv.run(1, { opcode: NvmeIo.FLUSH, nsid: 1 });
  assert.equal(c.status, 0);
  assert.equal(backend.flushes, 1);
  assert.equal(irq.level, false, 'all completions consumed: INTx low');
  drv.submit(1, { opcode: NvmeIo.FLUSH, nsid: 1 });
  for (let i = 0; i < 10; i++) await Promise.resolve();
  assert.equal(irq.level, true, 'a completion waits: INTx high');
  drv.bar0.write(NvmeReg.INTMS, 4, 1);
  assert.equal(irq.level, false, 'masked');
  drv.bar0.write(NvmeReg.INTMC, 4, 1);
  assert.equal(irq.level, true);
  drv.reap(1);
  assert.equal(irq.level, false);
});

test('I/O errors: LBA out of range, bad namespace, read-only, PRPs outside RAM or misaligned, too long', async () => {
  const { drv, mem } = rig({ readOnly: true });
  drv.enable();
  await drv.createIoQueues(1, 8);
  const buf = drv.alloc(4096);
  const sectors = (1024 * 1024) / 512;
  const st = async (cmd: Parameters<MockNvmeDriver['run']>[1]): Promise<number> => (await drv.run(1, cmd)).status & 0x3fff;
  assert.equal(await st({ opcode: NvmeIo.READ, nsid: 1, prp1: buf, cdw: [sectors - 1, 0, 1] }), NvmeStatus.LBA_OUT_OF_RANGE);
  assert.equal(await st({ opcode: NvmeIo.READ, nsid: 1, prp1: buf, cdw: [0, 1, 0] }), NvmeStatus.LBA_OUT_OF_RANGE); // SLBA >= 2^32
  assert.equal(await st({ opcode: NvmeIo.READ, nsid: 2, prp1: buf, cdw: [0, 0, 0] }), NvmeStatus.INVALID_NAMESPACE);
  assert.equal(await st({ opcode: NvmeIo.WRITE, nsid: 1, prp1: buf, cdw: [0, 0, 0] }), NvmeStatus.NAMESPACE_WRITE_PROTECTED);
  assert.equal(await st({ opcode: NvmeIo.READ, nsid: 1, prp1: 0x1000, cdw: [0, 0, 0] }), NvmeStatus.DATA_TRANSFER_ERROR);
  assert.equal(await st({ opcode: NvmeIo.READ, nsid: 1, prp1: buf + 2, cdw: [0, 0, 0] }), NvmeStatus.INVALID_PRP_OFFSET);
  assert.equal(await st({ opcode: NvmeIo.READ, nsid: 1, prp1: buf, prp2: buf + 0x10, cdw: [0, 0, 15] }), NvmeStatus.INVALID_PRP_OFFSET);
  assert.equal(await st({ opcode: NvmeIo.READ, nsid: 1, prp1: buf, cdw: [0, 0, 0xffff] }), NvmeStatus.INVALID_FIELD); // > MDTS
  assert.equal(await st({ opcode: 0x99, nsid: 1 }), NvmeStatus.INVALID_OPCODE);
  void mem;
});

test('queue management: bad ids, sizes, vectors, deletion order; doorbells past the queue are ignored and counted', async () => {
  const { drv, ctrl } = rig();
  drv.enable();
  const q = drv.alloc(4096);
  const run = async (opcode: number, cdw: number[], prp1 = q): Promise<number> => (await drv.run(0, { opcode, prp1, cdw })).status & 0x3fff;
  assert.equal(await run(NvmeAdmin.CREATE_IO_CQ, [(15 << 16) | 0, 3]), NvmeStatus.INVALID_QUEUE_IDENTIFIER);
  assert.equal(await run(NvmeAdmin.CREATE_IO_CQ, [(15 << 16) | 99, 3]), NvmeStatus.INVALID_QUEUE_IDENTIFIER);
  assert.equal(await run(NvmeAdmin.CREATE_IO_CQ, [(0xffff << 16) | 1, 3]), NvmeStatus.INVALID_QUEUE_SIZE);
  assert.equal(await run(NvmeAdmin.CREATE_IO_CQ, [(15 << 16) | 1, 3 | (5 << 16)]), NvmeStatus.INVALID_INTERRUPT_VECTOR);
  assert.equal(await run(NvmeAdmin.CREATE_IO_CQ, [(15 << 16) | 1, 3], 0x1000), NvmeStatus.DATA_TRANSFER_ERROR);
  assert.equal(await run(NvmeAdmin.CREATE_IO_SQ, [(15 << 16) | 1, (1 << 16) | 1]), NvmeStatus.COMPLETION_QUEUE_INVALID);
  await drv.createIoQueues(1, 16);
  assert.equal(await run(NvmeAdmin.DELETE_IO_CQ, [1]), NvmeStatus.INVALID_QUEUE_DELETION);
  assert.equal(await run(NvmeAdmin.DELETE_IO_SQ, [1]), 0);
  assert.equal(await run(NvmeAdmin.DELETE_IO_CQ, [1]), 0);
  assert.equal(await run(NvmeAdmin.DELETE_IO_SQ, [1]), NvmeStatus.INVALID_QUEUE_IDENTIFIER);
  const before = ctrl.stats.badDoorbells;
  ctrl.bar0.write(NvmeReg.DOORBELL, 4, 5000); // admin SQ tail beyond its 32 entries
  ctrl.bar0.write(NvmeReg.DOORBELL + 8 * 9, 4, 1); // no queue 9
  ctrl.bar0.write(NvmeReg.DOORBELL + 0x2ff8, 4, 1); // far doorbell
  assert.equal(ctrl.stats.badDoorbells, before + 3);
});

test('DMA waits for Bus Master Enable', () => {
  const { drv, ctrl } = rig({ busMaster: false });
  drv.enable();
  drv.submit(0, { opcode: NvmeAdmin.IDENTIFY, cdw: [NvmeCns.CONTROLLER] });
  assert.equal(ctrl.stats.dmaBlocked, 1);
  assert.equal(ctrl.stats.commands, 0);
});

test('a full completion queue holds completions until the driver frees entries', async () => {
  const { drv, ctrl } = rig();
  drv.enable(4); // 4-entry queues: at most 3 completions fit
  for (let i = 0; i < 3; i++) drv.submit(0, { opcode: NvmeAdmin.GET_FEATURES, cdw: [NvmeFeature.ARBITRATION] });
  // SQ tail wraps: the 4th submission makes tail == head again only after the controller consumed
  assert.equal(drv.reap(0).length, 3);
  for (let i = 0; i < 3; i++) drv.submit(0, { opcode: NvmeAdmin.GET_FEATURES, cdw: [NvmeFeature.ARBITRATION] });
  assert.equal(drv.reap(0).length, 3);
  assert.equal(ctrl.stats.errors, 0);
});

test('fuzz: random commands, doorbells and register writes never throw, hang or grow without bound', async () => {
  const { drv, ctrl, mem } = rig();
  drv.enable(8);
  await drv.createIoQueues(1, 8);
  let seed = 99;
  const rnd = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
  const anywhere = (): number => [0, 0x1000, RAM + (rnd() % RAM_BYTES), RAM + RAM_BYTES - 8, 2 ** 53 + 8, rnd() * 4096][rnd() % 6]!;
  for (let i = 0; i < 3000; i++) {
    const k = rnd() % 10;
    if (k < 6) {
      const qid = rnd() % 2;
      const cmd = new Uint8Array(64);
      for (let j = 0; j < 64; j++) cmd[j] = rnd() & 0xff;
      cmd[0] = qid === 0 ? [0, 1, 2, 4, 5, 6, 8, 9, 10, 12][rnd() % 10]! : rnd() % 4;
      const dv = new DataView(cmd.buffer);
      dv.setUint32(4, rnd() % 3, true);
      dv.setBigUint64(24, BigInt(anywhere()), true);
      dv.setBigUint64(32, BigInt(anywhere()), true);
      if (rnd() % 2 === 0) dv.setUint32(48, rnd() % 64, true); // small NLB often
      // write raw into the SQ at the driver's tail: use submit with the random dwords
      drv.submit(qid, {
        opcode: cmd[0]!, nsid: dv.getUint32(4, true), prp1: Number(dv.getBigUint64(24, true)), prp2: Number(dv.getBigUint64(32, true)),
        cdw: [0, 1, 2, 3, 4, 5].map((d) => dv.getUint32(40 + 4 * d, true)),
      });
    } else if (k < 8) {
      ctrl.bar0.write(NvmeReg.DOORBELL + 4 * (rnd() % 40), 4, rnd() % 70000);
    } else {
      drv.reap(rnd() % 2);
    }
    if (i % 50 === 0) await Promise.resolve();
  }
  for (let i = 0; i < 100; i++) await Promise.resolve();
  assert.ok(ctrl.stats.commands > 0);
  assert.ok(ctrl.stats.badDoorbells > 0);
  void mem;
});

test('walkPrps: merges contiguous pages, bounds list chains to the transfer', () => {
  const mem = new GuestMemory({ ramBaseGpa: RAM, ramSizeBytes: 1 << 20, stateSizeBytes: 0 });
  assert.deepEqual(walkPrps(mem, RAM + 0x200, RAM + 0x1000, 0x1000), [{ gpa: RAM + 0x200, len: 0xe00 }, { gpa: RAM + 0x1000, len: 0x200 }]);
  // a list page whose chain pointer points at itself: the walk ends with the transfer, one
  // segment per page at most (the same data page may legally repeat)
  const list = RAM + 0x8000;
  for (let i = 0; i < 511; i++) mem.writeU64(list + 8 * i, BigInt(RAM + 0x10000));
  mem.writeU64(list + 8 * 511, BigInt(list));
  const segs = walkPrps(mem, RAM, list, 4096 * 2000);
  assert.ok(typeof segs !== 'number' && segs.length <= 2000 && segs.reduce((n, s) => n + s.len, 0) === 4096 * 2000);
  mem.writeU64(list + 8 * 511, BigInt(list + 8)); // chain pointer not page aligned
  assert.equal(walkPrps(mem, RAM, list, 4096 * 2000), NvmeStatus.INVALID_PRP_OFFSET);
  assert.equal(walkPrps(mem, RAM, RAM + (1 << 20), 4096 * 3), NvmeStatus.DATA_TRANSFER_ERROR); // list outside RAM
});
