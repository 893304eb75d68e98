// Fuzzer of the snapshot reader, shared by the bounded test (snapshot-fuzz.test.ts) and the long
// run by hand (scripts/fuzz-snapshot.mjs). Every mutated stream must be read or refused with a
// SnapshotError: any other exception, or a hang, is a reader bug.
import { SnapshotError } from '../control/snapshot/snapshot-error.js';
import { readSnapshot } from '../control/snapshot/snapshot-reader.js';
import type { PageCompressor } from '../control/snapshot/page-compressor.js';
import { PREAMBLE_BYTES, RECORD_HEAD_BYTES, recordCrc } from '../control/snapshot/stream-format.js';
import { concat, KIT_CONFIG, KIT_HEADER, kitRam, kitStream, pieces } from './snapshot-kit.js';

/** Outcome counts of a fuzz run. */
export interface SnapshotFuzzInfo {
  cases: number;
  accepted: number;
  refused: number;
}

/** xorshift32. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function recordOffsets(bytes: Uint8Array): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  const out: number[] = [];
  for (let o = PREAMBLE_BYTES; o + RECORD_HEAD_BYTES <= bytes.length; o += RECORD_HEAD_BYTES + v.getUint32(o + 4, true)) out.push(o);
  return out;
}

/**
 * Runs `cases` mutated streams through the reader. Half the mutations re-fix the record's CRC so
 * they reach the payload parsers (CBOR, page lists, DEFLATE). Throws on the first reader bug,
 * with the seed and case to reproduce it.
 */
export async function fuzzSnapshotReader(seed: number, cases: number, compressor: PageCompressor): Promise<SnapshotFuzzInfo> {
  const rand = rng(seed);
  const pick = (n: number): number => Math.floor(rand() * n);
  const header = { ...KIT_HEADER, config: { ...KIT_CONFIG, memoryBytes: 32 * 4096 } };
  const bases = [
    concat(await kitStream({ ram: kitRam(32 * 4096, seed), header })),
    concat(await kitStream({ ram: kitRam(32 * 4096, seed), header, compressor })),
  ];
  const info: SnapshotFuzzInfo = { cases: 0, accepted: 0, refused: 0 };
  for (let c = 0; c < cases; c++) {
    const base = bases[c % 2]!;
    let bytes: Uint8Array = base.slice();
    const offs = recordOffsets(bytes);
    const rec = offs[pick(offs.length)]!;
    const len = new DataView(bytes.buffer).getUint32(rec + 4, true);
    const edits = 1 + pick(4);
    const fixCrc = rand() < 0.5;
    for (let e = 0; e < edits; e++) {
      const kind = pick(fixCrc ? 4 : 6);
      // With fixCrc, stay inside one record's payload; else anywhere.
      const at = fixCrc ? rec + RECORD_HEAD_BYTES + pick(Math.max(1, len)) : pick(bytes.length);
      if (at >= bytes.length) continue;
      if (kind === 0) bytes[at] ^= 1 << pick(8);
      else if (kind === 1) bytes[at] = pick(256);
      else if (kind === 2) bytes[at] = [0, 0xff, 0x7f, 0x80, 0x1b, 0x9b, 0xbb][pick(7)]!;
      else if (kind === 3 && bytes.length >= 4) new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(Math.min(at, bytes.length - 4), [0, 1, 0xffffffff, 0x80000000, 256, 257, 4096][pick(7)]!, true);
      else if (kind === 4) bytes = bytes.subarray(0, at);
      else bytes = concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + pick(64)))]);
    }
    if (fixCrc && rec + RECORD_HEAD_BYTES + len <= bytes.length) {
      const v = new DataView(bytes.buffer, bytes.byteOffset);
      v.setUint32(rec + 8, recordCrc(bytes.subarray(rec, rec + 8), bytes.subarray(rec + RECORD_HEAD_BYTES, rec + RECORD_HEAD_BYTES + len)), true);
    }
    info.cases++;
    try {
      await readSnapshot(pieces(bytes, 1 + pick(8192)), { begin: (h) => new Uint8Array(h.config.memoryBytes) }, { compressor });
      info.accepted++;
    } catch (err) {
      if (!(err instanceof SnapshotError)) {
        throw new Error(`snapshot fuzz seed ${seed} case ${c}: reader threw ${(err as Error)?.stack ?? String(err)}`);
      }
      info.refused++;
    }
  }
  return info;
}
