// Writes a snapshot stream (docs/snapshot-format.md) record by record to a sink: a file, a
// socket or a browser download all take the same chunks. Memory is read from the RAM bytes
// page by page, never copied whole.
import { encodePlain, type PlainData } from './plain-codec.js';
import type { PageCompressor } from './page-compressor.js';
import { encodePageRecord, isZeroPage, MEMORY_MAX_PAGES, SNAPSHOT_PAGE_BYTES, wordView } from './page-record.js';
import { encodeHeader, type SnapshotHeader } from './snapshot-header.js';
import { encodePreamble, encodeRecord, END_BYTES, RecordType, STATE_MAX_BYTES } from './stream-format.js';

/** Receives the stream's bytes in order; awaiting it gives the consumer backpressure. */
export type SnapshotSink = (chunk: Uint8Array) => void | Promise<void>;

/** What one `pages` call wrote. */
export interface PagesWritten {
  /** Page entries written (zero pages included when they were listed explicitly). */
  readonly pages: number;
  /** Of these, all-zero pages (sent as a flag, no data). */
  readonly zeroPages: number;
  /** Stream bytes the MEMORY records took. */
  readonly bytes: number;
}

/** Writes one stream: `header` first, then states and pages in any order, `end` last. */
export class SnapshotWriter {
  /** Bytes handed to the sink so far. */
  bytesWritten = 0;
  private records = 0;
  private pageEntries = 0;
  private stateRecords = 0;
  private state: 'new' | 'open' | 'ended' = 'new';

  constructor(
    private readonly sink: SnapshotSink,
    private readonly compressor?: PageCompressor,
  ) {}

  /** Writes the preamble and the HEADER record. */
  async header(h: SnapshotHeader): Promise<void> {
    if (this.state !== 'new') throw new Error('snapshot header written twice');
    this.state = 'open';
    await this.emit(encodePreamble());
    await this.record(RecordType.HEADER, encodeHeader(h));
  }

  /** Writes the CPU record of hart `index`. */
  async cpu(index: number, state: PlainData): Promise<void> {
    const body = encodePlain(state);
    const payload = new Uint8Array(4 + body.length);
    new DataView(payload.buffer).setUint32(0, index, true);
    payload.set(body, 4);
    await this.stateRecord(RecordType.CPU, payload);
  }

  /** Writes the DEVICE record of the component `name` (e.g. "plic", "virtio0"). */
  async device(name: string, state: PlainData): Promise<void> {
    const nameBytes = new TextEncoder().encode(name);
    if (nameBytes.length === 0 || nameBytes.length > 255) throw new Error(`device name '${name}' must be 1..255 bytes`);
    const body = encodePlain(state);
    const payload = new Uint8Array(2 + nameBytes.length + body.length);
    new DataView(payload.buffer).setUint16(0, nameBytes.length, true);
    payload.set(nameBytes, 2);
    payload.set(body, 2 + nameBytes.length);
    await this.stateRecord(RecordType.DEVICE, payload);
  }

  /**
   * Writes pages of `ram` (the guest RAM bytes, page 0 at offset 0) as MEMORY records. With
   * `list`, exactly those page numbers (increasing), zero pages as flags: a migration round's
   * dirty pages. Without, every non-zero page: zero pages are left out altogether (the reader's
   * RAM starts zeroed). `onProgress` gets the fraction of RAM done after each record (a full pass).
   */
  async pages(ram: Uint8Array, list?: readonly number[], onProgress?: (fraction: number) => void): Promise<PagesWritten> {
    const words = wordView(ram);
    const before = this.bytesWritten;
    let pages = 0;
    let zeroPages = 0;
    const batch: number[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      await this.record(RecordType.MEMORY, await encodePageRecord(ram, words, batch, this.compressor));
      pages += batch.length;
      this.pageEntries += batch.length;
      batch.length = 0;
    };
    if (list !== undefined) {
      for (const p of list) {
        if (isZeroPage(ram, words, p * SNAPSHOT_PAGE_BYTES)) zeroPages++;
        batch.push(p);
        if (batch.length === MEMORY_MAX_PAGES) await flush();
      }
    } else {
      const n = Math.floor(ram.length / SNAPSHOT_PAGE_BYTES);
      for (let p = 0; p < n; p++) {
        if (isZeroPage(ram, words, p * SNAPSHOT_PAGE_BYTES)) continue;
        batch.push(p);
        if (batch.length === MEMORY_MAX_PAGES) {
          await flush();
          onProgress?.(p / n);
        }
      }
    }
    await flush();
    return { pages, zeroPages, bytes: this.bytesWritten - before };
  }

  /**
   * Writes pages `list` (increasing page numbers) whose contents were copied beforehand: page
   * `list[i]` is at `copy[i * 4096 …]`. Zero pages as flags. (Migration's last round: copied
   * synchronously at the stop, sent afterwards; `compress: false` stores them, which is faster
   * than a trip through a compressor for the few pages of a last round.)
   */
  async copiedPages(list: readonly number[], copy: Uint8Array, options: { readonly compress?: boolean } = {}): Promise<PagesWritten> {
    const compressor = options.compress === false ? undefined : this.compressor;
    const words = wordView(copy);
    const before = this.bytesWritten;
    let zeroPages = 0;
    for (let start = 0; start < list.length; start += MEMORY_MAX_PAGES) {
      const pages = list.slice(start, start + MEMORY_MAX_PAGES);
      const slots = pages.map((_, i) => start + i);
      for (const s of slots) if (isZeroPage(copy, words, s * SNAPSHOT_PAGE_BYTES)) zeroPages++;
      await this.record(RecordType.MEMORY, await encodePageRecord(copy, words, pages, compressor, slots));
      this.pageEntries += pages.length;
    }
    return { pages: list.length, zeroPages, bytes: this.bytesWritten - before };
  }

  /** Writes the END record; the stream is complete. */
  async end(): Promise<void> {
    this.mustBeOpen();
    const payload = new Uint8Array(END_BYTES);
    const v = new DataView(payload.buffer);
    v.setUint32(0, this.records, true);
    v.setUint32(4, this.pageEntries, true);
    v.setUint32(8, this.stateRecords, true);
    await this.record(RecordType.END, payload);
    this.state = 'ended';
  }

  private async stateRecord(type: RecordType, payload: Uint8Array): Promise<void> {
    if (payload.length > STATE_MAX_BYTES) throw new Error(`state record of ${payload.length} bytes is above the ${STATE_MAX_BYTES}-byte cap`);
    await this.record(type, payload);
    this.stateRecords++;
  }

  private async record(type: RecordType, payload: Uint8Array): Promise<void> {
    this.mustBeOpen();
    await this.emit(encodeRecord(type, payload));
    this.records++;
  }

  private mustBeOpen(): void {
    if (this.state !== 'open') throw new Error(this.state === 'new' ? 'snapshot header not written yet' : 'snapshot already ended');
  }

  private async emit(chunk: Uint8Array): Promise<void> {
    this.bytesWritten += chunk.length;
    await this.sink(chunk);
  }
}
