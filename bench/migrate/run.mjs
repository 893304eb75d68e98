#!/usr/bin/env node
// npm run bench:migrate — save/restore and live migration of a running default guest (Linux 6.1
// + busybox), measured in one process: two machines, an in-process duplex link (no daemon, no
// TCP: the daemon verbs are not built yet). Prints a table:
//  - save: time and stream size vs guest memory, idle guest and guest with N MiB of random data
//    in tmpfs; restore: time to read the stream and build the machine;
//  - live migration (pre-copy): total time, rounds, pages, downtime (source stop → destination
//    RUNNING reply), idle and with the guest writing memory steadily;
//  - the largest gap between the lines the guest prints every 10 ms, seen by the host (the
//    guest's own clock does not see the stop: mtime continues from its saved value).
// Usage: node bench/migrate/run.mjs [--memory MiB] [--fill MiB] [--json]
import { performance } from 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => join(REPO, 'dist', p);
const { values: opts } = parseArgs({
  options: {
    memory: { type: 'string', default: '256' },
    fill: { type: 'string', default: '100' },
    json: { type: 'boolean', default: false },
  },
});
if (!existsSync(dist('control/snapshot/index.js'))) {
  console.error('bench:migrate: build first (npm run build)');
  process.exit(1);
}
const memoryBytes = Number(opts.memory) * 1024 * 1024;
const fillMiB = Number(opts.fill);
const { validateMachineConfig } = await import(dist('machine/index.js'));
const { InProcessDomain } = await import('../../tests/support/in-process-domain.mjs');
const { ensureDefaultGuest } = await import(dist('platform/node/guest-images.js'));
const { saveMachineFile, loadMachineFile } = await import(dist('platform/node/snapshot-session.js'));
const { zlibPageCompressor } = await import(dist('platform/node/zlib-page-compressor.js'));
const { linkPair } = await import(dist('control/migration/migration-link.js'));
const { migrateIn, migrateOut } = await import(dist('control/migration/precopy.js'));

const guest = await ensureDefaultGuest();
const config = validateMachineConfig({
  mode: 'pv', memoryBytes, vcpus: 1,
  boot: { kernel: { path: guest.kernel }, initrd: { path: guest.initrd }, cmdline: 'console=ttyS0' },
  devices: { rng: true },
});
const log = (s) => { if (!opts.json) console.error(s); };

/** Builds (boots or restores) a domain of the bench's config in this process. */
const Domain = { create: (state) => InProcessDomain.create(config, state) };

const dir = mkdtempSync(join(tmpdir(), 'banquise-bench-migrate-'));
const rows = [];
const mib = (b) => (b / 1048576).toFixed(1);
try {
  log(`booting the default guest (${opts.memory} MiB)…`);
  let cur = await Domain.create();
  cur.start();
  await cur.waitFor(/Banquise guest ready/);
  await cur.waitFor(/# $/);

  async function saveRestore(label) {
    log(`save and restore, ${label}…`);
    await new Promise((r) => setTimeout(r, 1000));
    const file = join(dir, 'guest.bqs');
    const saved = await saveMachineFile(cur.machine, file);
    log(`  saved in ${saved.ms.toFixed(0)} ms`);
    const t0 = performance.now();
    const read = await loadMachineFile(file);
    const b = await Domain.create(read.state);
    const restoreMs = performance.now() - t0;
    log(`  restored in ${restoreMs.toFixed(0)} ms`);
    b.start();
    await b.type('echo restored-$((40 + 2))', /restored-42/, 120_000);
    await b.close();
    rows.push({ what: `save, ${label}`, ms: saved.ms, bytes: statSync(file).size });
    rows.push({ what: `restore, ${label}`, ms: restoreMs, bytes: read.bytes });
    rmSync(file);
  }

  /** Migrates `cur` to a new domain, which becomes `cur`; returns the measurements. */
  async function migrate() {
    log('live migration…');
    const [src, dst] = linkPair();
    const source = cur;
    let b;
    const incoming = migrateIn(dst, {
      compressor: zlibPageCompressor(),
      ram: async () => {
        b = await InProcessDomain.createEmpty(config);
        return b.ram();
      },
    });
    const out = migrateOut(source.machine, src, {
      banquiseVersion: 'bench', wallClockNs: () => BigInt(Date.now()) * 1_000_000n, nowMs: () => performance.now(),
      pause: () => source.pause(), resume: () => source.start(),
      yieldToGuest: () => new Promise((r) => setTimeout(r, 5)),
      compressor: zlibPageCompressor(),
    });
    const got = await incoming;
    b.machine.restore(got.state);
    b.start();
    await got.confirmRunning();
    const info = await out;
    await source.close();
    cur = b;
    return { info, source };
  }

  await saveRestore('idle guest');

  // Live migration of an idle guest that prints a line every 10 ms: the largest gap between
  // lines seen by the host spans the stop.
  await cur.type('(while :; do cat /proc/uptime; usleep 10000; done) &');
  await new Promise((r) => setTimeout(r, 1500));
  let m = await migrate();
  await new Promise((r) => setTimeout(r, 1500));
  const lastA = m.source.lineTimes[m.source.lineTimes.length - 1];
  const firstB = cur.lineTimes.find((t) => t > lastA) ?? NaN;
  rows.push({ what: 'migrate, idle guest + 10 ms ticker', ms: m.info.totalMs, downtimeMs: m.info.downtimeMs, rounds: m.info.rounds, pages: m.info.pagesSent, finalPages: m.info.finalPages, bytes: m.info.bytesSent, gapMs: firstB - lastA });
  await cur.type("kill %1; echo sto''pped", /stopped/);

  // A guest writing memory steadily: copying a 16 MiB tmpfs file in a loop.
  await cur.type("dd if=/dev/urandom of=/tmp/r bs=1M count=16 2>/dev/null; echo ma''de", /made/);
  await cur.type('(while :; do cp /tmp/r /tmp/r2; done) &');
  await new Promise((r) => setTimeout(r, 2000));
  m = await migrate();
  rows.push({ what: 'migrate, guest copying 16 MiB in a loop', ms: m.info.totalMs, downtimeMs: m.info.downtimeMs, rounds: m.info.rounds, pages: m.info.pagesSent, finalPages: m.info.finalPages, bytes: m.info.bytesSent });
  await cur.type("kill %1; rm -f /tmp/r /tmp/r2; echo clea''ned", /cleaned/);

  log(`filling ${fillMiB} MiB of tmpfs with random data…`);
  await cur.type(`mount -o remount,size=${fillMiB + 16}M /tmp; dd if=/dev/urandom of=/tmp/fill bs=1M count=${fillMiB} 2>/dev/null; echo fil''led`, /filled/);
  await saveRestore(`${fillMiB} MiB random in tmpfs`);
  await cur.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (opts.json) console.log(JSON.stringify(rows, null, 2));
else {
  const f = (v, d = 0) => (v === undefined || Number.isNaN(v) ? '' : v.toFixed(d));
  console.log(`\nbench:migrate — default guest, ${opts.memory} MiB, 1 vCPU, in-process (no daemon, no TCP)\n`);
  console.log('| what | time (ms) | downtime (ms) | rounds | pages sent | last-round pages | stream (MiB) | host-seen console gap (ms) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.what} | ${f(r.ms)} | ${f(r.downtimeMs, 1)} | ${r.rounds ?? ''} | ${r.pages ?? ''} | ${r.finalPages ?? ''} | ${mib(r.bytes)} of ${mib(memoryBytes)} | ${f(r.gapMs, 1)} |`);
  }
}
