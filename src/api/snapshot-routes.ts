// The save, restore and fork routes of the API (api/openapi.json), as handlers for api-server.ts.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { DomainController } from '../control/domain-controller.js';

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

/** Handlers of POST /v1/domains/{ref}/save, /v1/domains/restore and /v1/domains/{ref}/fork. */
export function snapshotHandlers(c: DomainController, ref: (req: FastifyRequest) => string): Record<string, Handler> {
  return {
    'post /v1/domains/{ref}/save': async (req) => {
      const b = req.body as { path: string; checkpoint?: boolean };
      return c.save(ref(req), b.path, b.checkpoint === true);
    },
    'post /v1/domains/restore': async (req, reply) => {
      const b = req.body as { path: string; name?: string; paused?: boolean };
      const info = await c.restore(b.path, { ...(b.name !== undefined ? { name: b.name } : {}), paused: b.paused === true });
      return reply.code(201).send(info);
    },
    'post /v1/domains/{ref}/fork': async (req, reply) => {
      const b = req.body as { name?: string; count?: number };
      const children = await c.fork(ref(req), { ...(b.name !== undefined ? { name: b.name } : {}), ...(b.count !== undefined ? { count: b.count } : {}) });
      return reply.code(201).send(children);
    },
  };
}
