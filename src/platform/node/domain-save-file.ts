// A daemon domain's save file: the machine is captured as for a fork (its state and its
// non-zero written pages, at one instant between slices: captureMachine), then that copy is
// written as the snapshot stream. The guest may run on meanwhile (a checkpoint); RAM is never
// copied or scanned whole.
import type { SaveInfo, SavedDomain } from '../../control/domain-image.js';
import { writeStateRecords } from '../../control/snapshot/machine-snapshot.js';
import { MEMORY_MAX_PAGES } from '../../control/snapshot/page-record.js';
import { SnapshotWriter } from '../../control/snapshot/snapshot-writer.js';
import type { Machine } from '../../machine/index.js';
import { captureMachine } from './domain-image-node.js';
import { hostWallClockNs } from './host-clock.js';
import { banquiseVersion, writeSnapshotFile } from './snapshot-file.js';
import { zlibPageCompressor } from './zlib-page-compressor.js';

const PAGE_BYTES = 4096;
/** Pages per writer call (one progress report each). */
const CHUNK_PAGES = 16 * MEMORY_MAX_PAGES;
/** How long a capture waits for device I/O in flight to finish. */
const IN_FLIGHT_WAIT_MS = 2000;

/** Saves `machine` (a daemon domain's) to `path` atomically; `onProgress` gets 0..1 of the pages written. */
export async function saveDomainFile(machine: Machine, ramTracked: boolean, path: string, domain: SavedDomain, onProgress: (fraction: number) => void): Promise<SaveInfo> {
  const t0 = performance.now();
  let image = captureMachine(machine, ramTracked);
  while (image === undefined) {
    if (performance.now() - t0 > IN_FLIGHT_WAIT_MS) throw new Error('a device kept host I/O in flight for 2 s: try again');
    await new Promise((r) => setTimeout(r, 5));
    image = captureMachine(machine, ramTracked);
  }
  const savedAtNs = hostWallClockNs();
  const config = machine.config;
  if (config === undefined) throw new Error('only a machine made by buildMachine can be saved');
  const { pages, data, state } = image;
  const bytes = await writeSnapshotFile(path, async (sink) => {
    const w = new SnapshotWriter(sink, zlibPageCompressor());
    await w.header({ banquiseVersion: banquiseVersion(), purpose: 'save', savedAtNs, config, domain });
    for (let start = 0; start < pages.length; start += CHUNK_PAGES) {
      const end = Math.min(pages.length, start + CHUNK_PAGES);
      await w.copiedPages(Array.from(pages.subarray(start, end)), data.subarray(start * PAGE_BYTES, end * PAGE_BYTES));
      onProgress(end / pages.length);
    }
    await writeStateRecords(w, state as unknown as Parameters<typeof writeStateRecords>[1]);
    await w.end();
  });
  return { bytes, pages: pages.length, ms: performance.now() - t0 };
}
