// The snapshot stream's framing (docs/snapshot-format.md is the reference; keep them equal):
// a 16-byte preamble, then records of a 12-byte head and a payload, every byte checksummed.
import { crc32c } from './crc32c.js';

/** First 8 bytes of every stream: "\x89BQSNAP\n" (a high byte and a newline catch text-mode mangling). */
export const SNAPSHOT_MAGIC: Uint8Array = Uint8Array.from([0x89, 0x42, 0x51, 0x53, 0x4e, 0x41, 0x50, 0x0a]);
/** The format version this code writes and the newest it reads. */
export const SNAPSHOT_FORMAT_VERSION = 1;
/** Bytes of the preamble: magic, u32 format version, u32 CRC-32C of the 12 bytes before it. */
export const PREAMBLE_BYTES = 16;
/** Bytes of a record head: u16 type, u16 flags (0), u32 payload length, u32 CRC-32C. */
export const RECORD_HEAD_BYTES = 12;

/** Record types (u16). */
export const enum RecordType {
  /** Banquise version, MachineConfig, what the stream is for (CBOR map). First record. */
  HEADER = 1,
  /** One hart's state: u32 hart index, then CBOR. */
  CPU = 2,
  /** One device's (or board component's) state: u16 name length, UTF-8 name, then CBOR. */
  DEVICE = 3,
  /** Guest RAM pages (see page-record.ts). */
  MEMORY = 4,
  /** Last record: counts of the records and pages before it. */
  END = 5,
}

/** Largest HEADER payload. */
export const HEADER_MAX_BYTES = 1 << 20;
/** Largest CPU or DEVICE payload. */
export const STATE_MAX_BYTES = 8 << 20;
/** Sum of every CPU and DEVICE payload of one stream (they are held until END). */
export const STATE_TOTAL_MAX_BYTES = 64 << 20;
/** Exact END payload length: u32 record count, u32 page count, u32 state record count. */
export const END_BYTES = 12;

/** Writes the 16-byte preamble of `version` (tests write other versions). */
export function encodePreamble(version: number = SNAPSHOT_FORMAT_VERSION): Uint8Array {
  const b = new Uint8Array(PREAMBLE_BYTES);
  b.set(SNAPSHOT_MAGIC, 0);
  const v = new DataView(b.buffer);
  v.setUint32(8, version, true);
  v.setUint32(12, crc32c(b.subarray(0, 12)), true);
  return b;
}

/** Frames one record: head (type, flags 0, length, CRC over head fields and payload) + payload. */
export function encodeRecord(type: RecordType, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(RECORD_HEAD_BYTES + payload.length);
  const v = new DataView(b.buffer);
  v.setUint16(0, type, true);
  v.setUint16(2, 0, true);
  v.setUint32(4, payload.length, true);
  b.set(payload, RECORD_HEAD_BYTES);
  v.setUint32(8, recordCrc(b.subarray(0, 8), payload), true);
  return b;
}

/** CRC-32C of a record: over its first 8 head bytes, then its payload. */
export function recordCrc(head8: Uint8Array, payload: Uint8Array): number {
  return crc32c(payload, crc32c(head8));
}

/** Name of a record type for messages. */
export function recordTypeName(type: number): string {
  switch (type) {
    case RecordType.HEADER: return 'HEADER';
    case RecordType.CPU: return 'CPU';
    case RecordType.DEVICE: return 'DEVICE';
    case RecordType.MEMORY: return 'MEMORY';
    case RecordType.END: return 'END';
    default: return `unknown type ${type}`;
  }
}
