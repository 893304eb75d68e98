// Command-line options for the virtio devices of `banquise run` (--disk, --console virtio,
// --vsock, --balloon, --no-rng), parsed into validated configs of the same shape as the
// MachineConfig's (the builder makes the devices; node-host-backends.ts their host ends).
import { BanquiseError } from '../../base/errors.js';
import { VIRTIO_BLK_ID_BYTES } from '../../devices/virtio/blk/block-device.js';

/** One validated `--disk FILE[,ro][,serial=S][,if=virtio|nvme]`. */
export interface DiskConfig {
  readonly path: string;
  readonly readOnly: boolean;
  readonly serial?: string;
  /** virtio-blk (default) or an NVMe controller on PCIe (full mode). */
  readonly interface?: 'virtio' | 'nvme';
}

/** One validated `--vsock CID,uds=PATH`. */
export interface VsockConfig {
  readonly guestCid: number;
  readonly udsPath: string;
}

/** Every virtio option of `banquise run`, validated. */
export interface VirtioOptionsConfig {
  readonly disks: readonly DiskConfig[];
  /** `--console virtio`: a virtio console (hvc0) instead of only the UART/SBI console. */
  readonly virtioConsole: boolean;
  readonly vsock?: VsockConfig;
  readonly balloon: boolean;
  /** Entropy device (on unless `--no-rng`). */
  readonly rng: boolean;
}

/** Options as commander hands them over. */
export interface RawVirtioOptions {
  disk?: readonly string[];
  console?: string;
  vsock?: string;
  balloon?: boolean;
  rng?: boolean;
}

/** Number of virtio-mmio slots on the board. */
export const VIRTIO_SLOTS = 8;

function usage(message: string): BanquiseError {
  return new BanquiseError(message, 64);
}

/** Parses `FILE[,ro][,serial=S][,if=virtio|nvme]` (file names cannot contain commas). */
export function parseDiskOption(value: string): DiskConfig {
  const [path, ...opts] = value.split(',');
  if (path === undefined || path === '') throw usage(`--disk ${JSON.stringify(value)}: expected FILE[,ro][,serial=S][,if=virtio|nvme]`);
  let readOnly = false;
  let serial: string | undefined;
  let iface: 'virtio' | 'nvme' | undefined;
  for (const o of opts) {
    if (o === 'ro') readOnly = true;
    else if (o === 'if=virtio' || o === 'if=nvme') iface = o === 'if=nvme' ? 'nvme' : 'virtio';
    else if (o.startsWith('serial=')) {
      serial = o.slice(7);
      if (serial.length === 0 || serial.length > VIRTIO_BLK_ID_BYTES || !/^[\x21-\x7e]+$/.test(serial)) {
        throw usage(`--disk ${path}: serial must be 1 to ${VIRTIO_BLK_ID_BYTES} printable ASCII characters, got ${JSON.stringify(serial)}`);
      }
    } else throw usage(`--disk ${path}: unknown setting ${JSON.stringify(o)} (expected ro, serial=S or if=virtio|nvme)`);
  }
  return { path, readOnly, ...(serial !== undefined ? { serial } : {}), ...(iface !== undefined ? { interface: iface } : {}) };
}

/** Parses `CID,uds=PATH`; the CID must be 3 .. 0xfffffffe (0-2 and ~0 are reserved). */
export function parseVsockOption(value: string): VsockConfig {
  const [cidText, ...opts] = value.split(',');
  if (cidText === undefined || !/^\d{1,10}$/.test(cidText)) throw usage(`--vsock ${JSON.stringify(value)}: expected CID,uds=PATH`);
  const guestCid = Number(cidText);
  if (guestCid < 3 || guestCid > 0xfffffffe) throw usage(`--vsock: guest CID ${cidText} must be between 3 and 4294967294`);
  let udsPath: string | undefined;
  for (const o of opts) {
    if (o.startsWith('uds=') && o.length > 4) udsPath = o.slice(4);
    else throw usage(`--vsock: unknown setting ${JSON.stringify(o)} (expected uds=PATH)`);
  }
  if (udsPath === undefined) throw usage('--vsock: uds=PATH is required (the host Unix socket)');
  if (udsPath.length > 100) throw usage(`--vsock: uds path is too long for a Unix socket (${udsPath.length} > 100 bytes)`);
  return { guestCid, udsPath };
}

/** Parses `--console MODE`: `virtio` (hvc0) or `uart` (the default: no virtio console). */
export function parseConsoleOption(value: string): boolean {
  if (value === 'virtio') return true;
  if (value === 'uart') return false;
  throw usage(`--console ${JSON.stringify(value)}: expected virtio or uart`);
}

/** Validates every virtio option at once; too many devices for the 8 slots is an error. */
export function parseVirtioOptions(raw: RawVirtioOptions, otherSlots = 0): VirtioOptionsConfig {
  const disks = (raw.disk ?? []).map(parseDiskOption);
  const virtioConsole = raw.console === undefined ? false : parseConsoleOption(raw.console);
  const vsock = raw.vsock === undefined ? undefined : parseVsockOption(raw.vsock);
  const cfg: VirtioOptionsConfig = {
    disks,
    virtioConsole,
    balloon: raw.balloon === true,
    rng: raw.rng !== false,
    ...(vsock !== undefined ? { vsock } : {}),
  };
  const n = virtioSlotCount(cfg) + otherSlots;
  if (n > VIRTIO_SLOTS) {
    throw usage(`--disk/--console/--vsock/--balloon: ${n} virtio devices requested, the board has ${VIRTIO_SLOTS} slots`);
  }
  return cfg;
}

/** How many slots `cfg` uses. */
export function virtioSlotCount(cfg: VirtioOptionsConfig): number {
  return cfg.disks.filter((d) => d.interface !== 'nvme').length + (cfg.virtioConsole ? 1 : 0) + (cfg.rng ? 1 : 0) + (cfg.balloon ? 1 : 0) + (cfg.vsock ? 1 : 0);
}
