// `banquise run --monitor PATH`: the host monitor on a Unix socket. Each connection sends
// command lines and gets each reply followed by the prompt, like QEMU's `-monitor unix:`.
import { lstatSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { BanquiseError } from '../../base/errors.js';
import { socketPathError } from './socket-path-error.js';
import { MONITOR_MAX_LINE, type MonitorReply } from '../../machine/monitor.js';

/** Prompt written after the greeting and after every reply. */
export const MONITOR_PROMPT = '(banquise) ';
/** First line a connection receives. */
export const MONITOR_GREETING = 'Banquise monitor: type help for the commands';

/** Runs one command line (Monitor.execute, plus what the session does on `quit`). */
export type MonitorExecute = (line: string) => Promise<MonitorReply>;

/** A listening monitor socket. */
export class MonitorServer {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    /** Path of the socket file. */
    readonly path: string,
  ) {}

  /**
   * Listens on `path`. A stale socket file left by a crashed run is replaced; a socket someone
   * listens on, or any other existing file, is an error.
   */
  static async listen(path: string, execute: MonitorExecute): Promise<MonitorServer> {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      st = undefined;
    }
    if (st !== undefined) {
      if (!st.isSocket()) throw new BanquiseError(`--monitor ${path}: the file exists and is not a socket`, 64);
      if (await listening(path)) throw new BanquiseError(`--monitor ${path}: another process listens on this socket`, 64);
      unlinkSync(path);
    }
    const server = createServer();
    const self = new MonitorServer(server, path);
    server.on('connection', (sock) => self.serve(sock, execute));
    await new Promise<void>((res, rej) => {
      server.once('error', (err) => rej(socketPathError('--monitor', path, err)));
      server.listen(path, () => res());
    });
    server.on('error', () => {});
    return self;
  }

  /** Stops listening, drops the connections and removes the socket file. */
  close(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.server.close();
    try {
      unlinkSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // ENOENT: already gone
    }
  }

  private serve(sock: Socket, execute: MonitorExecute): void {
    this.sockets.add(sock);
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.on('close', () => this.sockets.delete(sock));
    sock.write(`${MONITOR_GREETING}\n${MONITOR_PROMPT}`);
    let buffered = '';
    // Commands of one connection run in order, one at a time.
    let chain = Promise.resolve();
    sock.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        chain = chain.then(async () => {
          let r: MonitorReply;
          try {
            r = await execute(line);
          } catch (err) {
            r = { text: `error: ${err instanceof Error ? err.message : String(err)}`, quit: false };
          }
          if (sock.destroyed) return;
          sock.write(r.text.length > 0 ? `${r.text}\n${MONITOR_PROMPT}` : MONITOR_PROMPT);
          if (r.quit) sock.end();
        });
      }
      if (buffered.length > MONITOR_MAX_LINE) {
        buffered = '';
        chain = chain.then(() => {
          if (!sock.destroyed) sock.write(`error: command line longer than ${MONITOR_MAX_LINE} characters\n${MONITOR_PROMPT}`);
        });
      }
    });
  }
}

/** True if a process accepts connections on the Unix socket at `path`. */
function listening(path: string): Promise<boolean> {
  return new Promise((res) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      res(true);
    });
    probe.once('error', () => res(false));
  });
}
