// virtio socket device (virtio 1.2 §5.10): stream sockets between the guest (its CID) and the
// host (CID 2), with credit-based flow control. Platform-free: the host side of each
// connection is a `VsockConnection` handed to an injected `VsockBackend`.
import { ChainStatus, DescriptorChain } from '../virtqueue.js';
import { VirtioDeviceBase, VirtioDeviceId, VIRTIO_F_VERSION_1 } from '../virtio-device.js';

/** Well-known CID of the host. */
export const VMADDR_CID_HOST = 2;
/** Stream socket type (the only one offered; no VIRTIO_VSOCK_F_SEQPACKET). */
export const VIRTIO_VSOCK_TYPE_STREAM = 1;
/** Packet operations (§5.10.6). */
export const enum VsockOp {
  VIRTIO_VSOCK_OP_INVALID = 0,
  VIRTIO_VSOCK_OP_REQUEST = 1,
  VIRTIO_VSOCK_OP_RESPONSE = 2,
  VIRTIO_VSOCK_OP_RST = 3,
  VIRTIO_VSOCK_OP_SHUTDOWN = 4,
  VIRTIO_VSOCK_OP_RW = 5,
  VIRTIO_VSOCK_OP_CREDIT_UPDATE = 6,
  VIRTIO_VSOCK_OP_CREDIT_REQUEST = 7,
}
/** SHUTDOWN flag: the sender will receive no more data. */
export const VIRTIO_VSOCK_SHUTDOWN_RCV = 1;
/** SHUTDOWN flag: the sender will send no more data. */
export const VIRTIO_VSOCK_SHUTDOWN_SEND = 2;
/** virtio_vsock_event.id: the transport was reset (after a restore or migration, §5.10.6.7). */
export const VIRTIO_VSOCK_EVENT_TRANSPORT_RESET = 0;
/** Size of struct virtio_vsock_hdr. */
export const VSOCK_HDR_BYTES = 44;
/** Receive buffer space the host side announces per connection (buf_alloc). */
export const VSOCK_HOST_BUF_ALLOC = 256 * 1024;

const QUEUE_SIZE = 128;
const RXQ = 0;
const TXQ = 1;
const EVENTQ = 2;
const MAX_CONNECTIONS = 1024;
const MAX_CONTROL_PACKETS = 1024;
/** Host data queued towards the guest beyond which `send` asks the host to pause. */
const SEND_HIGH_WATER = 256 * 1024;
/** Largest payload put in one packet (Linux's rx buffers are 4 KiB anyway). */
const MAX_PAYLOAD = 64 * 1024;
/** First host port given to host-initiated connections. */
const FIRST_EPHEMERAL_PORT = 0x4000_0000;

/** Host side of the device: what the node (or browser) integration implements. */
export interface VsockBackend {
  /** Called once by the device constructor so the backend can open host-initiated connections. */
  start(device: VirtioVsockDevice): void;
  /**
   * The guest connects to host port `conn.hostPort`: set the callbacks, then call
   * `conn.accept()` or `conn.reject()` (now or later).
   */
  onGuestConnect(conn: VsockConnection): void;
  /** The domain is gone: release host resources (listening socket and its file). */
  close?(): void;
}

const enum ConnState {
  /** Host-initiated: REQUEST sent, waiting for RESPONSE. */
  Connecting,
  /** Guest-initiated: waiting for the backend to accept. */
  Accepting,
  Connected,
  Closed,
}

/** One stream connection, as the host sees it. Set the `on*` callbacks; call the methods. */
export class VsockConnection {
  /** Bytes from the guest; the host calls `ack(n)` once it consumed them (credit). */
  onData: (data: Uint8Array) => void = () => {};
  /** The guest will send no more data. */
  onEnd: () => void = () => {};
  /** The connection is gone (RST, full shutdown, device reset). Called once. */
  onClose: () => void = () => {};
  /** A host-initiated connection was accepted by the guest. */
  onConnect: () => void = () => {};
  /** Queued host data fell below the high-water mark after `send` returned false. */
  onDrain: () => void = () => {};

  /** @internal */ state: ConnState;
  /** @internal guest's buf_alloc and fwd_cnt (its receive credit). */ peerBufAlloc = 0;
  /** @internal */ peerFwdCnt = 0;
  /** @internal bytes sent to the guest. */ txCnt = 0;
  /** @internal bytes received from the guest. */ rxCnt = 0;
  /** @internal bytes from the guest the host consumed. */ fwdCnt = 0;
  /** @internal fwd_cnt last told to the guest. */ reportedFwdCnt = 0;
  /** @internal host data waiting for guest credit / rx buffers. */ readonly pending: Uint8Array[] = [];
  /** @internal offset into pending[0]. */ pendingOffset = 0;
  /** @internal */ pendingBytes = 0;
  /** @internal the host called `end()`; SHUTDOWN goes out once pending data is sent. */ hostEnded = false;
  /** @internal */ shutdownSent = false;
  /** @internal */ wantDrain = false;
  /** @internal in the device's ready list. */ inReady = false;
  /** @internal close (SHUTDOWN both) once pending data is out. */ closeWhenSent = false;
  /** @internal a CREDIT_UPDATE is waiting in the control queue. */ creditQueued = false;

  constructor(
    private readonly device: VirtioVsockDevice,
    /** Port on the host side (CID 2). */
    readonly hostPort: number,
    /** Port on the guest side. */
    readonly guestPort: number,
    state: ConnState,
  ) {
    this.state = state;
  }

  /** Accepts a guest-initiated connection (sends RESPONSE). */
  accept(): void {
    this.device.acceptConnection(this);
  }

  /** Refuses a guest-initiated connection (sends RST). */
  reject(): void {
    this.device.closeConnection(this, true);
  }

  /** Queues host data for the guest; false if the host should pause until `onDrain`. */
  send(data: Uint8Array): boolean {
    return this.device.sendData(this, data);
  }

  /** The host consumed `n` bytes it got through `onData` (returns receive credit to the guest). */
  ack(n: number): void {
    this.device.ackData(this, n);
  }

  /** The host will send no more data (SHUTDOWN SEND once queued data is out). */
  end(): void {
    this.device.endConnection(this);
  }

  /** Closes the connection (SHUTDOWN both directions, then forgotten). */
  close(): void {
    this.device.closeConnection(this, false);
  }

  /** True until closed. */
  get open(): boolean {
    return this.state !== ConnState.Closed;
  }
}

const enum SendResult {
  Done,
  More,
  NoBuffer,
}

/** A control packet waiting for an rx buffer. */
interface ControlPacket {
  op: number;
  hostPort: number;
  guestPort: number;
  flags: number;
  conn: VsockConnection | undefined;
}

/** virtio-vsock: rx, tx and event queues; stream connections with credit flow control. */
export class VirtioVsockDevice extends VirtioDeviceBase {
  readonly deviceId = VirtioDeviceId.Vsock;
  readonly deviceFeatures = VIRTIO_F_VERSION_1;
  readonly queueCount = 3;
  /** The guest's context id. */
  readonly guestCid: number;
  /** Packets dropped: bad addresses, over-credit data, control queue overflow. */
  dropped = 0;
  private readonly conns = new ConnTable();
  private readonly control: ControlPacket[] = [];
  /** Connections with data to send, in round-robin order. */
  private readonly ready: VsockConnection[] = [];
  private readonly chain = new DescriptorChain(QUEUE_SIZE);
  private readonly hdr = new Uint8Array(VSOCK_HDR_BYTES);
  private readonly hdrView = new DataView(this.hdr.buffer);
  private rxScheduled = false;
  private rxUsed = 0;
  private transportResetPending = false;
  private nextPort = FIRST_EPHEMERAL_PORT;

  constructor(guestCid: number, private readonly backend: VsockBackend) {
    super(8);
    this.guestCid = guestCid;
    this.configView.setBigUint64(0, BigInt(guestCid), true); // guest_cid
    backend.start(this);
  }

  queueMaxSize(): number {
    return QUEUE_SIZE;
  }

  /** The domain ended for good: the backend releases its host resources (e.g. removes its socket). */
  close(): void {
    this.backend.close?.();
  }

  /** Number of open connections. */
  get connectionCount(): number {
    return this.conns.size;
  }

  /**
   * Opens a host-initiated connection to guest port `guestPort` (REQUEST). `onConnect` fires
   * on RESPONSE, `onClose` on RST. Returns undefined if the driver is not running or too many
   * connections are open.
   */
  connect(guestPort: number): VsockConnection | undefined {
    if (this.ctx === undefined || this.conns.size >= MAX_CONNECTIONS) return undefined;
    let port = this.nextPort;
    while (this.conns.has(port, guestPort >>> 0)) port = port >= 0xfffffffe ? FIRST_EPHEMERAL_PORT : port + 1;
    this.nextPort = port >= 0xfffffffe ? FIRST_EPHEMERAL_PORT : port + 1;
    const conn = new VsockConnection(this, port, guestPort >>> 0, ConnState.Connecting);
    this.conns.set(conn);
    this.queueControl(VsockOp.VIRTIO_VSOCK_OP_REQUEST, conn.hostPort, conn.guestPort, 0, conn);
    return conn;
  }

  override reset(): void {
    super.reset();
    const all = this.conns.drain();
    this.control.length = 0;
    for (const c of this.ready) c.inReady = false;
    this.ready.length = 0;
    this.rxScheduled = false;
    this.transportResetPending = false;
    for (const c of all) this.markClosed(c);
  }

  processQueue(q: number): void {
    if (q === TXQ) this.processTx();
    else if (q === RXQ) this.processRx();
    else if (q === EVENTQ) this.processEvent();
  }

  /**
   * Connections do not survive a snapshot (their host ends are sockets): the saved state is
   * empty, and a restore sends VIRTIO_VSOCK_EVENT_TRANSPORT_RESET so the guest drops them.
   */
  saveState(): Record<string, never> {
    return {};
  }

  restoreState(): void {
    this.transportResetPending = true;
  }

  /** The event queue holds driver buffers until an event happens (only TRANSPORT_RESET exists). */
  private processEvent(): void {
    const ctx = this.ctx;
    if (ctx === undefined || !this.transportResetPending) return;
    const vq = ctx.queues[EVENTQ]!;
    const st = vq.pop(this.chain);
    if (st === ChainStatus.Empty || st === ChainStatus.NotReady) return;
    if (st !== ChainStatus.Ok) {
      this.malformed(EVENTQ, st);
      return;
    }
    this.transportResetPending = false;
    this.hdr.fill(0, 0, 4);
    this.hdrView.setUint32(0, VIRTIO_VSOCK_EVENT_TRANSPORT_RESET, true);
    const n = this.chain.writeTo(ctx.mem, 0, this.hdr, 0, 4);
    vq.pushUsed(this.chain.head, n);
    ctx.notifyUsed(EVENTQ);
  }

  // ---- called by VsockConnection ----

  /** @internal */
  acceptConnection(conn: VsockConnection): void {
    if (conn.state !== ConnState.Accepting) return;
    conn.state = ConnState.Connected;
    this.queueControl(VsockOp.VIRTIO_VSOCK_OP_RESPONSE, conn.hostPort, conn.guestPort, 0, conn);
  }

  /** @internal */
  closeConnection(conn: VsockConnection, rst: boolean): void {
    if (conn.state === ConnState.Closed) return;
    if (!rst && conn.state === ConnState.Connected && conn.pendingBytes > 0) {
      // Graceful close: the queued data goes out first.
      conn.hostEnded = true;
      conn.closeWhenSent = true;
      this.markReady(conn);
      return;
    }
    this.conns.delete(conn);
    if (rst || conn.state !== ConnState.Connected) {
      this.queueControl(VsockOp.VIRTIO_VSOCK_OP_RST, conn.hostPort, conn.guestPort, 0, undefined);
    } else {
      this.queueControl(VsockOp.VIRTIO_VSOCK_OP_SHUTDOWN, conn.hostPort, conn.guestPort, VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND, undefined);
    }
    this.markClosed(conn);
  }

  /** @internal */
  sendData(conn: VsockConnection, data: Uint8Array): boolean {
    if (conn.state === ConnState.Closed || conn.hostEnded) return false;
    if (data.length > 0) {
      conn.pending.push(data);
      conn.pendingBytes += data.length;
      this.markReady(conn);
    }
    const ok = conn.pendingBytes < SEND_HIGH_WATER;
    if (!ok) conn.wantDrain = true;
    return ok;
  }

  /** @internal */
  ackData(conn: VsockConnection, n: number): void {
    if (conn.state !== ConnState.Connected || !(n > 0)) return;
    conn.fwdCnt = (conn.fwdCnt + n) >>> 0;
    // Tell the guest once a quarter of its window came back (it also learns from every packet).
    if (!conn.creditQueued && ((conn.fwdCnt - conn.reportedFwdCnt) >>> 0) >= VSOCK_HOST_BUF_ALLOC / 4) {
      conn.creditQueued = true;
      this.queueControl(VsockOp.VIRTIO_VSOCK_OP_CREDIT_UPDATE, conn.hostPort, conn.guestPort, 0, conn);
    }
  }

  /** @internal */
  endConnection(conn: VsockConnection): void {
    if (conn.state === ConnState.Closed || conn.hostEnded) return;
    conn.hostEnded = true;
    this.markReady(conn);
  }

  // ---- internals ----

  private markClosed(conn: VsockConnection): void {
    if (conn.state === ConnState.Closed) return;
    conn.state = ConnState.Closed;
    conn.pending.length = 0;
    conn.pendingBytes = 0;
    conn.onClose();
  }

  private markReady(conn: VsockConnection): void {
    if (!conn.inReady) {
      conn.inReady = true;
      this.ready.push(conn);
    }
    this.kick();
  }

  private queueControl(op: number, hostPort: number, guestPort: number, flags: number, conn: VsockConnection | undefined): void {
    if (this.control.length >= MAX_CONTROL_PACKETS) {
      this.dropped++;
      return;
    }
    this.control.push({ op, hostPort, guestPort, flags, conn });
    this.kick();
  }

  /** Schedules an rx pass (never runs inline: callers may be inside a tx pass or a host callback). */
  private kick(): void {
    const ctx = this.ctx;
    if (ctx === undefined || this.rxScheduled) return;
    this.rxScheduled = true;
    ctx.schedule(() => {
      this.rxScheduled = false;
      this.processRx();
    });
  }

  /** Fills the header scratch for a packet from the host to the guest. */
  private header(op: number, hostPort: number, guestPort: number, len: number, flags: number, conn: VsockConnection | undefined): void {
    const v = this.hdrView;
    v.setBigUint64(0, BigInt(VMADDR_CID_HOST), true); // src_cid
    v.setBigUint64(8, BigInt(this.guestCid), true); // dst_cid
    v.setUint32(16, hostPort, true); // src_port
    v.setUint32(20, guestPort, true); // dst_port
    v.setUint32(24, len, true); // len
    v.setUint16(28, VIRTIO_VSOCK_TYPE_STREAM, true); // type
    v.setUint16(30, op, true); // op
    v.setUint32(32, flags, true); // flags
    v.setUint32(36, conn ? VSOCK_HOST_BUF_ALLOC : 0, true); // buf_alloc
    v.setUint32(40, conn ? conn.fwdCnt : 0, true); // fwd_cnt
    if (conn) conn.reportedFwdCnt = conn.fwdCnt;
  }

  /** Pops one rx buffer able to hold a header; undefined if none (or the queue broke). */
  private popRx(): DescriptorChain | undefined {
    const ctx = this.ctx!;
    const vq = ctx.queues[RXQ]!;
    for (;;) {
      const st = vq.pop(this.chain);
      if (st === ChainStatus.Empty || st === ChainStatus.NotReady) return undefined;
      if (st !== ChainStatus.Ok) {
        this.malformed(RXQ, st);
        return undefined;
      }
      if (this.chain.writableBytes >= VSOCK_HDR_BYTES) return this.chain;
      // Too small for a header: give it back empty.
      this.counters.badRequests++;
      vq.pushUsed(this.chain.head, 0);
    }
  }

  /** Sends control packets, then data, while the guest has rx buffers. */
  private processRx(): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    this.rxUsed = 0;
    let budget = 4 * QUEUE_SIZE; // packets per pass; the rest goes in a later pass
    if (this.flushControl()) {
      while (this.ready.length > 0 && budget-- > 0 && this.ctx !== undefined) {
        const conn = this.ready[0]!;
        const r = this.sendFrom(conn);
        if (r === SendResult.NoBuffer) break;
        this.ready.shift();
        if (r === SendResult.More) this.ready.push(conn);
        else conn.inReady = false;
      }
      this.flushControl();
      if (budget < 0 && this.ready.length > 0) this.kick();
    }
    if (this.rxUsed > 0 && this.ctx !== undefined) ctx.notifyUsed(RXQ);
  }

  /** Sends queued control packets; true if all went out. */
  private flushControl(): boolean {
    const ctx = this.ctx;
    if (ctx === undefined) return false;
    const vq = ctx.queues[RXQ]!;
    while (this.control.length > 0) {
      const c = this.popRx();
      if (c === undefined) return false;
      const p = this.control.shift()!;
      if (p.conn !== undefined && p.op === VsockOp.VIRTIO_VSOCK_OP_CREDIT_UPDATE) p.conn.creditQueued = false;
      this.header(p.op, p.hostPort, p.guestPort, 0, p.flags, p.conn && p.conn.state !== ConnState.Closed ? p.conn : undefined);
      c.writeTo(ctx.mem, 0, this.hdr);
      vq.pushUsed(c.head, VSOCK_HDR_BYTES);
      this.rxUsed++;
    }
    return true;
  }

  /**
   * Sends as much of `conn`'s pending data as credit and one rx buffer allow. Returns More if it
   * has more to send now, Done if finished or blocked on credit, NoBuffer if no rx buffer was free.
   */
  private sendFrom(conn: VsockConnection): SendResult {
    if (conn.state !== ConnState.Connected) return SendResult.Done;
    const ctx = this.ctx!;
    const credit = conn.peerBufAlloc - ((conn.txCnt - conn.peerFwdCnt) >>> 0);
    if (conn.pendingBytes > 0 && credit > 0) {
      const c = this.popRx();
      if (c === undefined) return SendResult.NoBuffer;
      const room = Math.min(c.writableBytes - VSOCK_HDR_BYTES, credit, MAX_PAYLOAD, conn.pendingBytes);
      let sent = 0;
      while (sent < room) {
        const chunk = conn.pending[0]!;
        const n = Math.min(chunk.length - conn.pendingOffset, room - sent);
        c.writeTo(ctx.mem, VSOCK_HDR_BYTES + sent, chunk, conn.pendingOffset, n);
        sent += n;
        conn.pendingOffset += n;
        if (conn.pendingOffset === chunk.length) {
          conn.pending.shift();
          conn.pendingOffset = 0;
        }
      }
      conn.pendingBytes -= sent;
      conn.txCnt = (conn.txCnt + sent) >>> 0;
      this.header(VsockOp.VIRTIO_VSOCK_OP_RW, conn.hostPort, conn.guestPort, sent, 0, conn);
      c.writeTo(ctx.mem, 0, this.hdr);
      ctx.queues[RXQ]!.pushUsed(c.head, VSOCK_HDR_BYTES + sent);
      this.rxUsed++;
      if (conn.wantDrain && conn.pendingBytes < SEND_HIGH_WATER / 2) {
        conn.wantDrain = false;
        conn.onDrain();
      }
    }
    if (conn.pendingBytes === 0 && conn.closeWhenSent) {
      this.closeConnection(conn, false);
      return SendResult.Done;
    }
    if (conn.pendingBytes === 0 && conn.hostEnded && !conn.shutdownSent) {
      conn.shutdownSent = true;
      this.queueControl(VsockOp.VIRTIO_VSOCK_OP_SHUTDOWN, conn.hostPort, conn.guestPort, VIRTIO_VSOCK_SHUTDOWN_SEND, conn);
      return SendResult.Done;
    }
    if (conn.pendingBytes > 0 && conn.peerBufAlloc - ((conn.txCnt - conn.peerFwdCnt) >>> 0) <= 0) {
      // Out of guest credit: ask for an update (the guest also sends one when it reads).
      this.queueControl(VsockOp.VIRTIO_VSOCK_OP_CREDIT_REQUEST, conn.hostPort, conn.guestPort, 0, conn);
      return SendResult.Done;
    }
    return conn.pendingBytes > 0 ? SendResult.More : SendResult.Done;
  }

  /** Handles every packet the guest sent. */
  private processTx(): void {
    const ctx = this.ctx;
    if (ctx === undefined) return;
    const vq = ctx.queues[TXQ]!;
    const c = this.chain;
    let used = 0;
    for (;;) {
      const st = vq.pop(c);
      if (st === ChainStatus.Empty || st === ChainStatus.NotReady) break;
      if (st !== ChainStatus.Ok) {
        this.malformed(TXQ, st);
        return;
      }
      this.handlePacket(c);
      if (this.ctx === undefined) return;
      vq.pushUsed(c.head, 0);
      used++;
    }
    if (used > 0) ctx.notifyUsed(TXQ);
  }

  private handlePacket(c: DescriptorChain): void {
    const ctx = this.ctx!;
    if (c.readableBytes < VSOCK_HDR_BYTES) {
      this.counters.badRequests++;
      return;
    }
    c.readFrom(ctx.mem, 0, this.hdr);
    const v = this.hdrView;
    const srcCid = v.getBigUint64(0, true);
    const dstCid = v.getBigUint64(8, true);
    const guestPort = v.getUint32(16, true);
    const hostPort = v.getUint32(20, true);
    const len = v.getUint32(24, true);
    const type = v.getUint16(28, true);
    const op = v.getUint16(30, true);
    const flags = v.getUint32(32, true);
    const bufAlloc = v.getUint32(36, true);
    const fwdCnt = v.getUint32(40, true);
    if (srcCid !== BigInt(this.guestCid) || dstCid !== BigInt(VMADDR_CID_HOST) || len > c.readableBytes - VSOCK_HDR_BYTES) {
      this.counters.badRequests++;
      this.dropped++;
      return;
    }
    const conn = this.conns.get(hostPort, guestPort);
    if (op === VsockOp.VIRTIO_VSOCK_OP_RST) {
      if (conn) {
        this.conns.delete(conn);
        this.markClosed(conn);
      }
      return;
    }
    if (type !== VIRTIO_VSOCK_TYPE_STREAM) {
      this.counters.badRequests++;
      this.queueControl(VsockOp.VIRTIO_VSOCK_OP_RST, hostPort, guestPort, 0, undefined);
      return;
    }
    if (conn) {
      conn.peerBufAlloc = bufAlloc;
      conn.peerFwdCnt = fwdCnt;
    }
    switch (op) {
      case VsockOp.VIRTIO_VSOCK_OP_REQUEST: {
        if (conn !== undefined || this.conns.size >= MAX_CONNECTIONS) {
          this.counters.badRequests++; // a duplicate, or the table is full (MAX_CONNECTIONS)
          this.queueControl(VsockOp.VIRTIO_VSOCK_OP_RST, hostPort, guestPort, 0, undefined);
          return;
        }
        const nc = new VsockConnection(this, hostPort, guestPort, ConnState.Accepting);
        nc.peerBufAlloc = bufAlloc;
        nc.peerFwdCnt = fwdCnt;
        this.conns.set(nc);
        this.backend.onGuestConnect(nc);
        return;
      }
      case VsockOp.VIRTIO_VSOCK_OP_RESPONSE:
        if (conn?.state === ConnState.Connecting) {
          conn.state = ConnState.Connected;
          conn.onConnect();
          if (conn.pendingBytes > 0 || conn.hostEnded) this.markReady(conn);
        } else {
          if (conn) this.closeConnection(conn, true);
          else this.queueControl(VsockOp.VIRTIO_VSOCK_OP_RST, hostPort, guestPort, 0, undefined);
        }
        return;
      case VsockOp.VIRTIO_VSOCK_OP_RW: {
        if (conn?.state !== ConnState.Connected) {
          this.queueControl(VsockOp.VIRTIO_VSOCK_OP_RST, hostPort, guestPort, 0, undefined);
          return;
        }
        // The guest may not exceed the credit we announced (§5.10.6.3).
        if (((conn.rxCnt - conn.fwdCnt) >>> 0) + len > VSOCK_HOST_BUF_ALLOC) {
          this.counters.badRequests++;
          this.dropped++;
          this.closeConnection(conn, true);
          return;
        }
        if (len > 0) {
          const data = new Uint8Array(len);
          c.readFrom(ctx.mem, VSOCK_HDR_BYTES, data);
          conn.rxCnt = (conn.rxCnt + len) >>> 0;
          conn.onData(data);
        }
        if (conn.pendingBytes > 0) this.markReady(conn);
        return;
      }
      case VsockOp.VIRTIO_VSOCK_OP_SHUTDOWN:
        if (!conn) {
          this.queueControl(VsockOp.VIRTIO_VSOCK_OP_RST, hostPort, guestPort, 0, undefined);
          return;
        }
        if ((flags & (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND)) === (VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND)) {
          // Full close: the guest waits for our RST.
          conn.onEnd();
          this.closeConnection(conn, true);
          return;
        }
        if (flags & VIRTIO_VSOCK_SHUTDOWN_SEND) conn.onEnd();
        if (flags & VIRTIO_VSOCK_SHUTDOWN_RCV) {
          conn.pending.length = 0;
          conn.pendingBytes = 0;
          conn.pendingOffset = 0;
          if (conn.closeWhenSent) this.markReady(conn);
        }
        return;
      case VsockOp.VIRTIO_VSOCK_OP_CREDIT_UPDATE:
        if (conn) {
          if (conn.pendingBytes > 0) this.markReady(conn);
        } else {
          this.queueControl(VsockOp.VIRTIO_VSOCK_OP_RST, hostPort, guestPort, 0, undefined);
        }
        return;
      case VsockOp.VIRTIO_VSOCK_OP_CREDIT_REQUEST:
        if (conn) this.queueControl(VsockOp.VIRTIO_VSOCK_OP_CREDIT_UPDATE, hostPort, guestPort, 0, conn);
        else this.queueControl(VsockOp.VIRTIO_VSOCK_OP_RST, hostPort, guestPort, 0, undefined);
        return;
      default:
        this.counters.badRequests++;
        this.queueControl(VsockOp.VIRTIO_VSOCK_OP_RST, hostPort, guestPort, 0, undefined);
    }
  }
}

/** Connections by (host port, guest port): two-level map, exact for any u32 ports, no allocation per lookup. */
class ConnTable {
  private readonly byHost = new Map<number, Map<number, VsockConnection>>();
  size = 0;
  get(hostPort: number, guestPort: number): VsockConnection | undefined {
    return this.byHost.get(hostPort)?.get(guestPort);
  }
  has(hostPort: number, guestPort: number): boolean {
    return this.get(hostPort, guestPort) !== undefined;
  }
  set(conn: VsockConnection): void {
    let m = this.byHost.get(conn.hostPort);
    if (m === undefined) this.byHost.set(conn.hostPort, (m = new Map()));
    if (!m.has(conn.guestPort)) this.size++;
    m.set(conn.guestPort, conn);
  }
  delete(conn: VsockConnection): void {
    const m = this.byHost.get(conn.hostPort);
    if (m?.get(conn.guestPort) !== conn) return;
    m.delete(conn.guestPort);
    this.size--;
    if (m.size === 0) this.byHost.delete(conn.hostPort);
  }
  /** Removes and returns every connection. */
  drain(): VsockConnection[] {
    const all: VsockConnection[] = [];
    for (const m of this.byHost.values()) for (const c of m.values()) all.push(c);
    this.byHost.clear();
    this.size = 0;
    return all;
  }
}
