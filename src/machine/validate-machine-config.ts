// validateMachineConfig: the one gate between untrusted JSON (HTTP API, config files, a save
// file) and the builder. Rejects unknown fields and bad values with an error that names the
// field path and says what to fix; fills the documented defaults so the result is complete.
import { BanquiseError } from '../base/errors.js';
import { VIRTIO_BLK_ID_BYTES } from '../devices/virtio/blk/block-device.js';
import { VIRTIO_9P_MAX_TAG_BYTES } from '../devices/virtio/p9/virtio-9p.js';
import { userNetGuestAddress } from '../devices/net-user/user-net.js';
import { VIRTIO_SLOT_COUNT } from './board-layout.js';
import {
  MAX_MEMORY_BYTES, MAX_VCPUS, MIN_MEMORY_BYTES,
  type BlobRef, type BootConfig, type DevicesConfig, type DiskConfig, type HostForwardConfig, type MachineConfig,
  type NicBackendConfig, type NicConfig, type ShareConfig, type VsockConfig,
} from './machine-config.js';

/** Longest kernel command line accepted (the DTB's bootargs; Linux keeps COMMAND_LINE_SIZE). */
export const MAX_CMDLINE_BYTES = 4096;
/** Longest host path accepted in a config. */
const MAX_PATH_BYTES = 4096;
/** At most this many entries in a device list (the board has 8 virtio slots anyway). */
const MAX_LIST = 64;

/** A config error: `path` names the field (e.g. `devices.disks[1].serial`). */
export class MachineConfigError extends BanquiseError {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`machine config: ${path === '' ? '(top level)' : path}: ${problem}`, 64);
    this.name = 'MachineConfigError';
  }
}

type Obj = Record<string, unknown>;

function fail(path: string, problem: string): never {
  throw new MachineConfigError(path, problem);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** `raw` as an object with only `known` keys. */
function object(raw: unknown, path: string, known: readonly string[]): Obj {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(path, `must be an object, not ${describe(raw)}`);
  for (const k of Object.keys(raw)) {
    if (!known.includes(k)) fail(join(path, k), `unknown field (known here: ${known.join(', ')})`);
  }
  return raw as Obj;
}

function string(o: Obj, key: string, path: string, opts: { optional?: boolean; maxBytes?: number; nonEmpty?: boolean } = {}): string | undefined {
  const v = o[key];
  const p = join(path, key);
  if (v === undefined) {
    if (opts.optional === true) return undefined;
    fail(p, 'is required');
  }
  if (typeof v !== 'string') fail(p, `must be a string, not ${describe(v)}`);
  if (opts.nonEmpty === true && v === '') fail(p, 'must not be empty');
  const max = opts.maxBytes ?? MAX_PATH_BYTES;
  if (new TextEncoder().encode(v).length > max) fail(p, `is longer than ${max} bytes`);
  if (v.includes('\0')) fail(p, 'must not contain a NUL character');
  return v;
}

function boolean(o: Obj, key: string, path: string, dflt: boolean): boolean {
  const v = o[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') fail(join(path, key), `must be true or false, not ${describe(v)}`);
  return v;
}

function integer(o: Obj, key: string, path: string, min: number, max: number, what = ''): number {
  const v = o[key];
  const p = join(path, key);
  if (v === undefined) fail(p, 'is required');
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(p, `must be a whole number, not ${describe(v)}`);
  if (v < min || v > max) fail(p, `${v} is out of range ${min}..${max}${what}`);
  return v;
}

function oneOf<T extends string>(o: Obj, key: string, path: string, values: readonly T[], dflt?: T): T {
  const v = o[key];
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    fail(join(path, key), `must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}, not ${v === undefined ? 'missing' : describe(v)}`);
  }
  return v as T;
}

function list(o: Obj, key: string, path: string): unknown[] {
  const v = o[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(join(path, key), `must be an array, not ${describe(v)}`);
  if (v.length > MAX_LIST) fail(join(path, key), `has ${v.length} entries, at most ${MAX_LIST}`);
  return v;
}

function blob(raw: unknown, path: string): BlobRef {
  const o = object(raw, path, ['path']);
  return { path: string(o, 'path', path, { nonEmpty: true })! };
}

function ipv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return m !== null && m.slice(1).every((x) => Number(x) <= 255);
}

function boot(raw: unknown, path: string): BootConfig {
  const o = object(raw, path, ['kernel', 'initrd', 'cmdline', 'bios']);
  if (o['kernel'] === undefined) fail(join(path, 'kernel'), 'is required ({ "path": "..." } of the kernel Image)');
  const cmdline = string(o, 'cmdline', path, { optional: true, maxBytes: MAX_CMDLINE_BYTES }) ?? '';
  return {
    kernel: blob(o['kernel'], join(path, 'kernel')),
    ...(o['initrd'] !== undefined ? { initrd: blob(o['initrd'], join(path, 'initrd')) } : {}),
    cmdline,
    ...(o['bios'] !== undefined ? { bios: blob(o['bios'], join(path, 'bios')) } : {}),
  };
}

function disk(raw: unknown, path: string): DiskConfig {
  const o = object(raw, path, ['path', 'readOnly', 'serial', 'interface']);
  const serial = string(o, 'serial', path, { optional: true, maxBytes: VIRTIO_BLK_ID_BYTES });
  if (serial !== undefined && !/^[\x21-\x7e]{1,20}$/.test(serial)) {
    fail(join(path, 'serial'), `must be 1 to ${VIRTIO_BLK_ID_BYTES} printable ASCII characters without spaces`);
  }
  const iface = o['interface'] === undefined ? undefined : oneOf(o, 'interface', path, ['virtio', 'nvme'] as const);
  return {
    path: string(o, 'path', path, { nonEmpty: true })!,
    readOnly: boolean(o, 'readOnly', path, false),
    ...(serial !== undefined ? { serial } : {}),
    ...(iface !== undefined ? { interface: iface } : {}),
  };
}

function hostForward(raw: unknown, path: string): HostForwardConfig {
  const o = object(raw, path, ['hostAddress', 'hostPort', 'guestAddress', 'guestPort']);
  const hostAddress = string(o, 'hostAddress', path, { optional: true, maxBytes: 15 }) ?? '';
  if (hostAddress !== '' && !ipv4(hostAddress)) fail(join(path, 'hostAddress'), `${JSON.stringify(hostAddress)} is not an IPv4 address ('' for 127.0.0.1)`);
  const guestAddress = string(o, 'guestAddress', path, { optional: true, maxBytes: 15 });
  if (guestAddress !== undefined && userNetGuestAddress(guestAddress) < 0) fail(join(path, 'guestAddress'), 'must be an address the user network hands out (10.0.2.15, the first guest, up to 10.0.2.78) or absent');
  return {
    hostAddress,
    hostPort: integer(o, 'hostPort', path, 1, 65535),
    ...(guestAddress !== undefined ? { guestAddress } : {}),
    guestPort: integer(o, 'guestPort', path, 1, 65535),
  };
}

function nicBackend(raw: unknown, path: string): NicBackendConfig {
  const kind = oneOf(object(raw, path, ['kind', 'hostForwards', 'dnsServer', 'mode', 'host', 'port', 'bridge']), 'kind', path, ['user', 'socket', 'bridge'] as const);
  if (kind === 'user') {
    const o = object(raw, path, ['kind', 'hostForwards', 'dnsServer']);
    const hostForwards = list(o, 'hostForwards', path).map((f, i) => hostForward(f, `${join(path, 'hostForwards')}[${i}]`));
    const seen = new Set<string>();
    hostForwards.forEach((f, i) => {
      const k = `${f.hostAddress}:${f.hostPort}`;
      if (seen.has(k)) fail(`${join(path, 'hostForwards')}[${i}].hostPort`, `host port ${f.hostPort} is forwarded twice`);
      seen.add(k);
    });
    const dnsServer = string(o, 'dnsServer', path, { optional: true, maxBytes: 15 });
    if (dnsServer !== undefined && !ipv4(dnsServer)) fail(join(path, 'dnsServer'), `${JSON.stringify(dnsServer)} is not an IPv4 address`);
    return { kind, hostForwards, ...(dnsServer !== undefined ? { dnsServer } : {}) };
  }
  if (kind === 'socket') {
    const o = object(raw, path, ['kind', 'mode', 'host', 'port']);
    const mode = oneOf(o, 'mode', path, ['listen', 'connect'] as const);
    const host = string(o, 'host', path, { maxBytes: 253, nonEmpty: true })!;
    if (!/^[A-Za-z0-9.\-]+$/.test(host)) fail(join(path, 'host'), `${JSON.stringify(host)} is not a host name or IPv4 address`);
    return { kind, mode, host, port: integer(o, 'port', path, mode === 'listen' ? 0 : 1, 65535) };
  }
  const o = object(raw, path, ['kind', 'bridge']);
  const bridge = string(o, 'bridge', path, { maxBytes: 15, nonEmpty: true })!;
  if (!/^[A-Za-z0-9_.\-]+$/.test(bridge)) fail(join(path, 'bridge'), `${JSON.stringify(bridge)} is not a bridge name`);
  return { kind, bridge };
}

function nic(raw: unknown, path: string): NicConfig {
  const o = object(raw, path, ['mac', 'model', 'backend']);
  const mac = string(o, 'mac', path, { optional: true, maxBytes: 17 });
  if (mac !== undefined) {
    if (!/^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/.test(mac)) fail(join(path, 'mac'), `${JSON.stringify(mac)} is not six hex bytes separated by ':'`);
    if ((parseInt(mac.slice(0, 2), 16) & 1) !== 0) fail(join(path, 'mac'), `${mac} is a multicast address (the first byte must be even)`);
  }
  const model = o['model'] === undefined ? undefined : oneOf(o, 'model', path, ['virtio', 'e1000'] as const);
  if (o['backend'] === undefined) fail(join(path, 'backend'), 'is required (e.g. { "kind": "user" })');
  return {
    ...(mac !== undefined ? { mac: mac.toLowerCase() } : {}),
    ...(model !== undefined ? { model } : {}),
    backend: nicBackend(o['backend'], join(path, 'backend')),
  };
}

function share(raw: unknown, path: string): ShareConfig {
  const o = object(raw, path, ['hostDir', 'tag', 'readOnly']);
  const tag = string(o, 'tag', path, { maxBytes: VIRTIO_9P_MAX_TAG_BYTES, nonEmpty: true })!;
  if (!/^[A-Za-z0-9_.\-]+$/.test(tag)) fail(join(path, 'tag'), `${JSON.stringify(tag)} may only hold letters, digits, '_', '.', '-'`);
  return { hostDir: string(o, 'hostDir', path, { nonEmpty: true })!, tag, readOnly: boolean(o, 'readOnly', path, false) };
}

function vsock(raw: unknown, path: string): VsockConfig {
  const o = object(raw, path, ['guestCid', 'udsPath']);
  const udsPath = string(o, 'udsPath', path, { optional: true, nonEmpty: true });
  return { guestCid: integer(o, 'guestCid', path, 3, 0xfffffffe, ' (0-2 and 2^32-1 are reserved)'), ...(udsPath !== undefined ? { udsPath } : {}) };
}

function devices(raw: unknown, path: string): DevicesConfig {
  const o = object(raw === undefined ? {} : raw, path, ['disks', 'nics', 'shares', 'console', 'vsock', 'balloon', 'rng', 'input']);
  const disks = list(o, 'disks', path).map((d, i) => disk(d, `${join(path, 'disks')}[${i}]`));
  const nics = list(o, 'nics', path).map((n, i) => nic(n, `${join(path, 'nics')}[${i}]`));
  const shares = list(o, 'shares', path).map((s, i) => share(s, `${join(path, 'shares')}[${i}]`));
  const tags = new Set<string>();
  shares.forEach((s, i) => {
    if (tags.has(s.tag)) fail(`${join(path, 'shares')}[${i}].tag`, `tag ${JSON.stringify(s.tag)} is used twice`);
    tags.add(s.tag);
  });
  const v = o['vsock'] === undefined ? undefined : vsock(o['vsock'], join(path, 'vsock'));
  return {
    disks,
    nics,
    shares,
    console: oneOf(o, 'console', path, ['serial', 'virtio'] as const, 'serial'),
    ...(v !== undefined ? { vsock: v } : {}),
    balloon: boolean(o, 'balloon', path, false),
    rng: boolean(o, 'rng', path, true),
    ...(o['input'] !== undefined ? { input: boolean(o, 'input', path, false) } : {}),
  };
}

/** Number of virtio-mmio slots the devices of `d` take (NVMe disks and e1000 NICs sit on PCIe instead). */
export function virtioDeviceCount(d: DevicesConfig): number {
  const disks = d.disks.filter((x) => x.interface !== 'nvme').length;
  const nics = d.nics.filter((x) => x.model !== 'e1000').length;
  return disks + (d.console === 'virtio' ? 1 : 0) + (d.rng ? 1 : 0) + (d.balloon ? 1 : 0) + (d.vsock ? 1 : 0) + nics + d.shares.length + (d.input === true ? 1 : 0);
}

/** PCI functions beyond the host bridge a machine may have (bus 0 has 32 device numbers). */
export const MAX_PCI_DEVICES = 31;

/**
 * Checks untrusted JSON and returns it as a complete MachineConfig. Defaults: `version` 1,
 * `boot.cmdline` '', `devices` and each list empty, `console` 'serial', `balloon` false, `rng`
 * true, `readOnly` false. Throws MachineConfigError (a BanquiseError, status 64) naming the
 * first bad field.
 */
export function validateMachineConfig(raw: unknown): MachineConfig {
  const o = object(raw, '', ['version', 'mode', 'memoryBytes', 'vcpus', 'boot', 'devices']);
  if (o['version'] !== undefined && o['version'] !== 1) fail('version', `must be 1 (the only format this build reads), not ${describe(o['version'])}`);
  const mode = oneOf(o, 'mode', '', ['pv', 'full', 'bare'] as const);
  const memoryBytes = integer(o, 'memoryBytes', '', MIN_MEMORY_BYTES, MAX_MEMORY_BYTES, ' (16 MiB to 2 GiB)');
  if (memoryBytes % 4096 !== 0) fail('memoryBytes', `${memoryBytes} is not a multiple of 4096`);
  const vcpus = integer(o, 'vcpus', '', 1, MAX_VCPUS);
  if (o['boot'] === undefined) fail('boot', 'is required ({ "kernel": { "path": "..." }, "cmdline": "..." })');
  const cfg: MachineConfig = { version: 1, mode, memoryBytes, vcpus, boot: boot(o['boot'], 'boot'), devices: devices(o['devices'], 'devices') };
  if (mode !== 'full') {
    cfg.devices.disks.forEach((d, i) => {
      if (d.interface === 'nvme') fail(`devices.disks[${i}].interface`, `"nvme" needs mode "full"; use "virtio" in ${mode} mode`);
    });
    cfg.devices.nics.forEach((n, i) => {
      if (n.model === 'e1000') fail(`devices.nics[${i}].model`, `"e1000" needs mode "full"; use "virtio" in ${mode} mode`);
    });
  }
  const n = virtioDeviceCount(cfg.devices);
  if (n > VIRTIO_SLOT_COUNT) fail('devices', `${n} virtio devices requested, the board has ${VIRTIO_SLOT_COUNT} slots: remove some`);
  const pci = cfg.devices.disks.filter((x) => x.interface === 'nvme').length + cfg.devices.nics.filter((x) => x.model === 'e1000').length;
  if (pci > MAX_PCI_DEVICES) fail('devices', `${pci} PCI devices requested, bus 0 has room for ${MAX_PCI_DEVICES}: remove some`);
  return cfg;
}
