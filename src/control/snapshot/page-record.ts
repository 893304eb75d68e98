// MEMORY record payloads: a list of guest RAM pages and their contents, zero pages as a flag
// only, the others stored or raw-DEFLATE compressed (docs/snapshot-format.md, "MEMORY").
import type { PageCompressor } from './page-compressor.js';
import { SnapshotError } from './snapshot-error.js';

/** Bytes of a guest page. */
export const SNAPSHOT_PAGE_BYTES = 4096;
/** Most pages one MEMORY record lists (1 MiB of data). */
export const MEMORY_MAX_PAGES = 256;
/** Bytes before the page list: u32 count, u8 encoding, 3 reserved zero bytes. */
export const MEMORY_HEAD_BYTES = 8;
/** Page list entry flag: the page is all zeros and has no data. */
export const PAGE_ZERO_FLAG = 0x8000_0000;
/** Largest MEMORY payload. */
export const MEMORY_MAX_BYTES = MEMORY_HEAD_BYTES + 4 * MEMORY_MAX_PAGES + SNAPSHOT_PAGE_BYTES * MEMORY_MAX_PAGES;

/** How a MEMORY record's page data is stored. */
export const enum PageEncoding {
  STORED = 0,
  DEFLATE = 1,
}

/** True if the 4 KiB page at byte `offset` of `ram` is all zeros. */
export function isZeroPage(ram: Uint8Array, words: Int32Array | undefined, offset: number): boolean {
  if (words !== undefined) {
    const w = offset >>> 2;
    for (let i = w, end = w + SNAPSHOT_PAGE_BYTES / 4; i < end; i++) if (words[i] !== 0) return false;
    return true;
  }
  for (let i = offset, end = offset + SNAPSHOT_PAGE_BYTES; i < end; i++) if (ram[i] !== 0) return false;
  return true;
}

/** An Int32Array over `ram` when it is 4-byte aligned (fast zero checks), else undefined. */
export function wordView(ram: Uint8Array): Int32Array | undefined {
  return ram.byteOffset % 4 === 0 && ram.byteLength % 4 === 0 ? new Int32Array(ram.buffer, ram.byteOffset, ram.byteLength / 4) : undefined;
}

/**
 * Encodes pages `pages[0..n)` (strictly increasing page numbers, 1..MEMORY_MAX_PAGES) into a
 * MEMORY payload. Page `pages[i]` is read from `ram` at page index `slots[i]` (default
 * `pages[i]`: `ram` is the whole RAM). Zero pages get the zero flag; the rest are compressed
 * when a compressor is given and it makes them smaller.
 */
export async function encodePageRecord(
  ram: Uint8Array,
  words: Int32Array | undefined,
  pages: readonly number[],
  compressor: PageCompressor | undefined,
  slots?: readonly number[],
): Promise<Uint8Array> {
  const n = pages.length;
  const entries = new Uint32Array(n);
  const at = (i: number): number => (slots === undefined ? pages[i]! : slots[i]!) * SNAPSHOT_PAGE_BYTES;
  let dataPages = 0;
  for (let i = 0; i < n; i++) {
    const p = pages[i]!;
    if (isZeroPage(ram, words, at(i))) entries[i] = (p | PAGE_ZERO_FLAG) >>> 0;
    else {
      entries[i] = p;
      dataPages++;
    }
  }
  const raw = new Uint8Array(dataPages * SNAPSHOT_PAGE_BYTES);
  let o = 0;
  for (let i = 0; i < n; i++) {
    if ((entries[i]! & PAGE_ZERO_FLAG) !== 0) continue;
    const off = at(i);
    raw.set(ram.subarray(off, off + SNAPSHOT_PAGE_BYTES), o);
    o += SNAPSHOT_PAGE_BYTES;
  }
  let data: Uint8Array = raw;
  let encoding = PageEncoding.STORED;
  if (compressor !== undefined && raw.length > 0) {
    const packed = await compressor.compress(raw);
    if (packed.length < raw.length) {
      data = packed;
      encoding = PageEncoding.DEFLATE;
    }
  }
  const out = new Uint8Array(MEMORY_HEAD_BYTES + 4 * n + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, n, true);
  out[4] = encoding;
  for (let i = 0; i < n; i++) v.setUint32(MEMORY_HEAD_BYTES + 4 * i, entries[i]!, true);
  out.set(data, MEMORY_HEAD_BYTES + 4 * n);
  return out;
}

/**
 * Checks a MEMORY payload against a RAM of `ramPages` pages and writes its pages into `ram`
 * (zero pages are cleared). Returns the number of page entries. Throws SnapshotError, having
 * written nothing, if the payload is malformed.
 */
export async function applyPageRecord(
  payload: Uint8Array,
  ram: Uint8Array,
  compressor: PageCompressor | undefined,
): Promise<number> {
  const ramPages = Math.floor(ram.length / SNAPSHOT_PAGE_BYTES);
  const fail = (why: string): never => {
    throw new SnapshotError(`snapshot MEMORY record: ${why}`);
  };
  if (payload.length < MEMORY_HEAD_BYTES) fail(`${payload.length} bytes is shorter than its head`);
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const n = v.getUint32(0, true);
  const encoding = payload[4]!;
  if (n < 1 || n > MEMORY_MAX_PAGES) fail(`page count ${n} is not 1..${MEMORY_MAX_PAGES}`);
  if (payload[5] !== 0 || payload[6] !== 0 || payload[7] !== 0) fail('reserved bytes are not zero');
  if (payload.length < MEMORY_HEAD_BYTES + 4 * n) fail(`page list of ${n} entries does not fit in ${payload.length} bytes`);
  let dataPages = 0;
  let previous = -1;
  for (let i = 0; i < n; i++) {
    const e = v.getUint32(MEMORY_HEAD_BYTES + 4 * i, true);
    const page = e & ~PAGE_ZERO_FLAG;
    if (page >= ramPages) fail(`page ${page} is beyond guest RAM (${ramPages} pages)`);
    if (page <= previous) fail(`page ${page} listed after page ${previous} (pages must be increasing)`);
    previous = page;
    if ((e & PAGE_ZERO_FLAG) === 0) dataPages++;
  }
  const data = payload.subarray(MEMORY_HEAD_BYTES + 4 * n);
  const rawBytes = dataPages * SNAPSHOT_PAGE_BYTES;
  let raw: Uint8Array;
  if (encoding === PageEncoding.STORED) {
    if (data.length !== rawBytes) fail(`${data.length} bytes of stored data for ${dataPages} pages`);
    raw = data;
  } else if (encoding === PageEncoding.DEFLATE) {
    if (compressor === undefined) fail('compressed pages but no decompressor on this host');
    if (dataPages === 0 || data.length === 0 || data.length >= rawBytes) fail(`${data.length} bytes of compressed data for ${dataPages} pages`);
    try {
      raw = await compressor!.decompress(data, rawBytes);
    } catch (err) {
      return fail(`compressed page data is damaged (${(err as Error).message})`);
    }
    if (raw.length !== rawBytes) fail(`pages inflated to ${raw.length} bytes, expected ${rawBytes}`);
  } else {
    return fail(`unknown page encoding ${encoding}`);
  }
  let o = 0;
  for (let i = 0; i < n; i++) {
    const e = v.getUint32(MEMORY_HEAD_BYTES + 4 * i, true);
    const off = (e & ~PAGE_ZERO_FLAG) * SNAPSHOT_PAGE_BYTES;
    if ((e & PAGE_ZERO_FLAG) !== 0) ram.fill(0, off, off + SNAPSHOT_PAGE_BYTES);
    else {
      ram.set(raw!.subarray(o, o + SNAPSHOT_PAGE_BYTES), off);
      o += SNAPSHOT_PAGE_BYTES;
    }
  }
  return n;
}
