// Exact dirty-page tracking for live migration (docs/snapshot-format.md, "Dirty pages"). The
// emulator sees every store: a CPU store marks its page when the hart fills its store-TLB entry
// (so the first store to a page after a round starts, when those entries were dropped, marks it;
// later stores hit the TLB and need no mark), and device DMA marks through GuestMemory's writers
// and markDirty. A round is started between slices, when no hart is running.
import type { GuestMemory } from '../memory/guest-memory.js';

/** What a tracking round needs of a machine (Machine has it). */
export interface DirtyTrackable {
  readonly mem: GuestMemory;
  readonly harts: readonly { dropStoreTranslations(): void }[];
}

/**
 * Ends the current round and starts the next: returns the pages written since the previous
 * call (bit p of word p >> 5 = RAM page p), clears the log and drops every hart's store
 * translations. Call between slices. The first call's result covers everything since boot.
 */
export function startDirtyRound(machine: DirtyTrackable, into?: Uint32Array): Uint32Array {
  const bitmap = machine.mem.takeDirty(into);
  for (const h of machine.harts) h.dropStoreTranslations();
  return bitmap;
}

/** Page numbers set in a dirty bitmap, increasing. */
export function dirtyPageList(bitmap: Uint32Array): number[] {
  const pages: number[] = [];
  for (let w = 0; w < bitmap.length; w++) {
    let bits = bitmap[w]!;
    while (bits !== 0) {
      const b = 31 - Math.clz32(bits & -bits);
      pages.push(w * 32 + b);
      bits &= bits - 1;
    }
  }
  return pages;
}

/** Number of pages set in a dirty bitmap. */
export function dirtyPageCount(bitmap: Uint32Array): number {
  let n = 0;
  for (let w = 0; w < bitmap.length; w++) {
    let v = bitmap[w]! >>> 0;
    v = v - ((v >>> 1) & 0x55555555);
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    n += (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
  }
  return n;
}
