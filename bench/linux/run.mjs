#!/usr/bin/env node
// `npm run bench:linux` (issue 10): ordinary Linux work inside the default guest (Linux 6.1 +
// busybox initramfs, 1 vCPU, 256 MiB) on QEMU (qemu-system-riscv64 -M virt, TCG, Debian's
// OpenSBI) and on Banquise with the JIT (--jit) and interpreted (--no-jit), same kernel and
// initramfs, in the same run. Phases (bench/linux/phases.mjs): a shell loop, md5sum and
// sha256sum of 8 MiB, fork+exec, an awk floating-point loop, sort. Each phase's output is
// checked against values computed on the host: a wrong result ends the run with exit status 1.
//
// Each phase is timed three ways:
//   guest clock  the guest reads its clock right before and after the phase without forking
//                (busybox ash's $EPOCHREALTIME, µs; /proc/uptime, 10 ms, when ash lacks it).
//                The guest's clock is wall time on both: Banquise's mtime is the host's
//                monotonic clock, and QEMU's virtual clock follows the host's under TCG
//                (no -icount). The tables use this one.
//   host wall    between the arrivals of the phase's start and end markers on the console.
//   host CPU     CPU time of the emulator process (all its threads: V8's compile threads
//                included) between the same markers, /proc/PID/stat (10 ms ticks).
// Banquise also reports its exact instruction count per phase and the JIT's statistics
// (monitor `info counters`, `info jit`: code cache size after the boot and after the phases).
//
// Usage: node bench/linux/run.mjs [--runs N] [--no-qemu] [--phases shell,md5sum,...] [--json]
//   --runs N     boot each setup N times (setups interleaved), report the median per phase
//   --phases     a subset of: shell, md5sum, forkexec, sha256sum, awk, sort
//   --json       print every measurement as JSON instead of the tables
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GuestSession, PROMPT, requireGuest } from '../../tests/support/guest-session.mjs';
import { MonitorClient } from '../../tests/support/monitor-client.mjs';
import { selectPhases, setup as SETUP } from './phases.mjs';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    'no-qemu': { type: 'boolean', default: false },
    phases: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const runs = Number(opts.runs);
if (!Number.isInteger(runs) || runs < 1) fail(`--runs must be a positive integer, not '${opts.runs}'`);
let phases;
try {
  phases = selectPhases(opts.phases);
} catch (err) {
  fail(err.message);
}
const MEMORY = '256M';
const APPEND = 'console=ttyS0';
const FW = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin';
const PHASE_TIMEOUT_MS = 30 * 60_000;
const CLK_TCK = 100; // Linux USER_HZ, the unit of /proc/PID/stat times
const log = (s) => process.stderr.write(`bench:linux: ${s}\n`);

function fail(message) {
  process.stderr.write(`bench:linux: FAILED: ${message}\n`);
  process.exit(1);
}

/** CPU seconds (user + system, all threads) of a process so far. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // fields 14 and 15: utime, stime
}

/**
 * Records when console output arrives (host wall and the process's CPU time) for the chunks
 * that carry a marker ("@@S", "@@E"), so a marker's time is its arrival, not when the bench
 * got round to looking for it.
 */
function stampMarkers(session) {
  const stamps = [];
  let scanned = 0;
  session.child.stdout.on('data', () => {
    // GuestSession's own listener (registered first) has already appended this chunk.
    const end = session.output.length;
    const fresh = session.output.slice(Math.max(0, scanned - 3), end);
    scanned = end;
    if (/@@[SE]/.test(fresh)) stamps.push({ end, ms: performance.now(), cpu: cpuSeconds(session.child.pid) });
  });
  /** The stamp of the chunk holding the character at `pos` (a marker's letter: its chunk is stamped). */
  return (pos) => {
    const s = stamps.find((x) => x.end > pos);
    if (s === undefined) throw new Error(`no arrival stamp for console offset ${pos}`);
    return s;
  };
}

/** Console offset of the marker's letter in `text`, which `waitFor` just returned (it ends at the mark). */
const markerOffset = (session, text, marker) => session.mark - text.length + text.lastIndexOf(marker) + marker.length - 1;

/** The meaningful lines of a command's output: trimmed, without blanks and kernel messages. */
const outputLines = (text) => text.replace(/\r/g, '').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^\[\s*\d+\.\d+\]/.test(l));

function checkLines(what, got, want) {
  if (got.length !== want.length || got.some((l, i) => l !== want[i])) {
    throw new Error(`${what}: wrong output\n  expected: ${JSON.stringify(want)}\n  got:      ${JSON.stringify(got)}`);
  }
}

/** `info counters` → instructions retired (all privileges) and per privilege. */
function parseInstructions(text) {
  const m = /^instructions: U (\d+) S (\d+) M (\d+)$/m.exec(text);
  if (!m) throw new Error(`unexpected 'info counters' reply:\n${text}`);
  return { U: Number(m[1]), S: Number(m[2]), M: Number(m[3]), all: Number(m[1]) + Number(m[2]) + Number(m[3]) };
}

/** `info jit` (one line per hart) → the counters added over the harts. */
function parseJit(text) {
  const keys = {
    blocks: /blocks translated (\d+)/, modulesLive: /modules live (\d+)/, cacheBytes: /modules live \d+ \((\d+) bytes\)/,
    modulesCompiled: /compiled (\d+) in/, compileMs: /compiled \d+ in ([\d.]+) ms/, invalidations: /invalidations (\d+)/,
    evictions: /evictions (\d+)/, jitInstructions: /instructions in generated code (\d+)/, jitEntries: /\((\d+) entries\)/,
  };
  const lines = text.split('\n').filter((l) => l.startsWith('hart '));
  if (lines.length === 0) throw new Error(`unexpected 'info jit' reply (is the JIT on?):\n${text}`);
  const sum = {};
  for (const [k, re] of Object.entries(keys)) {
    sum[k] = 0;
    for (const l of lines) {
      const m = re.exec(l);
      if (!m) throw new Error(`'info jit': no ${k} in: ${l}`);
      sum[k] += Number(m[1]);
    }
  }
  return sum;
}

/**
 * Boots one setup, creates the inputs, runs the phases, powers off. Returns the boot time,
 * the clock used and per phase {guestS, uptimeS, hostS, cpuS, instructions?, kernelInstructions?, jitInstructions?}.
 */
async function measure(setup, dir) {
  const sock = setup.banquise ? join(dir, `${setup.key}.mon`) : undefined;
  const args = sock ? [...setup.args, '--monitor', sock] : setup.args;
  log(`${setup.label}: booting`);
  const t0 = performance.now();
  const s = new GuestSession(args, setup.banquise ? {} : { command: 'qemu-system-riscv64' });
  const stampAt = stampMarkers(s);
  let mon;
  try {
    await s.waitForShell();
    const run = { bootS: (performance.now() - t0) / 1000, phases: {} };
    mon = sock ? await MonitorClient.open(sock) : undefined;
    if (mon && setup.jit) run.jitAfterBoot = parseJit(await mon.command('info jit'));

    // $EPOCHREALTIME (ash with bash compatibility) is read without a fork; else /proc/uptime.
    const clock = /^E=(\d+\.\d+)$/m.exec(await s.run('echo "E=$EPOCHREALTIME"'));
    run.clock = clock ? 'EPOCHREALTIME' : 'uptime';
    log(`${setup.label}: creating the inputs in the guest`);
    checkLines(`${setup.label}: setup`, outputLines(await s.run(SETUP.command, PHASE_TIMEOUT_MS)), SETUP.expect());

    for (const phase of phases) {
      log(`${setup.label}: ${phase.name}`);
      const before = mon ? parseInstructions(await mon.command('info counters')) : undefined;
      const jitBefore = mon && setup.jit ? parseJit(await mon.command('info jit')) : undefined;
      // Markers are spelled '@@'X on the command line, so the terminal's echo never matches.
      s.send(`echo '@@'S; read u0 x < /proc/uptime; e0=$EPOCHREALTIME; ${phase.body}; e1=$EPOCHREALTIME; read u1 x < /proc/uptime; ` +
        `echo '@@'E; echo '@@'T "$u0 $u1 $e0 $e1"; ${phase.check ?? ':'}; echo '@@'D\n`);
      const start = stampAt(markerOffset(s, await s.waitFor(/@@S\r?\n/, PHASE_TIMEOUT_MS), '@@S'));
      const bodyText = await s.waitFor(/@@E\r?\n/, PHASE_TIMEOUT_MS);
      const end = stampAt(markerOffset(s, bodyText, '@@E'));
      const times = (await s.waitFor(/@@T [^\r\n]*\r?\n/, 60_000)).match(/@@T ([^\r\n]*)/)[1].trim().split(/\s+/).map(Number);
      const checkText = await s.waitFor(/@@D\r?\n/, PHASE_TIMEOUT_MS);
      await s.waitFor(PROMPT, 60_000);
      const got = [...outputLines(bodyText.replace(/@@E\r?\n$/, '')), ...outputLines(checkText.replace(/@@D\r?\n$/, ''))];
      checkLines(`${setup.label}: phase ${phase.name}`, got, phase.expect());
      const [u0, u1, e0, e1] = times;
      if (!(u1 >= u0)) throw new Error(`${setup.label}: phase ${phase.name}: bad /proc/uptime readings ${times}`);
      const x = {
        uptimeS: u1 - u0,
        guestS: run.clock === 'EPOCHREALTIME' ? e1 - e0 : u1 - u0,
        hostS: (end.ms - start.ms) / 1000,
        cpuS: end.cpu - start.cpu,
      };
      if (!(x.guestS >= 0)) throw new Error(`${setup.label}: phase ${phase.name}: bad clock readings ${times}`);
      if (before) {
        const after = parseInstructions(await mon.command('info counters'));
        x.instructions = after.all - before.all;
        x.kernelInstructions = after.S - before.S;
      }
      if (jitBefore) x.jitInstructions = parseJit(await mon.command('info jit')).jitInstructions - jitBefore.jitInstructions;
      run.phases[phase.name] = x;
    }
    if (mon && setup.jit) run.jitAfterPhases = parseJit(await mon.command('info jit'));
    s.send('poweroff\n');
    await s.waitExit(120_000).catch(() => {});
    return run;
  } finally {
    mon?.close();
    s.kill();
  }
}

// ---- the setups
const guest = await requireGuest();
const haveQemu = !opts['no-qemu'] && spawnSync('qemu-system-riscv64', ['--version']).status === 0;
if (!opts['no-qemu'] && !haveQemu) fail('qemu-system-riscv64 not found (Debian: qemu-system-misc); use --no-qemu to run Banquise alone');
if (haveQemu && !existsSync(FW)) fail(`${FW} missing (Debian: opensbi); use --no-qemu to run Banquise alone`);
const banquiseArgs = ['run', '--kernel', guest.kernel, '--initrd', guest.initrd, '--memory', MEMORY, '--vcpus', '1', '--append', APPEND, '--no-rng'];
const SETUPS = [
  ...(haveQemu ? [{
    key: 'qemu', label: 'QEMU', args: ['-M', 'virt', '-m', MEMORY, '-smp', '1', '-nographic', '-monitor', 'none',
      '-bios', FW, '-kernel', guest.kernel, '-initrd', guest.initrd, '-append', APPEND],
  }] : []),
  // The JIT's default is changing (issue 10): both rows name their engine explicitly.
  { key: 'jit', label: 'Banquise --jit', banquise: true, jit: true, args: [...banquiseArgs, '--jit'] },
  { key: 'interp', label: 'Banquise --no-jit', banquise: true, jit: false, args: [...banquiseArgs, '--no-jit'] },
];

const dir = mkdtempSync(join(tmpdir(), 'banquise-bench-linux-'));
const load0 = loadavg();
const startedAt = new Date().toISOString();
const results = Object.fromEntries(SETUPS.map((x) => [x.key, []]));
try {
  for (let r = 0; r < runs; r++) {
    for (const setup of SETUPS) results[setup.key].push(await measure(setup, dir));
  }
} catch (err) {
  fail(err?.stack ?? String(err));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const load1 = loadavg();

if (opts.json) {
  console.log(JSON.stringify({ startedAt, memory: MEMORY, vcpus: 1, runs, phases: phases.map((p) => p.name), loadavg: [load0, load1], results }, null, 2));
  process.exit(0);
}

// ---- the tables
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** Median over the runs of a phase's `field` for one setup (undefined when the setup did not run). */
const med = (key, phase, field) => (results[key]?.length ? median(results[key].map((r) => r.phases[phase][field])) : undefined);
const sec = (x) => (x === undefined ? 'n/a' : x.toFixed(2));
const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}×`);
const clocks = new Set(Object.values(results).flat().map((r) => r.clock));
const clockName = clocks.size === 1 && clocks.has('EPOCHREALTIME') ? "the guest's clock ($EPOCHREALTIME in busybox ash, µs, read without a fork)" : "the guest's clock (/proc/uptime, 10 ms resolution)";

function table(title, field) {
  console.log(title);
  console.log('');
  console.log('| phase | QEMU s | Banquise --jit s | Banquise --no-jit s | --jit / QEMU | --no-jit / QEMU | --jit / --no-jit |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const total = { qemu: 0, jit: 0, interp: 0 };
  for (const p of phases) {
    const [q, j, i] = ['qemu', 'jit', 'interp'].map((k) => med(k, p.name, field));
    total.qemu += q ?? 0; total.jit += j; total.interp += i;
    console.log(`| ${p.what} | ${sec(q)} | ${sec(j)} | ${sec(i)} | ${ratio(j, q)} | ${ratio(i, q)} | ${ratio(j, i)} |`);
  }
  const q = haveQemu ? total.qemu : undefined;
  console.log(`| **total** | ${sec(q)} | ${sec(total.jit)} | ${sec(total.interp)} | ${ratio(total.jit, q)} | ${ratio(total.interp, q)} | ${ratio(total.jit, total.interp)} |`);
  console.log('');
  return { ...total, qemu: q };
}

console.log(`bench:linux — default guest (Linux 6.1 + busybox initramfs), 1 vCPU, ${MEMORY}, append "${APPEND}"; median of ${runs} run(s) per setup (setups interleaved, each run a fresh boot)`);
console.log(`started ${startedAt}; load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}`);
console.log(`QEMU: qemu-system-riscv64 -M virt -smp 1 -bios ${FW} (TCG); Banquise: banquise run (pv, --no-rng) with --jit / --no-jit`);
console.log('');
const totals = table(`Time per phase, measured by ${clockName}`, 'guestS');
table('Host CPU time of the emulator process per phase (/proc/PID/stat, all threads, 10 ms ticks)', 'cpuS');
table('Host wall time between the phase\'s console markers', 'hostS');

console.log('Banquise: guest instructions per phase (exact, monitor `info counters`) and speed by the guest clock');
console.log('');
console.log('| phase | instructions (--no-jit run) | of which kernel (S) | MIPS --jit | MIPS --no-jit | share run in generated code (--jit) |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const p of phases) {
  const n = med('interp', p.name, 'instructions');
  const nj = med('jit', p.name, 'instructions');
  const gj = med('jit', p.name, 'jitInstructions');
  const kernel = (100 * med('interp', p.name, 'kernelInstructions')) / n;
  console.log(`| ${p.name} | ${(n / 1e6).toFixed(1)} M | ${kernel.toFixed(1)} % | ${(nj / 1e6 / med('jit', p.name, 'guestS')).toFixed(1)} | ${(n / 1e6 / med('interp', p.name, 'guestS')).toFixed(1)} | ${((100 * gj) / nj).toFixed(1)} % |`);
}
console.log('');
const jitRun = results.jit[Math.floor(results.jit.length / 2)];
const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
const jb = jitRun.jitAfterBoot;
const jp = jitRun.jitAfterPhases;
console.log(`JIT code cache (run ${Math.floor(results.jit.length / 2) + 1}): after the boot ${jb.modulesLive} modules live, ${kib(jb.cacheBytes)}; after the phases ${jp.modulesLive} modules live, ${kib(jp.cacheBytes)} ` +
  `(${jp.modulesCompiled} modules compiled in ${(jp.compileMs / 1000).toFixed(2)} s of main-thread time, ${jp.blocks} blocks, ${jp.invalidations} invalidations, ${jp.evictions} evictions)`);
console.log(`boot to the shell (host wall, median): ${SETUPS.map((x) => `${x.label} ${sec(median(results[x.key].map((r) => r.bootS)))} s`).join(', ')}`);
if (totals.qemu !== undefined) {
  const r = totals.jit / totals.qemu;
  console.log(`target (issue 10): total ≤ 2× QEMU's; Banquise --jit is at ${r.toFixed(2)}× (${r <= 2 ? 'met' : 'not met'}; stretch goal parity: ${r <= 1 ? 'met' : 'not met'})`);
}
