// banquised: the control plane process. One DomainController over worker-thread domains, its
// API on a Unix socket (mode 0600) and optionally on TCP with a bearer token.
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { freemem } from 'node:os';
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { BanquiseError } from '../base/errors.js';
import { DomainController } from '../control/domain-controller.js';
import { WorkerDomainHost } from '../platform/node/worker-domain-host.js';
import { ensurePrivateDir, ensureToken, packageVersion, pidPath } from '../platform/node/daemon-paths.js';
import { buildApiServer } from './api-server.js';

/** How a daemon is started (`banquise daemon` options). */
export interface DaemonOptions {
  readonly socketPath: string;
  /** `HOST:PORT` for the TCP listener (bearer token), if any. */
  readonly listen?: string;
  /** Memory budget for all domains (bytes); default 80 % of the host's free memory. */
  readonly maxMemoryBytes?: number;
  readonly maxDomains?: number;
  readonly allowFaultInjection?: boolean;
  /** Token file (default: tokenPath()). */
  readonly tokenFile?: string;
  /** Domain workers silent this long are stopped as stuck (ms). */
  readonly watchdogMs?: number;
  /** Also print log lines here (foreground daemon: stderr). */
  readonly echoLog?: (line: string) => void;
}

/** A running daemon. */
export interface Daemon {
  readonly socketPath: string;
  /** Actual TCP address when listening (port resolved). */
  readonly tcpAddress?: string;
  /** Stops every domain and closes the listeners; removes the socket and pid file. */
  close(): Promise<void>;
}

/** Lines of log kept for `banquise dmesg`. */
const LOG_LINES = 1000;
/** Default largest number of domains. */
export const DEFAULT_MAX_DOMAINS = 32;

/** True if something answers on the Unix socket `path`. */
export function socketAnswers(path: string): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

/** Starts the daemon; resolves once it listens. */
export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const log: string[] = [];
  const addLog = (line: string): void => {
    const stamped = `${new Date().toISOString()} ${line}`;
    log.push(stamped);
    if (log.length > LOG_LINES) log.shift();
    opts.echoLog?.(stamped);
  };
  const sock = opts.socketPath;
  ensurePrivateDir(dirname(sock));
  if (existsSync(sock)) {
    if (await socketAnswers(sock)) throw new BanquiseError(`a daemon already listens on ${sock} (stop it first, or give --socket PATH)`, 75);
    rmSync(sock, { force: true }); // stale socket of a daemon that died
  }
  const maxMemoryBytes = opts.maxMemoryBytes ?? Math.floor((freemem() * 0.8) / (1 << 20)) * (1 << 20);
  const controller = new DomainController({
    host: new WorkerDomainHost({ runtimeDir: dirname(sock), ...(opts.watchdogMs !== undefined ? { watchdogMs: opts.watchdogMs } : {}) }),
    maxMemoryBytes,
    maxDomains: opts.maxDomains ?? DEFAULT_MAX_DOMAINS,
    newUuid: randomUUID,
    log: addLog,
    allowFaults: opts.allowFaultInjection === true,
  });
  const ctx = {
    controller,
    version: packageVersion(),
    startedAtMs: Date.now(),
    socketPath: sock,
    ...(opts.listen !== undefined ? { listen: opts.listen } : {}),
    logLines: () => log,
    log: addLog,
  };
  const apps: FastifyInstance[] = [];
  const unix = buildApiServer(ctx);
  await unix.listen({ path: sock });
  chmodSync(sock, 0o600);
  apps.push(unix);
  let tcpAddress: string | undefined;
  if (opts.listen !== undefined) {
    const m = /^(.*):(\d{1,5})$/.exec(opts.listen);
    if (m === null || Number(m[2]) > 65535) {
      await unix.close();
      throw new BanquiseError(`--listen ${opts.listen}: expected HOST:PORT, e.g. 127.0.0.1:7650`, 64);
    }
    const tcp = buildApiServer(ctx, { token: ensureToken(opts.tokenFile) });
    await tcp.listen({ host: m[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(m[2]) });
    const a = tcp.server.address();
    tcpAddress = a !== null && typeof a === 'object' ? `${a.address}:${a.port}` : opts.listen;
    apps.push(tcp);
  }
  const pidFile = pidPath(sock);
  writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
  addLog(`banquised ${ctx.version} listening on ${sock}${tcpAddress !== undefined ? ` and ${tcpAddress} (bearer token)` : ''}; memory budget ${maxMemoryBytes >> 20}M`);
  let closed = false;
  return {
    socketPath: sock,
    ...(tcpAddress !== undefined ? { tcpAddress } : {}),
    close: async () => {
      if (closed) return;
      closed = true;
      addLog('banquised stopping: destroying every domain');
      await controller.destroyAll();
      for (const a of apps) await a.close();
      rmSync(pidFile, { force: true });
      rmSync(sock, { force: true });
    },
  };
}
