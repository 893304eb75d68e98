import { ByteQueue } from './byte-queue.js';
import type { HostSockets, HostTcpEvents, HostTcpSocket, HostTimer } from './host-sockets.js';

/** TCP header flag bits (RFC 793 §3.1). */
export const enum TcpFlag {
  FIN = 0x01,
  SYN = 0x02,
  RST = 0x04,
  PSH = 0x08,
  ACK = 0x10,
}

/** Connection states (RFC 793 §3.2) plus `Connecting`: SYN seen, host connect in progress. */
export const enum TcpState {
  SynSent,
  Connecting,
  SynReceived,
  Established,
  FinWait1,
  FinWait2,
  CloseWait,
  Closing,
  LastAck,
  TimeWait,
  Closed,
}

/** One TCP segment from the guest, already validated (lengths, checksum). */
export interface TcpSegment {
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** MSS option of a SYN, 0 when absent. */
  mss: number;
  /** The frame holding the segment; the payload is `frame[payloadStart, payloadStart + payloadLength)`. */
  frame: Uint8Array;
  payloadStart: number;
  payloadLength: number;
}

/** What a connection needs from the stack that owns it. */
export interface TcpConnectionOwner {
  readonly sockets: HostSockets;
  /**
   * Sends a segment to the guest: `dataLen` bytes taken `dataOffset` bytes into the
   * connection's send queue; ack = `rcvNxt`, window = `receiveWindow()`; MSS option if SYN.
   */
  emitSegment(conn: TcpConnection, flags: number, seq: number, dataOffset: number, dataLen: number): void;
  /** Removes the connection from the table. */
  forget(conn: TcpConnection): void;
}

/** Our MSS towards the guest on a 1500-byte MTU (RFC 879). */
export const TCP_OUR_MSS = 1460;
/** Bytes from the host we hold for the guest before pausing the host socket. */
const SEND_BUFFER_MAX = 256 * 1024;
/** Receive window we advertise, minus what the host socket has not yet taken. No scaling. */
const RECEIVE_BUFFER = 65535;
const RTO_INITIAL_MS = 200;
const RTO_MAX_MS = 5000;
const MAX_RETRIES = 8;
const TIME_WAIT_MS = 1000;

function seqLt(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

/**
 * One TCP connection between the guest and a host socket: the stack plays the far end.
 * Guest-initiated (`openFromGuest`, the SYN-ACK waits until the host connect succeeds) or
 * host-initiated for port forwarding (`openToGuest`, we send the SYN).
 */
export class TcpConnection implements HostTcpEvents {
  state = TcpState.Closed;
  /** Our initial send sequence number. */
  readonly iss: number;
  sndUna = 0;
  sndNxt = 0;
  /** The guest's advertised window. */
  sndWnd = 0;
  rcvNxt = 0;
  /** Largest segment we send the guest. */
  mss = 536;
  /** Data from the host not yet acknowledged by the guest (starts at `sndUna`). */
  readonly sendQueue = new ByteQueue();
  private hostEof = false;
  private finSent = false;
  private finSeq = 0;
  private socket: HostTcpSocket | undefined;
  private socketClosed = false;
  private hostPaused = false;
  private timer: HostTimer | undefined;
  private rtoMs = RTO_INITIAL_MS;
  private retries = 0;
  private dupAcks = 0;
  private lastAdvertised = RECEIVE_BUFFER;

  constructor(
    private readonly owner: TcpConnectionOwner,
    /** Guest address and port. */
    readonly guestIp: number,
    readonly guestPort: number,
    /** The far end's address and port as the guest sees them. */
    readonly remoteIp: number,
    readonly remotePort: number,
    iss: number,
  ) {
    this.iss = iss >>> 0;
    this.sndUna = this.iss;
    this.sndNxt = this.iss;
  }

  /** Starts a guest-initiated connection from its SYN; connects the host socket to `host:port`. */
  openFromGuest(syn: TcpSegment, host: string, port: number): void {
    this.rcvNxt = (syn.seq + 1) >>> 0;
    this.sndWnd = syn.window;
    this.mss = Math.min(TCP_OUR_MSS, syn.mss > 0 ? Math.max(syn.mss, 64) : 536);
    this.state = TcpState.Connecting;
    this.socket = this.owner.sockets.connectTcp(host, port, this);
  }

  /** Starts a host-initiated connection (port forwarding): sends our SYN to the guest. */
  openToGuest(attach: (events: HostTcpEvents) => HostTcpSocket): void {
    this.socket = attach(this);
    this.socket.pause();
    this.hostPaused = true;
    this.state = TcpState.SynSent;
    this.owner.emitSegment(this, TcpFlag.SYN, this.iss, 0, 0);
    this.sndNxt = (this.iss + 1) >>> 0;
    this.armTimer();
  }

  /** The window we advertise: what the host socket can still take. */
  receiveWindow(): number {
    const buffered = this.socket !== undefined && !this.socketClosed ? this.socket.bufferedBytes() : 0;
    const w = Math.max(0, Math.min(RECEIVE_BUFFER, RECEIVE_BUFFER - buffered));
    this.lastAdvertised = w;
    return w;
  }

  /** Processes one segment from the guest for this connection. */
  onSegment(seg: TcpSegment): void {
    const { flags } = seg;
    switch (this.state) {
      case TcpState.Closed:
        return;
      case TcpState.SynSent:
        this.onSegmentSynSent(seg);
        return;
      case TcpState.Connecting:
        if (flags & TcpFlag.RST) this.abort(false);
        return; // a retransmitted SYN: the SYN-ACK follows the host connect
      default:
        break;
    }
    // RFC 793 §3.9 "SEGMENT ARRIVES", otherwise: sequence check first.
    if (flags & TcpFlag.RST) {
      const off = (seg.seq - this.rcvNxt) | 0;
      if (off >= 0 && off <= Math.max(this.lastAdvertised, 1)) this.abort(false);
      return;
    }
    if (flags & TcpFlag.SYN) {
      // A retransmitted SYN while we wait for the handshake's ACK: answer it again.
      if (this.state === TcpState.SynReceived && seg.seq === ((this.rcvNxt - 1) >>> 0)) {
        this.owner.emitSegment(this, TcpFlag.SYN | TcpFlag.ACK, this.iss, 0, 0);
      } else {
        this.sendAck();
      }
      return;
    }
    if (!(flags & TcpFlag.ACK)) return;
    if (this.state === TcpState.SynReceived) {
      if (seg.ack !== ((this.iss + 1) >>> 0)) {
        this.owner.emitSegment(this, TcpFlag.RST, seg.ack, 0, 0);
        return;
      }
      this.sndUna = seg.ack;
      this.sndWnd = seg.window;
      this.state = TcpState.Established;
      this.cancelTimer();
      this.resumeHost();
    } else {
      this.processAck(seg);
    }
    if (this.isClosed()) return;
    this.processData(seg);
    if (!this.isClosed()) this.pump();
  }

  /** True once the connection is over (a method, so state checks are not narrowed away). */
  isClosed(): boolean {
    return this.state === TcpState.Closed;
  }

  private onSegmentSynSent(seg: TcpSegment): void {
    const { flags } = seg;
    const ackOk = (flags & TcpFlag.ACK) !== 0 && seg.ack === ((this.iss + 1) >>> 0);
    if (flags & TcpFlag.RST) {
      if (ackOk) this.abort(true);
      return;
    }
    if (!ackOk || !(flags & TcpFlag.SYN)) {
      if (flags & TcpFlag.ACK) this.owner.emitSegment(this, TcpFlag.RST, seg.ack, 0, 0);
      return;
    }
    this.rcvNxt = (seg.seq + 1) >>> 0;
    this.sndUna = seg.ack;
    this.sndWnd = seg.window;
    this.mss = Math.min(TCP_OUR_MSS, seg.mss > 0 ? Math.max(seg.mss, 64) : 536);
    this.state = TcpState.Established;
    this.cancelTimer();
    this.sendAck();
    this.resumeHost();
  }

  private processAck(seg: TcpSegment): void {
    const acked = (seg.ack - this.sndUna) | 0;
    const inFlight = (this.sndNxt - this.sndUna) >>> 0;
    if (acked > 0 && acked <= inFlight) {
      const dataAcked = Math.min(acked, this.sendQueue.length);
      this.sendQueue.drop(dataAcked);
      this.sndUna = seg.ack;
      this.sndWnd = seg.window;
      this.retries = 0;
      this.rtoMs = RTO_INITIAL_MS;
      this.dupAcks = 0;
      this.cancelTimer();
      if ((this.sndNxt - this.sndUna) >>> 0 !== 0) this.armTimer();
      if (this.hostPaused && this.state !== TcpState.SynSent && this.sendQueue.length < SEND_BUFFER_MAX / 2) this.resumeHost();
      const finAcked = this.finSent && !seqLt(seg.ack, (this.finSeq + 1) >>> 0);
      if (finAcked) {
        if (this.state === TcpState.FinWait1) this.state = TcpState.FinWait2;
        else if (this.state === TcpState.Closing) this.enterTimeWait();
        else if (this.state === TcpState.LastAck) this.finish();
      }
    } else if (acked === 0) {
      const windowChanged = seg.window !== this.sndWnd;
      this.sndWnd = seg.window;
      if (inFlight > 0 && seg.payloadLength === 0 && !(seg.flags & TcpFlag.FIN) && !windowChanged) {
        if (++this.dupAcks === 3) this.retransmit(true);
      }
    } else if (acked > 0) {
      // Acknowledges something we never sent: answer with an ACK (RFC 793) and ignore it.
      this.sendAck();
    }
  }

  private processData(seg: TcpSegment): void {
    const fin = (seg.flags & TcpFlag.FIN) !== 0;
    const payloadLength = seg.payloadLength;
    if (payloadLength === 0 && !fin) return;
    const st = this.state;
    const guestFinSeen = st === TcpState.CloseWait || st === TcpState.LastAck || st === TcpState.Closing || st === TcpState.TimeWait;
    if (guestFinSeen) {
      this.sendAck(); // a retransmitted FIN or data after FIN: re-acknowledge
      return;
    }
    const already = (this.rcvNxt - seg.seq) | 0;
    if (already < 0 || already > payloadLength) {
      this.sendAck(); // out of order or wholly old: a duplicate ACK asks for the gap
      return;
    }
    const dataLength = payloadLength - already;
    let taken = 0;
    if (dataLength > 0) {
      if (this.socket === undefined || this.socketClosed) {
        this.owner.emitSegment(this, TcpFlag.RST | TcpFlag.ACK, this.sndNxt, 0, 0);
        this.abort(false);
        return;
      }
      taken = Math.min(dataLength, this.receiveWindowQuiet());
      if (taken > 0) {
        const start = seg.payloadStart + already;
        this.socket.write(seg.frame.subarray(start, start + taken));
        this.rcvNxt = (this.rcvNxt + taken) >>> 0;
      }
    }
    if (fin && taken === dataLength) {
      this.rcvNxt = (this.rcvNxt + 1) >>> 0;
      if (!this.socketClosed) this.socket?.end();
      if (this.state === TcpState.Established || this.state === TcpState.SynReceived) this.state = TcpState.CloseWait;
      else if (this.state === TcpState.FinWait1) this.state = TcpState.Closing;
      else if (this.state === TcpState.FinWait2) {
        this.sendAck();
        this.enterTimeWait();
        return;
      }
    }
    this.sendAck();
  }

  private receiveWindowQuiet(): number {
    const buffered = this.socket !== undefined && !this.socketClosed ? this.socket.bufferedBytes() : 0;
    return Math.max(0, RECEIVE_BUFFER - buffered);
  }

  /** Sends queued host data the guest's window allows, then our FIN once everything is out. */
  private pump(): void {
    const st = this.state;
    if (st !== TcpState.Established && st !== TcpState.CloseWait) return;
    for (;;) {
      const inFlight = (this.sndNxt - this.sndUna) >>> 0;
      if (inFlight >= this.sendQueue.length) break;
      const room = this.sndWnd - inFlight;
      if (room <= 0) break;
      const n = Math.min(this.mss, this.sendQueue.length - inFlight, room);
      this.owner.emitSegment(this, TcpFlag.ACK | TcpFlag.PSH, this.sndNxt, inFlight, n);
      this.sndNxt = (this.sndNxt + n) >>> 0;
    }
    if (this.hostEof && !this.finSent && ((this.sndNxt - this.sndUna) >>> 0) === this.sendQueue.length) {
      this.finSent = true;
      this.finSeq = this.sndNxt;
      this.owner.emitSegment(this, TcpFlag.FIN | TcpFlag.ACK, this.finSeq, 0, 0);
      this.sndNxt = (this.sndNxt + 1) >>> 0;
      this.state = st === TcpState.Established ? TcpState.FinWait1 : TcpState.LastAck;
    }
    // Something unacknowledged, or data waiting behind a zero window: the timer probes.
    if (this.timer === undefined && (this.sndNxt !== this.sndUna || this.sendQueue.length > 0)) this.armTimer();
  }

  /** Resends from `sndUna`: one segment (fast retransmit) or everything in flight (timeout). */
  private retransmit(oneSegment: boolean): void {
    const dataInFlight = Math.min((this.sndNxt - this.sndUna) >>> 0, this.sendQueue.length);
    let off = 0;
    while (off < dataInFlight) {
      const n = Math.min(this.mss, dataInFlight - off);
      this.owner.emitSegment(this, TcpFlag.ACK | TcpFlag.PSH, (this.sndUna + off) >>> 0, off, n);
      off += n;
      if (oneSegment) return;
    }
    if (this.finSent && seqLt(this.sndUna, (this.finSeq + 1) >>> 0)) {
      this.owner.emitSegment(this, TcpFlag.FIN | TcpFlag.ACK, this.finSeq, 0, 0);
    }
  }

  private onTimer(): void {
    this.timer = undefined;
    const st = this.state;
    if (st === TcpState.TimeWait || st === TcpState.Closed) {
      this.finish();
      return;
    }
    if (++this.retries > MAX_RETRIES) {
      this.owner.emitSegment(this, TcpFlag.RST | TcpFlag.ACK, this.sndNxt, 0, 0);
      this.abort(true);
      return;
    }
    if (st === TcpState.SynSent) {
      this.owner.emitSegment(this, TcpFlag.SYN, this.iss, 0, 0);
    } else if (st === TcpState.SynReceived) {
      this.owner.emitSegment(this, TcpFlag.SYN | TcpFlag.ACK, this.iss, 0, 0);
    } else if (this.sndNxt !== this.sndUna) {
      this.retransmit(false);
    } else if (this.sendQueue.length > 0 && this.sndWnd === 0) {
      // Zero-window probe (RFC 1122 §4.2.2.17): one byte beyond the window.
      this.owner.emitSegment(this, TcpFlag.ACK, this.sndNxt, 0, 1);
      this.sndNxt = (this.sndNxt + 1) >>> 0;
    } else {
      this.retries = 0;
      return;
    }
    this.rtoMs = Math.min(this.rtoMs * 2, RTO_MAX_MS);
    this.armTimer();
  }

  private armTimer(): void {
    this.cancelTimer();
    this.timer = this.owner.sockets.setTimer(this.rtoMs, () => this.onTimer());
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private sendAck(): void {
    this.owner.emitSegment(this, TcpFlag.ACK, this.sndNxt, 0, 0);
  }

  private resumeHost(): void {
    if (this.hostPaused) {
      this.hostPaused = false;
      this.socket?.resume();
    }
  }

  private enterTimeWait(): void {
    this.state = TcpState.TimeWait;
    this.cancelTimer();
    this.timer = this.owner.sockets.setTimer(TIME_WAIT_MS, () => this.onTimer());
  }

  /** Graceful end: both FINs exchanged. The host socket closes by itself once flushed. */
  private finish(): void {
    this.state = TcpState.Closed;
    this.cancelTimer();
    this.sendQueue.clear();
    this.owner.forget(this);
  }

  /** Ends the connection now, dropping the host socket. `rstGuest` also sends the guest an RST. */
  abort(rstGuest: boolean): void {
    if (this.state === TcpState.Closed) return;
    if (rstGuest) {
      const seq = this.state === TcpState.SynSent ? (this.iss + 1) >>> 0 : this.sndNxt;
      this.owner.emitSegment(this, TcpFlag.RST | TcpFlag.ACK, seq, 0, 0);
    }
    this.state = TcpState.Closed;
    this.cancelTimer();
    this.sendQueue.clear();
    if (!this.socketClosed) this.socket?.destroy();
    this.socketClosed = true;
    this.owner.forget(this);
  }

  // HostTcpEvents

  /** @inheritdoc */
  onConnect(): void {
    if (this.state !== TcpState.Connecting) return;
    this.state = TcpState.SynReceived;
    this.owner.emitSegment(this, TcpFlag.SYN | TcpFlag.ACK, this.iss, 0, 0);
    this.sndNxt = (this.iss + 1) >>> 0;
    this.armTimer();
  }

  /** @inheritdoc */
  onData(data: Uint8Array): void {
    if (this.state === TcpState.Closed || this.hostEof) return;
    this.sendQueue.push(data);
    if (this.sendQueue.length >= SEND_BUFFER_MAX && !this.hostPaused) {
      this.hostPaused = true;
      this.socket?.pause();
    }
    this.pump();
  }

  /** @inheritdoc */
  onEnd(): void {
    if (this.state === TcpState.Closed) return;
    this.hostEof = true;
    this.pump();
  }

  /** @inheritdoc */
  onDrain(): void {
    const st = this.state;
    if (st === TcpState.Established || st === TcpState.FinWait1 || st === TcpState.FinWait2) {
      if (this.lastAdvertised < this.mss && this.receiveWindowQuiet() >= this.mss) this.sendAck();
    }
  }

  /** @inheritdoc */
  onClose(hadError: boolean): void {
    this.socketClosed = true;
    if (this.state === TcpState.Closed) return;
    if (this.state === TcpState.Connecting) {
      // Connect refused or failed: RST the guest's SYN (RFC 793 "reset generation" case 1).
      this.owner.emitSegment(this, TcpFlag.RST | TcpFlag.ACK, 0, 0, 0);
      this.abort(false);
    } else if (hadError) {
      this.abort(true);
    } else if (!this.hostEof) {
      this.onEnd();
    }
  }
}
