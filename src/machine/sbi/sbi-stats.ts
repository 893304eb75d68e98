// Per-machine counters of SBI calls, by extension and function. The guest chooses the IDs, so the
// number of counters is bounded: past MAX_KEYS_PER_EXTENSION distinct IDs in one extension, calls
// are counted in the OTHER_KEY bucket, and extension names come from the dispatcher, not the guest.

/** Calls per extension name, then per function ID (or EID for "unknown"). Plain data, ready for a report. */
export type SbiStatsInfo = Record<string, Record<number, number>>;

/** Distinct IDs counted one by one per extension; a guest cannot make the host store more. */
export const MAX_KEYS_PER_EXTENSION = 64;
/** The bucket of every ID beyond the first MAX_KEYS_PER_EXTENSION distinct ones. */
export const OTHER_KEY = -1;

/** Counts SBI calls per (extension, function); unknown extensions are counted as "unknown". */
export class SbiStats {
  private readonly counts = new Map<string, Map<number, number>>();

  /** Records one call; IDs past the per-extension bound go to OTHER_KEY. */
  count(extension: string, fid: number): void {
    let perFid = this.counts.get(extension);
    if (perFid === undefined) {
      perFid = new Map();
      this.counts.set(extension, perFid);
    }
    const old = perFid.get(fid);
    if (old !== undefined) {
      perFid.set(fid, old + 1);
    } else if (perFid.size < MAX_KEYS_PER_EXTENSION) {
      perFid.set(fid, 1);
    } else {
      perFid.set(OTHER_KEY, (perFid.get(OTHER_KEY) ?? 0) + 1);
    }
  }

  /** Calls of one function (0 if never called or counted in OTHER_KEY). */
  get(extension: string, fid: number): number {
    return this.counts.get(extension)?.get(fid) ?? 0;
  }

  /** Total calls of one extension. */
  total(extension: string): number {
    let n = 0;
    for (const v of this.counts.get(extension)?.values() ?? []) n += v;
    return n;
  }

  /** Number of counters held for one extension (at most MAX_KEYS_PER_EXTENSION + 1). */
  keys(extension: string): number {
    return this.counts.get(extension)?.size ?? 0;
  }

  /** A plain-data copy of every counter. */
  info(): SbiStatsInfo {
    const out: SbiStatsInfo = {};
    for (const [ext, perFid] of this.counts) {
      const row: Record<number, number> = {};
      for (const [fid, n] of perFid) row[fid] = n;
      out[ext] = row;
    }
    return out;
  }
}
