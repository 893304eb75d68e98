// The socket network backend: Ethernet frames carried over one TCP connection between two
// Banquise processes, each frame preceded by its length as a 32-bit big-endian integer (the
// framing of QEMU's `-netdev socket` stream mode), so two guests share one segment.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { NET_MAX_FRAME_BYTES, NET_MIN_FRAME_BYTES, type NetBackend } from '../../../devices/virtio/net/net-backend.js';

/** Validated settings of a socket backend. */
export interface SocketNetConfig {
  /** `listen`: wait for the peer on host:port; `connect`: reach the peer at host:port. */
  readonly mode: 'listen' | 'connect';
  readonly host: string;
  /** TCP port (0 with `listen`: any free port, see `port()`). */
  readonly port: number;
}

/** Counters of a socket backend. */
export interface SocketNetStats {
  txFrames: number;
  rxFrames: number;
  /** Frames dropped: no peer, or the peer does not read fast enough. */
  txDropped: number;
  /** Connections dropped because the peer sent a bad length. */
  protocolErrors: number;
}

/** Bytes queued towards a slow peer beyond which frames are dropped (Ethernet may drop). */
const MAX_QUEUED_BYTES = 4 << 20;
const RECONNECT_MS = 1000;

/** A `NetBackend` that exchanges frames with one peer over TCP. */
export class SocketNetBackend implements NetBackend {
  /** Counters. */
  readonly stats: SocketNetStats = { txFrames: 0, rxFrames: 0, txDropped: 0, protocolErrors: 0 };
  private deliver: ((frame: Uint8Array) => void) | undefined;
  private peer: Socket | undefined;
  private server: Server | undefined;
  private closed = false;
  private retry: ReturnType<typeof setTimeout> | undefined;
  /** Receive state: 4 length bytes, then the frame. */
  private readonly rxBuf = new Uint8Array(NET_MAX_FRAME_BYTES);
  private readonly lenBuf = new Uint8Array(4);
  private lenHave = 0;
  private frameLen = -1;
  private frameHave = 0;
  private readonly listening: Promise<number>;

  private failedConnects = 0;

  /** `notice` gets one line when the peer cannot be reached (then retries every second) and when it is. */
  constructor(
    private readonly config: SocketNetConfig,
    private readonly notice: (line: string) => void = () => undefined,
  ) {
    if (config.mode === 'listen') {
      const server = createServer((sock) => {
        if (this.peer !== undefined || this.closed) {
          sock.destroy(); // one peer at a time, as a point-to-point segment
          return;
        }
        this.attach(sock);
      });
      this.server = server;
      server.unref();
      this.listening = new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const a = server.address();
          resolve(typeof a === 'object' && a !== null ? a.port : config.port);
        });
      });
      this.listening.catch(() => undefined);
    } else {
      this.listening = Promise.resolve(config.port);
      this.connect();
    }
  }

  /** The TCP port listened on (or connected to) once known. */
  port(): Promise<number> {
    return this.listening;
  }

  /** True while a peer is connected. */
  connected(): boolean {
    return this.peer !== undefined;
  }

  private connect(): void {
    if (this.closed) return;
    const sock = createConnection({ host: this.config.host, port: this.config.port });
    sock.once('connect', () => {
      if (this.failedConnects > 0) this.notice(`--net socket,connect=${this.config.host}:${this.config.port}: connected to the peer`);
      this.failedConnects = 0;
      this.attach(sock);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      if (this.failedConnects++ === 0) {
        const why = err.code === 'ECONNREFUSED' ? 'nothing listens there yet' : err.message;
        this.notice(`--net socket,connect=${this.config.host}:${this.config.port}: ${why}; retrying every second (start the peer with --net socket,listen=…)`);
      }
    });
    sock.once('close', () => {
      if (this.peer === undefined && !this.closed) this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.retry !== undefined || this.closed) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.connect();
    }, RECONNECT_MS);
    this.retry.unref();
  }

  private attach(sock: Socket): void {
    this.peer = sock;
    this.lenHave = 0;
    this.frameLen = -1;
    this.frameHave = 0;
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.onData(sock, d));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      if (this.peer === sock) this.peer = undefined;
      if (this.config.mode === 'connect') this.scheduleReconnect();
    });
  }

  private onData(sock: Socket, d: Uint8Array): void {
    let i = 0;
    while (i < d.length && this.peer === sock) {
      if (this.frameLen < 0) {
        const n = Math.min(4 - this.lenHave, d.length - i);
        this.lenBuf.set(d.subarray(i, i + n), this.lenHave);
        this.lenHave += n;
        i += n;
        if (this.lenHave < 4) return;
        const b = this.lenBuf;
        const len = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
        if (len < NET_MIN_FRAME_BYTES || len > NET_MAX_FRAME_BYTES) {
          this.stats.protocolErrors++;
          this.peer = undefined;
          sock.destroy();
          return;
        }
        this.frameLen = len;
        this.frameHave = 0;
        continue;
      }
      const n = Math.min(this.frameLen - this.frameHave, d.length - i);
      this.rxBuf.set(d.subarray(i, i + n), this.frameHave);
      this.frameHave += n;
      i += n;
      if (this.frameHave === this.frameLen) {
        this.stats.rxFrames++;
        this.deliver?.(this.rxBuf.subarray(0, this.frameLen));
        this.frameLen = -1;
        this.lenHave = 0;
      }
    }
  }

  /** @inheritdoc */
  send(frame: Uint8Array): void {
    const p = this.peer;
    if (p === undefined || frame.length > NET_MAX_FRAME_BYTES || p.writableLength > MAX_QUEUED_BYTES) {
      this.stats.txDropped++;
      return;
    }
    const out = Buffer.allocUnsafe(4 + frame.length);
    out.writeUInt32BE(frame.length, 0);
    out.set(frame, 4);
    p.write(out);
    this.stats.txFrames++;
  }

  /** @inheritdoc */
  onReceive(cb: (frame: Uint8Array) => void): void {
    this.deliver = cb;
  }

  /** @inheritdoc */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retry !== undefined) clearTimeout(this.retry);
    this.peer?.destroy();
    this.peer = undefined;
    this.server?.close();
  }
}
