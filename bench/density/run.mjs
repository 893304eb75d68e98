// npm run bench:density [-- --count N] [--window S] [--memory MIB] — density (issue 9): one daemon,
// N domains of the default guest (64 MiB, 1 vCPU) created one after another, each waited for
// until its shell prompt; then, all idle at their shells, the daemon's host memory per domain and
// its total CPU over a window. Prints a table.
//
// - create-to-shell: from the create request to the prompt on the domain's console (median,
//   90th percentile, max), each domain created once the previous one reached its shell;
// - memory: the daemon's RSS (VmRSS of /proc/PID/status) once all are idle minus its RSS before
//   the first create, divided by N; and the guest RAM the workers actually touched;
// - idle CPU: CPU time of the whole daemon process (every thread: main, workers, V8 helpers;
//   utime+stime of /proc/PID/stat) over the window, as % of one core; next to it the main
//   thread's and the sum of the domains' own worker-thread CPU (cpu_time in the API); the rest
//   is V8's and libuv's helper threads (garbage collection of the workers' heaps, file I/O).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BOOT_TIMEOUT_MS, PROMPT, requireGuest } from '../../tests/support/guest-session.mjs';
import { TestDaemon } from '../../tests/support/test-daemon.mjs';
import { DomainConsole } from '../../tests/support/domain-console.mjs';

const { values: opt } = parseArgs({
  options: {
    count: { type: 'string', default: '50' },
    window: { type: 'string', default: '30' },
    memory: { type: 'string', default: '64' },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  process.stdout.write('npm run bench:density -- [--count N (50)] [--window SECONDS (30)] [--memory MIB (64)]\n');
  process.exit(0);
}
const N = Number(opt.count);
const WINDOW_S = Number(opt.window);
const MEMORY_MIB = Number(opt.memory);
if (!(Number.isInteger(N) && N > 0) || !(WINDOW_S > 0) || !(Number.isInteger(MEMORY_MIB) && MEMORY_MIB >= 32)) {
  process.stderr.write('bench:density: --count must be a positive whole number, --window positive, --memory at least 32 (MiB)\n');
  process.exit(64);
}
const CLK_TCK = 100; // USER_HZ of Linux's /proc/PID/stat on every architecture we run on

const guest = await requireGuest();
const dir = mkdtempSync(join(tmpdir(), 'banquise-bench-density-'));
const daemon = await TestDaemon.start(dir, 'd', { maxMemory: `${N * MEMORY_MIB + 256}M`, extra: ['--max-domains', String(N), '--bridge', 'br0'] });
const bq = (args) => daemon.bq(args);
const get = (path) => daemon.get(path);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssMiB = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${daemon.proc.pid}/status`, 'utf8'))[1]) / 1024;
/** utime + stime (s) of /proc/PID/stat (the whole process) or /proc/PID/task/TID/stat (one thread). */
const cpuS = (path) => {
  const text = readFileSync(path, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // fields 14 and 15
};
const processCpuS = () => cpuS(`/proc/${daemon.proc.pid}/stat`);
const mainThreadCpuS = () => cpuS(`/proc/${daemon.proc.pid}/task/${daemon.proc.pid}/stat`);
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
try {
  await sleep(1000);
  const rss0 = rssMiB();
  const load0 = loadavg();
  const latencies = [];
  writeFileSync(join(dir, 'd.cfg'), `memory = ${MEMORY_MIB}\nkernel = "${guest.kernel}"\nramdisk = "${guest.initrd}"\n`);
  for (let i = 0; i < N; i++) {
    const name = `d${i}`;
    const t0 = performance.now();
    const r = await bq(['create', join(dir, 'd.cfg'), `name=${name}`]);
    if (r.code !== 0) throw new Error(`create ${name}: ${r.stderr}\n${daemon.log}`);
    const con = new DomainConsole(daemon.sock, name);
    await con.opened;
    await con.waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
    await con.waitFor(PROMPT, 120_000);
    latencies.push((performance.now() - t0) / 1000);
    con.close();
    process.stderr.write(`\r${i + 1}/${N} at their shell (last ${latencies.at(-1).toFixed(1)} s, daemon RSS ${rssMiB().toFixed(0)} MiB)   `);
  }
  process.stderr.write('\n');
  await sleep(5000); // the last boot's work settles
  const rss1 = rssMiB();
  const a = await get('/v1/domains');
  const c0 = processCpuS();
  const m0 = mainThreadCpuS();
  const t0 = performance.now();
  await sleep(WINDOW_S * 1000);
  const c1 = processCpuS();
  const m1 = mainThreadCpuS();
  const wall = (performance.now() - t0) / 1000;
  const b = await get('/v1/domains');
  const byId = new Map(a.map((d) => [d.id, d]));
  const domCpu = b.reduce((s, d) => s + (d.cpu_time - (byId.get(d.id)?.cpu_time ?? d.cpu_time)), 0);
  const blocked = b.filter((d) => d.state === 'blocked').length;
  const rssEnd = rssMiB();
  const rows = [
    ['domains at their shell', `${b.length} (${blocked} blocked in wfi at the end)`, `${N}`],
    ['create-to-shell latency', `median ${pct(latencies, 50).toFixed(1)} s, p90 ${pct(latencies, 90).toFixed(1)} s, max ${Math.max(...latencies).toFixed(1)} s`, '—'],
    ['daemon RSS before / with all idle', `${rss0.toFixed(0)} MiB / ${rss1.toFixed(0)} MiB (${rssEnd.toFixed(0)} after the window)`, '—'],
    ['host memory per domain (RSS growth / N)', `${((rss1 - rss0) / N).toFixed(1)} MiB`, '< 100 MiB'],
    [`idle CPU, whole daemon, ${wall.toFixed(0)} s window`, `${((c1 - c0) / wall * 100).toFixed(1)} % of one core`, '< 25 %'],
    ['idle CPU, the daemon\'s main thread', `${((m1 - m0) / wall * 100).toFixed(1)} % of one core (API, stats, scheduler ticks)`, '—'],
    ['idle CPU, sum of the domains\' worker threads', `${(domCpu / wall * 100).toFixed(1)} % of one core (${(domCpu / wall / N * 1000).toFixed(2)} ms/s each)`, '—'],
  ];
  process.stdout.write(`bench:density, ${N} domains of ${MEMORY_MIB} MiB (default guest, 1 vCPU); load average at start ${load0.map((l) => l.toFixed(2)).join(' ')}, at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  for (const r of rows) process.stdout.write(`${r[0].padEnd(46)}${r[1].padEnd(64)}target ${r[2]}\n`);
} finally {
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
}
