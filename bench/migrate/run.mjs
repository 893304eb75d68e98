#!/usr/bin/env node
// npm run bench:migrate — save/restore and live migration of a running default guest (Linux 6.1
// + busybox), issue 12's "Measured" section. Prints a table:
//  - save and restore (in this process: saveMachineFile / loadMachineFile + buildMachine): time
//    and stream size vs guest memory, idle guest and guest with FILL MiB of random data in tmpfs;
//  - live migration between two daemons on loopback TCP (`banquise migrate`): total time,
//    rounds, pages, downtime (source stop → destination RUNNING reply), for an idle guest
//    printing its uptime every 10 ms and for a guest copying 16 MiB in a loop; the largest gap
//    between those lines as the host receives them, and as the guest's own clock stamps them;
//  - fork: not measured here (built on another branch).
// Usage: node bench/migrate/run.mjs [--memory MiB] [--fill MiB] [--json] [--skip-save]
import { performance } from 'node:perf_hooks';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => join(REPO, 'dist', p);
const { values: opts } = parseArgs({
  options: {
    memory: { type: 'string', default: '256' },
    fill: { type: 'string', default: '200' },
    json: { type: 'boolean', default: false },
    'skip-save': { type: 'boolean', default: false },
  },
});
if (!existsSync(dist('control/snapshot/index.js'))) {
  console.error('bench:migrate: build first (npm run build)');
  process.exit(1);
}
const memoryMiB = Number(opts.memory);
const memoryBytes = memoryMiB * 1024 * 1024;
const fillMiB = Number(opts.fill);
const { validateMachineConfig } = await import(dist('machine/index.js'));
const { InProcessDomain } = await import('../../tests/support/in-process-domain.mjs');
const { TestDaemon } = await import('../../tests/support/test-daemon.mjs');
const { DomainConsole } = await import('../../tests/support/domain-console.mjs');
const { BOOT_TIMEOUT_MS, PROMPT } = await import('../../tests/support/guest-session.mjs');
const { ensureDefaultGuest } = await import(dist('platform/node/guest-images.js'));
const { saveMachineFile, loadMachineFile } = await import(dist('platform/node/snapshot-session.js'));

const guest = await ensureDefaultGuest();
const log = (s) => { if (!opts.json) console.error(s); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const dir = mkdtempSync(join(tmpdir(), 'banquise-bench-migrate-'));
const rows = [];
const load = [];
const mib = (b) => (b / 1048576).toFixed(1);
const noteLoad = () => load.push(loadavg()[0]);
let daemons = [];
const consoles = [];

/** Save and restore in this process, idle and with random data in tmpfs. */
async function saveRestoreRows() {
  const config = validateMachineConfig({
    mode: 'pv', memoryBytes, vcpus: 1,
    boot: { kernel: { path: guest.kernel }, initrd: { path: guest.initrd }, cmdline: 'console=ttyS0' },
    devices: { rng: true },
  });
  log(`booting the default guest in this process (${memoryMiB} MiB)…`);
  const cur = await InProcessDomain.create(config);
  cur.start();
  await cur.waitFor(/Banquise guest ready/);
  await cur.waitFor(/# $/);
  async function saveRestore(label) {
    log(`save and restore, ${label}…`);
    await sleep(1000);
    noteLoad();
    const file = join(dir, 'guest.bqs');
    const saved = await saveMachineFile(cur.machine, file);
    log(`  saved in ${saved.ms.toFixed(0)} ms`);
    const t0 = performance.now();
    const read = await loadMachineFile(file);
    const b = await InProcessDomain.create(config, read.state);
    const restoreMs = performance.now() - t0;
    log(`  restored in ${restoreMs.toFixed(0)} ms`);
    b.start();
    await b.type('echo restored-$((40 + 2))', /restored-42/, 120_000);
    await b.close();
    rows.push({ what: `save, ${label}`, ms: saved.ms, bytes: statSync(file).size });
    rows.push({ what: `restore, ${label} (read + build)`, ms: restoreMs, bytes: read.bytes });
    rmSync(file);
  }
  await saveRestore('idle guest');
  log(`filling ${fillMiB} MiB of tmpfs with random data…`);
  await cur.type(`mount -o remount,size=${fillMiB + 16}M /tmp; dd if=/dev/urandom of=/tmp/fill bs=1M count=${fillMiB} 2>/dev/null; echo fil''led`, /filled/, 30 * 60_000);
  await saveRestore(`${fillMiB} MiB random in tmpfs`);
  await cur.close();
}

/** Lines of a console with their host arrival time (ms) and, when they carry one, the guest's uptime (s). */
function tapLines(con) {
  const lines = [];
  let partial = '';
  con.ws.on('message', (d) => {
    const now = performance.now();
    partial += Buffer.from(d).toString('latin1');
    const parts = partial.split('\n');
    partial = parts.pop();
    for (const l of parts) {
      const m = /^T (\d+\.\d+)/.exec(l.trim());
      if (m) lines.push({ host: now, guest: Number(m[1]) });
    }
  });
  return lines;
}

/** Runs `banquise migrate` from `from` to `to`; while it runs, attaches to the domain's console on `to` as soon as it is reserved there. */
async function migrate(from, to, name, fromLines) {
  noteLoad();
  const running = from.bq(['migrate', name, `127.0.0.1:${to.port}`, '--token', to.token]);
  let con;
  let toLines = [];
  for (;;) {
    const d = (await to.list()).find((x) => x.name === name);
    if (d !== undefined) {
      con = new DomainConsole(to.sock, name);
      consoles.push(con);
      toLines = tapLines(con);
      await con.opened;
      break;
    }
    await sleep(20);
  }
  const r = await running;
  if (r.code !== 0) throw new Error(`migrate failed: ${r.stderr}\n${from.log}\n${to.log}`);
  const m = /in ([\d.]+) s: (\d+) round\(s\) after the full pass, ([\d.]+) MiB sent, downtime ([\d.]+) ms \((\d+) pages while stopped\)/.exec(r.stderr);
  await sleep(1500);
  log(`  ${fromLines?.length ?? 0} ticker lines seen on the source, ${toLines.length} on the destination`);
  // The gap across the switch-over: the last line from the source, the first from the destination.
  let hostGap;
  let guestGap;
  if (fromLines !== undefined && fromLines.length > 0 && toLines.length > 0) {
    const a = fromLines[fromLines.length - 1];
    const b = toLines.find((l) => l.guest > a.guest) ?? toLines[0];
    hostGap = b.host - a.host;
    guestGap = (b.guest - a.guest) * 1000;
    // The largest in-guest gap over the whole run (both sides).
    const all = [...fromLines, ...toLines.filter((l) => l.guest > a.guest)];
    let maxGuest = 0;
    for (let i = 1; i < all.length; i++) maxGuest = Math.max(maxGuest, (all[i].guest - all[i - 1].guest) * 1000);
    guestGap = Math.max(guestGap, maxGuest);
  }
  return { con, toLines, info: { totalMs: Number(m[1]) * 1000, rounds: Number(m[2]), mib: Number(m[3]), downtimeMs: Number(m[4]), finalPages: Number(m[5]) }, hostGap, guestGap, stderr: r.stderr };
}

async function migrationRows() {
  log('starting two daemons on loopback…');
  const a = await TestDaemon.start(dir, 'a', { listen: true, maxMemory: `${memoryMiB * 2}M` });
  const b = await TestDaemon.start(dir, 'b', { listen: true, maxMemory: `${memoryMiB * 2}M` });
  daemons = [a, b];
  writeFileSync(join(a.home, 'bench.cfg'), `name = "bench"\nmemory = ${memoryMiB}\n`);
  const r = await a.bq(['create', 'bench.cfg']);
  if (r.code !== 0) throw new Error(r.stderr);
  let con = new DomainConsole(a.sock, 'bench');
  consoles.push(con);
  await con.opened;
  log(`booting a ${memoryMiB} MiB domain on daemon a…`);
  await con.waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
  await con.waitFor(PROMPT, 120_000);
  await sleep(2000);

  log('live migration a → b, idle guest printing its uptime every 10 ms…');
  let lines = tapLines(con);
  // Shell builtins only (read, echo; usleep is a no-fork applet): a fork per line would take
  // ~200 ms here instead of 10.
  con.ws.send('(while :; do read u r < /proc/uptime; echo T $u; usleep 10000; done) &\n');
  await sleep(3000);
  let m = await migrate(a, b, 'bench', lines);
  rows.push({ what: 'live migration, idle guest + 10 ms ticker', ms: m.info.totalMs, downtimeMs: m.info.downtimeMs, rounds: m.info.rounds, finalPages: m.info.finalPages, bytes: m.info.mib * 1048576, gapMs: m.hostGap, guestGapMs: m.guestGap });
  con = m.con;
  con.ws.send('kill %1\n');
  await sleep(1000);
  con.ws.send("echo sto''pped\n");
  await con.waitFor(/stopped/, 60_000);

  log('live migration b → a, guest copying 16 MiB in a loop…');
  con.ws.send("dd if=/dev/urandom of=/tmp/r bs=1M count=16 2>/dev/null; echo ma''de\n");
  await con.waitFor(/made/, 10 * 60_000);
  con.ws.send('(while :; do cp /tmp/r /tmp/r2; done) &\n');
  await sleep(3000);
  m = await migrate(b, a, 'bench');
  rows.push({ what: 'live migration, guest copying 16 MiB in a loop', ms: m.info.totalMs, downtimeMs: m.info.downtimeMs, rounds: m.info.rounds, finalPages: m.info.finalPages, bytes: m.info.mib * 1048576 });
}

try {
  if (!opts['skip-save']) await saveRestoreRows();
  await migrationRows();
} finally {
  for (const c of consoles) c.close();
  for (const d of daemons) await d.stop();
  rmSync(dir, { recursive: true, force: true });
}

rows.push({ what: 'fork (1 and 10 children)', note: 'not measured here: fork is built on another branch' });
if (opts.json) console.log(JSON.stringify({ loadAverage: load, rows }, null, 2));
else {
  const f = (v, d = 0) => (v === undefined || Number.isNaN(v) ? '' : v.toFixed(d));
  console.log(`\nbench:migrate — default guest, ${memoryMiB} MiB, 1 vCPU; save/restore in-process, migration between two daemons on loopback TCP`);
  console.log(`load average (1 min) when each row started: ${load.map((l) => l.toFixed(1)).join(', ')}\n`);
  console.log('| what | time (ms) | downtime (ms) | rounds | last-round pages | stream (MiB) | console gap, host-seen (ms) | largest gap, guest clock (ms) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    if (r.note !== undefined) console.log(`| ${r.what} | ${r.note} | | | | | | |`);
    else console.log(`| ${r.what} | ${f(r.ms)} | ${f(r.downtimeMs, 1)} | ${r.rounds ?? ''} | ${r.finalPages ?? ''} | ${mib(r.bytes)} of ${mib(memoryBytes)} | ${f(r.gapMs, 1)} | ${f(r.guestGapMs, 1)} |`);
  }
}
process.exitCode = 0;
