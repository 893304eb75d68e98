// Host sockets for the user-mode network, with node:net and node:dgram.
import { createConnection, createServer, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { BanquiseError } from '../../../base/errors.js';
import type { HostListener, HostSockets, HostTcpEvents, HostTcpSocket, HostTimer, HostUdpSocket } from '../../../devices/net-user/host-sockets.js';

/** `HostSockets` over Node's TCP/UDP sockets and timers. */
export class NodeHostSockets implements HostSockets {
  /** One promise per listenTcp: resolves once bound, rejects with a BanquiseError naming the port. */
  private readonly binds: Promise<void>[] = [];

  /** Resolves once every listener is bound; rejects (exit 75) naming the first host port that could not be bound. */
  listening(): Promise<void> {
    return Promise.all(this.binds).then(() => undefined);
  }

  /** @inheritdoc */
  connectTcp(host: string, port: number, events: HostTcpEvents): HostTcpSocket {
    const sock = createConnection({ host, port, allowHalfOpen: true });
    sock.setNoDelay(true);
    return wrapTcp(sock, events, true);
  }

  /** @inheritdoc */
  listenTcp(host: string, port: number, onAccept: (attach: (events: HostTcpEvents) => HostTcpSocket) => void): HostListener {
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (sock) => {
      sock.setNoDelay(true);
      onAccept((events) => wrapTcp(sock, events, false));
    });
    this.binds.push(
      new Promise<void>((resolve, reject) => {
        server.once('listening', resolve);
        server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(host, port, err)));
      }),
    );
    server.on('error', () => undefined); // reported once through listening()
    server.listen(port, host);
    server.unref(); // a forward alone does not keep the process alive
    return { close: () => server.close() };
  }

  /** @inheritdoc */
  openUdp(onMessage: (data: Uint8Array, host: string, port: number) => void): HostUdpSocket {
    const sock = createSocket('udp4');
    let closed = false;
    sock.on('message', (msg, rinfo) => onMessage(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), rinfo.address, rinfo.port));
    sock.on('error', () => {
      // ICMP errors (port unreachable) surface here: UDP is unreliable, drop them.
    });
    return {
      send: (data, host, port) => {
        if (!closed) sock.send(Buffer.from(data), port, host, () => undefined);
      },
      close: () => {
        if (closed) return;
        closed = true;
        sock.close();
      },
    };
  }

  /** @inheritdoc */
  setTimer(delayMs: number, cb: () => void): HostTimer {
    const t = setTimeout(cb, delayMs);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }
}

/** The user-facing error of a port forward that cannot listen. */
function listenError(host: string, port: number, err: NodeJS.ErrnoException): BanquiseError {
  const why =
    err.code === 'EADDRINUSE' ? 'the port is already in use on the host (pick another host port)'
    : err.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges; pick another host port)'
    : err.code === 'EADDRNOTAVAIL' ? `${host} is not an address of this host`
    : err.message;
  return new BanquiseError(`--net user,hostfwd: cannot listen on host port ${port} (${host}): ${why}`, 75);
}

function wrapTcp(sock: Socket, events: HostTcpEvents, outgoing: boolean): HostTcpSocket {
  let closed = false;
  if (outgoing) sock.on('connect', () => events.onConnect());
  sock.on('data', (d: Buffer) => events.onData(new Uint8Array(d.buffer, d.byteOffset, d.length)));
  sock.on('end', () => events.onEnd());
  sock.on('drain', () => events.onDrain());
  sock.on('error', () => undefined); // 'close' follows with hadError
  sock.on('close', (hadError) => {
    closed = true;
    events.onClose(hadError);
  });
  return {
    write(data) {
      if (!closed && sock.writable) sock.write(Buffer.from(data));
    },
    bufferedBytes() {
      return closed ? 0 : sock.writableLength;
    },
    end() {
      if (!closed) sock.end();
    },
    destroy() {
      if (!closed) sock.destroy();
    },
    pause() {
      sock.pause();
    },
    resume() {
      sock.resume();
    },
  };
}
