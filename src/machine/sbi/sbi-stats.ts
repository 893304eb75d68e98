// Per-machine counters of SBI calls, by extension and function.

/** Calls per extension name, then per function ID. Plain data, ready for a report. */
export type SbiStatsInfo = Record<string, Record<number, number>>;

/** Counts SBI calls per (extension, function); unknown extensions are counted as "unknown". */
export class SbiStats {
  private readonly counts = new Map<string, Map<number, number>>();

  /** Records one call. */
  count(extension: string, fid: number): void {
    let perFid = this.counts.get(extension);
    if (perFid === undefined) {
      perFid = new Map();
      this.counts.set(extension, perFid);
    }
    perFid.set(fid, (perFid.get(fid) ?? 0) + 1);
  }

  /** Calls of one function (0 if never called). */
  get(extension: string, fid: number): number {
    return this.counts.get(extension)?.get(fid) ?? 0;
  }

  /** Total calls of one extension. */
  total(extension: string): number {
    let n = 0;
    for (const v of this.counts.get(extension)?.values() ?? []) n += v;
    return n;
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
