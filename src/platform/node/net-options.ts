// Command-line options for paravirtual I/O: `--net` (virtio-net with a user-mode network or a
// socket backend) and `--share` (virtio-9p over a host directory), parsed into validated
import { randomFillSync } from 'node:crypto';
// configs and turned into the MachineConfig's NicConfig / ShareConfig (the builder and
// node-host-backends.ts make the devices and their host ends).
import { BanquiseError } from '../../base/errors.js';
import { parseIpv4, userNetGuestAddress, type HostForward, type UserNetConfig } from '../../devices/net-user/user-net.js';
import { VIRTIO_9P_MAX_TAG_BYTES } from '../../devices/virtio/p9/virtio-9p.js';
import type { NicConfig, ShareConfig } from '../../machine/index.js';
import type { SocketNetConfig } from './net/socket-backend.js';

/** One validated `--net` option. */
export type NetOptionConfig =
  | { readonly kind: 'user'; readonly user: UserNetConfig; readonly mac?: Uint8Array; readonly model?: NicModel }
  | { readonly kind: 'socket'; readonly socket: SocketNetConfig; readonly mac?: Uint8Array; readonly model?: NicModel };

/** Guest-visible NIC: virtio-net (default) or an Intel e1000 on PCIe (full mode). */
export type NicModel = 'virtio' | 'e1000';

function parseModel(v: string, value: string): NicModel {
  if (v === 'virtio' || v === 'e1000') return v;
  throw netError(value, `model '${v}' is not virtio or e1000`);
}

/** One validated `--share` option. */
export interface ShareOptionConfig {
  /** Host directory to share. */
  readonly hostDir: string;
  /** virtio-9p mount tag (`mount -t 9p -o trans=virtio TAG /mnt`). */
  readonly tag: string;
  readonly readOnly: boolean;
}

function netError(value: string, why: string): BanquiseError {
  return new BanquiseError(`--net ${value}: ${why}`, 64);
}

function parsePort(s: string, what: string, value: string, allowZero: boolean): number {
  if (!/^\d{1,5}$/.test(s)) throw netError(value, `${what} '${s}' is not a port number`);
  const p = Number(s);
  if (p > 65535 || (p === 0 && !allowZero)) throw netError(value, `${what} ${p} is out of range 1..65535`);
  return p;
}

/** `HOST:PORT` (HOST may be empty: 127.0.0.1). */
function parseHostPort(s: string, what: string, value: string, allowZero: boolean): { host: string; port: number } {
  const i = s.lastIndexOf(':');
  if (i < 0) throw netError(value, `${what} must be HOST:PORT, not '${s}'`);
  const host = s.slice(0, i) === '' ? '127.0.0.1' : s.slice(0, i);
  if (!/^[A-Za-z0-9.\-]+$/.test(host)) throw netError(value, `${what} host '${host}' is not a host name or IPv4 address`);
  return { host, port: parsePort(s.slice(i + 1), `${what} port`, value, allowZero) };
}

function parseMac(s: string, value: string): Uint8Array {
  const m = /^([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})$/.exec(s);
  if (m === null) throw netError(value, `mac '${s}' is not six hex bytes separated by ':'`);
  const mac = new Uint8Array(m.slice(1).map((h) => parseInt(h, 16)));
  if (mac[0]! & 1) throw netError(value, `mac ${s} is a multicast address`);
  return mac;
}

/** `tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT` (QEMU's hostfwd syntax, TCP only). */
function parseHostForward(s: string, value: string): HostForward {
  const m = /^(tcp|udp)?:([^:]*):(\d+)-([^:]*):(\d+)$/.exec(s);
  if (m === null) throw netError(value, `hostfwd '${s}' must look like tcp::HOSTPORT-:GUESTPORT`);
  if (m[1] === 'udp') throw netError(value, `hostfwd '${s}': only tcp forwards are supported`);
  const hostAddr = m[2]!;
  if (hostAddr !== '' && parseIpv4(hostAddr) < 0) throw netError(value, `hostfwd host address '${hostAddr}' is not an IPv4 address`);
  const guestAddr = m[4]!;
  if (userNetGuestAddress(guestAddr) < 0) throw netError(value, `hostfwd guest address must be empty (10.0.2.15, the guest's DHCP address) or one the user network hands out (10.0.2.15 to 10.0.2.78), not '${guestAddr}'`);
  return {
    protocol: 'tcp', hostAddr, hostPort: parsePort(m[3]!, 'hostfwd host port', value, false),
    ...(guestAddr !== '' ? { guestAddr } : {}), guestPort: parsePort(m[5]!, 'hostfwd guest port', value, false),
  };
}

/**
 * Parses one `--net` value: `user[,hostfwd=tcp::H-:G]...[,dns=ADDR][,mac=M]`,
 * `socket,listen=[HOST]:PORT[,mac=M]` or `socket,connect=HOST:PORT[,mac=M]`.
 * Throws a BanquiseError naming `--net` for anything else.
 */
export function parseNetOption(value: string): NetOptionConfig {
  const parts = value.split(',');
  const kind = parts[0];
  let mac: Uint8Array | undefined;
  let model: NicModel | undefined;
  if (kind === 'user') {
    const hostForwards: HostForward[] = [];
    let dnsServer: string | undefined;
    for (const p of parts.slice(1)) {
      const eq = p.indexOf('=');
      const k = eq < 0 ? p : p.slice(0, eq);
      const v = eq < 0 ? '' : p.slice(eq + 1);
      if (k === 'hostfwd') hostForwards.push(parseHostForward(v, value));
      else if (k === 'dns') {
        if (parseIpv4(v) < 0) throw netError(value, `dns '${v}' is not an IPv4 address`);
        dnsServer = v;
      } else if (k === 'mac') mac = parseMac(v, value);
      else if (k === 'model') model = parseModel(v, value);
      else throw netError(value, `unknown user network option '${k}' (known: hostfwd, dns, mac, model)`);
    }
    const seen = new Set<string>();
    for (const f of hostForwards) {
      const key = `${f.hostAddr}:${f.hostPort}`;
      if (seen.has(key)) throw netError(value, `host port ${f.hostPort} is forwarded twice`);
      seen.add(key);
    }
    return { kind: 'user', user: { hostForwards, dnsServer }, mac, ...(model !== undefined ? { model } : {}) };
  }
  if (kind === 'socket') {
    let socket: SocketNetConfig | undefined;
    for (const p of parts.slice(1)) {
      const eq = p.indexOf('=');
      const k = eq < 0 ? p : p.slice(0, eq);
      const v = eq < 0 ? '' : p.slice(eq + 1);
      if (k === 'listen' || k === 'connect') {
        if (socket !== undefined) throw netError(value, 'give exactly one of listen= or connect=');
        const hp = parseHostPort(v, k, value, k === 'listen');
        socket = { mode: k, host: hp.host, port: hp.port };
      } else if (k === 'mac') mac = parseMac(v, value);
      else if (k === 'model') model = parseModel(v, value);
      else throw netError(value, `unknown socket network option '${k}' (known: listen, connect, mac, model)`);
    }
    if (socket === undefined) throw netError(value, 'socket needs listen=HOST:PORT or connect=HOST:PORT');
    return { kind: 'socket', socket, mac, ...(model !== undefined ? { model } : {}) };
  }
  throw netError(value, `unknown network type '${kind}' (use user or socket)`);
}

/** Parses one `--share HOSTDIR,tag=TAG[,ro]` value; throws a BanquiseError naming `--share`. */
export function parseShareOption(value: string): ShareOptionConfig {
  const err = (why: string): BanquiseError => new BanquiseError(`--share ${value}: ${why}`, 64);
  const parts = value.split(',');
  const hostDir = parts[0] ?? '';
  if (hostDir === '') throw err('the host directory is missing (--share HOSTDIR,tag=TAG[,ro])');
  let tag: string | undefined;
  let readOnly = false;
  for (const p of parts.slice(1)) {
    if (p === 'ro') readOnly = true;
    else if (p === 'rw') readOnly = false;
    else if (p.startsWith('tag=')) tag = p.slice(4);
    else throw err(`unknown option '${p}' (known: tag=TAG, ro)`);
  }
  if (tag === undefined || tag === '') throw err('tag=TAG is required');
  if (!/^[A-Za-z0-9_.\-]+$/.test(tag)) throw err(`tag '${tag}' may only hold letters, digits, '_', '.', '-'`);
  if (new TextEncoder().encode(tag).length > VIRTIO_9P_MAX_TAG_BYTES) throw err(`tag is longer than ${VIRTIO_9P_MAX_TAG_BYTES} bytes`);
  return { hostDir, tag, readOnly };
}

/**
 * Default MAC of interface `index` without `mac=`. On `user` (a private NAT, one guest) QEMU's
 * 52:54:00:12:34:56, last byte + index. On `socket` several guests share one segment, so each
 * gets 52:54:00 and three random bytes (the chance two of n guests collide is about n²/2^25).
 */
export function defaultNetMac(kind: NetOptionConfig['kind'], index: number, random: (bytes: Uint8Array) => void = randomFillSync): Uint8Array {
  const mac = new Uint8Array([0x52, 0x54, 0x00, 0x12, 0x34, (0x56 + index) & 0xff]);
  if (kind === 'socket') random(mac.subarray(3));
  return mac;
}

/** The MachineConfig form of `--net` option number `index`. */
export function nicConfigOf(n: NetOptionConfig, index = 0): NicConfig {
  const macBytes = n.mac ?? (n.kind === 'socket' ? defaultNetMac(n.kind, index) : undefined);
  const mac = macBytes === undefined ? undefined : [...macBytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
  const backend: NicConfig['backend'] =
    n.kind === 'user'
      ? {
          kind: 'user',
          hostForwards: n.user.hostForwards.map((f) => ({ hostAddress: f.hostAddr, hostPort: f.hostPort, ...(f.guestAddr ? { guestAddress: f.guestAddr } : {}), guestPort: f.guestPort })),
          ...(n.user.dnsServer !== undefined ? { dnsServer: n.user.dnsServer } : {}),
        }
      : { kind: 'socket', mode: n.socket.mode, host: n.socket.host, port: n.socket.port };
  return { ...(mac !== undefined ? { mac } : {}), ...(n.model !== undefined ? { model: n.model } : {}), backend };
}

/** The `--share` options as ShareConfigs; a tag given twice is a BanquiseError naming `--share`. */
export function shareConfigsOf(shares: readonly ShareOptionConfig[]): ShareConfig[] {
  const tags = new Set<string>();
  for (const s of shares) {
    if (tags.has(s.tag)) throw new BanquiseError(`--share ${s.hostDir},tag=${s.tag}: tag '${s.tag}' is used twice`, 64);
    tags.add(s.tag);
  }
  return shares.map((s) => ({ hostDir: s.hostDir, tag: s.tag, readOnly: s.readOnly }));
}
