import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlockFileBackend, diskOpenError } from '../../../platform/node/virtio/block-file-backend.js';
import { mockHarness, type MockHarness, type MockUsed } from '../mock-driver.js';
import { VIRTIO_F_VERSION_1, VIRTIO_STATUS_DEVICE_NEEDS_RESET } from '../virtio-device.js';
import {
  VirtioBlockDevice, type BlockBackend, VIRTIO_BLK_F_DISCARD, VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_RO, VIRTIO_BLK_F_WRITE_ZEROES,
  VIRTIO_BLK_S_IOERR, VIRTIO_BLK_S_OK, VIRTIO_BLK_S_UNSUPP, VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_WRITE_ZEROES,
} from './block-device.js';

const DISK = 64 * 1024;

function image(content?: (b: Uint8Array) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'banquise-blk-'));
  const path = join(dir, 'disk.img');
  const b = new Uint8Array(DISK);
  for (let i = 0; i < DISK; i++) b[i] = (i * 7 + (i >> 9)) & 0xff;
  content?.(b);
  writeFileSync(path, b);
  return path;
}

async function waitUsed(h: MockHarness, n: number): Promise<MockUsed[]> {
  const got: MockUsed[] = [];
  for (let i = 0; i < 2000 && got.length < n; i++) {
    h.sched.run();
    got.push(...h.drv.reap(0));
    if (got.length < n) await new Promise((r) => setImmediate(r));
  }
  assert.equal(got.length, n, 'requests completed');
  return got;
}

function hdr(type: number, sector: number): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, type, true);
  v.setBigUint64(8, BigInt(sector), true);
  return b;
}

async function open(path: string, ro = false, serial?: string): Promise<{ h: MockHarness; dev: VirtioBlockDevice; be: BlockFileBackend }> {
  const be = await BlockFileBackend.open(path, ro);
  const dev = new VirtioBlockDevice(be, { serial });
  const h = mockHarness(dev);
  h.drv.init(~0n, [16]);
  return { h, dev, be };
}

/** Sends one request; returns [status, used length, data written by the device]. */
async function request(h: MockHarness, segs: Parameters<MockHarness['drv']['post']>[1], indirect = false): Promise<[number, number, Uint8Array]> {
  h.drv.post(0, segs, indirect);
  h.drv.notify(0);
  const [u] = await waitUsed(h, 1);
  const w = h.drv.written(u!);
  return [w[w.length - 1]!, u!.len, w.subarray(0, w.length - 1)];
}

test('config space: capacity in sectors, features', async () => {
  const { h, be } = await open(image());
  assert.equal(h.drv.config(0, 8), BigInt(DISK / 512));
  assert.equal(Number(h.drv.config(20, 4)), 512);
  const f = h.drv.deviceFeatures();
  assert.ok(f & VIRTIO_BLK_F_FLUSH && f & VIRTIO_BLK_F_DISCARD && f & VIRTIO_BLK_F_WRITE_ZEROES);
  assert.equal(f & VIRTIO_BLK_F_RO, 0n);
  await be.close();
});

test('read sectors (direct and indirect chains, split segments)', async () => {
  const path = image();
  const file = readFileSync(path);
  const { h, be } = await open(path);
  let [st, len, data] = await request(h, [{ data: hdr(VIRTIO_BLK_T_IN, 3) }, { writableBytes: 1024 }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_OK);
  assert.equal(len, 1025);
  assert.deepEqual(data, new Uint8Array(file.subarray(3 * 512, 5 * 512)));
  [st, len, data] = await request(h, [{ data: hdr(VIRTIO_BLK_T_IN, 10) }, { writableBytes: 100 }, { writableBytes: 412 }, { writableBytes: 1 }], true);
  assert.equal(st, VIRTIO_BLK_S_OK);
  assert.deepEqual(data, new Uint8Array(file.subarray(10 * 512, 11 * 512)));
  await be.close();
});

test('write + flush survives: the file on disk has the data', async () => {
  const path = image();
  const { h, be, dev } = await open(path);
  const payload = new Uint8Array(1536).map((_, i) => (i * 13) & 0xff);
  let [st] = await request(h, [{ data: hdr(VIRTIO_BLK_T_OUT, 7) }, { data: payload.subarray(0, 512) }, { data: payload.subarray(512) }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_OK);
  [st] = await request(h, [{ data: hdr(VIRTIO_BLK_T_FLUSH, 0) }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_OK);
  const file = readFileSync(path);
  assert.deepEqual(new Uint8Array(file.subarray(7 * 512, 10 * 512)), payload);
  assert.equal(dev.stats.writeBytes, 1536);
  await be.close();
});

test('out of range and unaligned requests get IOERR, unknown type UNSUPP', async () => {
  const { h, be, dev } = await open(image());
  let [st] = await request(h, [{ data: hdr(VIRTIO_BLK_T_IN, DISK / 512) }, { writableBytes: 512 }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_IOERR);
  [st] = await request(h, [{ data: hdr(VIRTIO_BLK_T_IN, DISK / 512 - 1) }, { writableBytes: 1024 }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_IOERR);
  [st] = await request(h, [{ data: hdr(VIRTIO_BLK_T_IN, 2 ** 60) }, { writableBytes: 512 }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_IOERR);
  [st] = await request(h, [{ data: hdr(VIRTIO_BLK_T_OUT, 0) }, { data: new Uint8Array(100) }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_IOERR);
  [st] = await request(h, [{ data: hdr(77, 0) }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_UNSUPP);
  [st] = await request(h, [{ data: new Uint8Array(8) }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_IOERR);
  assert.equal(dev.counters.badRequests, 6);
  assert.equal(h.drv.status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET, 0);
  await be.close();
});

test('read-only disk: RO offered, writes refused with IOERR, file unchanged', async () => {
  const path = image();
  const before = readFileSync(path);
  const { h, be } = await open(path, true);
  assert.ok(h.drv.deviceFeatures() & VIRTIO_BLK_F_RO);
  let [st] = await request(h, [{ data: hdr(VIRTIO_BLK_T_OUT, 0) }, { data: new Uint8Array(512).fill(9) }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_IOERR);
  [st] = await request(h, [{ data: hdr(VIRTIO_BLK_T_IN, 0) }, { writableBytes: 512 }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_OK);
  assert.deepEqual(readFileSync(path), before);
  await be.close();
});

test('GET_ID answers the serial (20 bytes, zero padded)', async () => {
  const { h, be } = await open(image(), false, 'disk-serial-1');
  const [st, len, data] = await request(h, [{ data: hdr(VIRTIO_BLK_T_GET_ID, 0) }, { writableBytes: 20 }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_OK);
  assert.equal(len, 21);
  assert.equal(new TextDecoder().decode(data.subarray(0, 13)), 'disk-serial-1');
  assert.ok(data.subarray(13).every((b) => b === 0));
  await be.close();
});

function range(sector: number, count: number, flags = 0): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigUint64(0, BigInt(sector), true);
  v.setUint32(8, count, true);
  v.setUint32(12, flags, true);
  return b;
}

test('discard and write-zeroes zero the ranges on disk; bad flags and ranges refused', async () => {
  const path = image();
  const { h, be } = await open(path);
  let [st] = await request(h, [{ data: hdr(VIRTIO_BLK_T_DISCARD, 0) }, { data: range(2, 2) }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_OK);
  [st] = await request(h, [{ data: hdr(VIRTIO_BLK_T_WRITE_ZEROES, 0) }, { data: new Uint8Array([...range(20, 1, 1), ...range(30, 3)]) }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_OK);
  [st] = await request(h, [{ data: hdr(VIRTIO_BLK_T_DISCARD, 0) }, { data: range(2, 2, 1) }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_UNSUPP);
  [st] = await request(h, [{ data: hdr(VIRTIO_BLK_T_WRITE_ZEROES, 0) }, { data: range(DISK / 512 - 1, 2) }, { writableBytes: 1 }]);
  assert.equal(st, VIRTIO_BLK_S_IOERR);
  await request(h, [{ data: hdr(VIRTIO_BLK_T_FLUSH, 0) }, { writableBytes: 1 }]);
  const f = readFileSync(path);
  const zero = (a: number, b: number) => f.subarray(a * 512, b * 512).every((x) => x === 0);
  assert.ok(zero(2, 4) && zero(20, 21) && zero(30, 33));
  assert.ok(!zero(4, 5) && !zero(33, 34) && !zero(DISK / 512 - 1, DISK / 512));
  await be.close();
});

test('request without a writable status byte puts the device in NEEDS_RESET', async () => {
  const { h, be, dev } = await open(image());
  h.drv.post(0, [{ data: hdr(VIRTIO_BLK_T_IN, 0) }]);
  h.drv.notify(0);
  h.sched.run();
  assert.ok(h.drv.status() & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
  assert.equal(dev.counters.needsReset, 1);
  await be.close();
});

test('completions after a reset are dropped', async () => {
  const { h, be } = await open(image());
  h.drv.post(0, [{ data: hdr(VIRTIO_BLK_T_IN, 0) }, { writableBytes: 512 }, { writableBytes: 1 }]);
  h.drv.notify(0);
  h.sched.run();
  h.drv.setReg(0x070, 0); // reset, then wait for Status 0 as the driver must (§2.4)
  for (let i = 0; i < 1000 && h.drv.status() !== 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(h.drv.status(), 0);
  h.drv.init(VIRTIO_F_VERSION_1, [16]);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(h.drv.reap(0).length, 0);
  assert.equal(h.irq.level, false);
  await be.close();
});

test('a reset completes only once reads in flight stopped writing guest memory', async () => {
  // A backend whose reads land in guest RAM only when the test releases them (as a slow disk would).
  const pending: (() => void)[] = [];
  const gated: BlockBackend = {
    sizeBytes: DISK, readOnly: false,
    read: (_off, dst) => new Promise<void>((resolve) => pending.push(() => { dst.fill(0xab); resolve(); })),
    write: async () => undefined, flush: async () => undefined, discard: async () => undefined, writeZeroes: async () => undefined,
  };
  const h = mockHarness(new VirtioBlockDevice(gated, {}));
  h.drv.init(~0n, [16]);
  for (let i = 0; i < 4; i++) h.drv.post(0, [{ data: hdr(VIRTIO_BLK_T_IN, i * 8) }, { writableBytes: 4096 }, { writableBytes: 1 }]);
  h.drv.notify(0);
  h.sched.run();
  await new Promise((r) => setImmediate(r));
  assert.equal(pending.length, 4, 'four reads in flight');
  h.drv.setReg(0x070, 0); // reset
  assert.notEqual(h.drv.status(), 0, 'reset not complete while reads can still write RAM');
  h.drv.setReg(0x070, 1); // a driver that does not wait: ignored
  for (const release of pending.splice(0, 3)) release();
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.notEqual(h.drv.status(), 0, 'one read left');
  pending.shift()!();
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.equal(h.drv.status(), 0, 'reset complete: nothing of the old life can touch RAM now');
  assert.equal(h.drv.reap(0).length, 0, 'no completion of the old life');
  h.drv.init(~0n, [16]);
  assert.ok(h.drv.status() & 4, 'the device comes up again (DRIVER_OK)');
});

test('a disk that cannot be opened for writing suggests ,ro', async () => {
  assert.match(diskOpenError('d.img', false, 'EACCES').message, /--disk d\.img: cannot open \(EACCES\): .*use --disk d\.img,ro/);
  assert.match(diskOpenError('d.img', false, 'EROFS').message, /d\.img,ro/);
  assert.doesNotMatch(diskOpenError('d.img', true, 'EACCES').message, /,ro/);
  if (process.getuid?.() === 0) return; // root opens a mode-0444 file for writing anyway
  const path = image();
  chmodSync(path, 0o444);
  await assert.rejects(BlockFileBackend.open(path, false), /,ro to give it to the guest read-only/);
  await (await BlockFileBackend.open(path, true)).close();
});

test('bad path is a BanquiseError naming --disk', async () => {
  await assert.rejects(BlockFileBackend.open('/nonexistent/x.img', false), /--disk \/nonexistent\/x.img/);
  rmSync(mkdtempSync(join(tmpdir(), 'banquise-blk-')), { recursive: true });
});
