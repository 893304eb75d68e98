// A guest NVMe driver written in TypeScript, for tests: it programs BAR0 through register
// writes and lays out queues, commands and PRP lists in a GuestMemory as Linux's nvme driver
// does (enable, Identify, Number of Queues, Create I/O CQ/SQ, Read/Write/Flush), and reaps
// completions by their phase bit. No guest kernel needed.
import type { GuestMemory } from '../../memory/guest-memory.js';
import type { MmioDevice } from '../../memory/mmio-bus.js';
import { CQE_BYTES, NVME_PAGE_BYTES as PAGE, NvmeAdmin, NvmeReg, SQE_BYTES } from './nvme-spec.js';

/** One completion queue entry as read back. */
export interface MockCompletion {
  readonly dw0: number;
  readonly sqHead: number;
  readonly sqid: number;
  readonly cid: number;
  /** Status field without the phase bit: SCT << 8 | SC, DNR at bit 14. */
  readonly status: number;
}

interface MockQueue {
  sq: number;
  cq: number;
  size: number;
  tail: number;
  head: number;
  phase: number;
}

/** Command fields a test sets (dword index -> value); CID and NSID are filled in. */
export interface MockCommand {
  opcode: number;
  nsid?: number;
  prp1?: number;
  prp2?: number;
  /** CDW10..CDW15. */
  cdw?: readonly number[];
}

/** Drives an NVMe controller's BAR0 the way a guest driver does. */
export class MockNvmeDriver {
  private heap: number;
  private cid = 0;
  private readonly queues = new Map<number, MockQueue>();

  constructor(readonly bar0: MmioDevice, readonly mem: GuestMemory, heapGpa: number) {
    this.heap = heapGpa;
  }

  /** Page-aligned guest memory from the driver's bump allocator. */
  alloc(bytes: number): number {
    const gpa = Math.ceil(this.heap / PAGE) * PAGE;
    this.heap = gpa + Math.ceil(bytes / PAGE) * PAGE;
    this.mem.write(gpa, new Uint8Array(Math.ceil(bytes / PAGE) * PAGE));
    return gpa;
  }

  write64(reg: number, value: number): void {
    this.bar0.write(reg, 4, value >>> 0);
    this.bar0.write(reg + 4, 4, Math.floor(value / 2 ** 32) >>> 0);
  }

  /** Sets up the admin queues (`entries` each) and enables the controller; returns CSTS. */
  enable(entries = 32): number {
    const asq = this.alloc(entries * SQE_BYTES);
    const acq = this.alloc(entries * CQE_BYTES);
    this.bar0.write(NvmeReg.AQA, 4, ((entries - 1) << 16) | (entries - 1));
    this.write64(NvmeReg.ASQ, asq);
    this.write64(NvmeReg.ACQ, acq);
    this.queues.set(0, { sq: asq, cq: acq, size: entries, tail: 0, head: 0, phase: 1 });
    this.bar0.write(NvmeReg.CC, 4, (4 << 20) | (6 << 16) | 1); // IOCQES 4, IOSQES 6, EN
    return this.bar0.read(NvmeReg.CSTS, 4);
  }

  /** Writes a command to queue `qid` and rings its doorbell; returns the CID. */
  submit(qid: number, c: MockCommand): number {
    const q = this.queues.get(qid);
    if (q === undefined) throw new Error(`mock driver: no queue ${qid}`);
    const cid = (this.cid = (this.cid + 1) & 0xffff);
    const at = q.sq + q.tail * SQE_BYTES;
    const cmd = new Uint8Array(SQE_BYTES);
    const dv = new DataView(cmd.buffer);
    dv.setUint32(0, (c.opcode & 0xff) | (cid << 16), true);
    dv.setUint32(4, c.nsid ?? 0, true);
    dv.setBigUint64(24, BigInt(c.prp1 ?? 0), true);
    dv.setBigUint64(32, BigInt(c.prp2 ?? 0), true);
    (c.cdw ?? []).forEach((v, i) => dv.setUint32(40 + 4 * i, v >>> 0, true));
    this.mem.write(at, cmd);
    q.tail = (q.tail + 1) % q.size;
    this.bar0.write(NvmeReg.DOORBELL + 8 * qid, 4, q.tail);
    return cid;
  }

  /** Completions posted on queue `qid`'s CQ since the last call (and rings the CQ head doorbell). */
  reap(qid: number): MockCompletion[] {
    const q = this.queues.get(qid);
    if (q === undefined) throw new Error(`mock driver: no queue ${qid}`);
    const out: MockCompletion[] = [];
    for (;;) {
      const at = q.cq + q.head * CQE_BYTES;
      const dw3 = this.mem.readU32(at + 12);
      if (((dw3 >>> 16) & 1) !== q.phase) break;
      const dw2 = this.mem.readU32(at + 8);
      out.push({ dw0: this.mem.readU32(at), sqHead: dw2 & 0xffff, sqid: dw2 >>> 16, cid: dw3 & 0xffff, status: dw3 >>> 17 });
      q.head = (q.head + 1) % q.size;
      if (q.head === 0) q.phase ^= 1;
    }
    if (out.length > 0) this.bar0.write(NvmeReg.DOORBELL + 8 * qid + 4, 4, q.head);
    return out;
  }

  /** Submits and waits (yielding to pending backend promises, a bounded number of times) for the completion. */
  async run(qid: number, c: MockCommand): Promise<MockCompletion> {
    const cid = this.submit(qid, c);
    for (let spins = 0; spins < 1000; spins++) {
      const got = this.reap(qid).find((x) => x.cid === cid);
      if (got !== undefined) return got;
      await Promise.resolve(); // memory backends settle in microtasks
    }
    throw new Error(`mock driver: command ${cid} on queue ${qid} never completed`);
  }

  /** Creates I/O queue pair `qid` (CQ with interrupts enabled, then SQ) through admin commands. */
  async createIoQueues(qid: number, entries: number): Promise<[MockCompletion, MockCompletion]> {
    const cq = this.alloc(entries * CQE_BYTES);
    const sq = this.alloc(entries * SQE_BYTES);
    const c1 = await this.run(0, { opcode: NvmeAdmin.CREATE_IO_CQ, prp1: cq, cdw: [((entries - 1) << 16) | qid, 0b11] });
    const c2 = await this.run(0, { opcode: NvmeAdmin.CREATE_IO_SQ, prp1: sq, cdw: [((entries - 1) << 16) | qid, (qid << 16) | 1] });
    if (c1.status === 0 && c2.status === 0) this.queues.set(qid, { sq, cq, size: entries, tail: 0, head: 0, phase: 1 });
    return [c1, c2];
  }
}
