#!/usr/bin/env node
// `npm run bench:io`: paravirtual I/O measured inside the default guest, on Banquise (pv mode,
// virtio-blk + virtio-net with the user-mode network) and on qemu-system-riscv64 -M virt (its
// bundled OpenSBI, the same virtio-mmio devices, same kernel, initramfs and disk contents) in the
// same run. The guest runs bench/io/bq-io.c (built static with riscv64-linux-gnu-gcc into
// .cache/bench-io/ and added to the initramfs as /bin/bq-io) on a raw scratch disk (/dev/vda),
// and TCP to a Node server/sink on the host through 10.0.2.2 (bq-io tcpget/tcpput, timed in
// the guest; also guest → host with busybox nc, timed on the host: nc reads its stdin in small
// pieces, and cannot be timed receiving). Prints one table.
//
// Usage: node bench/io/run.mjs [--quick] [--no-qemu] [--devices] [--json]
//   --quick    smaller sizes (8 MiB sequential, 300 random ops, 8 MiB TCP)
//   --devices  also run the device-level benchmarks without a guest (tests/virtio/bench-blk.mjs,
//              tests/net/bench-io.mjs): the cost of Banquise's device models alone
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GuestSession, REPO, requireGuest } from '../../tests/support/guest-session.mjs';
import { hostServers, initrdWithBqIo, writeScratchImage } from '../support/host-io.mjs';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-qemu': { type: 'boolean', default: false },
    devices: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const MIB = 1 << 20;
const SIZES = opts.quick
  ? { diskMib: 32, seqMib: 8, ops: 300, tcpMib: 8 }
  : { diskMib: 128, seqMib: 32, ops: 2000, tcpMib: 32 };
const SEED = 20261126;
const MEMORY = '256M';
const STEP_TIMEOUT_MS = 10 * 60_000;
const CACHE = join(REPO, '.cache', 'bench-io');
const log = (s) => process.stderr.write(`bench:io: ${s}\n`);

/** The default guest's initramfs with /bin/bq-io added. */
const buildInitrd = (baseInitrdPath) => initrdWithBqIo(baseInitrdPath, CACHE, 'initrd-bq-io.img');

/** "BQIO name value" from a command's output. */
function metric(out, name) {
  const m = new RegExp(`^BQIO ${name} ([0-9.]+)`, 'm').exec(out);
  if (!m) throw new Error(`no ${name} in guest output:\n${out}`);
  return Number(m[1]);
}

/** Boots one emulator, runs every measurement in its guest, powers it off. */
async function measure(label, args, command, servers) {
  log(`${label}: booting`);
  const s = new GuestSession(args, command === undefined ? {} : { command });
  try {
    await s.waitForShell(STEP_TIMEOUT_MS);
    const r = {};
    const run = (cmd) => s.run(cmd, STEP_TIMEOUT_MS);
    // The guest's init configures eth0 by DHCP at boot (in the background): wait for the route.
    await run('for i in $(seq 1 60); do ip route | grep -q "^default via 10.0.2.2" && break; sleep 1; done; ip route');
    log(`${label}: disk`);
    r.seqWrite = metric(await run(`bq-io seqwrite /dev/vda ${SIZES.seqMib}`), 'seqwrite_mib_s');
    r.seqRead = metric(await run(`sync; echo 3 > /proc/sys/vm/drop_caches; bq-io seqread /dev/vda ${SIZES.seqMib}`), 'seqread_mib_s');
    r.randRead = metric(await run(`bq-io randread /dev/vda ${SIZES.ops} ${SEED}`), 'randread_iops');
    r.randWrite = metric(await run(`bq-io randwrite /dev/vda ${SIZES.ops} ${SEED + 1}`), 'randwrite_iops');
    log(`${label}: network`);
    const bytes = SIZES.tcpMib * MIB;
    const down = await run(`bq-io tcpget 10.0.2.2 ${servers.sourcePort}`);
    if (metric(down, 'tcpget_bytes') !== bytes) throw new Error(`host → guest: expected ${bytes} bytes:\n${down}`);
    r.tcpIn = metric(down, 'tcpget_mib_s');
    const sinkResult = servers.nextSink(STEP_TIMEOUT_MS);
    await run(`head -c ${bytes} /dev/zero | nc 10.0.2.2 ${servers.sinkPort}`);
    r.tcpOutNc = SIZES.tcpMib / (await sinkResult).seconds;
    const sinkPut = servers.nextSink(STEP_TIMEOUT_MS);
    r.tcpOut = metric(await run(`bq-io tcpput 10.0.2.2 ${servers.sinkPort} ${SIZES.tcpMib}`), 'tcpput_mib_s');
    assert((await sinkPut).bytes === bytes, 'guest → host: the sink got a wrong byte count');
    s.send('poweroff\n');
    await s.waitExit(120_000).catch(() => {});
    return r;
  } finally {
    s.kill();
  }
}

const METRICS = [
  ['seqWrite', `virtio-blk sequential write, ${'SEQ'} MiB + fsync (MiB/s)`],
  ['seqRead', 'virtio-blk sequential read, cold cache (MiB/s)'],
  ['randRead', 'virtio-blk random 4 KiB read, O_DIRECT (IOPS)'],
  ['randWrite', 'virtio-blk random 4 KiB write, O_DIRECT (IOPS)'],
  ['tcpIn', 'TCP host → guest, bq-io tcpget (MiB/s)'],
  ['tcpOut', 'TCP guest → host, bq-io tcpput (MiB/s)'],
  ['tcpOutNc', 'TCP guest → host, head piped to busybox nc, timed on the host (MiB/s)'],
];

const guest = await requireGuest();
const initrd = buildInitrd(guest.initrd);
const servers = await hostServers(SIZES.tcpMib * MIB);
const haveQemu = !opts['no-qemu'] && spawnSync('qemu-system-riscv64', ['--version']).status === 0;
let banquise;
let qemu;
try {
  const bDisk = writeScratchImage(join(CACHE, 'scratch-banquise.img'), SIZES.diskMib * MIB);
  banquise = await measure('Banquise', ['run', '--kernel', guest.kernel, '--initrd', initrd, '--memory', MEMORY,
    '--disk', bDisk, '--net', 'user', '--append', 'console=ttyS0'], undefined, servers);
  rmSync(bDisk, { force: true });
  if (haveQemu) {
    const qDisk = writeScratchImage(join(CACHE, 'scratch-qemu.img'), SIZES.diskMib * MIB);
    qemu = await measure('QEMU', ['-M', 'virt', '-m', MEMORY, '-smp', '1', '-nographic', '-kernel', guest.kernel, '-initrd', initrd,
      '-append', 'console=ttyS0', '-drive', `file=${qDisk},if=none,format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0',
      '-netdev', 'user,id=n0', '-device', 'virtio-net-device,netdev=n0'], 'qemu-system-riscv64', servers);
    rmSync(qDisk, { force: true });
  }
} finally {
  servers.close();
}

const rows = METRICS.map(([key, label]) => {
  const b = banquise[key];
  const q = qemu?.[key];
  return { metric: label.replace('SEQ', String(SIZES.seqMib)), banquise: b, qemu: q, ratio: q === undefined ? undefined : b / q };
});
if (opts.json) console.log(JSON.stringify({ sizes: SIZES, rows }, null, 2));
else {
  const fmt = (v) => (v === undefined ? '-' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
  console.log(`| metric | Banquise | QEMU | ratio (Banquise/QEMU) |`);
  console.log(`|---|---:|---:|---:|`);
  for (const r of rows) console.log(`| ${r.metric} | ${fmt(r.banquise)} | ${fmt(r.qemu)} | ${r.ratio === undefined ? '-' : r.ratio.toFixed(2) + '×'} |`);
  if (!haveQemu) console.log('(QEMU not run: qemu-system-riscv64 missing or --no-qemu)');
}

if (opts.devices) {
  for (const script of ['tests/virtio/bench-blk.mjs', 'tests/net/bench-io.mjs']) {
    console.log(`\nDevice level, no guest (${script}):`);
    spawnSync(process.execPath, [join(REPO, script)], { stdio: 'inherit', cwd: REPO });
  }
}
