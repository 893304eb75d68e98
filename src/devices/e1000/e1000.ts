// Intel 82540EM Gigabit Ethernet controller (QEMU's `e1000`), the parts Linux's e1000 driver and
// U-Boot's use: the Microwire EEPROM (EECD bit-banging, and EERD) holding the MAC, the MDIO PHY
// (an M88E1011 with the link up), legacy receive descriptors, legacy and extended (context +
// data, checksum offload, TCP segmentation) transmit descriptors, and the ICR/IMS interrupt
// causes on INTx. Rings, lengths and offsets come from the guest and are all checked.
import type { GuestMemory } from '../../memory/guest-memory.js';
import type { IrqLine } from '../../memory/irq-line.js';
import type { MmioDevice } from '../../memory/mmio-bus.js';
import { NET_MAX_FRAME_BYTES, NET_MIN_FRAME_BYTES, type NetBackend } from '../virtio/net/net-backend.js';
import {
  E1000Ctrl, E1000Dtyp, E1000Eecd, E1000Eerd, E1000Icr, E1000Mdic, E1000Rctl, E1000Reg,
  E1000RxStatus, E1000Status, E1000Tctl, E1000TxCmd, E1000_DESC_BYTES, EEPROM_ADDRESS_BITS, EEPROM_CHECKSUM,
  EEPROM_READ_OPCODE, EEPROM_WORDS, M88E1011_PHY_ID1, M88E1011_PHY_ID2, PHY_ADDRESS,
} from './e1000-spec.js';
import { TxOffload, type TxContext } from './e1000-tx.js';

/** Size of BAR0 (memory-mapped registers). */
export const E1000_BAR0_BYTES = 0x2_0000;
/** Size of the I/O BAR (IOADDR/IODATA indirect access, §13.2). */
export const E1000_IO_BAR_BYTES = 0x40;
/** Frames kept while the guest has no free receive descriptor (the on-chip packet buffer). */
const RX_BACKLOG_FRAMES = 64;
/** Largest ring (RDLEN/TDLEN are 20-bit, 128-byte multiples: 64 Ki descriptors); guest-sized, so never allocated. */
const MAX_RING_BYTES = 0x10_0000;
/** Largest frame a transmit may gather before it is dropped (TSO: 64 KiB of payload + headers). */
const TX_MAX_BYTES = 0x1_0000 + 256;

/** Counters of the device. */
export interface E1000Stats {
  rxFrames: number;
  txFrames: number;
  /** Frames dropped: no receive buffers beyond the backlog, receiver off, filtered or bad size. */
  rxDropped: number;
  /** Transmit descriptors or packets refused (outside RAM, too long, bad context). */
  txErrors: number;
  /** Ring registers naming memory outside RAM or values beyond the ring. */
  badRing: number;
  interrupts: number;
}

/** Options of the NIC. */
export interface E1000Config {
  /** MAC address (6 bytes). */
  readonly mac: Uint8Array;
  /** May DMA happen now? (the PCI function's Bus Master Enable). */
  readonly busMaster: () => boolean;
}

/** The 82540EM. `bar0` is its 128 KiB memory BAR, `io` its I/O BAR. */
export class E1000 {
  readonly bar0: MmioDevice;
  readonly io: MmioDevice;
  readonly stats: E1000Stats = { rxFrames: 0, txFrames: 0, rxDropped: 0, txErrors: 0, badRing: 0, interrupts: 0 };
  /** Plain storage for registers without behaviour (read back what was written). */
  private readonly regs = new Uint32Array(E1000_BAR0_BYTES / 4);
  private readonly eeprom = new Uint16Array(EEPROM_WORDS);
  private readonly phy = new Uint16Array(32);
  private icr = 0;
  private ims = 0;
  private irqLevel = false;
  private ioAddr = 0;
  // Microwire state (EECD bit-banging)
  private eecd = E1000Eecd.PRES;
  private mwBits = 0;
  private mwIn = 0;
  private mwReading = false;
  private mwWord = 0;
  private mwOut = 0;
  private readonly backlog: Uint8Array[] = [];
  private readonly tx = new TxOffload(TX_MAX_BYTES);
  private readonly txCtx: TxContext = { ipcss: 0, ipcso: 0, ipcse: 0, tucss: 0, tucso: 0, tucse: 0, tcp: true, ipv4: true, mss: 0, hdrLen: 0, payLen: 0 };
  private readonly desc = new Uint8Array(E1000_DESC_BYTES);
  private readonly descView = new DataView(this.desc.buffer);

  constructor(
    private readonly mem: GuestMemory,
    private readonly backend: NetBackend,
    private readonly irq: IrqLine,
    private readonly config: E1000Config,
  ) {
    const m = config.mac;
    for (let i = 0; i < 3; i++) this.eeprom[i] = m[2 * i]! | (m[2 * i + 1]! << 8);
    this.eeprom[0x04] = 0xffff; // ID LED settings: defaults
    this.eeprom[0x0a] = 0x4000; // Initialization Control 1: signature 01b (valid)
    this.eeprom[0x0b] = 0x1100; // Subsystem ID
    this.eeprom[0x0c] = 0x1af4; // Subsystem Vendor ID
    this.eeprom[0x0d] = 0x100e; // Device ID
    this.eeprom[0x0e] = 0x8086; // Vendor ID
    this.eeprom[0x0f] = 0x3000; // Initialization Control 2: pause and asymmetric pause capable
    let sum = 0;
    for (let i = 0; i < EEPROM_WORDS - 1; i++) sum += this.eeprom[i]!;
    this.eeprom[EEPROM_WORDS - 1] = (EEPROM_CHECKSUM - sum) & 0xffff;
    this.reset();
    this.bar0 = { read: (o, s) => this.read(o, s), write: (o, s, v) => this.write(o, s, v) };
    this.io = {
      read: (o, s) => (s === 4 && o === 0 ? this.ioAddr : s === 4 && o === 4 ? this.read(this.ioAddr, 4) : 0),
      write: (o, s, v) => {
        if (s !== 4) return;
        if (o === 0) this.ioAddr = v & (E1000_BAR0_BYTES - 4);
        else if (o === 4) this.write(this.ioAddr, 4, v);
      },
    };
    backend.onReceive((frame) => this.receive(frame));
  }

  /** Software reset (CTRL.RST) and power-on state: registers cleared, MAC in RAL0/RAH0, link up. */
  private reset(): void {
    this.regs.fill(0);
    this.icr = 0;
    this.ims = 0;
    this.backlog.length = 0;
    const m = this.config.mac;
    this.regs[E1000Reg.RAL0 >> 2] = (m[0]! | (m[1]! << 8) | (m[2]! << 16) | (m[3]! << 24)) >>> 0;
    this.regs[E1000Reg.RAH0 >> 2] = (m[4]! | (m[5]! << 8) | (1 << 31)) >>> 0; // AV
    this.regs[E1000Reg.CTRL >> 2] = E1000Ctrl.SLU;
    this.phy.fill(0);
    this.phy[0] = 0x1140; // BMCR: autoneg enabled, full duplex, 1000 Mb/s
    this.phy[1] = 0x796d; // BMSR: link up, autoneg complete, capabilities
    this.phy[2] = M88E1011_PHY_ID1;
    this.phy[3] = M88E1011_PHY_ID2;
    this.phy[4] = 0x0de1; // advertisement
    this.phy[5] = 0x45e1; // link partner ability
    this.phy[9] = 0x0e00; // 1000BASE-T control
    this.phy[10] = 0x3c00; // 1000BASE-T status: partner 1000 full/half
    this.phy[17] = 0xac00; // M88 PHY specific status: 1000, full duplex, resolved, link
    this.updateIrq();
  }

  // ---- registers

  private read(offset: number, size: 1 | 2 | 4): number {
    if (size !== 4 || (offset & 3) !== 0 || offset < 0 || offset >= E1000_BAR0_BYTES) return 0;
    switch (offset) {
      case E1000Reg.STATUS: return E1000Status.FD | E1000Status.LU | E1000Status.SPEED_1000;
      case E1000Reg.EECD: return this.eecdRead();
      case E1000Reg.ICR: { // read clears (§13.4.17)
        const v = this.icr;
        this.icr = 0;
        this.updateIrq();
        return v >>> 0;
      }
      case E1000Reg.IMS: return this.ims >>> 0;
      case E1000Reg.ICS: case E1000Reg.IMC: return 0;
      default:
        if (offset >= E1000Reg.STATS_FIRST && offset <= E1000Reg.STATS_LAST) return 0; // statistics: not counted
        return this.regs[offset >> 2]!;
    }
  }

  private write(offset: number, size: 1 | 2 | 4, value: number): void {
    if (size !== 4 || (offset & 3) !== 0 || offset < 0 || offset >= E1000_BAR0_BYTES) return;
    value >>>= 0;
    switch (offset) {
      case E1000Reg.CTRL:
        if ((value & E1000Ctrl.RST) !== 0) { this.reset(); return; } // self-clearing
        this.regs[0] = value & ~E1000Ctrl.PHY_RST;
        return;
      case E1000Reg.STATUS: return;
      case E1000Reg.EECD: this.eecdWrite(value); return;
      case E1000Reg.EERD: this.eerdWrite(value); return;
      case E1000Reg.MDIC: this.mdicWrite(value); return;
      case E1000Reg.ICR: this.icr &= ~value; this.updateIrq(); return; // write 1 to clear
      case E1000Reg.ICS: this.raise(value); return;
      case E1000Reg.IMS: this.ims |= value & 0x1ffff; this.updateIrq(); return;
      case E1000Reg.IMC: this.ims &= ~value; this.updateIrq(); return;
      case E1000Reg.RDT:
        this.regs[offset >> 2] = value & 0xffff;
        this.flushBacklog();
        return;
      case E1000Reg.TDT:
        this.regs[offset >> 2] = value & 0xffff;
        this.transmit();
        return;
      case E1000Reg.RDH: case E1000Reg.TDH:
        this.regs[offset >> 2] = value & 0xffff;
        return;
      case E1000Reg.RDLEN: case E1000Reg.TDLEN:
        this.regs[offset >> 2] = value & 0xf_ff80;
        return;
      case E1000Reg.RCTL:
        this.regs[offset >> 2] = value;
        if ((value & E1000Rctl.EN) === 0) this.backlog.length = 0;
        return;
      default:
        this.regs[offset >> 2] = value;
    }
  }

  private raise(causes: number): void {
    this.icr |= causes;
    this.updateIrq();
  }

  private updateIrq(): void {
    const level = (this.icr & this.ims) !== 0;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      if (level) this.stats.interrupts++;
      this.irq.set(level);
    }
  }

  // ---- EEPROM (§5.3: Microwire; §13.4.4: EERD)

  private eecdRead(): number {
    let v = this.eecd & ~(E1000Eecd.DO | E1000Eecd.GNT);
    if ((this.eecd & E1000Eecd.REQ) !== 0) v |= E1000Eecd.GNT;
    if (this.mwReading && this.mwOut >= 0 && this.mwOut < 16 && ((this.mwWord >> (15 - this.mwOut)) & 1) !== 0) v |= E1000Eecd.DO;
    return v >>> 0;
  }

  private eecdWrite(value: number): void {
    const before = this.eecd;
    const keep = E1000Eecd.SK | E1000Eecd.CS | E1000Eecd.DI | E1000Eecd.REQ;
    this.eecd = (value & keep) | E1000Eecd.PRES;
    if ((this.eecd & E1000Eecd.CS) === 0) { // chip deselected: next command starts over
      this.mwBits = 0;
      this.mwIn = 0;
      this.mwReading = false;
      return;
    }
    const rising = (before & E1000Eecd.SK) === 0 && (this.eecd & E1000Eecd.SK) !== 0;
    if (!rising) return;
    if (this.mwReading) {
      this.mwOut++;
      return;
    }
    this.mwIn = ((this.mwIn << 1) | ((this.eecd & E1000Eecd.DI) !== 0 ? 1 : 0)) & 0xffff;
    if (++this.mwBits === 3 + EEPROM_ADDRESS_BITS) {
      const opcode = this.mwIn >> EEPROM_ADDRESS_BITS;
      if (opcode === EEPROM_READ_OPCODE) {
        this.mwReading = true;
        this.mwWord = this.eeprom[this.mwIn & (EEPROM_WORDS - 1)]!;
        this.mwOut = -1;
      } else {
        this.mwBits = 0; // writes/erases are not supported: the EEPROM is read-only
        this.mwIn = 0;
      }
    }
  }

  private eerdWrite(value: number): void {
    if ((value & E1000Eerd.START) === 0) { this.regs[E1000Reg.EERD >> 2] = value & ~E1000Eerd.DONE; return; }
    const addr = (value >>> 8) & 0xff;
    const data = addr < EEPROM_WORDS ? this.eeprom[addr]! : 0xffff;
    this.regs[E1000Reg.EERD >> 2] = ((data << 16) | (addr << 8) | E1000Eerd.DONE) >>> 0;
  }

  // ---- PHY over MDIO (§13.4.5; registers per the M88E1011 / IEEE 802.3 clause 22)

  private mdicWrite(value: number): void {
    const reg = (value >>> 16) & 0x1f;
    const phyAddr = (value >>> 21) & 0x1f;
    const op = value & (3 << 26);
    let result = (value & 0x0fff_ffff) | E1000Mdic.READY;
    if (phyAddr !== PHY_ADDRESS) result |= E1000Mdic.ERROR;
    else if (op === E1000Mdic.OP_READ) result = (result & ~0xffff) | this.phy[reg]!;
    else if (op === E1000Mdic.OP_WRITE) {
      let data = value & 0xffff;
      if (reg === 0) data &= ~(0x8000 | 0x0200); // reset and restart autoneg complete at once
      if (reg !== 1 && reg !== 2 && reg !== 3 && reg !== 5 && reg !== 10 && reg !== 17) this.phy[reg] = data;
    }
    this.regs[E1000Reg.MDIC >> 2] = result >>> 0;
  }

  // ---- receive (§3.2)

  private ring(baseLo: E1000Reg, len: E1000Reg): { base: number; count: number } | undefined {
    const base = this.regs[(baseLo + 4) >> 2]! * 2 ** 32 + ((this.regs[baseLo >> 2]! & ~0xf) >>> 0);
    const bytes = this.regs[len >> 2]!;
    if (bytes === 0 || bytes > MAX_RING_BYTES || !this.mem.contains(base, bytes)) return undefined;
    return { base, count: bytes / E1000_DESC_BYTES };
  }

  private rxBufferBytes(rctl: number): number {
    const bsize = (rctl >>> 16) & 3;
    if ((rctl & E1000Rctl.BSEX) !== 0 && bsize !== 0) return [0, 16384, 8192, 4096][bsize]!;
    return [2048, 1024, 512, 256][bsize]!;
  }

  /** Whether the destination MAC passes the filters (§3.2.1: exact, multicast table, broadcast, promiscuous). */
  private accept(frame: Uint8Array, rctl: number): boolean {
    if ((frame[0]! & 1) === 0) {
      if ((rctl & E1000Rctl.UPE) !== 0) return true;
      const lo = (frame[0]! | (frame[1]! << 8) | (frame[2]! << 16) | (frame[3]! << 24)) >>> 0;
      const hi = frame[4]! | (frame[5]! << 8);
      for (let i = 0; i < 16; i++) {
        const rah = this.regs[(E1000Reg.RAH0 >> 2) + 2 * i]!;
        if ((rah & 0x8000_0000) !== 0 && this.regs[(E1000Reg.RAL0 >> 2) + 2 * i] === lo && (rah & 0xffff) === hi) return true;
      }
      return false;
    }
    if (frame.subarray(0, 6).every((b) => b === 0xff)) return (rctl & E1000Rctl.BAM) !== 0;
    if ((rctl & (E1000Rctl.MPE | E1000Rctl.UPE)) !== 0) return true;
    const hash = ((frame[4]! >> 4) | (frame[5]! << 4)) & 0xfff; // RCTL.MO = 00: bits 47:36
    return ((this.regs[(E1000Reg.MTA >> 2) + (hash >> 5)]! >>> (hash & 31)) & 1) !== 0;
  }

  private receive(frame: Uint8Array): void {
    const rctl = this.regs[E1000Reg.RCTL >> 2]!;
    if ((rctl & E1000Rctl.EN) === 0 || frame.length < NET_MIN_FRAME_BYTES || frame.length > NET_MAX_FRAME_BYTES) {
      this.stats.rxDropped++;
      return;
    }
    if (!this.accept(frame, rctl)) { this.stats.rxDropped++; return; }
    if (this.backlog.length === 0 && this.deliver(frame)) return;
    if (this.backlog.length >= RX_BACKLOG_FRAMES) {
      this.stats.rxDropped++;
      this.raise(E1000Icr.RXO);
      return;
    }
    this.backlog.push(frame.slice());
  }

  private flushBacklog(): void {
    while (this.backlog.length > 0 && this.deliver(this.backlog[0]!)) this.backlog.shift();
  }

  /** Writes one frame into the descriptors at RDH (several if it spans buffers); false if too few are free. */
  private deliver(frame: Uint8Array): boolean {
    if (!this.config.busMaster()) return false;
    const rctl = this.regs[E1000Reg.RCTL >> 2]!;
    const ring = this.ring(E1000Reg.RDBAL, E1000Reg.RDLEN);
    if (ring === undefined) { this.stats.badRing++; return false; }
    let head = this.regs[E1000Reg.RDH >> 2]!;
    const tail = this.regs[E1000Reg.RDT >> 2]!;
    if (head >= ring.count || tail >= ring.count) { this.stats.badRing++; return false; }
    const fcs = (rctl & E1000Rctl.SECRC) !== 0 ? 0 : 4; // the CRC the wire would carry (zeros here)
    const total = Math.max(frame.length, 60) + fcs;
    const bufBytes = this.rxBufferBytes(rctl);
    const needed = Math.ceil(total / bufBytes);
    const free = (tail - head + ring.count) % ring.count;
    if (free < needed) return false;
    let done = 0;
    for (let d = 0; d < needed; d++) {
      const at = ring.base + head * E1000_DESC_BYTES;
      const buf = Number(this.mem.readU64(at) ?? 0n);
      const len = Math.min(bufBytes, total - done);
      const dst = this.mem.slice(buf, len);
      let status: number = E1000RxStatus.IXSM; // no checksum offload reported
      if (dst === undefined) { this.stats.badRing++; status = 0; } else {
        dst.fill(0);
        if (done < frame.length) dst.set(frame.subarray(done, Math.min(frame.length, done + len)));
        this.mem.markDirty(buf, len);
      }
      if (d === needed - 1) status |= E1000RxStatus.EOP;
      this.mem.writeU16(at + 8, len);
      this.mem.writeU16(at + 10, 0);
      this.mem.writeU32(at + 12, status | E1000RxStatus.DD); // status, errors 0, special 0
      done += len;
      head = (head + 1) % ring.count;
    }
    this.regs[E1000Reg.RDH >> 2] = head;
    this.stats.rxFrames++;
    let causes: number = E1000Icr.RXT0;
    const rdmts = (rctl >>> 8) & 3; // free descriptors below 1/2, 1/4, 1/8 of the ring
    if ((tail - head + ring.count) % ring.count <= ring.count >> (rdmts + 1)) causes |= E1000Icr.RXDMT0;
    this.raise(causes);
    return true;
  }

  // ---- transmit (§3.3)

  private transmit(): void {
    if ((this.regs[E1000Reg.TCTL >> 2]! & E1000Tctl.EN) === 0 || !this.config.busMaster()) return;
    const ring = this.ring(E1000Reg.TDBAL, E1000Reg.TDLEN);
    if (ring === undefined) { this.stats.badRing++; return; }
    let head = this.regs[E1000Reg.TDH >> 2]!;
    const tail = this.regs[E1000Reg.TDT >> 2]!;
    if (head >= ring.count || tail >= ring.count) { this.stats.badRing++; return; }
    let causes = 0;
    for (let n = 0; head !== tail && n < ring.count; n++) {
      const at = ring.base + head * E1000_DESC_BYTES;
      const src = this.mem.slice(at, E1000_DESC_BYTES)!;
      this.desc.set(src);
      const cmd = this.desc[11]!;
      if (this.processTxDescriptor(cmd)) causes |= E1000Icr.TXDW;
      head = (head + 1) % ring.count;
      this.regs[E1000Reg.TDH >> 2] = head;
    }
    if (head === tail) causes |= E1000Icr.TXQE;
    if (causes !== 0) this.raise(causes);
  }

  /** One descriptor; true when it asked for a status report (RS) and got DD written back. */
  private processTxDescriptor(cmd: number): boolean {
    const dv = this.descView;
    const ext = (cmd & E1000TxCmd.DEXT) !== 0;
    const dtyp = (dv.getUint32(8, true) >>> 20) & 0xf;
    if (ext && dtyp === E1000Dtyp.CONTEXT) {
      const c = this.txCtx;
      c.ipcss = this.desc[0]!; c.ipcso = this.desc[1]!; c.ipcse = dv.getUint16(2, true);
      c.tucss = this.desc[4]!; c.tucso = this.desc[5]!; c.tucse = dv.getUint16(6, true);
      c.payLen = dv.getUint32(8, true) & 0xf_ffff;
      c.tcp = (cmd & 1) !== 0;
      c.ipv4 = (cmd & 2) !== 0;
      c.hdrLen = this.desc[13]!;
      c.mss = dv.getUint16(14, true);
    } else {
      const addr = Number(dv.getBigUint64(0, true));
      const len = ext ? dv.getUint32(8, true) & 0xf_ffff : dv.getUint16(8, true);
      const popts = ext ? this.desc[13]! : 0;
      const data = this.mem.slice(addr, len);
      if (data === undefined || !this.tx.append(data)) {
        this.stats.txErrors++;
        this.tx.fail();
      }
      if (ext) this.tx.setOptions(popts, (cmd & E1000TxCmd.TSE) !== 0);
      if ((cmd & E1000TxCmd.EOP) !== 0) {
        const sent = this.tx.finish(this.txCtx, ext, (frame) => {
          this.backend.send(frame);
          this.stats.txFrames++;
        });
        if (!sent) this.stats.txErrors++;
      }
    }
    if ((cmd & E1000TxCmd.RS) !== 0) {
      const head = this.regs[E1000Reg.TDH >> 2]!;
      const ring = this.ring(E1000Reg.TDBAL, E1000Reg.TDLEN)!;
      this.mem.writeU32(ring.base + head * E1000_DESC_BYTES + 12, (dv.getUint32(12, true) & ~0xf) | 1); // STA.DD
      return true;
    }
    return false;
  }
}


