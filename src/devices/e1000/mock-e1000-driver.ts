// A guest e1000 driver written in TypeScript, for tests: Microwire EEPROM reads as Linux's
// e1000_hw.c does them (REQ/GNT, CS, opcode and address shifted out on SK edges, 16 bits
// shifted in), PHY reads over MDIC, and legacy receive / transmit rings in a GuestMemory.
import type { GuestMemory } from '../../memory/guest-memory.js';
import type { MmioDevice } from '../../memory/mmio-bus.js';
import { E1000Eecd as Ee, E1000Mdic, E1000Reg as R, E1000_DESC_BYTES, EEPROM_ADDRESS_BITS, EEPROM_READ_OPCODE } from './e1000-spec.js';

/** Drives an e1000's BAR0. */
export class MockE1000Driver {
  private heap: number;
  rx = { base: 0, count: 0, next: 0, bufBytes: 2048 };
  tx = { base: 0, count: 0, tail: 0 };

  constructor(readonly bar0: MmioDevice, readonly mem: GuestMemory, heapGpa: number) {
    this.heap = heapGpa;
  }

  alloc(bytes: number): number {
    const gpa = Math.ceil(this.heap / 4096) * 4096;
    this.heap = gpa + Math.ceil(bytes / 4096) * 4096;
    return gpa;
  }

  private eecd(v: number): void {
    this.bar0.write(R.EECD, 4, v);
  }

  /** One EEPROM word through Microwire bit-banging. */
  eepromMicrowire(word: number): number {
    let v = Ee.REQ;
    this.eecd(v);
    if ((this.bar0.read(R.EECD, 4) & Ee.GNT) === 0) throw new Error('no EEPROM grant');
    v |= Ee.CS;
    this.eecd(v);
    const out = (bits: number, count: number): void => {
      for (let i = count - 1; i >= 0; i--) {
        v = ((bits >> i) & 1) !== 0 ? v | Ee.DI : v & ~Ee.DI;
        this.eecd(v);
        this.eecd(v | Ee.SK);
        this.eecd(v);
      }
    };
    out(EEPROM_READ_OPCODE, 3);
    out(word, EEPROM_ADDRESS_BITS);
    v &= ~Ee.DI;
    let data = 0;
    for (let i = 0; i < 16; i++) {
      this.eecd(v | Ee.SK);
      data = (data << 1) | ((this.bar0.read(R.EECD, 4) & Ee.DO) !== 0 ? 1 : 0);
      this.eecd(v);
    }
    this.eecd(Ee.REQ); // CS low
    this.eecd(0); // release
    return data;
  }

  /** PHY register `reg` at PHY address `phy` over MDIC (undefined on MDIC error). */
  phyRead(reg: number, phy = 1): number | undefined {
    this.bar0.write(R.MDIC, 4, (reg << 16) | (phy << 21) | E1000Mdic.OP_READ);
    const v = this.bar0.read(R.MDIC, 4);
    if ((v & E1000Mdic.READY) === 0 || (v & E1000Mdic.ERROR) !== 0) return undefined;
    return v & 0xffff;
  }

  write64(lo: number, value: number): void {
    this.bar0.write(lo, 4, value >>> 0);
    this.bar0.write(lo + 4, 4, Math.floor(value / 2 ** 32));
  }

  /** Receive ring of `count` descriptors with 2 KiB buffers, all given to the device; RCTL enabled. */
  setupRx(count: number, rctl: number): void {
    const base = this.alloc(count * E1000_DESC_BYTES);
    for (let i = 0; i < count; i++) {
      this.mem.writeU64(base + i * 16, BigInt(this.alloc(2048)));
      this.mem.writeU64(base + i * 16 + 8, 0n);
    }
    this.rx = { base, count, next: 0, bufBytes: 2048 };
    this.write64(R.RDBAL, base);
    this.bar0.write(R.RDLEN, 4, count * E1000_DESC_BYTES);
    this.bar0.write(R.RDH, 4, 0);
    this.bar0.write(R.RDT, 4, count - 1);
    this.bar0.write(R.RCTL, 4, rctl);
  }

  /** Frames the device completed since the last call (descriptors handed back at once). */
  receive(): Uint8Array[] {
    const out: Uint8Array[] = [];
    let parts: Uint8Array[] = [];
    for (;;) {
      const at = this.rx.base + this.rx.next * 16;
      const status = this.mem.readU32(at + 12) & 0xff;
      if ((status & 1) === 0) break;
      const len = this.mem.readU16(at + 8);
      parts.push(this.mem.slice(Number(this.mem.readU64(at)!), len)!.slice());
      this.mem.writeU32(at + 12, 0);
      if ((status & 2) !== 0) {
        const total = parts.reduce((n, p) => n + p.length, 0);
        const f = new Uint8Array(total);
        let o = 0;
        for (const p of parts) { f.set(p, o); o += p.length; }
        out.push(f);
        parts = [];
      }
      this.bar0.write(R.RDT, 4, this.rx.next);
      this.rx.next = (this.rx.next + 1) % this.rx.count;
    }
    return out;
  }

  /** Transmit ring of `count` descriptors; TCTL enabled. */
  setupTx(count: number): void {
    const base = this.alloc(count * E1000_DESC_BYTES);
    this.tx = { base, count, tail: 0 };
    this.write64(R.TDBAL, base);
    this.bar0.write(R.TDLEN, 4, count * E1000_DESC_BYTES);
    this.bar0.write(R.TDH, 4, 0);
    this.bar0.write(R.TDT, 4, 0);
    this.bar0.write(R.TCTL, 4, 2);
  }

  /** Queues raw 16-byte descriptors (as [qword0, qword1] bigints) and rings TDT. */
  post(descs: readonly [bigint, bigint][]): number[] {
    const at: number[] = [];
    for (const [a, b] of descs) {
      const d = this.tx.base + this.tx.tail * 16;
      this.mem.writeU64(d, a);
      this.mem.writeU64(d + 8, b);
      at.push(d);
      this.tx.tail = (this.tx.tail + 1) % this.tx.count;
    }
    this.bar0.write(R.TDT, 4, this.tx.tail);
    return at;
  }

  /** A buffer in guest memory holding `bytes`. */
  buffer(bytes: Uint8Array): number {
    const gpa = this.alloc(bytes.length);
    this.mem.write(gpa, bytes);
    return gpa;
  }
}
