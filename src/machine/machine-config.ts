// What a machine is, as plain JSON-safe data (DESIGN.md §4): the CLI, domain config files, the
// HTTP API and the browser page all parse into this, and the builder is the only consumer that
// turns it into a running board. No closures, host objects or typed arrays in here: a config can
// be written to a save file, sent over a socket or posted to a worker unchanged.

/** How the guest starts: `pv` kernel in S-mode with the SBI in TypeScript; `full` firmware from reset; `bare` an M-mode program. */
export type MachineMode = 'pv' | 'full' | 'bare';

/**
 * A host file or blob the machine loads at boot (kernel, initrd, firmware). `path` is resolved by
 * the host backends (a file on Node, a fetched or user-picked blob in the browser).
 */
export interface BlobRef {
  readonly path: string;
}

/** Kernel and firmware to start. */
export interface BootConfig {
  /** Linux `Image` (pv), next stage after the firmware (full), or the ELF program (bare). */
  readonly kernel: BlobRef;
  readonly initrd?: BlobRef;
  /** Kernel command line (the device tree's `/chosen/bootargs`). */
  readonly cmdline: string;
  /** Firmware for `full` mode (OpenSBI `fw_dynamic` when absent). */
  readonly bios?: BlobRef;
}

/** A block device: a disk image opened by the host backends. */
export interface DiskConfig {
  readonly path: string;
  readonly readOnly: boolean;
  /** virtio-blk serial (GET_ID), 1..20 printable ASCII characters. */
  readonly serial?: string;
  /** Guest-visible interface: virtio-blk (default) or an NVMe controller (full mode). */
  readonly interface?: 'virtio' | 'nvme';
}

/** A TCP port forward of the user-mode network (QEMU's hostfwd). */
export interface HostForwardConfig {
  /** Host IPv4 address to listen on; '' means 127.0.0.1. */
  readonly hostAddress: string;
  readonly hostPort: number;
  /** Guest address: one the user network's DHCP hands out (10.0.2.15 up to 10.0.2.78); absent: 10.0.2.15. */
  readonly guestAddress?: string;
  readonly guestPort: number;
}

/** Where a network interface's frames go on the host. */
export type NicBackendConfig =
  | {
      readonly kind: 'user';
      readonly hostForwards: readonly HostForwardConfig[];
      /** Host DNS server (IPv4) that 10.0.2.3:53 relays to; no DNS offered when absent. */
      readonly dnsServer?: string;
    }
  | { readonly kind: 'socket'; readonly mode: 'listen' | 'connect'; readonly host: string; readonly port: number }
  | { readonly kind: 'bridge'; readonly bridge: string };

/** A network interface. */
export interface NicConfig {
  /** MAC as `xx:xx:xx:xx:xx:xx` (unicast); 52:54:00:12:34:56 + the interface's index when absent. */
  readonly mac?: string;
  /** Guest-visible model: virtio-net (default) or an Intel e1000 (full mode). */
  readonly model?: 'virtio' | 'e1000';
  readonly backend: NicBackendConfig;
}

/** A host directory shared into the guest over virtio-9p. */
export interface ShareConfig {
  readonly hostDir: string;
  /** Mount tag (`mount -t 9p -o trans=virtio TAG /mnt`). */
  readonly tag: string;
  readonly readOnly: boolean;
}

/** A virtio-vsock device and the host side of its connections. */
export interface VsockConfig {
  readonly guestCid: number;
  /** Unix socket the host side listens on / connects through (Node platform). */
  readonly udsPath?: string;
}

/** Every device of the machine beyond the fixed board (CLINT, PLIC, UART, RTC, test device). */
export interface DevicesConfig {
  readonly disks: readonly DiskConfig[];
  readonly nics: readonly NicConfig[];
  readonly shares: readonly ShareConfig[];
  /** The guest console: the 16550 UART (ttyS0) or a virtio console (hvc0). */
  readonly console: 'serial' | 'virtio';
  readonly vsock?: VsockConfig;
  /** virtio-balloon (mem-set); the machine's `memoryBytes` is its ceiling. */
  readonly balloon: boolean;
  /** virtio-rng. */
  readonly rng: boolean;
  /**
   * virtio-input keyboard with the power and restart keys: how the host asks the guest to shut
   * down or reboot gracefully (domains have one). Last slot, after the shares. Default false.
   */
  readonly input?: boolean;
}

/** Smallest RAM a machine may have. */
export const MIN_MEMORY_BYTES = 16 * 1024 * 1024;
/** Largest RAM of a machine (one WebAssembly.Memory). */
export const MAX_MEMORY_BYTES = 2 * 1024 * 1024 * 1024;
/** Most harts a machine may have. */
export const MAX_VCPUS = 8;

/** A whole machine, validated (see validateMachineConfig). */
export interface MachineConfig {
  /** Format version of this object (bumped on incompatible change). */
  readonly version: 1;
  readonly mode: MachineMode;
  /** Guest RAM: MIN_MEMORY_BYTES..MAX_MEMORY_BYTES, a multiple of 4 KiB. */
  readonly memoryBytes: number;
  /** Number of harts, 1..MAX_VCPUS. */
  readonly vcpus: number;
  readonly boot: BootConfig;
  readonly devices: DevicesConfig;
}
