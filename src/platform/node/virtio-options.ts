// Command-line options for the virtio devices of `banquise run` (--disk, --console virtio,
// --vsock, --balloon, --no-rng): parsing into validated configs, and the slot factories.
import { BanquiseError } from '../../base/errors.js';
import type { GuestMemory } from '../../memory/guest-memory.js';
import type { IrqLine } from '../../memory/irq-line.js';
import type { MmioDevice } from '../../memory/mmio-bus.js';
import { virtioMmio } from '../../devices/virtio/virtio-mmio.js';
import type { VirtioDevice } from '../../devices/virtio/virtio-device.js';
import { VirtioBlockDevice, VIRTIO_BLK_ID_BYTES, type BlockBackend } from '../../devices/virtio/blk/block-device.js';
import { VirtioConsoleDevice, type ConsoleBackend } from '../../devices/virtio/console/console-device.js';
import { VirtioEntropyDevice, type EntropySource } from '../../devices/virtio/rng/entropy-device.js';
import { VirtioBalloonDevice } from '../../devices/virtio/balloon/balloon-device.js';
import { VirtioVsockDevice, type VsockBackend } from '../../devices/virtio/vsock/vsock-device.js';
import { BlockFileBackend } from './virtio/block-file-backend.js';
import { StreamConsoleBackend } from './virtio/console-backend.js';
import { NodeEntropySource } from './virtio/entropy-source.js';
import { VsockUnixBackend } from './virtio/vsock-unix-backend.js';

/** Creates the device of one virtio-mmio slot (same shape as the machine's type). */
export type VirtioSlotFactory = (mem: GuestMemory, irq: IrqLine) => MmioDevice;

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

/** Host services the devices need. */
export interface VirtioPlatformDeps {
  /** Opened disk images, in `--disk` order (see `openDisks`). */
  readonly disks: readonly BlockBackend[];
  /** Guest RAM size (bounds the balloon). */
  readonly ramSizeBytes: number;
  /** Console backend for `--console virtio` (default: process stdin/stdout). */
  readonly console?: ConsoleBackend;
  /** Entropy source (default: node:crypto). */
  readonly entropy?: EntropySource;
  /** vsock backend (default: Unix sockets at the `uds` path). */
  readonly vsock?: VsockBackend;
  /** Called when a device raises its interrupt from outside a slice (wakes an idle run loop). */
  readonly wake?: () => void;
  /** Runs queue processing later (default: a microtask, i.e. after the current slice). */
  readonly schedule?: (fn: () => void) => void;
}

/** Opens every `--disk` image (read-only ones with O_RDONLY). */
export async function openDisks(cfg: VirtioOptionsConfig): Promise<BlockFileBackend[]> {
  const out: BlockFileBackend[] = [];
  try {
    for (const d of cfg.disks) out.push(await BlockFileBackend.open(d.path, d.readOnly));
  } catch (e) {
    for (const b of out) await b.close();
    throw e;
  }
  return out;
}

/** The devices behind the slots, for host control (balloon target, vsock connects, stats). */
export interface VirtioDevices {
  readonly blocks: readonly VirtioBlockDevice[];
  readonly console?: VirtioConsoleDevice;
  readonly rng?: VirtioEntropyDevice;
  readonly balloon?: VirtioBalloonDevice;
  readonly vsock?: VirtioVsockDevice;
}

/**
 * Creates the devices once and returns one slot factory per device (disks, console, rng,
 * balloon, vsock). Factories may be called again for a new machine (reboot): the devices are
 * reused and reset. `devices` gives the host-side handles.
 */
export function buildVirtioSlots(cfg: VirtioOptionsConfig, deps: VirtioPlatformDeps, devices?: (d: VirtioDevices) => void): VirtioSlotFactory[] {
  if (deps.disks.length !== cfg.disks.length) throw new Error('buildVirtioSlots: open the disks first (openDisks)');
  const list: VirtioDevice[] = [];
  const blocks = cfg.disks.flatMap((d, i) =>
    d.interface === 'nvme' ? [] : [new VirtioBlockDevice(deps.disks[i]!, { readOnly: d.readOnly, ...(d.serial !== undefined ? { serial: d.serial } : {}) })],
  );
  list.push(...blocks);
  const console = cfg.virtioConsole ? new VirtioConsoleDevice(deps.console ?? new StreamConsoleBackend()) : undefined;
  if (console) list.push(console);
  const rng = cfg.rng ? new VirtioEntropyDevice(deps.entropy ?? new NodeEntropySource()) : undefined;
  if (rng) list.push(rng);
  const balloon = cfg.balloon ? new VirtioBalloonDevice(Math.floor(deps.ramSizeBytes / 4096)) : undefined;
  if (balloon) list.push(balloon);
  const vsock = cfg.vsock ? new VirtioVsockDevice(cfg.vsock.guestCid, deps.vsock ?? new VsockUnixBackend(cfg.vsock.udsPath)) : undefined;
  if (vsock) list.push(vsock);
  devices?.({ blocks, ...(console ? { console } : {}), ...(rng ? { rng } : {}), ...(balloon ? { balloon } : {}), ...(vsock ? { vsock } : {}) });
  const wake = deps.wake;
  return list.map((dev) => {
    const make = virtioMmio(dev, deps.schedule);
    return (mem: GuestMemory, irq: IrqLine): MmioDevice =>
      make(mem, wake === undefined ? irq : { set: (level: boolean) => { irq.set(level); if (level) wake(); } });
  });
}
