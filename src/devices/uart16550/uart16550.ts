// National Semiconductor / TI PC16550D UART ("16550A"), as the `ns16550a` node of QEMU's `virt`
// board and Linux's drivers/tty/serial/8250 driver use it: byte registers at stride 1, 16-byte
// FIFOs, interrupt identification by priority. The line has no baud-rate delay: a byte written
// to THR reaches the backend at once, so THRE and TEMT are always set.
import { BanquiseError } from '../../base/errors.js';
import type { MmioDevice } from '../../memory/mmio-bus.js';
import type { IrqLine } from '../../memory/irq-line.js';

/** The host side of the serial line (a terminal, a log file, a socket). */
export interface SerialBackend {
  /** Bytes the guest transmitted. The array is the backend's to keep. Must not block. */
  write(bytes: Uint8Array): void;
}

/** Plain-data snapshot of the UART. */
export interface Uart16550State {
  ier: number;
  lcr: number;
  mcr: number;
  /** LSR error bits not yet read (OE). */
  lsrErrors: number;
  /** MSR delta bits (DCTS, DDSR, TERI, DDCD) not yet read. */
  msrDelta: number;
  scr: number;
  dll: number;
  dlm: number;
  /** FCR bit 0 and the receiver trigger bits 7:6. */
  fcr: number;
  /** The THRE interrupt condition (set when THR empties, cleared by IIR read or THR write). */
  thrIpending: boolean;
  /** Bytes in the receiver FIFO, oldest first. */
  rxFifo: number[];
  /** Host input not yet moved into the FIFO, oldest first. */
  hostQueue: number[];
}

// Register offsets (PC16550D datasheet, Table II "Register Addresses").
/** Receiver Buffer (read) / Transmitter Holding (write) register; DLL when LCR.DLAB = 1. */
export const UART_RBR = 0;
/** Interrupt Enable Register; DLM when LCR.DLAB = 1. */
export const UART_IER = 1;
/** Interrupt Identification (read) / FIFO Control (write) register. */
export const UART_IIR = 2;
/** Line Control Register. */
export const UART_LCR = 3;
/** Modem Control Register. */
export const UART_MCR = 4;
/** Line Status Register. */
export const UART_LSR = 5;
/** Modem Status Register. */
export const UART_MSR = 6;
/** Scratch Register. */
export const UART_SCR = 7;

/** IER bit 0: enable received data available (and character timeout) interrupt. */
export const UART_IER_ERBFI = 0x01;
/** IER bit 1: enable transmitter holding register empty interrupt. */
export const UART_IER_ETBEI = 0x02;
/** IER bit 2: enable receiver line status interrupt. */
export const UART_IER_ELSI = 0x04;
/** IER bit 3: enable modem status interrupt. */
export const UART_IER_EDSSI = 0x08;
/** IIR bit 0 set: no interrupt pending. */
export const UART_IIR_NO_INT = 0x01;
/** IIR id: receiver line status (highest priority). */
export const UART_IIR_RLSI = 0x06;
/** IIR id: received data available (FIFO at its trigger level). */
export const UART_IIR_RDI = 0x04;
/** IIR id: character timeout (FIFO below its trigger level). */
export const UART_IIR_CTI = 0x0c;
/** IIR id: transmitter holding register empty. */
export const UART_IIR_THRI = 0x02;
/** IIR id: modem status (lowest priority). */
export const UART_IIR_MSI = 0x00;
/** IIR bits 7:6 set while FIFOs are enabled. */
export const UART_IIR_FIFO_ENABLED = 0xc0;
/** FCR bit 0: enable both FIFOs. */
export const UART_FCR_ENABLE_FIFO = 0x01;
/** FCR bit 1: clear the receiver FIFO. */
export const UART_FCR_CLEAR_RCVR = 0x02;
/** FCR bit 2: clear the transmitter FIFO. */
export const UART_FCR_CLEAR_XMIT = 0x04;
/** LCR divisor latch access bit. */
export const UART_LCR_DLAB = 0x80;
/** MCR bit 0: data terminal ready. */
export const UART_MCR_DTR = 0x01;
/** MCR bit 1: request to send. */
export const UART_MCR_RTS = 0x02;
/** MCR bit 2: OUT1 (RI in loopback). */
export const UART_MCR_OUT1 = 0x04;
/** MCR bit 3: OUT2 (DCD in loopback). */
export const UART_MCR_OUT2 = 0x08;
/** MCR bit 4: loopback mode. */
export const UART_MCR_LOOP = 0x10;
/** LSR bit 0: data ready. */
export const UART_LSR_DR = 0x01;
/** LSR bit 1: overrun error. */
export const UART_LSR_OE = 0x02;
/** LSR bit 2: parity error. */
export const UART_LSR_PE = 0x04;
/** LSR bit 3: framing error. */
export const UART_LSR_FE = 0x08;
/** LSR bit 4: break interrupt. */
export const UART_LSR_BI = 0x10;
/** LSR bit 5: transmitter holding register empty. */
export const UART_LSR_THRE = 0x20;
/** LSR bit 6: transmitter empty. */
export const UART_LSR_TEMT = 0x40;
/** MSR bit 0: delta clear to send. */
export const UART_MSR_DCTS = 0x01;
/** MSR bit 1: delta data set ready. */
export const UART_MSR_DDSR = 0x02;
/** MSR bit 2: trailing edge ring indicator. */
export const UART_MSR_TERI = 0x04;
/** MSR bit 3: delta data carrier detect. */
export const UART_MSR_DDCD = 0x08;
/** MSR bit 4: clear to send. */
export const UART_MSR_CTS = 0x10;
/** MSR bit 5: data set ready. */
export const UART_MSR_DSR = 0x20;
/** MSR bit 6: ring indicator. */
export const UART_MSR_RI = 0x40;
/** MSR bit 7: data carrier detect. */
export const UART_MSR_DCD = 0x80;

/** Depth of the receiver FIFO. */
export const UART_FIFO_SIZE = 16;
/** Host input held back while the FIFO is full; bytes beyond are dropped and counted. */
export const UART_HOST_QUEUE_BYTES = 64 * 1024;

const RX_TRIGGER = [1, 4, 8, 14];
/** Modem inputs seen outside loopback: a host that is always there (CTS, DSR, DCD). */
const MSR_LINES_CONNECTED = UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;

/**
 * The 16550A. Host input goes through a bounded queue into the 16-byte RX FIFO as the guest
 * drains it (the wire never overruns); only loopback can overrun the FIFO. The character-timeout
 * interrupt (CTI) is reported as soon as the FIFO holds bytes below the trigger level, since
 * this line has no character times to wait.
 */
export class Uart16550 implements MmioDevice {
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private lsrErrors = 0;
  private msrDelta = 0;
  private scr = 0;
  private dll = 0;
  private dlm = 0;
  private fifoEnabled = false;
  private triggerBits = 0;
  private thrIpending = false;
  private irqLevel = false;
  private readonly rx = new Uint8Array(UART_FIFO_SIZE);
  private rxHead = 0;
  private rxCount = 0;
  private readonly host = new Uint8Array(UART_HOST_QUEUE_BYTES);
  private hostHead = 0;
  private hostCount = 0;
  private dropped = 0;

  constructor(
    private readonly irq: IrqLine,
    private readonly backend: SerialBackend,
  ) {
    irq.set(false);
  }

  /** Host input bytes dropped because the host-side queue was full. */
  get droppedBytes(): number {
    return this.dropped;
  }

  /** Queues host input for the guest. Never blocks; beyond UART_HOST_QUEUE_BYTES bytes are dropped and counted. */
  receive(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      if (this.hostCount === UART_HOST_QUEUE_BYTES) {
        this.refill();
        if (this.hostCount === UART_HOST_QUEUE_BYTES) {
          this.dropped += bytes.length - i;
          break;
        }
      }
      this.host[(this.hostHead + this.hostCount) % UART_HOST_QUEUE_BYTES] = bytes[i];
      this.hostCount++;
    }
    this.refill();
    this.updateIrq();
  }

  private get loopback(): boolean {
    return (this.mcr & UART_MCR_LOOP) !== 0;
  }

  private get rxCapacity(): number {
    return this.fifoEnabled ? UART_FIFO_SIZE : 1;
  }

  /** Moves host input into the FIFO while there is room (the serial input is cut off in loopback). */
  private refill(): void {
    if (this.loopback) return;
    const cap = this.rxCapacity;
    while (this.rxCount < cap && this.hostCount > 0) {
      this.rx[(this.rxHead + this.rxCount) % UART_FIFO_SIZE] = this.host[this.hostHead];
      this.rxCount++;
      this.hostHead = (this.hostHead + 1) % UART_HOST_QUEUE_BYTES;
      this.hostCount--;
    }
  }

  /** A byte arriving through loopback: into the FIFO, or an overrun (FIFO: byte lost; 16450 mode: RBR overwritten). */
  private loopbackReceive(byte: number): void {
    if (this.rxCount < this.rxCapacity) {
      this.rx[(this.rxHead + this.rxCount) % UART_FIFO_SIZE] = byte;
      this.rxCount++;
      return;
    }
    this.lsrErrors |= UART_LSR_OE;
    if (!this.fifoEnabled) this.rx[this.rxHead] = byte;
  }

  private clearRx(): void {
    this.rxHead = 0;
    this.rxCount = 0;
  }

  /** Modem status inputs: from MCR in loopback (datasheet §8.6 "loopback"), else a connected host. */
  private modemLines(): number {
    if (!this.loopback) return MSR_LINES_CONNECTED;
    const m = this.mcr;
    return (
      (m & UART_MCR_RTS ? UART_MSR_CTS : 0) |
      (m & UART_MCR_DTR ? UART_MSR_DSR : 0) |
      (m & UART_MCR_OUT1 ? UART_MSR_RI : 0) |
      (m & UART_MCR_OUT2 ? UART_MSR_DCD : 0)
    );
  }

  /** Records delta bits for the modem inputs that changed between `before` and `after`. */
  private modemChanged(before: number, after: number): void {
    const diff = before ^ after;
    if (diff & UART_MSR_CTS) this.msrDelta |= UART_MSR_DCTS;
    if (diff & UART_MSR_DSR) this.msrDelta |= UART_MSR_DDSR;
    if (diff & UART_MSR_DCD) this.msrDelta |= UART_MSR_DDCD;
    if (before & UART_MSR_RI && !(after & UART_MSR_RI)) this.msrDelta |= UART_MSR_TERI;
  }

  /** Interrupt identification, highest priority first (datasheet Table IV). */
  private identify(): number {
    const ier = this.ier;
    if (ier & UART_IER_ELSI && this.lsrErrors !== 0) return UART_IIR_RLSI;
    if (ier & UART_IER_ERBFI && this.rxCount > 0) {
      if (!this.fifoEnabled || this.rxCount >= RX_TRIGGER[this.triggerBits]) return UART_IIR_RDI;
      return UART_IIR_CTI;
    }
    if (ier & UART_IER_ETBEI && this.thrIpending) return UART_IIR_THRI;
    if (ier & UART_IER_EDSSI && this.msrDelta !== 0) return UART_IIR_MSI;
    return UART_IIR_NO_INT;
  }

  private updateIrq(): void {
    const level = this.identify() !== UART_IIR_NO_INT;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.set(level);
    }
  }

  private lsr(): number {
    return (this.rxCount > 0 ? UART_LSR_DR : 0) | this.lsrErrors | UART_LSR_THRE | UART_LSR_TEMT;
  }

  /** Transmits one byte: to the backend, or back into the receiver in loopback. THR is empty again at once. */
  private transmit(byte: number): void {
    if (this.loopback) this.loopbackReceive(byte);
    else this.backend.write(Uint8Array.of(byte));
    this.thrIpending = true;
  }

  /** MmioDevice read: every access is a byte access to the register at `offset` (0..7). */
  read(offset: number, _size: 1 | 2 | 4): number {
    let r = 0;
    switch (offset) {
      case UART_RBR:
        if (this.lcr & UART_LCR_DLAB) return this.dll;
        if (this.rxCount > 0) {
          r = this.rx[this.rxHead];
          this.rxHead = (this.rxHead + 1) % UART_FIFO_SIZE;
          this.rxCount--;
          this.refill();
          this.updateIrq();
        }
        return r;
      case UART_IER:
        return this.lcr & UART_LCR_DLAB ? this.dlm : this.ier;
      case UART_IIR: {
        const id = this.identify();
        if (id === UART_IIR_THRI) {
          this.thrIpending = false;
          this.updateIrq();
        }
        return id | (this.fifoEnabled ? UART_IIR_FIFO_ENABLED : 0);
      }
      case UART_LCR:
        return this.lcr;
      case UART_MCR:
        return this.mcr;
      case UART_LSR:
        r = this.lsr();
        if (this.lsrErrors !== 0) {
          this.lsrErrors = 0;
          this.updateIrq();
        }
        return r;
      case UART_MSR:
        r = this.modemLines() | this.msrDelta;
        if (this.msrDelta !== 0) {
          this.msrDelta = 0;
          this.updateIrq();
        }
        return r;
      case UART_SCR:
        return this.scr;
      default:
        return 0;
    }
  }

  /** MmioDevice write: every access is a byte access to the register at `offset` (0..7); the low byte is used. */
  write(offset: number, _size: 1 | 2 | 4, value: number): void {
    const v = value & 0xff;
    switch (offset) {
      case UART_RBR:
        if (this.lcr & UART_LCR_DLAB) {
          this.dll = v;
          return;
        }
        this.thrIpending = false;
        this.transmit(v);
        break;
      case UART_IER: {
        if (this.lcr & UART_LCR_DLAB) {
          this.dlm = v;
          return;
        }
        const old = this.ier;
        this.ier = v & 0x0f;
        // Enabling ETBEI while THR is empty raises the THRE interrupt (Linux's startup test relies on it).
        if (this.ier & UART_IER_ETBEI && !(old & UART_IER_ETBEI)) this.thrIpending = true;
        break;
      }
      case UART_IIR: {
        // FCR: bits other than FIFO enable are only programmed with FCR0 = 1 (datasheet §8.4).
        const enable = (v & UART_FCR_ENABLE_FIFO) !== 0;
        if (enable !== this.fifoEnabled) {
          this.fifoEnabled = enable;
          this.clearRx();
        }
        if (enable) {
          if (v & UART_FCR_CLEAR_RCVR) this.clearRx();
          this.triggerBits = v >>> 6;
        }
        this.refill();
        break;
      }
      case UART_LCR:
        this.lcr = v;
        return;
      case UART_MCR: {
        const before = this.modemLines();
        const wasLoop = this.loopback;
        this.mcr = v & 0x1f;
        this.modemChanged(before, this.modemLines());
        if (wasLoop && !this.loopback) this.refill();
        break;
      }
      case UART_SCR:
        this.scr = v;
        return;
      default:
        return; // LSR and MSR are read-only (factory test writes ignored); 8..0xff unmapped
    }
    this.updateIrq();
  }

  /** Plain-data snapshot. */
  save(): Uart16550State {
    const rxFifo: number[] = [];
    for (let i = 0; i < this.rxCount; i++) rxFifo.push(this.rx[(this.rxHead + i) % UART_FIFO_SIZE]);
    const hostQueue: number[] = [];
    for (let i = 0; i < this.hostCount; i++) hostQueue.push(this.host[(this.hostHead + i) % UART_HOST_QUEUE_BYTES]);
    return {
      ier: this.ier,
      lcr: this.lcr,
      mcr: this.mcr,
      lsrErrors: this.lsrErrors,
      msrDelta: this.msrDelta,
      scr: this.scr,
      dll: this.dll,
      dlm: this.dlm,
      fcr: (this.fifoEnabled ? UART_FCR_ENABLE_FIFO : 0) | (this.triggerBits << 6),
      thrIpending: this.thrIpending,
      rxFifo,
      hostQueue,
    };
  }

  /** Restores a snapshot and re-drives the interrupt line. */
  restore(state: Uart16550State): void {
    if (state.rxFifo.length > UART_FIFO_SIZE || state.hostQueue.length > UART_HOST_QUEUE_BYTES) {
      throw new BanquiseError('UART state has more queued bytes than the device holds', 64);
    }
    this.ier = state.ier & 0x0f;
    this.lcr = state.lcr & 0xff;
    this.mcr = state.mcr & 0x1f;
    this.lsrErrors = state.lsrErrors & (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI);
    this.msrDelta = state.msrDelta & 0x0f;
    this.scr = state.scr & 0xff;
    this.dll = state.dll & 0xff;
    this.dlm = state.dlm & 0xff;
    this.fifoEnabled = (state.fcr & UART_FCR_ENABLE_FIFO) !== 0;
    this.triggerBits = (state.fcr >>> 6) & 3;
    this.thrIpending = state.thrIpending === true;
    this.rxHead = 0;
    this.rxCount = Math.min(state.rxFifo.length, this.rxCapacity);
    for (let i = 0; i < this.rxCount; i++) this.rx[i] = state.rxFifo[i];
    this.hostHead = 0;
    this.hostCount = state.hostQueue.length;
    for (let i = 0; i < this.hostCount; i++) this.host[i] = state.hostQueue[i];
    this.irqLevel = this.identify() !== UART_IIR_NO_INT;
    this.irq.set(this.irqLevel);
  }
}
