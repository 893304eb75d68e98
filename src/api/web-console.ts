// The daemon's web console (`banquise daemon --web`): the single-page UI built by
// `npm run build:web` into dist/web/console/, served by the same fastify app as the API on that
// listener. The page's files are public (they are the login page and hold no data); every API
// route and /web/defaults.json need the bearer token like any TCP request.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { BanquiseError } from '../base/errors.js';

/** The host's default guest, offered in the page's create form (paths on the daemon host). */
export interface WebConsoleDefaults {
  readonly kernel: string;
  readonly initrd: string;
  readonly cmdline: string;
}

/** What the web listener serves besides the API. */
export interface WebConsoleOptions {
  /** Folder of the built page (dist/web/console). */
  readonly dir: string;
  readonly defaults?: WebConsoleDefaults;
}

/** Public files of the page: URL path → file name and type. */
const ASSETS: Readonly<Record<string, readonly [string, string]>> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/index.html': ['index.html', 'text/html; charset=utf-8'],
  '/console.js': ['console.js', 'text/javascript; charset=utf-8'],
  '/console.js.map': ['console.js.map', 'application/json; charset=utf-8'],
  '/console.css': ['console.css', 'text/css; charset=utf-8'],
  '/xterm.css': ['xterm.css', 'text/css; charset=utf-8'],
};

/**
 * Headers of every page file: the page may load only its own files and talk only to its own
 * origin (a guest string that slipped into markup still could not run or exfiltrate), and it
 * may not be framed (the buttons destroy domains).
 */
export const WEB_CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/** True for the page's public files (served without the token: the page is the login page). */
export function isWebConsoleAsset(method: string, url: string): boolean {
  return (method === 'GET' || method === 'HEAD') && Object.hasOwn(ASSETS, url.split('?')[0]!);
}

/** Adds the page's routes to `app`; the files must exist (built by `npm run build:web`). */
export function registerWebConsole(app: FastifyInstance, opts: WebConsoleOptions): void {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const [path, [name, type]] of Object.entries(ASSETS)) {
    let body: Buffer;
    try {
      body = readFileSync(join(opts.dir, name));
    } catch {
      if (name.endsWith('.map')) continue;
      throw new BanquiseError(`--web: ${join(opts.dir, name)} is missing: build the web console first (npm run build:web)`, 66);
    }
    files.set(path, { body, type });
  }
  for (const [path, f] of files) {
    app.get(path, async (_req, reply) => reply.headers(WEB_CONSOLE_HEADERS).type(f.type).send(f.body));
  }
  app.get('/web/defaults.json', async (_req, reply) => reply.header('Cache-Control', 'no-store').send(opts.defaults ?? {}));
}
