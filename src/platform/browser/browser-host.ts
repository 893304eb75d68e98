// HostBackends for a machine in a browser tab (DESIGN.md §4): boot files and disk images come
// from bytes the page fetched or the user picked, entropy from Web Crypto, time from
// performance.now(), the console to and from the page through the worker's messages.
import { BanquiseError } from '../../base/errors.js';
import type { Clock } from '../../base/clock.js';
import { CountingLogger, type LogEvent, type Logger } from '../../base/logger.js';
import type { BlockBackend } from '../../devices/virtio/blk/block-device.js';
import type { ConsoleBackend as VirtioConsoleBackend } from '../../devices/virtio/console/console-device.js';
import type { NetBackend } from '../../devices/virtio/net/net-backend.js';
import type { P9Backend } from '../../devices/virtio/p9/p9-backend.js';
import type { EntropySource } from '../../devices/virtio/rng/entropy-device.js';
import type { VsockBackend } from '../../devices/virtio/vsock/vsock-device.js';
import type { BlobRef, DiskConfig, HostBackends, NicConfig, ShareConfig, VsockConfig } from '../../machine/index.js';
import { BatchedConsole } from './batched-console.js';
import { BrowserClock, browserWallClockNs } from './browser-clock.js';
import { CryptoEntropySource } from './crypto-entropy.js';
import { MemoryBlockBackend } from './memory-block-backend.js';

/** What the worker gives the host: the page's bytes, where output goes, how to wake the loop. */
export interface BrowserHostOptions {
  /** Bytes by path: every BlobRef and disk path of the config must be here. */
  readonly blobs: Readonly<Record<string, ArrayBuffer>>;
  /** Receives batched guest console output (serial, SBI and virtio console alike). */
  readonly output: (bytes: Uint8Array) => void;
  /** Wakes the worker's slice loop (a device completed I/O outside a slice). */
  readonly wake: () => void;
  /** Device events at level warn and error (default: dropped). */
  readonly onEvent?: (event: LogEvent) => void;
}

function unavailable(what: string): never {
  throw new BanquiseError(`${what} is not available in the browser (no host sockets or files there): remove it from the config`, 64);
}

/** The browser's HostBackends; disks keep their content across guest reboots (same backend). */
export class BrowserHost implements HostBackends {
  readonly clock: Clock = new BrowserClock();
  readonly entropy: EntropySource = new CryptoEntropySource();
  readonly console: BatchedConsole;
  readonly log: Logger;
  /** Queue processing after the current slice (bound: see virtioMmio). */
  readonly schedule = (fn: () => void): void => queueMicrotask(fn);
  private readonly blobs: ReadonlyMap<string, ArrayBuffer>;
  private readonly disks = new Map<number, MemoryBlockBackend>();
  private virtioInput: ((bytes: Uint8Array) => void) | undefined;

  constructor(private readonly opts: BrowserHostOptions) {
    this.blobs = new Map(Object.entries(opts.blobs));
    this.console = new BatchedConsole(opts.output);
    this.log = new CountingLogger((e) => {
      if (e.level === 'warn' || e.level === 'error') opts.onEvent?.(e);
    });
  }

  wallClockNs(): bigint {
    return browserWallClockNs();
  }

  /** The virtio console's host end: output to the page, input from `virtioConsoleInput`. */
  virtioConsole(): VirtioConsoleBackend {
    return {
      write: (bytes) => this.console.write(bytes),
      onInput: (handler) => {
        this.virtioInput = handler;
      },
    };
  }

  /** Console input for a guest whose console is hvc0; false when no virtio console exists. */
  virtioConsoleInput(bytes: Uint8Array): boolean {
    if (this.virtioInput === undefined) return false;
    this.virtioInput(bytes);
    return true;
  }

  /** The bytes of a kernel, initrd or firmware (a view: the builder copies them into RAM). */
  blob(ref: BlobRef): Uint8Array {
    const bytes = this.blobs.get(ref.path);
    if (bytes === undefined) throw new BanquiseError(`boot file ${JSON.stringify(ref.path)} was not loaded by the page`, 66);
    return new Uint8Array(bytes);
  }

  /**
   * Disk `index`, held in memory (writes stay in the tab). Asked again on a rebuild (guest
   * reboot) it returns the same backend, so the guest finds what it wrote.
   */
  block(index: number, disk: DiskConfig): BlockBackend {
    const open = this.disks.get(index);
    if (open !== undefined) return open;
    const bytes = this.blobs.get(disk.path);
    if (bytes === undefined) throw new BanquiseError(`disk image ${JSON.stringify(disk.path)} was not loaded by the page`, 66);
    const backend = new MemoryBlockBackend(bytes, disk.readOnly);
    this.disks.set(index, backend);
    return backend;
  }

  net(index: number, _nic: NicConfig): NetBackend {
    return unavailable(`network interface ${index}`);
  }

  share(_index: number, share: ShareConfig): P9Backend {
    return unavailable(`shared folder ${share.tag}`);
  }

  vsock(_cfg: VsockConfig): VsockBackend {
    return unavailable('vsock');
  }

  random(into: Uint8Array): void {
    this.entropy.fill(into);
  }

  wake(): void {
    this.opts.wake();
  }
}
