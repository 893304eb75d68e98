/**
 * What the user-mode network needs from the host: TCP and UDP sockets and timers. The core is
 * platform-free; src/platform/node/net/node-host-sockets.ts implements this with node:net and
 * node:dgram, tests may implement it with fakes.
 */
export interface HostSockets {
  /** Opens a TCP connection to `host:port` (IPv4 dotted quad); events arrive through `events`. */
  connectTcp(host: string, port: number, events: HostTcpEvents): HostTcpSocket;
  /**
   * Listens on `host:port`. For each accepted connection `onAccept` gets an `attach` function
   * that binds the events and returns the socket (paused until `resume`).
   */
  listenTcp(host: string, port: number, onAccept: (attach: (events: HostTcpEvents) => HostTcpSocket) => void): HostListener;
  /** Opens an unbound-port UDP socket; datagrams from any sender arrive through `onMessage`. */
  openUdp(onMessage: (data: Uint8Array, host: string, port: number) => void): HostUdpSocket;
  /** Calls `cb` once after `delayMs`; returns a handle to cancel it. */
  setTimer(delayMs: number, cb: () => void): HostTimer;
}

/** Events of one host TCP socket. `data` arrays are owned by the receiver (no reuse by the host). */
export interface HostTcpEvents {
  /** The outgoing connection is established. */
  onConnect(): void;
  /** Bytes arrived from the host peer. */
  onData(data: Uint8Array): void;
  /** The host peer closed its sending side (FIN). */
  onEnd(): void;
  /** Buffered writes drained below the high-water mark. */
  onDrain(): void;
  /** The socket is gone; `hadError` when it was reset or the connect failed. */
  onClose(hadError: boolean): void;
}

/** One host TCP socket. Every method is safe to call in any state. */
export interface HostTcpSocket {
  /** Queues bytes (copied) for the host peer. */
  write(data: Uint8Array): void;
  /** Bytes written but not yet handed to the host kernel. */
  bufferedBytes(): number;
  /** Closes the sending side after queued bytes (FIN). */
  end(): void;
  /** Closes both sides now (RST if data is pending). */
  destroy(): void;
  /** Stops `onData` events (flow control towards the guest). */
  pause(): void;
  /** Resumes `onData` events. */
  resume(): void;
}

/** A listening host TCP socket. */
export interface HostListener {
  /** Stops listening. */
  close(): void;
}

/** One host UDP socket. */
export interface HostUdpSocket {
  /** Sends one datagram (copied) to `host:port`. */
  send(data: Uint8Array, host: string, port: number): void;
  /** Closes the socket. */
  close(): void;
}

/** A pending timer. */
export interface HostTimer {
  /** Cancels the timer if it has not fired. */
  cancel(): void;
}
