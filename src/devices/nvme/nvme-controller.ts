// An NVMe controller (NVM Express Base 1.4) with one namespace over a BlockBackend: admin and
// I/O submission/completion queues in guest memory, doorbells, PRP lists, Identify,
// Create/Delete I/O queues, Set/Get Features, Read/Write/Flush, and a pin-based (INTx)
// interrupt. Everything the guest hands over (queue bases and sizes, doorbell values, PRPs,
// LBAs) is checked: a bad value gets the status the specification names and a counter.
import type { GuestMemory } from '../../memory/guest-memory.js';
import type { IrqLine } from '../../memory/irq-line.js';
import type { MmioDevice } from '../../memory/mmio-bus.js';
import type { BlockBackend } from '../virtio/blk/block-device.js';
import {
  CQE_BYTES, NVME_PAGE_BYTES, NvmeAdmin, NvmeCc, NvmeCns, NvmeCsts, NvmeFeature, NvmeIo, NvmeReg, NvmeStatus, SQE_BYTES,
} from './nvme-spec.js';
import { walkPrps, type PrpSegment } from './prp.js';
import { identifyController, identifyNamespace } from './nvme-identify.js';

/** Size of BAR0: registers and the doorbells of every queue. */
export const NVME_BAR0_BYTES = 0x4000;
/** I/O queue pairs offered (Set Features Number of Queues answers at most this). */
export const NVME_MAX_IO_QUEUES = 16;
/** Largest queue (CAP.MQES + 1). */
export const NVME_MAX_QUEUE_ENTRIES = 1024;
/** Maximum Data Transfer Size as a power of two of the page size (MDTS 7: 512 KiB). */
export const NVME_MDTS = 7;
/** Outstanding Asynchronous Event Requests allowed (AERL + 1). */
const MAX_AERS = 4;
const LBA_BYTES = 512;

/** What the host side gives the controller. */
export interface NvmeConfig {
  /** Serial number (Identify SN, up to 20 ASCII characters). */
  readonly serial: string;
  /** Refuse writes (namespace write-protected). */
  readonly readOnly?: boolean;
  /** May DMA happen now? (the PCI function's Bus Master Enable). */
  readonly busMaster: () => boolean;
  /** Called after an asynchronous completion so the platform runs the guest soon. */
  readonly wake?: () => void;
}

/** Counters of the controller (for tests, the monitor and benchmarks). */
export interface NvmeStats {
  commands: number;
  /** Commands completed with a non-zero status. */
  errors: number;
  /** Doorbell writes naming no queue or a value beyond the queue's size (ignored). */
  badDoorbells: number;
  /** Controller enables refused (CSTS.CFS set): bad AQA/ASQ/ACQ or CC fields. */
  fatal: number;
  /** Commands fetched while Bus Master Enable was clear (not executed). */
  dmaBlocked: number;
  /** Completions dropped because their queue was deleted or the controller reset. */
  droppedCompletions: number;
  /** Completions waiting for space in a full completion queue. */
  stalledCompletions: number;
  bytesRead: number;
  bytesWritten: number;
  flushes: number;
  interrupts: number;
}

interface Sq {
  gpa: number;
  size: number;
  head: number;
  tail: number;
  cqid: number;
  /** Commands started and not yet completed. */
  inFlight: number;
}

interface Cq {
  gpa: number;
  size: number;
  head: number;
  tail: number;
  phase: number;
  ien: boolean;
  /** Completions waiting for room (bounded by the SQ sizes: one per fetched command). */
  pending: { sqid: number; cid: number; status: number; dw0: number }[];
}

/** The controller. `bar0` is the MMIO window of BAR0 (a 64-bit memory BAR of NVME_BAR0_BYTES). */
export class NvmeController {
  readonly bar0: MmioDevice;
  readonly stats: NvmeStats = {
    commands: 0, errors: 0, badDoorbells: 0, fatal: 0, dmaBlocked: 0, droppedCompletions: 0,
    stalledCompletions: 0, bytesRead: 0, bytesWritten: 0, flushes: 0, interrupts: 0,
  };
  /** Capacity in 512-byte logical blocks. */
  readonly sectors: number;
  private readonly readOnly: boolean;
  private cc = 0;
  private csts = 0;
  private aqa = 0;
  private asq = 0;
  private acq = 0;
  private intms = 0;
  private readonly sqs: (Sq | undefined)[] = new Array<Sq | undefined>(NVME_MAX_IO_QUEUES + 1);
  private readonly cqs: (Cq | undefined)[] = new Array<Cq | undefined>(NVME_MAX_IO_QUEUES + 1);
  /** I/O queues granted by Set Features Number of Queues (0-based counts as the spec gives them). */
  private nsqa = NVME_MAX_IO_QUEUES - 1;
  private ncqa = NVME_MAX_IO_QUEUES - 1;
  private readonly features = new Uint32Array(16);
  private aers = 0;
  /** Bumped on reset: completions of commands started before it are dropped. */
  private generation = 0;
  private irqLevel = false;
  private readonly cmd = new Uint8Array(SQE_BYTES);
  private readonly cmdView = new DataView(this.cmd.buffer);

  constructor(
    private readonly mem: GuestMemory,
    private readonly backend: BlockBackend,
    private readonly irq: IrqLine,
    private readonly config: NvmeConfig,
  ) {
    this.sectors = Math.floor(backend.sizeBytes / LBA_BYTES);
    this.readOnly = backend.readOnly || config.readOnly === true;
    this.features[NvmeFeature.VOLATILE_WRITE_CACHE] = 1;
    this.bar0 = { read: (o, s) => this.read(o, s), write: (o, s, v) => this.write(o, s, v) };
  }

  // ---- registers (§3.1)

  private read(offset: number, size: 1 | 2 | 4): number {
    if (size !== 4 || (offset & 3) !== 0) return 0; // registers are dword/qword accessed
    switch (offset) {
      case NvmeReg.CAP: // MQES, CQR, TO = 15 (7.5 s), DSTRD 0
        return ((NVME_MAX_QUEUE_ENTRIES - 1) | (1 << 16) | (0x0f << 24)) >>> 0;
      case NvmeReg.CAP + 4: return 1 << (37 - 32); // CSS: NVM command set; MPSMIN = MPSMAX = 0 (4 KiB)
      case NvmeReg.VS: return 0x0001_0400;
      case NvmeReg.INTMS: case NvmeReg.INTMC: return this.intms;
      case NvmeReg.CC: return this.cc;
      case NvmeReg.CSTS: return this.csts;
      case NvmeReg.AQA: return this.aqa;
      case NvmeReg.ASQ: return this.asq >>> 0;
      case NvmeReg.ASQ + 4: return Math.floor(this.asq / 2 ** 32) >>> 0;
      case NvmeReg.ACQ: return this.acq >>> 0;
      case NvmeReg.ACQ + 4: return Math.floor(this.acq / 2 ** 32) >>> 0;
      default: return 0; // doorbells are write-only
    }
  }

  private write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (size !== 4 || (offset & 3) !== 0) return;
    value >>>= 0;
    if (offset >= NvmeReg.DOORBELL) {
      this.doorbell((offset - NvmeReg.DOORBELL) >> 2, value);
      return;
    }
    switch (offset) {
      case NvmeReg.INTMS: this.intms |= value & 1; this.updateIrq(); return;
      case NvmeReg.INTMC: this.intms &= ~(value & 1); this.updateIrq(); return;
      case NvmeReg.CC: this.writeCc(value); return;
      case NvmeReg.AQA: this.aqa = value & 0x0fff_0fff; return;
      case NvmeReg.ASQ: this.asq = Math.floor(this.asq / 2 ** 32) * 2 ** 32 + ((value & ~0xfff) >>> 0); return;
      case NvmeReg.ASQ + 4: this.asq = value * 2 ** 32 + (this.asq % 2 ** 32); return;
      case NvmeReg.ACQ: this.acq = Math.floor(this.acq / 2 ** 32) * 2 ** 32 + ((value & ~0xfff) >>> 0); return;
      case NvmeReg.ACQ + 4: this.acq = value * 2 ** 32 + (this.acq % 2 ** 32); return;
      default: return; // NSSR not supported (CAP.NSSRS = 0); others read-only
    }
  }

  private writeCc(value: number): void {
    const wasEnabled = (this.cc & NvmeCc.EN) !== 0;
    this.cc = value & 0x00ff_fff1;
    const shn = (value >>> NvmeCc.SHN_SHIFT) & 3;
    if (shn !== 0 && (this.csts & NvmeCsts.SHST_COMPLETE) === 0) {
      this.csts |= NvmeCsts.SHST_COMPLETE; // nothing cached in the controller: the backend flushes below
      void this.backend.flush().catch(() => {});
    }
    const enable = (value & NvmeCc.EN) !== 0;
    if (enable && !wasEnabled) this.enable();
    else if (!enable && wasEnabled) this.reset();
  }

  private enable(): void {
    const mps = (this.cc >>> 7) & 0xf;
    const css = (this.cc >>> 4) & 7;
    const asqs = (this.aqa & 0xfff) + 1;
    const acqs = ((this.aqa >>> 16) & 0xfff) + 1;
    const ok = mps === 0 && css === 0 && asqs >= 2 && acqs >= 2 &&
      this.mem.contains(this.asq, asqs * SQE_BYTES) && this.mem.contains(this.acq, acqs * CQE_BYTES);
    if (!ok) {
      this.stats.fatal++;
      this.csts = NvmeCsts.CFS;
      return;
    }
    this.sqs[0] = { gpa: this.asq, size: asqs, head: 0, tail: 0, cqid: 0, inFlight: 0 };
    this.cqs[0] = { gpa: this.acq, size: acqs, head: 0, tail: 0, phase: 1, ien: true, pending: [] };
    this.csts = NvmeCsts.RDY;
  }

  /** Controller reset (CC.EN 1 -> 0, §7.3.2): queues deleted, outstanding commands forgotten. */
  private reset(): void {
    this.generation++;
    this.sqs.fill(undefined);
    this.cqs.fill(undefined);
    this.aers = 0;
    this.nsqa = this.ncqa = NVME_MAX_IO_QUEUES - 1;
    this.intms = 0;
    this.csts &= NvmeCsts.SHST_COMPLETE;
    this.updateIrq();
  }

  private doorbell(index: number, value: number): void {
    const qid = index >> 1;
    if ((this.csts & NvmeCsts.RDY) === 0) { this.stats.badDoorbells++; return; }
    if ((index & 1) === 0) {
      const sq = qid <= NVME_MAX_IO_QUEUES ? this.sqs[qid] : undefined;
      if (sq === undefined || value >= sq.size) { this.stats.badDoorbells++; return; }
      sq.tail = value;
      this.processSq(qid, sq);
    } else {
      const cq = qid <= NVME_MAX_IO_QUEUES ? this.cqs[qid] : undefined;
      if (cq === undefined || value >= cq.size) { this.stats.badDoorbells++; return; }
      cq.head = value;
      this.drainPending(cq);
      this.updateIrq();
    }
  }

  // ---- queues

  private processSq(qid: number, sq: Sq): void {
    if (!this.config.busMaster()) { this.stats.dmaBlocked++; return; }
    // At most one queue's worth per doorbell; a command needs a free completion slot eventually,
    // so in-flight commands are bounded by the queue size.
    for (let n = 0; sq.head !== sq.tail && n < sq.size && sq.inFlight < sq.size; n++) {
      const src = this.mem.slice(sq.gpa + sq.head * SQE_BYTES, SQE_BYTES);
      sq.head = (sq.head + 1) % sq.size;
      if (src === undefined) { this.stats.fatal++; this.csts |= NvmeCsts.CFS; return; }
      this.cmd.set(src);
      this.stats.commands++;
      sq.inFlight++;
      const cid = this.cmdView.getUint16(2, true);
      if (qid === 0) this.admin(sq, cid);
      else this.io(qid, cid);
    }
  }

  /** Posts a completion (or queues it while the CQ is full) and updates the interrupt. */
  private complete(sqid: number, cid: number, status: number, dw0 = 0, generation = this.generation): void {
    if (generation !== this.generation) { this.stats.droppedCompletions++; return; }
    const sq = this.sqs[sqid];
    const cq = sq !== undefined ? this.cqs[sq.cqid] : undefined;
    if (sq === undefined || cq === undefined) { this.stats.droppedCompletions++; return; }
    sq.inFlight--;
    if (status !== NvmeStatus.SUCCESS) this.stats.errors++;
    cq.pending.push({ sqid, cid, status, dw0 });
    this.drainPending(cq);
    this.updateIrq();
    this.config.wake?.();
  }

  private drainPending(cq: Cq): void {
    while (cq.pending.length > 0) {
      if ((cq.tail + 1) % cq.size === cq.head) { this.stats.stalledCompletions++; return; }
      const c = cq.pending.shift()!;
      const at = cq.gpa + cq.tail * CQE_BYTES;
      const sqHead = this.sqs[c.sqid]?.head ?? 0;
      this.mem.writeU32(at, c.dw0 >>> 0);
      this.mem.writeU32(at + 4, 0);
      this.mem.writeU32(at + 8, (sqHead | (c.sqid << 16)) >>> 0);
      this.mem.writeU32(at + 12, (c.cid | (cq.phase << 16) | (c.status << 17)) >>> 0);
      cq.tail = (cq.tail + 1) % cq.size;
      if (cq.tail === 0) cq.phase ^= 1;
    }
  }

  /** Pin-based interrupt (§7.5.1): asserted while an enabled CQ holds unread entries, unless masked. */
  private updateIrq(): void {
    let level = false;
    if ((this.intms & 1) === 0) {
      for (const cq of this.cqs) if (cq !== undefined && cq.ien && cq.head !== cq.tail) { level = true; break; }
    }
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      if (level) this.stats.interrupts++;
      this.irq.set(level);
    }
  }

  // ---- command fields

  private dw(n: number): number {
    return this.cmdView.getUint32(n * 4, true);
  }

  private u64(n: number): number {
    return this.dw(n + 1) * 2 ** 32 + this.dw(n);
  }

  /** Copies `data` to the command's PRP buffer (at most `data.length` bytes). */
  private toGuest(data: Uint8Array): NvmeStatus {
    const segs = walkPrps(this.mem, this.u64(6), this.u64(8), data.length);
    if (typeof segs === 'number') return segs;
    let at = 0;
    for (const s of segs) {
      this.mem.write(s.gpa, data.subarray(at, at + s.len));
      at += s.len;
    }
    return NvmeStatus.SUCCESS;
  }

  // ---- admin commands (§5)

  private admin(sq: Sq, cid: number): void {
    const opcode = this.cmd[0]!;
    let status: number = NvmeStatus.SUCCESS;
    let dw0 = 0;
    switch (opcode) {
      case NvmeAdmin.IDENTIFY: status = this.identify(); break;
      case NvmeAdmin.CREATE_IO_CQ: status = this.createCq(); break;
      case NvmeAdmin.CREATE_IO_SQ: status = this.createSq(); break;
      case NvmeAdmin.DELETE_IO_SQ: status = this.deleteSq(); break;
      case NvmeAdmin.DELETE_IO_CQ: status = this.deleteCq(); break;
      case NvmeAdmin.SET_FEATURES: [status, dw0] = this.setFeatures(); break;
      case NvmeAdmin.GET_FEATURES: [status, dw0] = this.getFeatures(); break;
      case NvmeAdmin.GET_LOG_PAGE: status = this.getLogPage(); break;
      case NvmeAdmin.ABORT: dw0 = 1; break; // command not aborted (allowed, §5.1)
      case NvmeAdmin.ASYNC_EVENT_REQUEST:
        if (this.aers >= MAX_AERS) status = NvmeStatus.ASYNC_EVENT_LIMIT_EXCEEDED;
        else { this.aers++; sq.inFlight--; return; } // stays outstanding: no events are ever reported
        break;
      default: status = NvmeStatus.INVALID_OPCODE;
    }
    this.complete(0, cid, status === NvmeStatus.SUCCESS ? status : status | NvmeStatus.DNR, dw0);
  }

  private identify(): NvmeStatus {
    const cns = this.dw(10) & 0xff;
    const nsid = this.dw(1);
    const page = new Uint8Array(NVME_PAGE_BYTES);
    switch (cns) {
      case NvmeCns.CONTROLLER:
        identifyController(page, { serial: this.config.serial, mdts: NVME_MDTS });
        break;
      case NvmeCns.NAMESPACE:
        if (nsid !== 1) return NvmeStatus.INVALID_NAMESPACE;
        identifyNamespace(page, { sectors: this.sectors, readOnly: this.readOnly });
        break;
      case NvmeCns.ACTIVE_NAMESPACES:
        if (nsid >= 0xffff_fffe) return NvmeStatus.INVALID_NAMESPACE;
        if (nsid < 1) new DataView(page.buffer).setUint32(0, 1, true); // active NSIDs above nsid: only 1
        break;
      case NvmeCns.NS_ID_DESCRIPTORS:
        if (nsid !== 1) return NvmeStatus.INVALID_NAMESPACE;
        break; // no identifiers: an empty list
      default:
        return NvmeStatus.INVALID_FIELD;
    }
    return this.toGuest(page);
  }

  private createCq(): NvmeStatus {
    const qid = this.dw(10) & 0xffff;
    const size = (this.dw(10) >>> 16) + 1;
    const dw11 = this.dw(11);
    const gpa = this.u64(6);
    if (qid === 0 || qid > this.ncqa + 1 || this.cqs[qid] !== undefined) return NvmeStatus.INVALID_QUEUE_IDENTIFIER;
    if (size < 2 || size > NVME_MAX_QUEUE_ENTRIES) return NvmeStatus.INVALID_QUEUE_SIZE;
    if ((dw11 & 1) === 0) return NvmeStatus.INVALID_FIELD; // CAP.CQR: physically contiguous only
    if ((dw11 >>> 16) !== 0) return NvmeStatus.INVALID_INTERRUPT_VECTOR; // pin-based: vector 0 only
    if (gpa % NVME_PAGE_BYTES !== 0) return NvmeStatus.INVALID_PRP_OFFSET;
    if (!this.mem.contains(gpa, size * CQE_BYTES)) return NvmeStatus.DATA_TRANSFER_ERROR;
    this.cqs[qid] = { gpa, size, head: 0, tail: 0, phase: 1, ien: (dw11 & 2) !== 0, pending: [] };
    return NvmeStatus.SUCCESS;
  }

  private createSq(): NvmeStatus {
    const qid = this.dw(10) & 0xffff;
    const size = (this.dw(10) >>> 16) + 1;
    const dw11 = this.dw(11);
    const cqid = dw11 >>> 16;
    const gpa = this.u64(6);
    if (qid === 0 || qid > this.nsqa + 1 || this.sqs[qid] !== undefined) return NvmeStatus.INVALID_QUEUE_IDENTIFIER;
    if (cqid === 0 || cqid > NVME_MAX_IO_QUEUES || this.cqs[cqid] === undefined) return NvmeStatus.COMPLETION_QUEUE_INVALID;
    if (size < 2 || size > NVME_MAX_QUEUE_ENTRIES) return NvmeStatus.INVALID_QUEUE_SIZE;
    if ((dw11 & 1) === 0) return NvmeStatus.INVALID_FIELD;
    if (gpa % NVME_PAGE_BYTES !== 0) return NvmeStatus.INVALID_PRP_OFFSET;
    if (!this.mem.contains(gpa, size * SQE_BYTES)) return NvmeStatus.DATA_TRANSFER_ERROR;
    this.sqs[qid] = { gpa, size, head: 0, tail: 0, cqid, inFlight: 0 };
    return NvmeStatus.SUCCESS;
  }

  private deleteSq(): NvmeStatus {
    const qid = this.dw(10) & 0xffff;
    if (qid === 0 || qid > NVME_MAX_IO_QUEUES || this.sqs[qid] === undefined) return NvmeStatus.INVALID_QUEUE_IDENTIFIER;
    this.sqs[qid] = undefined; // completions of its outstanding commands are dropped (counted)
    return NvmeStatus.SUCCESS;
  }

  private deleteCq(): NvmeStatus {
    const qid = this.dw(10) & 0xffff;
    if (qid === 0 || qid > NVME_MAX_IO_QUEUES || this.cqs[qid] === undefined) return NvmeStatus.INVALID_QUEUE_IDENTIFIER;
    for (const sq of this.sqs) if (sq !== undefined && sq.cqid === qid) return NvmeStatus.INVALID_QUEUE_DELETION;
    this.cqs[qid] = undefined;
    this.updateIrq();
    return NvmeStatus.SUCCESS;
  }

  private setFeatures(): [number, number] {
    const fid = this.dw(10) & 0xff;
    const dw11 = this.dw(11);
    if (fid === NvmeFeature.NUMBER_OF_QUEUES) {
      const nsqr = dw11 & 0xffff;
      const ncqr = dw11 >>> 16;
      if (nsqr === 0xffff || ncqr === 0xffff) return [NvmeStatus.INVALID_FIELD, 0];
      // §5.21.1.7: may be set only before I/O queues exist; later, the granted values stand.
      if (!this.sqs.some((q, i) => i > 0 && q !== undefined) && !this.cqs.some((q, i) => i > 0 && q !== undefined)) {
        this.nsqa = Math.min(nsqr, NVME_MAX_IO_QUEUES - 1);
        this.ncqa = Math.min(ncqr, NVME_MAX_IO_QUEUES - 1);
      }
      return [NvmeStatus.SUCCESS, ((this.ncqa << 16) | this.nsqa) >>> 0];
    }
    if (fid >= NvmeFeature.ARBITRATION && fid <= NvmeFeature.ASYNC_EVENT_CONFIG && fid !== 3) {
      this.features[fid] = fid === NvmeFeature.VOLATILE_WRITE_CACHE ? dw11 & 1 : dw11;
      return [NvmeStatus.SUCCESS, 0];
    }
    return [NvmeStatus.INVALID_FIELD, 0];
  }

  private getFeatures(): [number, number] {
    const fid = this.dw(10) & 0xff;
    if (fid === NvmeFeature.NUMBER_OF_QUEUES) return [NvmeStatus.SUCCESS, ((this.ncqa << 16) | this.nsqa) >>> 0];
    if (fid >= NvmeFeature.ARBITRATION && fid <= NvmeFeature.ASYNC_EVENT_CONFIG && fid !== 3) return [NvmeStatus.SUCCESS, this.features[fid]!];
    return [NvmeStatus.INVALID_FIELD, 0];
  }

  private getLogPage(): NvmeStatus {
    const lid = this.dw(10) & 0xff;
    const numd = ((this.dw(10) >>> 16) | ((this.dw(11) & 0xffff) << 16)) + 1;
    if (lid < 1 || lid > 3) return NvmeStatus.INVALID_LOG_PAGE; // error, SMART, firmware slot
    const bytes = Math.min(numd * 4, NVME_PAGE_BYTES); // the logs we have fit one page; more is zero-length
    return this.toGuest(new Uint8Array(bytes)); // all zero: no errors, no SMART warnings
  }

  // ---- NVM commands (§6)

  private io(qid: number, cid: number): void {
    const opcode = this.cmd[0]!;
    const nsid = this.dw(1);
    const gen = this.generation;
    const done = (status: number): void =>
      this.complete(qid, cid, status === NvmeStatus.SUCCESS ? status : status | NvmeStatus.DNR, 0, gen);
    if (opcode === NvmeIo.FLUSH) {
      if (nsid !== 1 && nsid !== 0xffff_ffff) return done(NvmeStatus.INVALID_NAMESPACE);
      this.stats.flushes++;
      this.backend.flush().then(() => done(NvmeStatus.SUCCESS), () => done(NvmeStatus.INTERNAL_ERROR));
      return;
    }
    if (opcode !== NvmeIo.READ && opcode !== NvmeIo.WRITE) return done(NvmeStatus.INVALID_OPCODE);
    if (nsid !== 1) return done(NvmeStatus.INVALID_NAMESPACE);
    const slba = this.u64(10);
    const blocks = (this.dw(12) & 0xffff) + 1;
    const bytes = blocks * LBA_BYTES;
    if (bytes > NVME_PAGE_BYTES << NVME_MDTS) return done(NvmeStatus.INVALID_FIELD);
    if (slba + blocks > this.sectors) return done(NvmeStatus.LBA_OUT_OF_RANGE);
    if (opcode === NvmeIo.WRITE && this.readOnly) return done(NvmeStatus.NAMESPACE_WRITE_PROTECTED);
    const segs = walkPrps(this.mem, this.u64(6), this.u64(8), bytes);
    if (typeof segs === 'number') return done(segs);
    this.transfer(opcode === NvmeIo.WRITE, slba * LBA_BYTES, segs).then(
      () => {
        if (opcode === NvmeIo.WRITE) this.stats.bytesWritten += bytes;
        else this.stats.bytesRead += bytes;
        done(NvmeStatus.SUCCESS);
      },
      () => done(NvmeStatus.INTERNAL_ERROR),
    );
  }

  private async transfer(toDisk: boolean, offset: number, segs: PrpSegment[]): Promise<void> {
    const ops: Promise<void>[] = [];
    let at = offset;
    for (const s of segs) {
      const view = this.mem.slice(s.gpa, s.len);
      if (view === undefined) throw new Error('segment left RAM'); // checked by walkPrps
      ops.push(toDisk ? this.backend.write(at, view) : this.backend.read(at, view));
      if (!toDisk) this.mem.markDirty(s.gpa, s.len);
      at += s.len;
    }
    await Promise.all(ops);
  }
}
