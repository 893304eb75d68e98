// Replies from the destination of a migration to its source, framed as snapshot records
// (docs/snapshot-format.md, "Migration replies"): ACCEPT after the HEADER was checked and the
// machine built, REFUSE with a reason instead, RUNNING once the guest runs on the destination.
import { ChunkReader } from '../snapshot/chunk-reader.js';
import { SnapshotError } from '../snapshot/snapshot-error.js';
import { encodeRecord, RECORD_HEAD_BYTES, recordCrc } from '../snapshot/stream-format.js';

/** Reply record types (u16), a range apart from the stream's own. */
export const enum ReplyType {
  ACCEPT = 0x100,
  REFUSE = 0x101,
  RUNNING = 0x102,
}

/** Longest REFUSE reason. */
const REASON_MAX_BYTES = 4096;

/** A decoded reply. */
export type MigrationReply = { kind: 'accept' } | { kind: 'refuse'; reason: string } | { kind: 'running' };

/** Frames a reply. */
export function encodeReply(reply: MigrationReply): Uint8Array {
  if (reply.kind === 'accept') return encodeRecord(ReplyType.ACCEPT as number, new Uint8Array(0));
  if (reply.kind === 'running') return encodeRecord(ReplyType.RUNNING as number, new Uint8Array(0));
  const reason = new TextEncoder().encode(reply.reason).subarray(0, REASON_MAX_BYTES);
  return encodeRecord(ReplyType.REFUSE as number, reason);
}

/** Reads the next reply; undefined if the destination closed the link. Throws SnapshotError on garbage. */
export async function readReply(input: ChunkReader): Promise<MigrationReply | undefined> {
  const head = await input.read(RECORD_HEAD_BYTES);
  if (head.length === 0) return undefined;
  if (head.length < RECORD_HEAD_BYTES) throw new SnapshotError('migration destination closed the link in the middle of a reply');
  const v = new DataView(head.buffer, head.byteOffset, RECORD_HEAD_BYTES);
  const type = v.getUint16(0, true);
  const length = v.getUint32(4, true);
  if (length > REASON_MAX_BYTES) throw new SnapshotError(`migration reply of ${length} bytes is too long`);
  const payload = await input.read(length);
  if (payload.length < length) throw new SnapshotError('migration destination closed the link in the middle of a reply');
  if (recordCrc(head.subarray(0, 8), payload) !== v.getUint32(8, true)) throw new SnapshotError('migration reply checksum mismatch');
  switch (type) {
    case ReplyType.ACCEPT: return { kind: 'accept' };
    case ReplyType.RUNNING: return { kind: 'running' };
    case ReplyType.REFUSE: return { kind: 'refuse', reason: new TextDecoder().decode(payload) };
    default: throw new SnapshotError(`unknown migration reply type ${type}`);
  }
}
