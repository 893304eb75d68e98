import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concat, KIT_CONFIG, KIT_CPUS, KIT_DEVICES, KIT_HEADER, kitRam, kitStream, pieces } from '../../test-support/snapshot-kit.js';
import { zlibPageCompressor } from '../../platform/node/zlib-page-compressor.js';
import { readSnapshot, type SnapshotTarget } from './snapshot-reader.js';
import { SnapshotError } from './snapshot-error.js';
import { streamPageCompressor } from './stream-page-compressor.js';
import { SnapshotWriter } from './snapshot-writer.js';
import { encodePreamble, encodeRecord, PREAMBLE_BYTES, RECORD_HEAD_BYTES, RecordType, recordCrc } from './stream-format.js';
import { MEMORY_MAX_PAGES } from './page-record.js';

/** A target that hands out a fresh RAM of the header's size and keeps it. */
function ramTarget(): SnapshotTarget & { ram?: Uint8Array } {
  const t: SnapshotTarget & { ram?: Uint8Array } = {
    begin: (h) => (t.ram = new Uint8Array(h.config.memoryBytes)),
  };
  return t;
}

async function read(bytes: Uint8Array, size = 65536, options = {}) {
  const t = ramTarget();
  const contents = await readSnapshot(pieces(bytes, size), t, options);
  return { contents, ram: t.ram! };
}

/** Expects a SnapshotError whose message matches `re`. */
async function refused(bytes: Uint8Array, re: RegExp, options = {}): Promise<void> {
  await assert.rejects(read(bytes, 4096, options), (e: unknown) => {
    assert.ok(e instanceof SnapshotError, `not a SnapshotError: ${String(e)}`);
    assert.match(e.message, re);
    return true;
  });
}

/** Recomputes the CRC of the record whose head starts at `at` (to test the checks behind the CRC). */
function refixCrc(bytes: Uint8Array, at: number): void {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  const len = v.getUint32(at + 4, true);
  v.setUint32(at + 8, recordCrc(bytes.subarray(at, at + 8), bytes.subarray(at + RECORD_HEAD_BYTES, at + RECORD_HEAD_BYTES + len)), true);
}

/** Byte offsets of every record head. */
function recordOffsets(bytes: Uint8Array): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  const out: number[] = [];
  for (let o = PREAMBLE_BYTES; o < bytes.length; o += RECORD_HEAD_BYTES + v.getUint32(o + 4, true)) out.push(o);
  return out;
}

test('a stream round-trips header, RAM, CPU and device states, fed in chunks of any size', async () => {
  const ram = kitRam();
  const bytes = concat(await kitStream({ ram }));
  for (const size of [7, 4096, 1 << 20]) {
    const { contents, ram: back } = await read(bytes, size);
    assert.deepEqual(back, ram, `RAM, chunks of ${size}`);
    assert.deepEqual(contents.header, KIT_HEADER);
    assert.deepEqual(contents.cpus, KIT_CPUS);
    assert.deepEqual([...contents.devices], KIT_DEVICES);
    assert.equal(contents.bytes, bytes.length);
  }
});

test('a small stream fed byte by byte reads back the same', async () => {
  const header = { ...KIT_HEADER, config: { ...KIT_CONFIG, memoryBytes: 16 * 4096 } };
  const ram = kitRam(16 * 4096);
  const { contents, ram: back } = await read(concat(await kitStream({ ram, header })), 1);
  assert.deepEqual(back, ram);
  assert.deepEqual(contents.cpus, KIT_CPUS);
});

test('zero pages are left out: a mostly-zero RAM makes a small stream', async () => {
  const ram = kitRam();
  let nonZero = 0;
  for (let p = 0; p < ram.length / 4096; p++) if (ram.subarray(p * 4096, (p + 1) * 4096).some((b) => b !== 0)) nonZero++;
  const { contents } = await read(concat(await kitStream({ ram })));
  assert.equal(contents.pageEntries, nonZero);
  const empty = concat(await kitStream({ ram: new Uint8Array(KIT_CONFIG.memoryBytes) }));
  assert.ok(empty.length < 2048, `an all-zero 1 MiB RAM took ${empty.length} bytes`);
});

test('compressed pages (node:zlib and CompressionStream) read back with either decompressor', async () => {
  const ram = kitRam();
  const plain = concat(await kitStream({ ram }));
  const zlib = zlibPageCompressor();
  const web = streamPageCompressor();
  assert.ok(web !== undefined, 'Node has CompressionStream');
  for (const [writer, reader] of [[zlib, web], [web, zlib], [zlib, zlib]] as const) {
    const bytes = concat(await kitStream({ ram, compressor: writer }));
    assert.ok(bytes.length < plain.length * 0.8, `compressed ${bytes.length} vs stored ${plain.length}`);
    const { ram: back } = await read(bytes, 1000, { compressor: reader });
    assert.deepEqual(back, ram);
  }
  await refused(concat(await kitStream({ ram, compressor: zlib })), /no decompressor/);
});

test('a migration round writes listed pages, zero pages as flags that clear the page', async () => {
  const ram = kitRam();
  const chunks: Uint8Array[] = [];
  const w = new SnapshotWriter((c) => void chunks.push(c), zlibPageCompressor());
  await w.header({ ...KIT_HEADER, purpose: 'migration' });
  await w.pages(ram);
  ram.fill(0, 4096, 8192); // page 1 becomes zero
  ram[3 * 4096] = 42; // page 3 is written
  const round = await w.pages(ram, [1, 3]);
  assert.equal(round.pages, 2);
  assert.equal(round.zeroPages, 1);
  for (let i = 0; i < 2; i++) await w.cpu(i, KIT_CPUS[i]!);
  await w.end();
  const { ram: back, contents } = await read(concat(chunks), 4096, { compressor: zlibPageCompressor() });
  assert.deepEqual(back, ram);
  assert.equal(contents.header.purpose, 'migration');
});

test('a stream with any single byte flipped is refused', async () => {
  const small = kitRam(64 * 4096);
  const header = { ...KIT_HEADER, config: { ...KIT_CONFIG, memoryBytes: 64 * 4096 } };
  const bytes = concat(await kitStream({ ram: small, header }));
  // Every byte of the preamble, the HEADER record and each record head; a sample of payloads.
  const heads = new Set(recordOffsets(bytes).flatMap((o) => Array.from({ length: RECORD_HEAD_BYTES + 4 }, (_, k) => o + k)));
  const headerEnd = recordOffsets(bytes)[1]!;
  for (let i = 0; i < bytes.length; i++) {
    if (i >= headerEnd && !heads.has(i) && i % 397 !== 0) continue;
    const bad = bytes.slice();
    bad[i] ^= 1 << (i % 8);
    await refused(bad, /corrupted|not a Banquise snapshot|truncated|announces/);
  }
});

test('a truncated stream is refused at every cut, and an empty one says so', async () => {
  const bytes = concat(await kitStream());
  await refused(new Uint8Array(0), /stream is empty/);
  const cuts = [1, 8, 15, 16, 20, 28, ...recordOffsets(bytes).flatMap((o) => [o, o + 5, o + 13]), bytes.length - 1];
  for (const cut of cuts) await refused(bytes.subarray(0, cut), /truncated|not a Banquise snapshot/);
});

test('foreign data, a newer format and format 0 are refused with what to do', async () => {
  await refused(new TextEncoder().encode('#!/bin/sh\necho hello, this is not a snapshot\n'), /not a Banquise snapshot/);
  const bytes = concat(await kitStream());
  const newer = bytes.slice();
  newer.set(encodePreamble(2), 0);
  await refused(newer, /format 2 was written by a newer Banquise.*reads format 1.*upgrade/);
  const zero = bytes.slice();
  zero.set(encodePreamble(0), 0);
  await refused(zero, /format 0 does not exist/);
});

test('a record length beyond its cap is refused before anything is allocated', async () => {
  const bytes = concat(await kitStream());
  const offs = recordOffsets(bytes);
  for (const [i, re] of [[0, /HEADER.*announces 4294967295 bytes/], [1, /MEMORY.*announces 4294967295 bytes/]] as const) {
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(offs[i]! + 4, 0xffffffff, true);
    refixCrc(bad.subarray(0, offs[i]! + RECORD_HEAD_BYTES), offs[i]!); // CRC over a truncated payload: not reached anyway
    await refused(bad, re);
  }
  // A state record larger than the guest's RAM: the cap follows the config.
  const tiny = new Uint8Array(1 << 20);
  const chunks: Uint8Array[] = [];
  const w = new SnapshotWriter((c) => void chunks.push(c));
  await w.header({ ...KIT_HEADER, config: { ...KIT_CONFIG, memoryBytes: 64 * 1024 } });
  await w.device('blob', tiny);
  await refused(concat(chunks), /DEVICE.*more than the 65536/);
});

test('structural defects behind a valid checksum are refused', async () => {
  const bytes = concat(await kitStream());
  const offs = recordOffsets(bytes);
  const memAt = offs[1]!;
  const edit = async (f: (b: Uint8Array, v: DataView) => void, re: RegExp, at = memAt): Promise<void> => {
    const bad = bytes.slice();
    f(bad, new DataView(bad.buffer));
    refixCrc(bad, at);
    await refused(bad, re);
  };
  const P = memAt + RECORD_HEAD_BYTES;
  await edit((_, v) => v.setUint32(P, 0, true), /page count 0/);
  await edit((_, v) => v.setUint32(P, MEMORY_MAX_PAGES + 1, true), /page count 257/);
  await edit((b) => (b[P + 5] = 1), /reserved bytes/);
  await edit((b) => (b[P + 4] = 9), /unknown page encoding 9/);
  await edit((_, v) => v.setUint32(P + 8, 100_000, true), /page 100000 is beyond guest RAM/);
  await edit((_, v) => v.setUint32(P + 12, 0, true), /listed after page/);
  await edit((b) => (b[P + 4] = 1), /compressed pages but no decompressor|compressed data/);
  await edit((_, v) => v.setUint16(memAt, 77, true), /unknown type/);
  await edit((_, v) => v.setUint16(memAt + 2, 1, true), /flags 0x1/);
  // Records lost: drop the first MEMORY record entirely.
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(memAt + 4, true);
  const dropped = concat([bytes.subarray(0, memAt), bytes.subarray(memAt + RECORD_HEAD_BYTES + len)]);
  await refused(dropped, /END counts .*records were lost/);
  // Trailing bytes after END.
  await refused(concat([bytes, new Uint8Array([0])]), /data after its END/);
  const { contents } = await read(concat([bytes, new Uint8Array([0])]), 4096, { expectEof: false });
  assert.equal(contents.cpus.length, 2);
});

test('record order: a record before HEADER, a second HEADER, a missing or repeated CPU', async () => {
  const mem = encodeRecord(RecordType.END, new Uint8Array(12));
  await refused(concat([encodePreamble(), mem]), /comes before the HEADER/);
  const write = async (f: (w: SnapshotWriter) => Promise<void>): Promise<Uint8Array> => {
    const chunks: Uint8Array[] = [];
    const w = new SnapshotWriter((c) => void chunks.push(c));
    await w.header(KIT_HEADER);
    await f(w);
    await w.end();
    return concat(chunks);
  };
  await refused(await write(async (w) => void (await w.cpu(0, 1))), /no CPU record for hart 1/);
  await refused(await write(async (w) => { await w.cpu(0, 1); await w.cpu(0, 1); await w.cpu(1, 1); }), /two CPU records for hart 0/);
  await refused(await write(async (w) => { await w.cpu(0, 1); await w.cpu(1, 1); await w.cpu(2, 1); }), /hart 2, the machine has 2/);
  await refused(await write(async (w) => { await w.cpu(0, 1); await w.cpu(1, 1); await w.device('a', 1); await w.device('a', 2); }), /two DEVICE records for 'a'/);
  await refused(await write(async (w) => { await w.header(KIT_HEADER); }).catch(() => concat([encodePreamble(), encodeRecord(RecordType.HEADER, new Uint8Array([0xa0]))])), /banquiseVersion/);
});

test('a header the host cannot satisfy stops the read at once, with the target\'s message', async () => {
  const bytes = concat(await kitStream());
  let pagesSeen = 0;
  await assert.rejects(
    readSnapshot(pieces(bytes, 4096), {
      begin: () => {
        throw new SnapshotError('disk /images/disk.img is missing');
      },
      progress: () => void pagesSeen++,
    }),
    /disk \/images\/disk.img is missing/,
  );
  assert.equal(pagesSeen, 0);
});

test('a full pass reports its progress after each MEMORY record, increasing, below 1', async () => {
  const ram = new Uint8Array((3 * MEMORY_MAX_PAGES + 10) * 4096);
  for (let p = 0; p < ram.length / 4096; p++) ram[p * 4096] = 1; // every page non-zero: 4 records
  const w = new SnapshotWriter(() => {});
  await w.header(KIT_HEADER);
  const seen: number[] = [];
  await w.pages(ram, undefined, (f) => seen.push(f));
  assert.equal(seen.length, 3, 'after each full record');
  assert.ok(seen.every((f, i) => f > 0 && f < 1 && (i === 0 || f > seen[i - 1]!)), String(seen));
});
