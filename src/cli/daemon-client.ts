// How the verbs reach the daemon: HTTP over its Unix socket (default, `--socket`,
// BANQUISE_SOCKET) or over TCP (`--connect HOST:PORT`, bearer token), JSON in and out.
import { request } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { BanquiseError } from '../base/errors.js';
import { socketPath, tokenPath } from '../platform/node/daemon-paths.js';

/** Where the daemon is. */
export interface DaemonAddress {
  readonly socket?: string;
  readonly tcp?: { readonly host: string; readonly port: number; readonly token: string };
}

/** The options every verb takes. */
export interface ConnectOptions {
  socket?: string;
  connect?: string;
}

/** Resolves `--socket` / `--connect` (and BANQUISE_SOCKET, BANQUISE_TOKEN) into an address. */
export function daemonAddress(o: ConnectOptions, env: NodeJS.ProcessEnv = process.env): DaemonAddress {
  if (o.connect !== undefined) {
    const m = /^(.*):(\d{1,5})$/.exec(o.connect);
    if (m === null) throw new BanquiseError(`--connect ${o.connect}: expected HOST:PORT`, 64);
    let token = env['BANQUISE_TOKEN'];
    if (token === undefined) {
      const p = tokenPath(env);
      if (!existsSync(p)) throw new BanquiseError(`--connect needs the daemon's token: set BANQUISE_TOKEN (shown by \`banquise token\` on the daemon's host) or put it in ${p}`, 64);
      token = readFileSync(p, 'utf8').trim();
    }
    return { tcp: { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]), token } };
  }
  return { socket: socketPath(o.socket, env) };
}

/** An error answer of the API. */
export class ApiError extends BanquiseError {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message, status === 404 ? 66 : status >= 500 ? 70 : 65);
    this.name = 'ApiError';
  }
}

function where(a: DaemonAddress): string {
  return a.tcp !== undefined ? `${a.tcp.host}:${a.tcp.port}` : a.socket!;
}

/** Sends one request; resolves with the parsed JSON answer (undefined for 204). */
export function callDaemon(a: DaemonAddress, method: string, path: string, body?: unknown): Promise<unknown> {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((res, rej) => {
    const req = request(
      {
        method,
        path,
        ...(a.tcp !== undefined ? { host: a.tcp.host, port: a.tcp.port } : { socketPath: a.socket! }),
        headers: {
          ...(data !== undefined ? { 'content-type': 'application/json', 'content-length': data.length } : {}),
          ...(a.tcp !== undefined ? { authorization: `Bearer ${a.tcp.token}` } : {}),
        },
      },
      (resp) => {
        const chunks: Buffer[] = [];
        resp.on('data', (c: Buffer) => chunks.push(c));
        resp.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = resp.statusCode ?? 0;
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            return rej(new ApiError(status, 'bad-answer', `the daemon answered ${status} with non-JSON: ${text.slice(0, 200)}`));
          }
          if (status >= 400) {
            const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
            return rej(new ApiError(status, e?.code ?? 'error', e?.message ?? `HTTP ${status}`));
          }
          res(json);
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
        rej(new BanquiseError(`no daemon at ${where(a)}: start one with \`banquise daemon --detach\`${a.socket !== undefined ? ' (or give --socket PATH)' : ''}`, 69));
      } else rej(new BanquiseError(`cannot reach the daemon at ${where(a)}: ${err.message}`, 69));
    });
    if (data !== undefined) req.write(data);
    req.end();
  });
}

/** Opens a domain's console WebSocket. */
export function openConsole(a: DaemonAddress, ref: string): WebSocket {
  const path = `/v1/domains/${encodeURIComponent(ref)}/console`;
  if (a.tcp !== undefined) {
    return new WebSocket(`ws://${a.tcp.host.includes(':') ? `[${a.tcp.host}]` : a.tcp.host}:${a.tcp.port}${path}`, { headers: { authorization: `Bearer ${a.tcp.token}` } });
  }
  return new WebSocket(`ws+unix://${a.socket!}:${path}`);
}
