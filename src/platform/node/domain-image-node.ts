// Domain images on Node (restore and fork in the daemon): a machine's state with only its
// non-zero RAM pages, packed into one SharedArrayBuffer so that posting the image to the main
// thread and on to every child worker shares those bytes instead of copying them.
import { BanquiseError } from '../../base/errors.js';
import type { DomainImage, SavedDomain } from '../../control/domain-image.js';
import type { MachineConfig } from '../../machine/machine-config.js';
import { readMachineState, ramBytes } from '../../control/snapshot/machine-snapshot.js';
import type { Machine, MachineState } from '../../machine/index.js';
import { checkHostResources } from './snapshot-session.js';
import { snapshotFileSource } from './snapshot-file.js';
import { zlibPageCompressor } from './zlib-page-compressor.js';

const PAGE_BYTES = 4096;
/** Exit status of BanquiseError meaning "a device has I/O in flight: try again" (Machine.save). */
const IN_FLIGHT_STATUS = 75;

/** DomainImage.payload on Node (structured-clone safe; `data` is shared, not copied). */
export interface NodeImagePayload {
  /** Machine.save({ withoutRam: true }): everything but RAM. */
  readonly state: MachineState;
  /** Guest page numbers of the non-zero pages, increasing. */
  readonly pages: Uint32Array;
  /** Their contents, 4096 bytes each in `pages` order, over a SharedArrayBuffer. */
  readonly data: Uint8Array;
}

/**
 * The non-zero pages of `ram` packed into shared memory. With `written` (a bitmap, bit p = page
 * p), only the pages it marks are read: the others are known to be zero, and reading memory
 * never touched costs time and, on some hosts, commits it (docs/performance.md, fork).
 */
export function packPages(ram: Uint8Array, written?: Uint32Array): { pages: Uint32Array; data: Uint8Array } {
  if (ram.byteOffset % 4 !== 0 || ram.length % PAGE_BYTES !== 0) throw new Error('RAM must be 4-byte aligned and whole pages');
  const words = new Uint32Array(ram.buffer, ram.byteOffset, ram.length / 4);
  const total = ram.length / PAGE_BYTES;
  const list = new Uint32Array(total);
  let n = 0;
  for (let p = 0; p < total; p++) {
    if (written !== undefined && (written[p >>> 5]! & (1 << (p & 31))) === 0) {
      p |= 31 * Number(written[p >>> 5] === 0); // a whole empty word: skip to its last page
      continue;
    }
    const end = (p + 1) * 1024;
    for (let w = p * 1024; w < end; w++) {
      if (words[w] !== 0) {
        list[n++] = p;
        break;
      }
    }
  }
  const data = new Uint8Array(new SharedArrayBuffer(Math.max(1, n) * PAGE_BYTES), 0, n * PAGE_BYTES);
  for (let i = 0; i < n; i++) {
    const at = list[i]! * PAGE_BYTES;
    data.set(ram.subarray(at, at + PAGE_BYTES), i * PAGE_BYTES);
  }
  const pages = new Uint32Array(new SharedArrayBuffer(Math.max(1, n) * 4), 0, n);
  pages.set(list.subarray(0, n));
  return { pages, data };
}

/**
 * Takes `machine` at this instant (call it between slices) as an image payload. A device with
 * host I/O in flight makes Machine.save refuse: undefined then, try again after a slice.
 * `ramTracked`: every write to its RAM since it was built marked the page (booted, or filled by
 * applyImage), so only marked pages are read (GuestMemory.writtenPages).
 */
export function captureMachine(machine: Machine, ramTracked: boolean): NodeImagePayload | undefined {
  let state: MachineState;
  try {
    state = machine.save({ withoutRam: true });
  } catch (err) {
    if (err instanceof BanquiseError && err.exitCode === IN_FLIGHT_STATUS) return undefined;
    throw err;
  }
  return { state, ...packPages(ramBytes(machine.mem), ramTracked ? machine.mem.writtenPages() : undefined) };
}

/** Puts an image into `machine`, freshly built from the image's config with `{ boot: false }` (RAM zero). */
export function applyImage(machine: Machine, image: NodeImagePayload): void {
  const ram = ramBytes(machine.mem);
  const { pages, data } = image;
  for (let i = 0; i < pages.length; i++) {
    const at = pages[i]! * PAGE_BYTES;
    if (at + PAGE_BYTES > ram.length) throw new BanquiseError(`image page ${pages[i]} is outside the machine's RAM`, 65);
    ram.set(data.subarray(i * PAGE_BYTES, (i + 1) * PAGE_BYTES), at);
    machine.mem.markDirty(machine.mem.ramBaseGpa + at, PAGE_BYTES); // written, as a store would (writtenPages)
  }
  machine.restore({ ...image.state, ram });
}

/**
 * Reads and checks save file `path` whole (every checksum, the END counts, the disks present)
 * into an image; nothing is built. SnapshotError or BanquiseError say what is wrong. `admit`
 * sees the header before the RAM buffer is allocated (the daemon's name and budget checks).
 */
export async function loadImageFile(path: string, admit?: (machine: MachineConfig, domain: SavedDomain | undefined) => void): Promise<DomainImage> {
  const read = await readMachineState(snapshotFileSource(path), {
    compressor: zlibPageCompressor(),
    prepare: (header) => {
      if (header.config.mode === 'bare') throw new BanquiseError("the save file holds a 'bare' test machine, not a domain", 65);
      checkHostResources(header);
      admit?.(header.config, header.domain);
    },
  });
  const { ram, ...rest } = read.state as MachineState & { ram: Uint8Array };
  const payload: NodeImagePayload = { state: { ...rest, ram: new Uint8Array(0) } as MachineState, ...packPages(ram) };
  return { machine: read.header.config, ...(read.header.domain !== undefined ? { domain: read.header.domain } : {}), payload };
}
