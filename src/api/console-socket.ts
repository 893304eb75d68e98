// Consoles over WebSocket (`ws`): GET /v1/domains/{ref}/console upgraded. The client first gets
// what the console ring holds, then live output; what it sends is typed into the console. The
// socket closes (1000) when the domain stops, so a reader can follow a console to its end.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { WebSocketServer, type RawData } from 'ws';
import { ControlError } from '../control/control-error.js';
import type { DomainController } from '../control/domain-controller.js';

/**
 * A browser cannot set Authorization on a WebSocket: it offers the token as a subprotocol,
 * `banquise.bearer.<token>`, next to `banquise`, which the server then selects.
 */
export const WS_PROTOCOL = 'banquise';
const WS_TOKEN_PREFIX = 'banquise.bearer.';

/** True if the upgrade request carries `token` (Authorization header or subprotocol). */
export function authorized(req: IncomingMessage, token: string): boolean {
  const same = (got: string, want: string): boolean => {
    const a = Buffer.from(got);
    const b = Buffer.from(want);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  if (same(req.headers.authorization ?? '', `Bearer ${token}`)) return true;
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  return offered.some((p) => p.startsWith(WS_TOKEN_PREFIX) && same(p.slice(WS_TOKEN_PREFIX.length), token));
}

const CONSOLE_PATH = /^\/v1\/domains\/([A-Za-z0-9_.-]{1,64})\/console(?:\?.*)?$/;
/** Largest input frame accepted (bytes). */
const MAX_INPUT_FRAME_BYTES = 64 * 1024;

function refuse(socket: Duplex, status: number, message: string): void {
  const body = JSON.stringify({ error: { code: status === 401 ? 'unauthorized' : 'not-found', message } });
  socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Not Found'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** Serves console WebSockets on `app`'s HTTP server. */
export function attachConsoleSockets(app: FastifyInstance, controller: DomainController, token: string | undefined): void {
  // Of the offered subprotocols only `banquise` is ever selected (never the one with the token).
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_INPUT_FRAME_BYTES,
    handleProtocols: (offered) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.headers.upgrade ?? '').toLowerCase() === 'banquise-migration') return; // migration-routes.ts
    const m = CONSOLE_PATH.exec(req.url ?? '');
    if (m === null) return refuse(socket, 404, `no WebSocket endpoint at ${req.url ?? ''}`);
    if (token !== undefined && !authorized(req, token)) {
      return refuse(socket, 401, 'send Authorization: Bearer TOKEN (browsers: the subprotocol banquise.bearer.TOKEN)');
    }
    let con: ReturnType<DomainController['console']>;
    try {
      con = controller.console(decodeURIComponent(m[1]!));
    } catch (err) {
      return refuse(socket, 404, err instanceof ControlError ? err.message : String(err));
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(con.ring.snapshot());
      const detach = con.ring.attach((bytes) => ws.send(bytes));
      const close = (): void => {
        detach();
        stopWatch();
        if (ws.readyState === ws.OPEN) ws.close(1000, 'domain stopped');
      };
      const stopWatch = con.onStop(close);
      if (!con.running()) close();
      ws.on('message', (data: RawData) => {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        con.input(new Uint8Array(buf));
      });
      ws.on('close', () => {
        detach();
        stopWatch();
      });
    });
  });
  app.addHook('onClose', async () => {
    for (const c of wss.clients) c.terminate();
    wss.close();
  });
}
