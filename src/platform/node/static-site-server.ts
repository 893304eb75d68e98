// `banquise web --static`: serves a static site (dist/web) over HTTP with the headers a page
// needs to be cross-origin isolated (SharedArrayBuffer, precise timers): COOP same-origin and
// COEP require-corp. GET and HEAD only; nothing outside the site's folder is reachable.
import { createReadStream, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { BanquiseError } from '../../base/errors.js';

/** Headers every answer carries (see docs: any other static server must send the first two). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** A validated `HOST:PORT` (or `PORT`, or `HOST`). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Default address: loopback only (the page boots guests; share it on purpose, not by accident). */
export const DEFAULT_WEB_ADDRESS: ListenAddress = { host: '127.0.0.1', port: 8080 };

/** Parses `HOST:PORT`, `:PORT`, `PORT`, `[V6]:PORT`; port 0 picks a free port. */
export function parseListenAddress(text: string, fallback: ListenAddress = DEFAULT_WEB_ADDRESS): ListenAddress {
  const t = text.trim();
  let host = fallback.host;
  let portText: string | undefined;
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(t);
  if (v6 !== null) {
    host = v6[1]!;
    portText = v6[2];
  } else if (/^\d+$/.test(t)) {
    portText = t;
  } else {
    const i = t.lastIndexOf(':');
    const h = i < 0 ? t : t.slice(0, i);
    if (i >= 0) portText = t.slice(i + 1);
    if (h !== '') {
      if (!/^[A-Za-z0-9.-]+$/.test(h)) throw new BanquiseError(`'${text}' is not HOST:PORT (bad host name)`, 64);
      host = h;
    }
  }
  let port = fallback.port;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new BanquiseError(`'${text}' is not HOST:PORT (port must be 0..65535)`, 64);
    port = Number(portText);
  }
  return { host, port };
}

/** A listening static site. */
export class StaticSiteServer {
  private constructor(
    private readonly server: Server,
    /** Absolute path of the served folder. */
    readonly root: string,
    /** The address actually bound (the real port when 0 was asked for). */
    readonly address: ListenAddress,
  ) {}

  /** The site's URL. */
  get url(): string {
    const h = this.address.host.includes(':') ? `[${this.address.host}]` : this.address.host;
    return `http://${h}:${this.address.port}/`;
  }

  /** Serves `dir` at `addr`; a missing folder or a busy port is a BanquiseError saying what to do. */
  static async listen(dir: string, addr: ListenAddress): Promise<StaticSiteServer> {
    let root: string;
    try {
      root = realpathSync(resolve(dir));
      if (!statSync(root).isDirectory()) throw new Error('not a directory');
    } catch {
      throw new BanquiseError(`${dir}: no such site folder (build it with \`npm run build:web\`)`, 66);
    }
    const server = createServer((req, res) => serve(root, req, res));
    await new Promise<void>((res, rej) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        rej(new BanquiseError(`cannot listen on ${addr.host}:${addr.port}: ${err.code ?? err.message}`, 69)));
      server.listen(addr.port, addr.host, () => res());
    });
    const bound = server.address() as AddressInfo;
    return new StaticSiteServer(server, root, { host: addr.host, port: bound.port });
  }

  /** Stops listening and closes open connections. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((res) => this.server.close(() => res()));
  }
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...ISOLATION_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Maps a request path to a file inside `root`, or undefined (outside, hidden, malformed). */
export function sitePath(root: string, urlPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(urlPath.split('?')[0]!.split('#')[0]!);
  } catch {
    return undefined;
  }
  if (path.includes('\0') || !path.startsWith('/')) return undefined;
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s.startsWith('.') || s.includes('\\'))) return undefined;
  const file = join(root, ...segments);
  if (file !== root && !file.startsWith(root + sep)) return undefined;
  return file;
}

function serve(root: string, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    answer(res, 405, 'method not allowed\n');
    return;
  }
  let file = sitePath(root, req.url ?? '/');
  if (file === undefined) {
    answer(res, 404, 'not found\n');
    return;
  }
  let st;
  try {
    st = statSync(file);
    if (st.isDirectory()) {
      file = join(file, 'index.html');
      st = statSync(file);
    }
    // A symlink inside the folder must not lead out of it.
    const real = realpathSync(file);
    if (real !== root && !real.startsWith(root + sep)) throw new Error('outside');
  } catch {
    answer(res, 404, 'not found\n');
    return;
  }
  if (!st.isFile()) {
    answer(res, 404, 'not found\n');
    return;
  }
  res.writeHead(200, {
    ...ISOLATION_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': st.size,
    'Cache-Control': 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).on('error', () => res.destroy()).pipe(res);
}
