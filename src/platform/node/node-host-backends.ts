// HostBackends on Node.js: the host clock, files read and disk images opened before the build,
// the user network on host sockets, socket networks, host directories for 9p, vsock on Unix
// sockets, entropy from node:crypto. `openNodeBackends` does the slow part (async), the
// builder then takes host ends synchronously, the same ones again on every rebuild.
import { randomFillSync } from 'node:crypto';
import type { Clock } from '../../base/clock.js';
import { BanquiseError } from '../../base/errors.js';
import { NULL_LOGGER, type Logger } from '../../base/logger.js';
import type { BlockBackend } from '../../devices/virtio/blk/block-device.js';
import type { ConsoleBackend as VirtioConsoleBackend } from '../../devices/virtio/console/console-device.js';
import type { NetBackend } from '../../devices/virtio/net/net-backend.js';
import type { P9Backend } from '../../devices/virtio/p9/p9-backend.js';
import type { EntropySource } from '../../devices/virtio/rng/entropy-device.js';
import type { VsockBackend } from '../../devices/virtio/vsock/vsock-device.js';
import { UserNet } from '../../devices/net-user/user-net.js';
import type { BlobRef, ConsoleBackend, HostBackends, MachineConfig, NicConfig, VsockConfig } from '../../machine/index.js';
import { loadFile } from './file-loader.js';
import { HostClock, hostWallClockNs } from './host-clock.js';
import { NodeHostSockets } from './net/node-host-sockets.js';
import { SocketNetBackend } from './net/socket-backend.js';
import { HostDirBackend } from './p9/host-dir-backend.js';
import { BlockFileBackend } from './virtio/block-file-backend.js';
import { ConsoleTap } from './virtio/console-tap.js';
import { NodeEntropySource } from './virtio/entropy-source.js';
import { VsockUnixBackend } from './virtio/vsock-unix-backend.js';

/** What the caller provides or overrides. */
export interface NodeBackendOptions {
  /** Serial and SBI console output (the session's terminal). */
  readonly console: ConsoleBackend;
  /** Host end of the virtio console (default: a ConsoleTap on stdout, fed by `consoleTap.input`). */
  readonly virtioConsole?: VirtioConsoleBackend;
  /** Boot files already in memory, by BlobRef path (the rest is read from disk). */
  readonly blobs?: Readonly<Record<string, Uint8Array>>;
  /** Wakes the session's run loop (devices completed I/O). */
  readonly wake?: () => void;
  /** Queue processing scheduler (default: a microtask). */
  readonly schedule?: (fn: () => void) => void;
  /** Time sources (default: the host's monotonic clock and Date.now). */
  readonly clock?: Clock;
  readonly wallClockNs?: () => bigint;
  /** Entropy and rng-seed source (default: node:crypto). */
  readonly entropy?: EntropySource;
  /** vsock host end (default: Unix sockets at the config's udsPath). */
  readonly vsock?: (cfg: VsockConfig) => VsockBackend;
  /** Event and counter sink (default: none). */
  readonly log?: Logger;
  /** One-line notices of host-side network events (a socket peer not reachable yet, then reached). */
  readonly notice?: (line: string) => void;
  /** The host end of nic `index` on a bridge (a domain's channel to the daemon's switch). */
  readonly bridgePort?: (index: number) => NetBackend;
}

/** Node host backends prepared for one config; `close()` releases files and sockets. */
export interface NodeHostBackends extends HostBackends {
  /** The default virtio console end (undefined when `virtioConsole` was given). */
  readonly consoleTap: ConsoleTap | undefined;
  /**
   * Settles once the host listeners made by the last build listen (the vsock Unix socket);
   * rejects naming the path when one cannot (call after buildMachine, before running).
   */
  listening(): Promise<void>;
  /** Closes disk images, listeners and sockets. Idempotent. */
  close(): Promise<void>;
}

function blobLabel(config: MachineConfig, ref: BlobRef): string {
  const b = config.boot;
  return ref === b.kernel ? 'kernel' : ref === b.initrd ? 'initrd' : 'firmware';
}

/**
 * The host end of one nic. `starting` gets a promise per host listener (forwarded ports, a
 * socket `listen=`) that settles once it listens, or rejects naming the port.
 */
function netBackend(nic: NicConfig, index: number, starting: Promise<unknown>[], opts: NodeBackendOptions): NetBackend {
  const notice = opts.notice;
  const b = nic.backend;
  if (b.kind === 'user') {
    const sockets = new NodeHostSockets();
    const net = new UserNet(sockets, {
      hostForwards: b.hostForwards.map((f) => ({ protocol: 'tcp' as const, hostAddr: f.hostAddress, hostPort: f.hostPort, guestAddr: f.guestAddress ?? '', guestPort: f.guestPort })),
      ...(b.dnsServer !== undefined ? { dnsServer: b.dnsServer } : {}),
    });
    starting.push(sockets.listening()); // after the UserNet opened its forwards
    return net;
  }
  if (b.kind === 'socket') {
    const socket = new SocketNetBackend({ mode: b.mode, host: b.host, port: b.port }, notice);
    if (b.mode === 'listen') {
      starting.push(
        socket.port().catch((err: NodeJS.ErrnoException) => {
          const why = err.code === 'EADDRINUSE' ? 'the port is already in use on the host' : err.message;
          throw new BanquiseError(`--net socket,listen=${b.host}:${b.port}: cannot listen: ${why}`, 75);
        }),
      );
    }
    return socket;
  }
  if (opts.bridgePort !== undefined) return opts.bridgePort(index);
  throw new BanquiseError(`network bridge ${b.bridge}: bridges live in the daemon (banquise create); banquise run has user and socket networks`, 64);
}

/**
 * Reads the boot files, opens the disk images, starts the network backends and checks the
 * shared directories of `config`; errors name the file and what to do (BanquiseError). On
 * failure, whatever was opened is closed again.
 */
export async function openNodeBackends(config: MachineConfig, opts: NodeBackendOptions): Promise<NodeHostBackends> {
  const blobs = new Map<string, Uint8Array>();
  const disks: BlockFileBackend[] = [];
  const nets: NetBackend[] = [];
  const shares: HostDirBackend[] = [];
  let vsock: (VsockBackend & { close?: () => void }) | undefined;
  const closeAll = async (): Promise<void> => {
    for (const n of nets.splice(0)) n.close();
    for (const s of shares.splice(0)) await s.close();
    for (const d of disks.splice(0)) await d.close();
    vsock?.close?.();
    vsock = undefined;
  };
  try {
    for (const ref of [config.boot.kernel, config.boot.initrd, config.boot.bios]) {
      if (ref === undefined || blobs.has(ref.path)) continue;
      blobs.set(ref.path, opts.blobs?.[ref.path] ?? loadFile(ref.path, blobLabel(config, ref)));
    }
    for (const d of config.devices.disks) disks.push(await BlockFileBackend.open(d.path, d.readOnly));
    for (const s of config.devices.shares) shares.push(new HostDirBackend({ root: s.hostDir, readOnly: s.readOnly }));
    const starting: Promise<unknown>[] = [];
    config.devices.nics.forEach((n, i) => nets.push(netBackend(n, i, starting, opts)));
    await Promise.all(starting);
  } catch (err) {
    await closeAll();
    throw err;
  }
  const consoleTap = opts.virtioConsole === undefined ? new ConsoleTap() : undefined;
  const entropy = opts.entropy ?? new NodeEntropySource();
  const wake = opts.wake ?? ((): void => {});
  return {
    clock: opts.clock ?? new HostClock(),
    wallClockNs: opts.wallClockNs ?? hostWallClockNs,
    console: opts.console,
    virtioConsole: () => opts.virtioConsole ?? consoleTap!,
    blob: (ref) => {
      const b = blobs.get(ref.path);
      if (b === undefined) throw new Error(`blob ${ref.path} was not prepared (not in the config given to openNodeBackends)`);
      return b;
    },
    block: (i): BlockBackend => disks[i] ?? missing('disk', i),
    net: (i): NetBackend => nets[i] ?? missing('nic', i),
    share: (i): P9Backend => shares[i] ?? missing('share', i),
    vsock: (cfg) => {
      // Connections do not survive a rebuild: the previous listener goes, a new one starts.
      vsock?.close?.();
      if (opts.vsock !== undefined) return (vsock = opts.vsock(cfg));
      if (cfg.udsPath === undefined) throw new BanquiseError('vsock: the Node platform needs udsPath (the host Unix socket)', 64);
      return (vsock = new VsockUnixBackend(cfg.udsPath, opts.log ?? NULL_LOGGER));
    },
    entropy,
    random: opts.entropy !== undefined ? (b) => opts.entropy!.fill(b) : (b) => void randomFillSync(b),
    wake: () => wake(),
    ...(opts.schedule !== undefined ? { schedule: opts.schedule } : {}),
    log: opts.log ?? NULL_LOGGER,
    consoleTap,
    listening: async () => {
      if (vsock instanceof VsockUnixBackend) await vsock.listening();
    },
    close: closeAll,
  };
}

function missing(what: string, index: number): never {
  throw new Error(`${what} ${index} was not prepared: the config given to the builder differs from the one given to openNodeBackends`);
}
