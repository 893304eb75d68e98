// The snapshot stream: one format for save files, live migration and fork (docs/snapshot-format.md).
export { crc32c } from './crc32c.js';
export { encodePlain, decodePlain, PLAIN_MAX_DEPTH } from './plain-codec.js';
export type { PlainData } from './plain-codec.js';
export type { PageCompressor } from './page-compressor.js';
export { streamPageCompressor } from './stream-page-compressor.js';
export { SnapshotError } from './snapshot-error.js';
export type { SnapshotHeader, SnapshotPurpose } from './snapshot-header.js';
export { SnapshotWriter } from './snapshot-writer.js';
export type { SnapshotSink, PagesWritten } from './snapshot-writer.js';
export { readSnapshot } from './snapshot-reader.js';
export type { SnapshotTarget, SnapshotContents, SnapshotReadOptions } from './snapshot-reader.js';
export { SNAPSHOT_FORMAT_VERSION, SNAPSHOT_MAGIC, RecordType } from './stream-format.js';
export { SNAPSHOT_PAGE_BYTES, MEMORY_MAX_PAGES } from './page-record.js';
export { writeMachineSnapshot, readMachineState, writeStateRecords, stateOf, ramBytes } from './machine-snapshot.js';
export type { SavableMachine, MachineStateData, WriteMachineOptions, MachineSnapshotInfo, ReadMachineState, ReadMachineOptions } from './machine-snapshot.js';
