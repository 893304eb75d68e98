// banquised: the control plane process. One DomainController over worker-thread domains, its
// API on a Unix socket (mode 0600) and optionally on TCP with a bearer token.
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, freemem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { BanquiseError } from '../base/errors.js';
import { DomainController } from '../control/domain-controller.js';
import type { DomainConfig } from '../control/domain-config.js';
import { WorkerDomainHost } from '../platform/node/worker-domain-host.js';
import { NodeBridges, type BridgeSpec } from '../platform/node/net/bridges.js';
import { ensurePrivateDir, ensureToken, packageVersion, pidPath } from '../platform/node/daemon-paths.js';
import { buildApiServer } from './api-server.js';
import type { WebConsoleDefaults } from './web-console.js';

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
  /** The bridges (`--bridge`); default: br0 with a user-mode uplink. */
  readonly bridges?: readonly BridgeSpec[];
  /** Host CPUs the credit scheduler shares between domains (default: the core count). */
  readonly hostCpus?: number;
  /** `HOST:PORT` of the web console listener (the API + the page; bearer token), if any. */
  readonly web?: string;
  /** Folder of the built web console page (default: dist/web/console of this installation). */
  readonly webDir?: string;
  /** The host's default guest, offered by the web console's create form. */
  readonly webDefaults?: WebConsoleDefaults;
}

/** A running daemon. */
export interface Daemon {
  readonly socketPath: string;
  /** Actual TCP address when listening (port resolved). */
  readonly tcpAddress?: string;
  /** Actual address of the web console listener (port resolved). */
  readonly webAddress?: string;
  /** Stops every domain and closes the listeners; removes the socket and pid file. */
  close(): Promise<void>;
}

/** Bridges of a daemon started without --bridge: br0 with a user-mode NAT uplink. */
export const DEFAULT_BRIDGES: readonly BridgeSpec[] = [{ name: 'br0', uplink: { kind: 'user', hostForwards: [] } }];
/** dist/web/console beside this file's dist/api (built by `npm run build:web`). */
export function defaultWebConsoleDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'web', 'console');
}

/** Accounting period of the credit scheduler (ms). */
export const SCHED_PERIOD_MS = 100;

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

/** A migrated domain's disks and shared folders must be at the same paths here (shared storage, as in Xen). */
function checkStorage(config: DomainConfig): void {
  for (const disk of config.machine.devices.disks) {
    if (!existsSync(disk.path)) throw new BanquiseError(`disk image ${disk.path} is missing on this host: a migrated domain needs its disks at the same paths (shared storage)`, 66);
  }
  for (const share of config.machine.devices.shares) {
    if (!existsSync(share.hostDir) || !statSync(share.hostDir).isDirectory()) throw new BanquiseError(`shared directory ${share.hostDir} (tag ${share.tag}) is missing on this host`, 66);
  }
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
  const hostCpus = opts.hostCpus ?? Math.max(1, cpus().length);
  const bridgeSpecs = opts.bridges ?? DEFAULT_BRIDGES;
  const bridges = await NodeBridges.open(bridgeSpecs).catch((err: Error) => {
    throw new BanquiseError(`bridges: ${err.message} (a hostfwd port may be in use: pick another with --bridge)`, 75);
  });
  const controller = new DomainController({
    host: new WorkerDomainHost({ runtimeDir: dirname(sock), bridges, hostCpus, maxDomains: opts.maxDomains ?? DEFAULT_MAX_DOMAINS, ...(opts.watchdogMs !== undefined ? { watchdogMs: opts.watchdogMs } : {}) }),
    bridges: bridges.names(),
    hostCpus,
    maxMemoryBytes,
    maxDomains: opts.maxDomains ?? DEFAULT_MAX_DOMAINS,
    newUuid: randomUUID,
    log: addLog,
    allowFaults: opts.allowFaultInjection === true,
    checkHost: checkStorage,
  });
  const ctx = {
    controller,
    version: packageVersion(),
    startedAtMs: Date.now(),
    socketPath: sock,
    ...(opts.listen !== undefined ? { listen: opts.listen } : {}),
    logLines: () => log,
    bridges,
    log: addLog,
  };
  const apps: FastifyInstance[] = [];
  const unix = buildApiServer(ctx);
  await unix.listen({ path: sock });
  chmodSync(sock, 0o600);
  apps.push(unix);
  /** Starts one TCP listener (API with the bearer token, plus the page for --web). */
  const listenTcp = async (option: string, address: string, example: string, web: boolean): Promise<string> => {
    const m = /^(.*):(\d{1,5})$/.exec(address);
    if (m === null || Number(m[2]) > 65535) {
      for (const a of apps) await a.close();
      throw new BanquiseError(`${option} ${address}: expected HOST:PORT, e.g. ${example}`, 64);
    }
    const webConsole = web ? { dir: opts.webDir ?? defaultWebConsoleDir(), ...(opts.webDefaults !== undefined ? { defaults: opts.webDefaults } : {}) } : undefined;
    let app: FastifyInstance;
    try {
      app = buildApiServer(ctx, { token: ensureToken(opts.tokenFile), ...(webConsole !== undefined ? { webConsole } : {}) });
      await app.listen({ host: m[1]!.replace(/^\[|\]$/g, '') || '127.0.0.1', port: Number(m[2]) });
    } catch (err) {
      for (const a of apps) await a.close();
      throw err;
    }
    apps.push(app);
    const a = app.server.address();
    return a !== null && typeof a === 'object' ? `${a.address}:${a.port}` : address;
  };
  const tcpAddress = opts.listen !== undefined ? await listenTcp('--listen', opts.listen, '127.0.0.1:7650', false) : undefined;
  const webAddress = opts.web !== undefined ? await listenTcp('--web', opts.web, '127.0.0.1:7651', true) : undefined;
  const pidFile = pidPath(sock);
  writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
  const scheduler = setInterval(() => controller.schedTick(SCHED_PERIOD_MS), SCHED_PERIOD_MS);
  addLog(`credit scheduler: ${hostCpus} host CPU(s), period ${SCHED_PERIOD_MS} ms`);
  addLog(`bridges: ${bridgeSpecs.map((b) => `${b.name}${b.uplink !== undefined ? ' (user uplink)' : ''}`).join(', ') || 'none'}`);
  addLog(`banquised ${ctx.version} listening on ${sock}${tcpAddress !== undefined ? ` and ${tcpAddress} (bearer token)` : ''}; memory budget ${Math.floor(maxMemoryBytes / (1 << 20))}M`);
  if (webAddress !== undefined) addLog(`web console at http://${webAddress}/ (log in with the token: banquise token)`);
  let closed = false;
  return {
    socketPath: sock,
    ...(tcpAddress !== undefined ? { tcpAddress } : {}),
    ...(webAddress !== undefined ? { webAddress } : {}),
    close: async () => {
      if (closed) return;
      closed = true;
      addLog('banquised stopping: destroying every domain');
      clearInterval(scheduler);
      await controller.destroyAll();
      bridges.close();
      for (const a of apps) await a.close();
      rmSync(pidFile, { force: true });
      rmSync(sock, { force: true });
    },
  };
}
