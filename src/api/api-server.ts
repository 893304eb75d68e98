// The daemon's HTTP API (api/openapi.json): fastify validates every request against the file's
// schemas, hands the parsed request to the DomainController as an action, and answers errors as
// {error: {code, message}}. One instance per listener (the Unix socket; TCP adds a bearer token).
import { timingSafeEqual } from 'node:crypto';
import { cpus, freemem, totalmem } from 'node:os';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ControlError } from '../control/control-error.js';
import type { DomainAction, DomainController } from '../control/domain-controller.js';
import type { DomainConfig } from '../control/domain-config.js';
import { bodySchema, fastifyPath, loadOpenApi, paramsSchema, type OpenApiDoc } from './openapi.js';
import { attachConsoleSockets, authorized } from './console-socket.js';
import { attachMigrationStreams, migrationHandlers } from './migration-routes.js';
import { snapshotHandlers } from './snapshot-routes.js';
import { isWebConsoleAsset, registerWebConsole, type WebConsoleOptions } from './web-console.js';

/** Largest request body (bytes). */
export const API_BODY_LIMIT_BYTES = 64 * 1024;

/** What the API serves. */
export interface ApiContext {
  readonly controller: DomainController;
  readonly version: string;
  readonly startedAtMs: number;
  readonly socketPath: string;
  readonly listen?: string;
  /** The daemon's log lines, oldest first. */
  readonly logLines: () => readonly string[];
  /** Writes a line to the daemon's log (host bugs answered with 500 are logged). */
  readonly log?: (line: string) => void;
  /** The daemon's bridges (none: the network routes list nothing). */
  readonly bridges?: { names(): string[]; info(name: string): object | undefined };
}

/** Options of one API listener. */
export interface ApiServerOptions {
  /** When set, every request needs `Authorization: Bearer <token>` (TCP listener). */
  readonly token?: string;
  /** The OpenAPI document (default: the repository's api/openapi.json). */
  readonly doc?: OpenApiDoc;
  /** Also serve the web console page on this listener (`banquise daemon --web`). */
  readonly webConsole?: WebConsoleOptions;
}

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
const MIB = 1024 * 1024;
const STATUS: Record<ControlError['kind'], number> = { invalid: 400, 'not-found': 404, conflict: 409, limit: 422, forbidden: 403, remote: 502 };

/** Builds a fastify app serving the API (not yet listening). */
export function buildApiServer(ctx: ApiContext, opts: ApiServerOptions = {}): FastifyInstance {
  const doc = opts.doc ?? loadOpenApi();
  const app = Fastify({
    bodyLimit: API_BODY_LIMIT_BYTES,
    logger: false,
    // Unknown fields are refused (not silently dropped), nothing is coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  });
  app.removeContentTypeParser('text/plain'); // JSON only: anything else is 415
  const c = ctx.controller;
  const ref = (req: FastifyRequest): string => (req.params as { ref: string }).ref;
  const act = async (action: DomainAction): Promise<unknown> => c.execute(action);

  const handlers: Record<string, Handler> = {
    'get /v1/info': async () => {
      const m = c.memoryUse();
      return {
        version: ctx.version,
        host: { platform: process.platform, arch: process.arch, cpus: cpus().length, node: process.version, total_memory_mib: Math.floor(totalmem() / MIB), free_memory_mib: Math.floor(freemem() / MIB) },
        daemon: { pid: process.pid, uptime_s: Math.round((Date.now() - ctx.startedAtMs) / 100) / 10, socket: ctx.socketPath, ...(ctx.listen !== undefined ? { listen: ctx.listen } : {}) },
        memory: { budget_mib: Math.floor(m.budgetBytes / MIB), used_mib: Math.floor(m.usedBytes / MIB) },
        domains: { count: m.domains, max: m.maxDomains },
      };
    },
    'get /v1/log': async () => ({ lines: [...ctx.logLines()] }),
    'get /v1/networks': async () => ({ networks: ctx.bridges?.names() ?? [] }),
    'get /v1/networks/{name}': async (req) => {
      const name = (req.params as { name: string }).name;
      const info = ctx.bridges?.info(name);
      if (info === undefined) throw new ControlError('not-found', `no bridge '${name}' (the daemon has: ${ctx.bridges?.names().join(', ') || 'none'})`);
      return info;
    },
    'get /v1/sched': async () => c.schedList(),
    'put /v1/domains/{ref}/sched': async (req) => c.setSched(ref(req), req.body as { weight?: number; cap?: number }),
    'get /v1/domains': async () => c.list(),
    'post /v1/domains': async (req, reply) => {
      const info = await act({ kind: 'create', config: req.body as DomainConfig });
      return reply.code(201).send(info);
    },
    'get /v1/domains/{ref}': async (req) => c.get(ref(req)),
    'delete /v1/domains/{ref}': async (req, reply) => {
      await act({ kind: 'destroy', ref: ref(req) });
      return reply.code(204).send();
    },
    'post /v1/domains/{ref}/action': async (req, reply) => {
      const { action, wait } = req.body as { action: 'pause' | 'unpause' | 'shutdown' | 'reboot'; wait?: boolean };
      if (wait === true && action !== 'shutdown') throw new ControlError('invalid', `wait applies to shutdown only, not ${action}`);
      const waited = wait === true ? c.waitStopped(ref(req)) : undefined;
      const info = await act({ kind: action, ref: ref(req) });
      if (waited === undefined) return info;
      const after = await waited;
      return after === undefined ? reply.code(204).send() : after;
    },
    'put /v1/domains/{ref}/memory': async (req) => act({ kind: 'mem-set', ref: ref(req), bytes: (req.body as { target_mib: number }).target_mib * MIB }),
    'get /v1/domains/{ref}/console': async (req, reply) => {
      c.get(ref(req)); // 404 for an unknown domain
      return reply.code(426).header('upgrade', 'websocket').send({ error: { code: 'upgrade-required', message: 'this is a WebSocket endpoint: connect with a WebSocket client (banquise console NAME)' } });
    },
    'get /v1/domains/{ref}/devices': async (req) => c.devices(ref(req)),
    'post /v1/domains/{ref}/fault': async (req) => act({ kind: 'fault', ref: ref(req), fault: (req.body as { kind: 'throw' | 'oom' | 'hang' }).kind }),
    ...snapshotHandlers(c, ref),
    ...migrationHandlers(c, (line) => ctx.log?.(line)),
  };

  // Every operation of the file has a handler and every handler an operation: they cannot drift.
  const seen = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item)) {
      if (method === 'parameters') continue;
      const key = `${method} ${path}`;
      const handler = handlers[key];
      if (handler === undefined) throw new Error(`api/openapi.json has ${key} but the server has no handler for it`);
      seen.add(key);
      const body = bodySchema(doc, path, method);
      const params = paramsSchema(doc, path);
      app.route({
        method: method.toUpperCase() as 'GET',
        url: fastifyPath(path),
        schema: { ...(body !== undefined ? { body } : {}), ...(params !== undefined ? { params } : {}) },
        handler,
      });
    }
  }
  for (const key of Object.keys(handlers)) if (!seen.has(key)) throw new Error(`handler ${key} is not in api/openapi.json`);

  if (opts.token !== undefined) {
    const want = Buffer.from(`Bearer ${opts.token}`);
    app.addHook('onRequest', async (req, reply) => {
      // The web console's page files are its login page: public, and they carry no data.
      if (opts.webConsole !== undefined && isWebConsoleAsset(req.method, req.url)) return undefined;
      const got = Buffer.from(req.headers.authorization ?? '');
      if (got.length !== want.length || !timingSafeEqual(got, want)) {
        return reply.code(401).send({ error: { code: 'unauthorized', message: 'send Authorization: Bearer TOKEN (the daemon host shows it with `banquise token`)' } });
      }
      return undefined;
    });
  }

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: 'no-route', message: `no route ${req.method} ${req.url.split('?')[0]} (see api/openapi.json)` } });
  });
  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err instanceof ControlError) return reply.code(STATUS[err.kind]).send({ error: { code: err.kind, message: err.message } });
    if (err.validation !== undefined) {
      const v = err.validation[0]!;
      const where = `${err.validationContext ?? 'body'}${v.instancePath ?? ''}`;
      const p = v.params as Record<string, unknown>;
      const extra = p['additionalProperty'] !== undefined ? `: remove '${String(p['additionalProperty'])}'` : p['allowedValues'] !== undefined ? `: one of ${(p['allowedValues'] as unknown[]).join(', ')}` : '';
      return reply.code(400).send({ error: { code: 'bad-request', message: `${where} ${v.message ?? 'is invalid'}${extra}` } });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    const message =
      status === 413 ? `request body larger than ${API_BODY_LIMIT_BYTES} bytes`
      : status === 415 ? 'send the body as Content-Type: application/json'
      : status === 400 ? `malformed request: ${err.message}`
      : status === 500 ? `internal error: ${err.message}` : err.message;
    if (status === 500) ctx.log?.(`API internal error: ${err.stack ?? err.message}`); // the daemon keeps running
    return reply.code(status).send({ error: { code: status === 500 ? 'internal' : status === 413 ? 'too-large' : status === 415 ? 'unsupported-media-type' : 'bad-request', message } });
  });
  if (opts.webConsole !== undefined) registerWebConsole(app, opts.webConsole);
  attachConsoleSockets(app, c, opts.token);
  const token = opts.token;
  attachMigrationStreams(app, c, (req) => token === undefined || authorized(req, token), (line) => ctx.log?.(line));
  return app;
}
