// Live migration over the API (issue 12). Source: POST /v1/domains/{ref}/migrate dials the
// destination (platform/node/migration-dial.ts) and runs the pre-copy in the domain's worker;
// GET of the same path is its progress. Destination: POST /v1/migrations reserves the domain
// after the controller's checks and hands out a one-time ticket; GET /v1/migrations/{ticket}
// upgraded to `banquise-migration` becomes the stream, fed to the reserved domain's worker.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ControlError } from '../control/control-error.js';
import type { DomainConfig } from '../control/domain-config.js';
import type { DomainController } from '../control/domain-controller.js';
import { dialMigration, MIGRATION_UPGRADE } from '../platform/node/migration-dial.js';
import { socketMigrationLink } from '../platform/node/socket-migration-link.js';

/** A reserved domain whose stream was not opened within this long is destroyed (ms). */
export const TICKET_TTL_MS = 60_000;
/** Destination port when the request names none (banquise daemon --listen's example). */
export const DEFAULT_MIGRATION_PORT = 7650;

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Tickets of reserved incoming domains, per controller (shared by a daemon's listeners). */
const ticketsOf = new WeakMap<DomainController, Map<string, { readonly id: number; readonly timer: ReturnType<typeof setTimeout> }>>();
function tickets(c: DomainController): Map<string, { readonly id: number; readonly timer: ReturnType<typeof setTimeout> }> {
  let t = ticketsOf.get(c);
  if (t === undefined) ticketsOf.set(c, (t = new Map()));
  return t;
}

/** The handlers of the migration routes (merged into the API server's table). */
export function migrationHandlers(c: DomainController, log: (line: string) => void): Record<string, Handler> {
  const ref = (req: FastifyRequest): string => (req.params as { ref: string }).ref;
  return {
    'post /v1/domains/{ref}/migrate': async (req) => {
      const b = req.body as { host: string; port?: number; token?: string; downtime_ms?: number };
      if (b.token === undefined) throw new ControlError('invalid', "migration needs the destination daemon's token: give token (banquise migrate --token T, or BANQUISE_TOKEN)");
      const target = { host: b.host, port: b.port ?? DEFAULT_MIGRATION_PORT, token: b.token };
      const peer = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
      const name = c.get(ref(req)).name;
      const info = await c.migrateOut(ref(req), peer, (offer) => dialMigration(target, offer), b.downtime_ms);
      return {
        name,
        destination: peer,
        rounds: info.rounds,
        bytes_sent: info.bytesSent,
        pages_sent: info.pagesSent,
        final_pages: info.finalPages,
        total_ms: Math.round(info.totalMs * 10) / 10,
        downtime_ms: Math.round(info.downtimeMs * 10) / 10,
      };
    },
    'get /v1/domains/{ref}/migrate': async (req) => {
      const m = c.migration(ref(req));
      const p = m.progress;
      return {
        direction: m.direction,
        peer: m.peer,
        elapsed_s: Math.round(Date.now() - m.startedAtMs) / 1000,
        phase: p?.phase ?? (m.receiving === true ? 'receiving' : 'connecting'),
        ...(p !== undefined ? { bytes_sent: p.bytesSent, round: p.round, dirty_pages: p.dirtyPages, dirty_rate: Math.round(p.dirtyRate) } : {}),
      };
    },
    'post /v1/migrations': async (req, reply) => {
      const b = req.body as { config: DomainConfig; uuid: string };
      const peer = req.socket.remoteAddress ?? 'a source daemon';
      const info = c.prepareIncoming(b.config, b.uuid, peer);
      const ticket = randomBytes(16).toString('hex');
      const all = tickets(c);
      const timer = setTimeout(() => {
        if (all.delete(ticket)) {
          log(`domain ${info.name} (${info.id}): no migration stream within ${TICKET_TTL_MS / 1000} s; discarded`);
          void c.execute({ kind: 'destroy', ref: String(info.id) }).catch(() => {});
        }
      }, TICKET_TTL_MS);
      timer.unref();
      all.set(ticket, { id: info.id, timer });
      return reply.code(201).send({ ticket, id: info.id, name: info.name });
    },
    'get /v1/migrations/{ticket}': async (_req, reply) =>
      reply.code(426).header('upgrade', MIGRATION_UPGRADE).send({ error: { code: 'upgrade-required', message: `this is the migration stream: upgrade the connection to ${MIGRATION_UPGRADE} (banquise migrate does)` } }),
  };
}

const STREAM_PATH = /^\/v1\/migrations\/([0-9a-f]{32})$/;

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Bad Request'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/**
 * Serves the migration stream upgrades on `app`'s server (`authorized` checks the bearer
 * token on a TCP listener). Upgrades to other protocols are left to their own listeners.
 */
export function attachMigrationStreams(app: FastifyInstance, c: DomainController, authorized: (req: IncomingMessage) => boolean, log: (line: string) => void): void {
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if ((req.headers.upgrade ?? '').toLowerCase() !== MIGRATION_UPGRADE) return;
    if (!authorized(req)) return refuse(socket, 401, 'unauthorized', 'send Authorization: Bearer TOKEN (the destination host shows it with `banquise token`)');
    const m = STREAM_PATH.exec(req.url ?? '');
    const entry = m !== null ? tickets(c).get(m[1]!) : undefined;
    if (m === null || entry === undefined) return refuse(socket, 404, 'not-found', 'no such migration ticket (it expired after 60 s or was used): offer the domain again with POST /v1/migrations');
    tickets(c).delete(m[1]!);
    clearTimeout(entry.timer);
    const s = socket as Socket;
    s.setNoDelay(true);
    s.write(`HTTP/1.1 101 Switching Protocols\r\nconnection: Upgrade\r\nupgrade: ${MIGRATION_UPGRADE}\r\n\r\n`);
    if (head.length > 0) s.unshift(head);
    c.receiveIncoming(String(entry.id), socketMigrationLink(s)).catch((err: Error) => {
      log(err.message);
      s.destroy();
    });
  });
}
