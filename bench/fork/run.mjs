#!/usr/bin/env node
// npm run bench:fork — fork latency and host memory through the daemon (issue 12): a daemon on a
// temporary socket, one default-guest domain (256 MiB by default) idle at its shell, then
// `fork` with 1 and with 10 children. For each: the time from the request to the answer (every
// child's worker running its restored machine), the daemon's split of it (capture in the
// parent's worker, then children started), the time until every child answered a command on
// its console, and the daemon's resident memory (one process: the workers are its threads)
// before and after. Prints a table.
// Usage: node bench/fork/run.mjs [--memory MiB] [--counts 1,10] [--json]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { BIN, PROMPT, REPO, requireGuest } from '../../tests/support/guest-session.mjs';
import { DomainConsole } from '../../tests/support/domain-console.mjs';

const { values: opts } = parseArgs({ options: { memory: { type: 'string', default: '256' }, counts: { type: 'string', default: '1,10' }, json: { type: 'boolean', default: false } } });
const memoryMiB = Number(opts.memory);
const counts = opts.counts.split(',').map(Number);
const log = (s) => { if (!opts.json) console.error(s); };

await requireGuest();
const dir = mkdtempSync(join(tmpdir(), 'banquise-bench-fork-'));
const sock = join(dir, 'banquised.sock');
const budget = memoryMiB * (1 + Math.max(...counts)) + 64;
const daemon = spawn(process.execPath, [BIN, 'daemon', '--socket', sock, '--max-memory', `${budget}M`, '--max-domains', String(2 + Math.max(...counts))], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'config') } });
let daemonLog = '';
daemon.stderr.on('data', (d) => (daemonLog += d));
const consoles = [];
try {
  while (!/listening on/.test(daemonLog)) {
    if (daemon.exitCode !== null) throw new Error(`daemon did not start:\n${daemonLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const http = (method, path, body) => new Promise((res, rej) => {
    const req = request({ socketPath: sock, method, path, headers: body !== undefined ? { 'content-type': 'application/json' } : {} }, (r) => {
      let t = '';
      r.on('data', (d) => (t += d));
      r.on('end', () => (r.statusCode >= 400 ? rej(new Error(`${method} ${path}: ${r.statusCode} ${t}`)) : res(t ? JSON.parse(t) : undefined)));
    });
    req.on('error', rej);
    if (body !== undefined) req.write(JSON.stringify(body));
    req.end();
  });
  const rssMiB = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))[1]) / 1024;
  const attach = async (name) => {
    const c = new DomainConsole(sock, name);
    consoles.push(c);
    await c.opened;
    return c;
  };

  const { parseXlConfig } = await import(join(REPO, 'dist/control/xl-config.js'));
  const { ensureDefaultGuest } = await import(join(REPO, 'dist/platform/node/guest-images.js'));
  const guest = await ensureDefaultGuest();
  writeFileSync(join(dir, 'p.cfg'), `name = "p"\nmemory = ${memoryMiB}\nkernel = "${guest.kernel}"\nramdisk = "${guest.initrd}"\n`);
  const { config } = parseXlConfig(readFileSync(join(dir, 'p.cfg'), 'utf8'), { file: 'p.cfg', dir, overrides: [], exists: () => true });
  log(`booting a ${memoryMiB} MiB parent...`);
  await http('POST', '/v1/domains', config);
  const parent = await attach('p');
  await parent.waitFor(PROMPT, 300_000);
  await new Promise((r) => setTimeout(r, 2000));
  const rows = [];
  for (const n of counts) {
    const rssBefore = rssMiB();
    const t0 = performance.now();
    const kids = await http('POST', '/v1/domains/p/fork', { count: n, name: `c${n}` });
    const answered = performance.now() - t0;
    const lines = (await http('GET', '/v1/log')).lines;
    const split = /forked: .*; capture (\d+) ms, children running (\d+) ms later/.exec(lines.filter((l) => l.includes('forked:')).at(-1));

    const rssAfter = rssMiB();
    const cons = await Promise.all(kids.map((k) => attach(k.name)));
    await Promise.all(cons.map((c, i) => c.run(`echo child-${i}`)));
    const console = performance.now() - t0;
    const later = (await http('GET', '/v1/log')).lines;
    for (const k of kids) log(`  ${later.find((l) => l.includes(`domain ${k.name} (`) && l.includes('continued from a saved state')) ?? `${k.name}: no worker timing in the log`}`);
    await new Promise((r) => setTimeout(r, 2000));
    const rssSettled = rssMiB();
    rows.push({ children: n, answerMs: Math.round(answered), captureMs: Number(split[1]), startMs: Number(split[2]), consoleMs: Math.round(console), rssBeforeMiB: Math.round(rssBefore), rssAfterMiB: Math.round(rssAfter), rssSettledMiB: Math.round(rssSettled) });
    log(`${n} child(ren): ${JSON.stringify(rows.at(-1))}`);
    for (const k of kids) await http('DELETE', `/v1/domains/${k.name}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (opts.json) console.log(JSON.stringify(rows, null, 2));
  else {
    console.log(`fork of an idle ${memoryMiB} MiB default guest (load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`);
    console.log('children | request→answer | capture | children running | all consoles answer | daemon RSS before → after → 2 s later');
    for (const r of rows) console.log(`${String(r.children).padStart(8)} | ${String(r.answerMs).padStart(11)} ms | ${String(r.captureMs).padStart(4)} ms | ${String(r.startMs).padStart(13)} ms | ${String(r.consoleMs).padStart(16)} ms | ${r.rssBeforeMiB} → ${r.rssAfterMiB} → ${r.rssSettledMiB} MiB`);
  }
} finally {
  for (const c of consoles) c.close();
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
