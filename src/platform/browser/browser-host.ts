// The host side of a machine in a browser tab (DESIGN.md §4 HostBackends): blobs and disk images
// come from bytes the page fetched or the user picked, entropy from Web Crypto, time from
// performance.now(), the console from/to the page through the worker's messages.
import { BanquiseError } from '../../base/errors.js';
import type { Clock } from '../../base/clock.js';
import type { BlockBackend } from '../../devices/virtio/blk/block-device.js';
import type { EntropySource } from '../../devices/virtio/rng/entropy-device.js';
import type { BlobRef, DiskConfig } from '../../machine/machine-config.js';
import { BatchedConsole } from './batched-console.js';
import { BrowserClock, browserWallClockNs } from './browser-clock.js';
import { CryptoEntropySource } from './crypto-entropy.js';
import { MemoryBlockBackend } from './memory-block-backend.js';

/** What the worker gives the host: the page's bytes, and where console output goes. */
export interface BrowserHostOptions {
  /** Bytes by path: every BlobRef and disk path of the config must be here. */
  readonly blobs: Readonly<Record<string, ArrayBuffer>>;
  /** Receives batched guest console output. */
  readonly output: (bytes: Uint8Array) => void;
}

/** Host backends of one browser machine; disks keep their content across guest reboots. */
export class BrowserHost {
  readonly entropy: EntropySource = new CryptoEntropySource();
  readonly console: BatchedConsole;
  private readonly blobs: ReadonlyMap<string, ArrayBuffer>;
  private readonly disks = new Map<string, MemoryBlockBackend>();
  private inputHandler: ((bytes: Uint8Array) => void) | undefined;

  constructor(opts: BrowserHostOptions) {
    this.blobs = new Map(Object.entries(opts.blobs));
    this.console = new BatchedConsole(opts.output);
  }

  /** A fresh `mtime` source (0 at boot). */
  clock(): Clock {
    return new BrowserClock();
  }

  /** Wall-clock nanoseconds since the Unix epoch. */
  wallClockNs(): bigint {
    return browserWallClockNs();
  }

  /** The bytes of a kernel, initrd or firmware (a view: the machine copies them into RAM). */
  blob(ref: BlobRef, what: string): Uint8Array {
    const bytes = this.blobs.get(ref.path);
    if (bytes === undefined) throw new BanquiseError(`${what} ${JSON.stringify(ref.path)} was not loaded by the page`, 66);
    return new Uint8Array(bytes);
  }

  /**
   * The disk image at `disk.path`, held in memory (writes stay in the tab). The same path asked
   * again (a reboot) gives the same backend, so the guest finds what it wrote.
   */
  disk(disk: DiskConfig): BlockBackend {
    const open = this.disks.get(disk.path);
    if (open !== undefined) return open;
    const bytes = this.blobs.get(disk.path);
    if (bytes === undefined) throw new BanquiseError(`disk ${JSON.stringify(disk.path)} was not loaded by the page`, 66);
    const backend = new MemoryBlockBackend(bytes, disk.readOnly);
    this.disks.set(disk.path, backend);
    return backend;
  }

  /** Registers who receives console input (the UART or the virtio console of the current boot). */
  onInput(handler: (bytes: Uint8Array) => void): void {
    this.inputHandler = handler;
  }

  /** Console input from the page; false when no machine listens yet. */
  input(bytes: Uint8Array): boolean {
    if (this.inputHandler === undefined) return false;
    this.inputHandler(bytes);
    return true;
  }
}
