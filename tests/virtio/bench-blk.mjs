#!/usr/bin/env node
// virtio-blk throughput through the transport and the mock driver (no guest): sequential
// reads and writes of a temp image with R requests in flight of S bytes each. Prints a table.
// Usage: node tests/virtio/bench-blk.mjs [--mib 64] [--request-kib 64] [--depth 16]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockHarness } from '../../dist/devices/virtio/mock-driver.js';
import { VirtioBlockDevice } from '../../dist/devices/virtio/blk/block-device.js';
import { BlockFileBackend } from '../../dist/platform/node/virtio/block-file-backend.js';

const arg = (n, d) => {
  const i = process.argv.indexOf(n);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const MIB = arg('--mib', 64);
const REQ = arg('--request-kib', 64) * 1024;
const DEPTH = arg('--depth', 16);
const dir = mkdtempSync(join(tmpdir(), 'banquise-bench-'));
const path = join(dir, 'disk.img');
writeFileSync(path, new Uint8Array(MIB << 20));

async function run(type) {
  const be = await BlockFileBackend.open(path, false);
  const dev = new VirtioBlockDevice(be);
  const h = mockHarness(dev, 64 << 20);
  h.drv.init(~0n, [256]);
  const total = (MIB << 20) / REQ;
  const hdr = (sector) => {
    const b = new Uint8Array(16);
    const v = new DataView(b.buffer);
    v.setUint32(0, type, true);
    v.setBigUint64(8, BigInt(sector), true);
    return b;
  };
  const payload = new Uint8Array(REQ).fill(0x5a);
  let posted = 0;
  let done = 0;
  let notifications = 0;
  const t0 = process.hrtime.bigint();
  while (done < total) {
    const before = posted;
    while (posted < total && posted - done < DEPTH) {
      const sector = (posted * REQ) / 512;
      h.drv.resetHeap(0x8000_0000 + 0x10000 + ((posted % DEPTH) * (REQ + 4096)) + 0x100000);
      const segs = type === 0 ? [{ data: hdr(sector) }, { writableBytes: REQ }, { writableBytes: 1 }] : [{ data: hdr(sector) }, { data: payload }, { writableBytes: 1 }];
      h.drv.post(0, segs);
      posted++;
    }
    if (posted > before) {
      h.drv.notify(0);
      notifications++;
    }
    h.sched.run();
    await new Promise((r) => setImmediate(r));
    done += h.drv.reap(0).length;
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await be.close();
  return { mbps: MIB / s, iops: total / s, notifications, ok: dev.stats.ok };
}

console.log(`virtio-blk via mock driver: ${MIB} MiB, ${REQ / 1024} KiB requests, depth ${DEPTH}`);
console.log('op     MiB/s    req/s   notifications  ok');
for (const [name, type] of [['write', 1], ['read', 0]]) {
  const r = await run(type);
  console.log(`${name.padEnd(5)} ${r.mbps.toFixed(0).padStart(7)} ${r.iops.toFixed(0).padStart(8)} ${String(r.notifications).padStart(14)}  ${r.ok}`);
}
rmSync(dir, { recursive: true, force: true });
