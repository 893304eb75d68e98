// Save files for `banquise run` (--save-on-exit, --restore, the monitor's `save`): a machine to
// a file and a file back to a MachineState, with the host-side checks a restore needs.
import { existsSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { BanquiseError } from '../../base/errors.js';
import { readMachineState, writeMachineSnapshot, type ReadMachineState, type SavableMachine } from '../../control/snapshot/machine-snapshot.js';
import type { SnapshotHeader } from '../../control/snapshot/snapshot-header.js';
import type { SavedDomain } from '../../control/domain-image.js';
import type { MachineConfig } from '../../machine/machine-config.js';
import { banquiseVersion, snapshotFileSource, writeSnapshotFile } from './snapshot-file.js';
import { hostWallClockNs } from './host-clock.js';
import { zlibPageCompressor } from './zlib-page-compressor.js';

/** Exit status of BanquiseError meaning "a device has I/O in flight: try again" (Machine.save). */
const IN_FLIGHT_STATUS = 75;
/** How long a save waits for in-flight device I/O to finish. */
const IN_FLIGHT_WAIT_MS = 2000;

/** What a save wrote. */
export interface SaveFileInfo {
  readonly bytes: number;
  readonly pages: number;
  readonly ms: number;
}

/**
 * Saves `machine` to `path` (atomically: a temporary file renamed into place). The machine is
 * captured at one instant (Machine.save copies RAM) and may run on while the file is written;
 * if a device has host I/O in flight, the capture is retried for up to 2 s. `domain` (the
 * daemon's) goes into the HEADER.
 */
export async function saveMachineFile(machine: SavableMachine, path: string, options: { readonly domain?: SavedDomain; readonly onProgress?: (fraction: number) => void } = {}): Promise<SaveFileInfo> {
  const t0 = performance.now();
  const deadline = t0 + IN_FLIGHT_WAIT_MS;
  for (;;) {
    try {
      let pages = 0;
      const bytes = await writeSnapshotFile(path, async (sink) => {
        const info = await writeMachineSnapshot(machine, sink, {
          purpose: 'save',
          banquiseVersion: banquiseVersion(),
          nowNs: hostWallClockNs(),
          compressor: zlibPageCompressor(),
          ...(options.domain !== undefined ? { domain: options.domain } : {}),
          ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
        });
        pages = info.pages;
      });
      return { bytes, pages, ms: performance.now() - t0 };
    } catch (err) {
      if (err instanceof BanquiseError && err.exitCode === IN_FLIGHT_STATUS && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        continue;
      }
      throw err;
    }
  }
}

/**
 * Checks that this host can run the machine of a save file: its disk images and shared
 * directories must be where they were (as with Xen, storage is shared or copied, not in the
 * file). Throws a BanquiseError naming what is missing.
 */
export function checkHostResources(header: SnapshotHeader): void {
  const d = header.config.devices;
  for (const disk of d.disks) {
    if (!existsSync(disk.path)) {
      throw new BanquiseError(
        `the saved domain's disk image ${disk.path} is missing: a restore needs its disks at the same paths as when it was saved`,
        66,
      );
    }
  }
  for (const share of d.shares) {
    if (!existsSync(share.hostDir) || !statSync(share.hostDir).isDirectory()) {
      throw new BanquiseError(`the saved domain's shared directory ${share.hostDir} (tag ${share.tag}) is missing`, 66);
    }
  }
}

/** Reads save file `path` into a MachineState, checking the host resources before any page. */
export async function loadMachineFile(path: string): Promise<ReadMachineState> {
  return readMachineState(snapshotFileSource(path), { compressor: zlibPageCompressor(), prepare: checkHostResources });
}

/**
 * Boot files of a restored machine: a restore does not need them (the kernel is in the saved
 * RAM), only a later guest reboot does. Files that are gone are given as empty blobs, so the
 * restore works and a reboot fails with the kernel loader's message.
 */
export function restoreBlobs(config: MachineConfig): Record<string, Uint8Array> {
  const blobs: Record<string, Uint8Array> = {};
  for (const ref of [config.boot.kernel, config.boot.initrd, config.boot.bios]) {
    if (ref !== undefined && !existsSync(ref.path)) blobs[ref.path] = new Uint8Array(0);
  }
  return blobs;
}
