// npm run bench:sched — the credit scheduler, measured (issue 9): a daemon with --host-cpus 1,
// two busy domains (a shell loop on their vCPU) with weights 512 and 256: the ratio of the guest
// instructions they executed over SECONDS; then one domain alone capped at 25 %: its share of a
// core (host CPU time of its slices / wall time). Prints a table. Other load on the host distorts
// the figures (the scheduler shares the CPUs the daemon is given, not the machine).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOT_TIMEOUT_MS, PROMPT, requireGuest } from '../../tests/support/guest-session.mjs';
import { TestDaemon } from '../../tests/support/test-daemon.mjs';
import { DomainConsole } from '../../tests/support/domain-console.mjs';

const SECONDS = Number(process.env.BENCH_SCHED_SECONDS ?? 30);
const guest = await requireGuest();
const dir = mkdtempSync(join(tmpdir(), 'banquise-bench-sched-'));
const daemon = await TestDaemon.start(dir, 'd', { maxMemory: '512M', extra: ['--host-cpus', '1', '--bridge', 'br0'] });
const bq = (args) => daemon.bq(args);
const get = (path) => daemon.get(path);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
try {
  const consoles = {};
  for (const n of ['heavy', 'light']) {
    writeFileSync(join(dir, `${n}.cfg`), `name = "${n}"\nmemory = 64\nkernel = "${guest.kernel}"\nramdisk = "${guest.initrd}"\n`);
    const r = await bq(['create', join(dir, `${n}.cfg`)]);
    if (r.code !== 0) throw new Error(r.stderr);
    consoles[n] = new DomainConsole(daemon.sock, n);
    await consoles[n].opened;
  }
  for (const n of ['heavy', 'light']) {
    await consoles[n].waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
    await consoles[n].waitFor(PROMPT, 120_000);
    await consoles[n].run('(sh -c "while :; do :; done" &)');
  }
  await bq(['sched-credit', '-d', 'heavy', '-w', '512']);
  await bq(['sched-credit', '-d', 'light', '-w', '256']);
  await sleep(2000);
  const by = (l) => Object.fromEntries(l.map((d) => [d.name, d]));
  const a = by(await get('/v1/domains'));
  await sleep(SECONDS * 1000);
  const b = by(await get('/v1/domains'));
  const ih = b.heavy.instructions - a.heavy.instructions;
  const il = b.light.instructions - a.light.instructions;
  const ch = b.heavy.cpu_time - a.heavy.cpu_time;
  const cl = b.light.cpu_time - a.light.cpu_time;
  const cpuBoth = (ch + cl) / SECONDS;
  await bq(['destroy', 'light']);
  await bq(['sched-credit', '-d', 'heavy', '-c', '25']);
  await sleep(2000);
  const c = by(await get('/v1/domains'));
  const t0 = Date.now();
  await sleep(SECONDS * 1000);
  const d = by(await get('/v1/domains'));
  const share = (d.heavy.cpu_time - c.heavy.cpu_time) / ((Date.now() - t0) / 1000);
  const rows = [
    ['weights 512:256, --host-cpus 1, both busy', `instructions ratio ${(ih / il).toFixed(2)}`, '2.0 ± 0.2', `(${(ih / 1e6).toFixed(0)}M vs ${(il / 1e6).toFixed(0)}M; CPU time ratio ${(ch / cl).toFixed(2)}; together ${(cpuBoth * 100).toFixed(0)} % of a core; M instructions per CPU s ${(ih / ch / 1e6).toFixed(1)} vs ${(il / cl / 1e6).toFixed(1)})`],
    ['cap 25, alone, busy', `${(share * 100).toFixed(1)} % of a core`, '25 ± 3 %', ''],
  ];
  process.stdout.write(`bench:sched, ${SECONDS} s per case; host load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  for (const r of rows) process.stdout.write(`${r[0].padEnd(44)}${r[1].padEnd(28)}target ${r[2].padEnd(12)}${r[3]}\n`);
  for (const con of Object.values(consoles)) con.close();
} finally {
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
}
