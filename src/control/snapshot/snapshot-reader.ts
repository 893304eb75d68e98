// Reads a snapshot stream (docs/snapshot-format.md): checks the preamble, every record's
// length (before allocating) and checksum, the record order and the END counts. Memory pages
// go straight into the RAM the target provides; CPU and DEVICE states are returned only once
// END has been read and checked, so a caller never applies a partial snapshot.
import { ChunkReader } from './chunk-reader.js';
import { crc32c } from './crc32c.js';
import { decodePlain, type PlainData } from './plain-codec.js';
import type { PageCompressor } from './page-compressor.js';
import { applyPageRecord, MEMORY_MAX_BYTES } from './page-record.js';
import { SnapshotError } from './snapshot-error.js';
import { decodeHeader, type SnapshotHeader } from './snapshot-header.js';
import {
  END_BYTES,
  HEADER_MAX_BYTES,
  PREAMBLE_BYTES,
  RECORD_HEAD_BYTES,
  RecordType,
  SNAPSHOT_FORMAT_VERSION,
  SNAPSHOT_MAGIC,
  STATE_MAX_BYTES,
  STATE_TOTAL_MAX_BYTES,
  recordCrc,
  recordTypeName,
} from './stream-format.js';

/** Where the reader puts what it reads. */
export interface SnapshotTarget {
  /**
   * Called once with the checked header; returns the guest RAM to fill (zeroed, exactly
   * `header.config.memoryBytes` long), e.g. the memory of a machine built, not started, from
   * `header.config`. Throwing here (a host that cannot build that machine) aborts the read.
   */
  begin(header: SnapshotHeader): Uint8Array | Promise<Uint8Array>;
  /** Called after every MEMORY record with the running count of page entries (progress). */
  progress?(pageEntries: number, bytesRead: number): void;
}

/** A completely read and checked stream (its pages are already in the target's RAM). */
export interface SnapshotContents {
  readonly header: SnapshotHeader;
  /** CPU states by hart index (every hart of the config, exactly once). */
  readonly cpus: readonly PlainData[];
  /** DEVICE states by name. */
  readonly devices: ReadonlyMap<string, PlainData>;
  /** Page entries applied. */
  readonly pageEntries: number;
  /** Stream bytes read. */
  readonly bytes: number;
}

/** Reader options. */
export interface SnapshotReadOptions {
  /** Decompressor of compressed MEMORY records (none: such a stream is refused). */
  readonly compressor?: PageCompressor;
  /** Refuse bytes after END (a save file); false for a channel that carries more. Default true. */
  readonly expectEof?: boolean;
}

/** Reads one whole stream from `source` into `target`. Throws SnapshotError on any defect. */
export async function readSnapshot(
  source: AsyncIterable<Uint8Array>,
  target: SnapshotTarget,
  options: SnapshotReadOptions = {},
): Promise<SnapshotContents> {
  const input = new ChunkReader(source);
  try {
    return await readFrom(input, target, options);
  } finally {
    if (options.expectEof !== false) await input.close();
  }
}

async function readFrom(input: ChunkReader, target: SnapshotTarget, options: SnapshotReadOptions): Promise<SnapshotContents> {
  await readPreamble(input);
  let records = 0;
  let pageEntries = 0;
  let stateRecords = 0;
  let stateBytes = 0;
  let header: SnapshotHeader | undefined;
  let ram: Uint8Array | undefined;
  const cpus: (PlainData | typeof MISSING)[] = [];
  const devices = new Map<string, PlainData>();
  for (;;) {
    const at = input.offset;
    const head = await input.read(RECORD_HEAD_BYTES);
    if (head.length < RECORD_HEAD_BYTES) {
      throw new SnapshotError(`snapshot is truncated: it ends at byte ${input.offset} before its END record${header === undefined ? '' : ' (the save or transfer did not finish)'}`);
    }
    const hv = new DataView(head.buffer, head.byteOffset, RECORD_HEAD_BYTES);
    const type = hv.getUint16(0, true);
    const flags = hv.getUint16(2, true);
    const length = hv.getUint32(4, true);
    const crc = hv.getUint32(8, true);
    const where = `record ${records} (${recordTypeName(type)}) at byte ${at}`;
    const cap = recordCap(type, header);
    if (cap === undefined) throw new SnapshotError(`snapshot is corrupted: ${where} has an unknown type`);
    if (flags !== 0) throw new SnapshotError(`snapshot is corrupted: ${where} has flags 0x${flags.toString(16)} (must be 0)`);
    if (length > cap) throw new SnapshotError(`snapshot is corrupted: ${where} announces ${length} bytes, more than the ${cap} such a record may have`);
    const payload = await input.read(length);
    if (payload.length < length) throw new SnapshotError(`snapshot is truncated: ${where} announces ${length} bytes, the stream ends after ${payload.length}`);
    if (recordCrc(head.subarray(0, 8), payload) !== crc) throw new SnapshotError(`snapshot is corrupted: checksum mismatch in ${where}`);
    if (header === undefined && type !== RecordType.HEADER) throw new SnapshotError(`snapshot is corrupted: ${where} comes before the HEADER record`);
    switch (type) {
      case RecordType.HEADER: {
        if (header !== undefined) throw new SnapshotError(`snapshot is corrupted: a second HEADER record at byte ${at}`);
        header = decodeHeader(payload);
        ram = await target.begin(header);
        if (ram.length !== header.config.memoryBytes) throw new Error(`snapshot target gave ${ram.length} bytes of RAM for ${header.config.memoryBytes}`);
        for (let i = 0; i < header.config.vcpus; i++) cpus.push(MISSING);
        break;
      }
      case RecordType.MEMORY:
        pageEntries += await applyPageRecord(payload, ram!, options.compressor);
        target.progress?.(pageEntries, input.offset);
        break;
      case RecordType.CPU: {
        if (payload.length < 4) throw new SnapshotError(`snapshot is corrupted: ${where} is too short`);
        const index = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, true);
        if (index >= cpus.length) throw new SnapshotError(`snapshot is corrupted: ${where} is for hart ${index}, the machine has ${cpus.length}`);
        if (cpus[index] !== MISSING) throw new SnapshotError(`snapshot is corrupted: two CPU records for hart ${index}`);
        stateBytes = addState(stateBytes, length);
        cpus[index] = decodePlain(payload.subarray(4), `snapshot CPU record of hart ${index}`);
        stateRecords++;
        break;
      }
      case RecordType.DEVICE: {
        const name = deviceName(payload, where);
        if (devices.has(name)) throw new SnapshotError(`snapshot is corrupted: two DEVICE records for '${name}'`);
        stateBytes = addState(stateBytes, length);
        devices.set(name, decodePlain(payload.subarray(2 + new DataView(payload.buffer, payload.byteOffset, 2).getUint16(0, true)), `snapshot DEVICE record '${name}'`));
        stateRecords++;
        break;
      }
      case RecordType.END: {
        if (length !== END_BYTES) throw new SnapshotError(`snapshot is corrupted: ${where} has ${length} bytes, not ${END_BYTES}`);
        const ev = new DataView(payload.buffer, payload.byteOffset, END_BYTES);
        const wantRecords = ev.getUint32(0, true);
        const wantPages = ev.getUint32(4, true);
        const wantStates = ev.getUint32(8, true);
        if (wantRecords !== records || wantPages !== (pageEntries >>> 0) || wantStates !== stateRecords) {
          throw new SnapshotError(
            `snapshot is corrupted: END counts ${wantRecords} records, ${wantPages} pages, ${wantStates} states; ` +
              `the stream had ${records}, ${pageEntries}, ${stateRecords} (records were lost)`,
          );
        }
        const missing = cpus.findIndex((c) => c === MISSING);
        if (missing >= 0) throw new SnapshotError(`snapshot is incomplete: no CPU record for hart ${missing}`);
        if (options.expectEof !== false && !(await input.atEnd())) {
          throw new SnapshotError(`snapshot is corrupted: data after its END record at byte ${input.offset}`);
        }
        return { header: header!, cpus: cpus as PlainData[], devices, pageEntries, bytes: input.offset };
      }
    }
    records++;
  }
}

/** Marks a hart whose CPU record has not been read yet. */
const MISSING: unique symbol = Symbol('missing');

async function readPreamble(input: ChunkReader): Promise<void> {
  const p = await input.read(PREAMBLE_BYTES);
  const magicOk = p.length >= SNAPSHOT_MAGIC.length && SNAPSHOT_MAGIC.every((b, i) => p[i] === b);
  if (!magicOk) {
    if (p.length === 0) throw new SnapshotError('not a Banquise snapshot: the stream is empty');
    throw new SnapshotError('not a Banquise snapshot: the stream does not start with the snapshot magic');
  }
  if (p.length < PREAMBLE_BYTES) throw new SnapshotError(`snapshot is truncated: it ends at byte ${p.length}, inside its preamble`);
  const v = new DataView(p.buffer, p.byteOffset, PREAMBLE_BYTES);
  if (crc32c(p.subarray(0, 12)) !== v.getUint32(12, true)) throw new SnapshotError('snapshot is corrupted: checksum mismatch in its preamble');
  const version = v.getUint32(8, true);
  if (version > SNAPSHOT_FORMAT_VERSION) {
    throw new SnapshotError(`snapshot format ${version} was written by a newer Banquise; this one reads format ${SNAPSHOT_FORMAT_VERSION}: upgrade Banquise to restore it`);
  }
  if (version < 1) throw new SnapshotError(`snapshot format ${version} does not exist (formats start at 1)`);
}

/** Largest payload a record of `type` may have, or undefined for an unknown type. */
function recordCap(type: number, header: SnapshotHeader | undefined): number | undefined {
  switch (type) {
    case RecordType.HEADER: return HEADER_MAX_BYTES;
    case RecordType.CPU:
    case RecordType.DEVICE:
      // No component's state is larger than the guest's RAM.
      return Math.min(STATE_MAX_BYTES, header?.config.memoryBytes ?? STATE_MAX_BYTES);
    case RecordType.MEMORY: return MEMORY_MAX_BYTES;
    case RecordType.END: return END_BYTES;
    default: return undefined;
  }
}

function addState(total: number, length: number): number {
  const sum = total + length;
  if (sum > STATE_TOTAL_MAX_BYTES) throw new SnapshotError(`snapshot is corrupted: its CPU and DEVICE records exceed ${STATE_TOTAL_MAX_BYTES} bytes`);
  return sum;
}

function deviceName(payload: Uint8Array, where: string): string {
  if (payload.length < 2) throw new SnapshotError(`snapshot is corrupted: ${where} is too short`);
  const n = new DataView(payload.buffer, payload.byteOffset, 2).getUint16(0, true);
  if (n === 0 || n > 255 || payload.length < 2 + n) throw new SnapshotError(`snapshot is corrupted: ${where} has a bad name length ${n}`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(payload.subarray(2, 2 + n));
  } catch {
    throw new SnapshotError(`snapshot is corrupted: ${where} has a name that is not UTF-8`);
  }
}
