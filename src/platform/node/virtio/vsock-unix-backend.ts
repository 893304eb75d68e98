// VsockBackend on Unix sockets (the Firecracker convention):
//  - host → guest: a host program connects to PATH, writes `CONNECT <port>\n`, gets
//    `OK <hostport>\n`, then the stream is relayed to the guest's listening port;
//  - guest → host: a guest connection to host port P is relayed to the Unix socket `PATH_P`.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { unlinkSync } from 'node:fs';
import { socketPathError } from '../socket-path-error.js';
import type { VirtioVsockDevice, VsockBackend, VsockConnection } from '../../../devices/virtio/vsock/vsock-device.js';
import { NULL_LOGGER, type Logger } from '../../../base/logger.js';

/** Longest `CONNECT <port>\n` line accepted. */
const MAX_LINE = 64;

/** Relays vsock streams to and from Unix sockets rooted at `path`. */
export class VsockUnixBackend implements VsockBackend {
  private server: Server | undefined;
  private device: VirtioVsockDevice | undefined;
  private readonly sockets = new Set<Socket>();
  private bound: Promise<void> = Promise.resolve();

  constructor(
    /** Path of the listening Unix socket; guest-initiated connections go to `${path}_${port}`. */
    readonly path: string,
    /** Where a listening failure is reported (source `vsock`). */
    private readonly log: Logger = NULL_LOGGER,
  ) {}

  start(device: VirtioVsockDevice): void {
    this.device = device;
    unlinkIfPresent(this.path); // a stale socket from an earlier run
    const server = createServer({ allowHalfOpen: true }, (s) => this.hostConnection(s));
    this.bound = new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', (err: NodeJS.ErrnoException) => reject(socketPathError('--vsock uds=', this.path, err)));
    });
    this.bound.catch(() => undefined); // reported through listening()
    // After listening, errors are logged (the guest runs on; host programs cannot connect).
    server.on('error', (err) => {
      this.log.count('vsock', 'hostError');
      this.log.log('error', 'vsock', `${this.path}: ${err.message}`);
    });
    server.listen(this.path);
    // The guest's run loop, not this socket, decides when the process ends.
    server.unref();
    this.server = server;
  }

  /** Resolves once the listening socket exists; rejects with a BanquiseError saying why it cannot. */
  listening(): Promise<void> {
    return this.bound;
  }

  onGuestConnect(conn: VsockConnection): void {
    const sock = connect({ path: `${this.path}_${conn.hostPort}`, allowHalfOpen: true });
    let connected = false;
    sock.once('connect', () => {
      connected = true;
      conn.accept();
      this.relay(sock, conn);
    });
    sock.once('error', () => {
      if (!connected) conn.reject();
    });
  }

  /** A host program connected to `path`: read the CONNECT line, then relay. */
  private hostConnection(sock: Socket): void {
    this.sockets.add(sock);
    sock.once('close', () => this.sockets.delete(sock));
    sock.on('error', () => {});
    let line = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      line = Buffer.concat([line, chunk]);
      const nl = line.indexOf(10);
      if (nl < 0) {
        if (line.length > MAX_LINE) sock.destroy();
        return;
      }
      sock.off('data', onData);
      sock.pause();
      const m = /^CONNECT (\d{1,10})\r?$/.exec(line.subarray(0, nl).toString('latin1'));
      const rest = line.subarray(nl + 1);
      const port = m ? Number(m[1]) : -1;
      const conn = port >= 0 && port <= 0xffffffff ? this.device?.connect(port) : undefined;
      if (conn === undefined) {
        sock.destroy();
        return;
      }
      conn.onConnect = () => {
        sock.write(`OK ${conn.hostPort}\n`);
        this.relay(sock, conn);
        if (rest.length > 0) conn.send(new Uint8Array(rest));
      };
      conn.onClose = () => sock.destroy();
    };
    sock.on('data', onData);
  }

  /** Pipes a connected socket and a vsock connection both ways, with backpressure. */
  private relay(sock: Socket, conn: VsockConnection): void {
    this.sockets.add(sock);
    sock.unref();
    sock.on('data', (d: Buffer) => {
      if (!conn.send(new Uint8Array(d.buffer, d.byteOffset, d.length))) sock.pause();
    });
    conn.onDrain = () => sock.resume();
    sock.on('end', () => conn.end());
    sock.on('close', () => {
      this.sockets.delete(sock);
      conn.close();
    });
    sock.on('error', () => {});
    conn.onData = (d) => {
      sock.write(d, () => conn.ack(d.length));
    };
    conn.onEnd = () => sock.end();
    // Flush what the guest sent before the close, then drop the socket.
    conn.onClose = () => {
      if (sock.destroyed) return;
      if (sock.writableFinished) {
        sock.destroy();
        return;
      }
      sock.once('finish', () => sock.destroy());
      sock.end();
    };
    sock.resume();
  }

  /** Stops listening and drops every relayed socket. */
  close(): void {
    this.server?.close();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    unlinkIfPresent(this.path);
  }
}

/** Removes `path`; a missing file is fine, any other failure is not hidden. */
function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
