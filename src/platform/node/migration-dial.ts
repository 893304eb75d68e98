// The source side's connection to a destination daemon for a live migration: step 1 offers
// the domain (POST /v1/migrations with the destination's bearer token; the destination checks
// it can host it), step 2 upgrades GET /v1/migrations/{ticket} to the raw migration stream.
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { ControlError } from '../../control/control-error.js';
import type { DomainConfig } from '../../control/domain-config.js';
import type { MigrationLink } from '../../control/migration/migration-link.js';
import { socketMigrationLink } from './socket-migration-link.js';

/** The HTTP Upgrade protocol name of the migration stream. */
export const MIGRATION_UPGRADE = 'banquise-migration';
/** A destination that does not answer a step within this long is given up (ms). */
const STEP_TIMEOUT_MS = 30_000;

/** A destination daemon's TCP listener and token. */
export interface MigrationTarget {
  readonly host: string;
  readonly port: number;
  readonly token: string;
}

function remote(t: MigrationTarget, why: string): ControlError {
  return new ControlError('remote', `the destination daemon at ${t.host}:${t.port} ${why}`);
}

/** Reads an error answer's message. */
function answerText(res: IncomingMessage): Promise<{ status: number; message: string; json: unknown }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      const e = (json as { error?: { message?: string } } | undefined)?.error;
      resolve({ status: res.statusCode ?? 0, message: e?.message ?? (text.slice(0, 200) || `HTTP ${res.statusCode}`), json });
    });
  });
}

function refusal(t: MigrationTarget, status: number, message: string): ControlError {
  if (status === 401) return remote(t, 'refused the token: give the destination\'s token (`banquise token` on its host) with --token or BANQUISE_TOKEN');
  return remote(t, `refused the domain: ${message}`);
}

/** Step 1: offers the domain; resolves with the stream's ticket. */
export function offerMigration(t: MigrationTarget, offer: { readonly config: DomainConfig; readonly uuid: string }): Promise<string> {
  const body = Buffer.from(JSON.stringify(offer));
  return new Promise((resolve, reject) => {
    const req = request(
      { host: t.host, port: t.port, method: 'POST', path: '/v1/migrations', timeout: STEP_TIMEOUT_MS, headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${t.token}` } },
      (res) => {
        void answerText(res).then(({ status, message, json }) => {
          const ticket = (json as { ticket?: unknown } | undefined)?.ticket;
          if (status === 201 && typeof ticket === 'string') resolve(ticket);
          else reject(refusal(t, status, message));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${STEP_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => reject(remote(t, err.code === 'ECONNREFUSED' ? 'does not answer: start it with `banquise daemon --listen HOST:PORT`' : `cannot be reached: ${err.message}`)));
    req.end(body);
  });
}

/** Step 2: opens the stream of `ticket` as a MigrationLink. */
export function openMigrationStream(t: MigrationTarget, ticket: string): Promise<MigrationLink> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: t.host,
      port: t.port,
      method: 'GET',
      path: `/v1/migrations/${ticket}`,
      timeout: STEP_TIMEOUT_MS,
      headers: { connection: 'Upgrade', upgrade: MIGRATION_UPGRADE, authorization: `Bearer ${t.token}` },
    });
    req.on('upgrade', (_res: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.setTimeout(0);
      socket.setNoDelay(true);
      if (head.length > 0) socket.unshift(head);
      resolve(socketMigrationLink(socket));
    });
    req.on('response', (res) => void answerText(res).then(({ status, message }) => reject(refusal(t, status, message))));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${STEP_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err) => reject(remote(t, `cannot be reached: ${err.message}`)));
    req.end();
  });
}

/** Both steps: the link a migration runs on, once the destination accepted the domain. */
export async function dialMigration(t: MigrationTarget, offer: { readonly config: DomainConfig; readonly uuid: string }): Promise<MigrationLink> {
  return openMigrationStream(t, await offerMigration(t, offer));
}
