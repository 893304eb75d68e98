// `banquise console NAME|ID`: attach to a domain's console over the daemon's WebSocket.
// On a terminal: raw mode, Ctrl-] detaches (as xl console). Otherwise: print what the ring
// holds, then follow the output until the domain stops; piped input is typed into the console.
import type WebSocket from 'ws';
import type { RawData } from 'ws';
import { BanquiseError } from '../base/errors.js';
import { openConsole, type DaemonAddress } from './daemon-client.js';

/** The detach key: Ctrl-] (0x1d). */
export const DETACH_BYTE = 0x1d;

/** Streams a console; resolves with the process exit status. */
export function attachConsole(a: DaemonAddress, ref: string, io: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream } = { stdin: process.stdin, stdout: process.stdout }): Promise<number> {
  const ws: WebSocket = openConsole(a, ref);
  const tty = io.stdin.isTTY === true;
  return new Promise((res, rej) => {
    let opened = false;
    const restore = (): void => {
      io.stdin.off('data', onInput);
      if (tty) io.stdin.setRawMode(false);
      io.stdin.pause();
    };
    const onInput = (chunk: Buffer): void => {
      if (tty) {
        const i = chunk.indexOf(DETACH_BYTE);
        if (i >= 0) {
          if (i > 0) ws.send(chunk.subarray(0, i));
          ws.close(1000, 'detached');
          return;
        }
      }
      ws.send(chunk);
    };
    ws.on('open', () => {
      opened = true;
      if (tty) {
        io.stdin.setRawMode(true);
        process.stderr.write(`[attached to ${ref}; Ctrl-] detaches]\r\n`);
      }
      io.stdin.on('data', onInput);
      io.stdin.resume();
    });
    ws.on('message', (data: RawData) => {
      io.stdout.write(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer));
    });
    ws.on('unexpected-response', (_req, resp) => {
      const chunks: Buffer[] = [];
      resp.on('data', (c: Buffer) => chunks.push(c));
      resp.on('end', () => {
        let msg = `HTTP ${resp.statusCode}`;
        try {
          msg = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error: { message: string } }).error.message;
        } catch {
          // not JSON: keep the status
        }
        rej(new BanquiseError(msg, resp.statusCode === 404 ? 66 : 65));
      });
    });
    ws.on('error', (err: NodeJS.ErrnoException) => {
      if (!opened) rej(new BanquiseError(err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? 'no daemon: start one with `banquise daemon --detach`' : `console: ${err.message}`, 69));
    });
    ws.on('close', (_code: number, reason: Buffer) => {
      if (!opened) return;
      restore();
      if (tty) process.stderr.write(`\r\n[${reason.toString() === 'detached' || reason.length === 0 ? 'detached' : reason.toString()}]\r\n`);
      io.stdout.write('', () => res(0));
    });
  });
}
