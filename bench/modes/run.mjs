#!/usr/bin/env node
// `npm run bench:modes`: paravirtualization versus full virtualization (issue 11,
// docs/pv-vs-full.md), the same kernel and userland (the default guest, plus /bin/bq-io and
// /bin/instret), four setups in one run:
//   Banquise pv    no firmware, SBI answered in TypeScript, virtio-blk + virtio-net (virtio-mmio)
//   Banquise full  OpenSBI fw_dynamic from the boot ROM, NVMe + e1000 on PCIe
//   QEMU pv        QEMU virt with the same OpenSBI (QEMU has no firmware-less boot), virtio-mmio
//   QEMU full      QEMU virt, same OpenSBI, NVMe + e1000 on PCIe
// In each guest: boot to the shell, then 64 MiB sequential write (+ fsync) and read (cold
// cache) of the raw disk, and 32 MiB of TCP each way with a Node server on the host through
// the user-mode network (bq-io, as bench:io).
// Banquise counts exactly on the host (monitor `info counters`, src/machine/machine-counters.ts):
// instructions per privilege, traps into M-mode, SBI calls answered in TypeScript, register
// accesses and interrupts per device. QEMU (Debian: no TCG plugins) is measured twice: a plain
// run for wall time, and a run with -icount shift=0 where the guest reads instret (QEMU's count
// of executed instructions) around each step, /proc/interrupts gives the interrupts, and QEMU's
// memory_region_ops_read/write trace events (log backend) count the register accesses per
// memory region ('virtio-mmio' for every virtio-mmio transport, 'nvme', 'e1000-mmio').
//
// Usage: node bench/modes/run.mjs [--no-qemu] [--disk-mib N] [--tcp-mib N] [--json]
//   --json       print the measurements as JSON instead of the tables
//   --from FILE  print the tables of a run saved with --json (nothing is measured)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GuestSession, REPO, requireGuest } from '../../tests/support/guest-session.mjs';
import { hostServers, initrdWithBqIo, writeScratchImage } from '../support/host-io.mjs';
import { MonitorClient } from '../../tests/support/monitor-client.mjs';
import { buildInstretProgram } from '../boot/overlay.mjs';

const { values: opts } = parseArgs({
  options: {
    'no-qemu': { type: 'boolean', default: false },
    'disk-mib': { type: 'string', default: '64' },
    'tcp-mib': { type: 'string', default: '32' },
    json: { type: 'boolean', default: false },
    from: { type: 'string' },
  },
});
const MIB = 1 << 20;
/** A run saved with --json, when --from names one. */
const saved = opts.from === undefined ? undefined : JSON.parse(readFileSync(opts.from, 'utf8'));
const DISK_MIB = saved?.diskMib ?? Number(opts['disk-mib']);
const TCP_MIB = saved?.tcpMib ?? Number(opts['tcp-mib']);
const MEMORY = '256M';
const STEP_TIMEOUT_MS = 20 * 60_000;
const FW = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin';
const CACHE = join(REPO, '.cache', 'bench-modes');
const log = (s) => process.stderr.write(`bench:modes: ${s}\n`);

/** The default initramfs + /bin/bq-io (bench/io/bq-io.c) + /bin/instret (bench/boot/instret.S). */
function buildInitrd(baseInitrdPath) {
  const instret = buildInstretProgram();
  if (instret === undefined) throw new Error('cannot build /bin/instret (riscv64-linux-gnu-gcc)');
  return initrdWithBqIo(baseInitrdPath, CACHE, 'initrd-modes.img', [['bin/instret', 0o100755, Buffer.from(instret)]]);
}

/** Parses `info counters` (src/machine/monitor.ts). */
function parseCounters(text) {
  const num = (re) => Number(re.exec(text)?.[1] ?? NaN);
  const m = /^instructions: U (\d+) S (\d+) M (\d+)$/m.exec(text);
  const t = /^traps into M: ecall (\d+) exception (\d+) interrupt (\d+)$/m.exec(text);
  if (!m || !t) throw new Error(`unexpected 'info counters' reply:\n${text}`);
  const per = (kind) => Object.fromEntries([...text.matchAll(new RegExp(`^${kind} (\\S+): (\\d+)$`, 'gm'))].map((x) => [x[1], Number(x[2])]));
  return {
    U: Number(m[1]), S: Number(m[2]), M: Number(m[3]),
    ecalls: Number(t[1]), mExceptions: Number(t[2]), mInterrupts: Number(t[3]),
    sbi: num(/^SBI calls answered in TypeScript: (\d+)$/m),
    mmio: per('mmio'), irqs: per('irq'),
  };
}

/** b - a for every number in a counters object (device maps too). */
function diff(a, b) {
  const out = {};
  for (const k of Object.keys(b)) {
    if (typeof b[k] === 'number') out[k] = b[k] - (a[k] ?? 0);
    else out[k] = Object.fromEntries(Object.keys(b[k]).map((d) => [d, b[k][d] - (a[k]?.[d] ?? 0)]));
  }
  return out;
}

/** /proc/interrupts as { "name": total over CPUs } (name: the line's last column, e.g. "nvme0q1"). */
function parseProcInterrupts(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+):\s+(\d+)\s+.*?\s(\S+)\s*$/.exec(line);
    if (m) out[`${m[1]}:${m[3]}`] = Number(m[2]);
  }
  return out;
}

/** Lines of `path` matching `re` (QEMU's trace log). */
function countTrace(path, re) {
  if (!existsSync(path)) return 0;
  let n = 0;
  for (const line of readFileSync(path, 'latin1').split('\n')) if (re.test(line)) n++;
  return n;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const STEPS = [
  { key: 'write', mib: DISK_MIB, what: `disk write ${DISK_MIB} MiB (+ fsync)`, cmd: (s) => `bq-io seqwrite ${s.disk} ${DISK_MIB}`, rate: 'seqwrite_mib_s', dev: 'disk' },
  { key: 'read', mib: DISK_MIB, what: `disk read ${DISK_MIB} MiB (cold cache)`, pre: 'sync; echo 3 > /proc/sys/vm/drop_caches', cmd: (s) => `bq-io seqread ${s.disk} ${DISK_MIB}`, rate: 'seqread_mib_s', dev: 'disk' },
  { key: 'tcpIn', mib: TCP_MIB, what: `TCP host → guest ${TCP_MIB} MiB`, cmd: (s, srv) => `bq-io tcpget 10.0.2.2 ${srv.sourcePort}`, rate: 'tcpget_mib_s', dev: 'net' },
  { key: 'tcpOut', mib: TCP_MIB, what: `TCP guest → host ${TCP_MIB} MiB`, cmd: (s, srv) => `bq-io tcpput 10.0.2.2 ${srv.sinkPort} ${TCP_MIB}`, rate: 'tcpput_mib_s', dev: 'net' },
];

function metric(out, name) {
  const m = new RegExp(`^BQIO ${name} ([0-9.]+)`, 'm').exec(out);
  if (!m) throw new Error(`no ${name} in guest output:\n${out}`);
  return Number(m[1]);
}

/**
 * Boots one setup and runs every step. `counting`: the guest reads instret and /proc/interrupts
 * around each step (QEMU -icount run); `monitor`: Banquise's host counters around each step.
 */
async function measure(setup, servers, { counting, monitor, trace }) {
  const sock = monitor ? join(CACHE, `${setup.key}.mon`) : undefined;
  if (sock) rmSync(sock, { force: true });
  if (trace) rmSync(trace, { force: true });
  const args = [...setup.args, ...(sock ? ['--monitor', sock] : [])];
  log(`${setup.label}${counting ? ' (counting run)' : ''}: booting`);
  const t0 = performance.now();
  const s = new GuestSession(args, setup.command === undefined ? {} : { command: setup.command });
  const r = { boot: {}, steps: {} };
  try {
    await s.waitForShell(STEP_TIMEOUT_MS);
    r.boot.ms = performance.now() - t0;
    const mon = sock ? await MonitorClient.open(sock) : undefined;
    if (mon) r.boot.counters = parseCounters(await mon.command('info counters'));
    const run = (cmd) => s.run(cmd, STEP_TIMEOUT_MS);
    if (counting) {
      // -icount shift=0: instret is QEMU's virtual time in ns, which also runs while the guest
      // idles; the guest's own idle time (/proc/uptime, 10 ms resolution) is taken off.
      const b = await run('echo "I=$(instret)"; cat /proc/uptime');
      r.boot.instretRaw = Number(/^I=(\d+)$/m.exec(b)?.[1]);
      r.boot.idleNs = Number(/^[\d.]+ ([\d.]+)$/m.exec(b)?.[1]) * 1e9;
      r.boot.instret = r.boot.instretRaw - r.boot.idleNs;
      // which /proc/interrupts names belong to the disk and the NIC (virtioN, nvme0qN, eth0)
      const ids = await run(`echo "DISK=$(basename $(readlink -f /sys/block/${setup.disk.slice(5)}/device))"; echo "NET=$(basename $(readlink -f /sys/class/net/eth0/device))"`);
      r.irqNames = { disk: /DISK=(\S+)/.exec(ids)?.[1], net: /NET=(\S+)/.exec(ids)?.[1] };
    }
    if (trace) {
      await sleep(300);
      r.boot.traceByRegion = {};
      for (const m of readFileSync(trace, 'latin1').matchAll(/ name '([^']+)'$/gm)) r.boot.traceByRegion[m[1]] = (r.boot.traceByRegion[m[1]] ?? 0) + 1;
    }
    // the guest's init configures the NIC by DHCP in the background: wait for the route
    await run('for i in $(seq 1 60); do ip route | grep -q "^default via 10.0.2.2" && break; sleep 1; done; ip route');
    for (const step of STEPS) {
      log(`${setup.label}: ${step.what}`);
      if (step.pre) await run(step.pre);
      const before = mon ? parseCounters(await mon.command('info counters')) : undefined;
      const traceBefore = trace ? (await sleep(300), countTrace(trace, setup.traceRe[step.dev])) : undefined;
      const probe = counting ? 'echo "I=$(instret)"; echo "T=$(cat /proc/uptime)"; cat /proc/interrupts; ' : '';
      const out = await run(`${probe}${step.cmd(setup, servers)}; ${probe}true`);
      const x = { mib: step.mib, seconds: step.mib / metric(out, step.rate) };
      if (before) x.counters = diff(before, parseCounters(await mon.command('info counters')));
      if (counting) {
        const [a, b] = [...out.matchAll(/^I=(\d+)$/gm)].map((m) => Number(m[1]));
        const [ia0, ib0] = [...out.matchAll(/^T=[\d.]+ ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1e9);
        x.idleNs = ib0 - ia0;
        x.instructionsRaw = b - a;
        x.instructions = b - a - x.idleNs;
        const parts = out.split(/^I=\d+$/m);
        const ia = parseProcInterrupts(parts[1] ?? '');
        const ib = parseProcInterrupts(parts[2] ?? '');
        x.guestIrqs = Object.fromEntries(Object.keys(ib).map((k) => [k, ib[k] - (ia[k] ?? 0)]).filter(([, v]) => v > 0));
      }
      if (trace) {
        await sleep(300);
        x.traceMmio = countTrace(trace, setup.traceRe[step.dev]) - traceBefore;
      }
      r.steps[step.key] = x;
    }
    s.send('poweroff\n');
    await s.waitExit(120_000).catch(() => {});
    mon?.close?.();
    return r;
  } finally {
    s.kill();
  }
}

let results;
let load0;
let load1;
if (saved !== undefined) {
  ({ results } = saved);
  [load0, load1] = saved.loadavg;
} else {
  const guest = await requireGuest();
  if (!existsSync(FW)) throw new Error(`${FW} missing (apt-get install opensbi)`);
  const initrd = buildInitrd(guest.initrd);
  const disk = writeScratchImage(join(CACHE, 'scratch.img'), (DISK_MIB + 16) * MIB);
  const haveQemu = !opts['no-qemu'] && spawnSync('qemu-system-riscv64', ['--version']).status === 0;
  const common = ['--kernel', guest.kernel, '--initrd', initrd, '--memory', MEMORY, '--append', 'console=ttyS0'];
  const qemuCommon = ['-M', 'virt', '-m', MEMORY, '-smp', '1', '-nographic', '-monitor', 'none', '-bios', FW,
    '-kernel', guest.kernel, '-initrd', initrd, '-append', 'console=ttyS0'];
  const SETUPS = [
    { key: 'bqPv', label: 'Banquise pv', disk: '/dev/vda', args: ['run', ...common, '--disk', disk, '--net', 'user'] },
    { key: 'bqFull', label: 'Banquise full', disk: '/dev/nvme0n1', args: ['run', '--mode', 'full', ...common, '--disk', `${disk},if=nvme`, '--net', 'user,model=e1000'] },
    {
      key: 'qPv', label: 'QEMU pv', disk: '/dev/vda', command: 'qemu-system-riscv64',
      args: [...qemuCommon, '-drive', `file=${disk},if=none,format=raw,id=d0`, '-device', 'virtio-blk-device,drive=d0',
        '-netdev', 'user,id=n0', '-device', 'virtio-net-device,netdev=n0'],
      traceRe: { disk: / name 'virtio-mmio'$/, net: / name 'virtio-mmio'$/ },
    },
    {
      key: 'qFull', label: 'QEMU full', disk: '/dev/nvme0n1', command: 'qemu-system-riscv64',
      args: [...qemuCommon, '-drive', `file=${disk},if=none,format=raw,id=d0`, '-device', 'nvme,drive=d0,serial=bq',
        '-netdev', 'user,id=n0', '-device', 'e1000,netdev=n0,romfile='] /* no option ROM: riscv has no use for it */,
      traceRe: { disk: / name 'nvme'$/, net: / name 'e1000-mmio'$/ },
    },
  ];

  load0 = loadavg();
  const servers = await hostServers(TCP_MIB * MIB);
  results = {};
  try {
    for (const setup of SETUPS) {
      if (setup.command !== undefined) {
        if (!haveQemu) continue;
        const plain = await measure(setup, servers, {});
        const trace = join(CACHE, `${setup.key}.trace`);
        const countingSetup = {
          ...setup,
          args: [...setup.args, '-icount', 'shift=0', '-trace', 'memory_region_ops_read', '-trace', 'memory_region_ops_write', '-D', trace],
        };
        const counted = await measure(countingSetup, servers, { counting: true, trace });
        rmSync(trace, { force: true });
        results[setup.key] = { label: setup.label, plain, counted };
      } else {
        results[setup.key] = { label: setup.label, plain: await measure(setup, servers, { monitor: true }) };
      }
    }
  } finally {
    servers.close();
  }
  load1 = loadavg();
}

if (opts.json) {
  console.log(JSON.stringify({ diskMib: DISK_MIB, tcpMib: TCP_MIB, loadavg: [load0, load1], results }, null, 2));
  process.exit(0);
}

// ---- the tables
const M = (n) => (n / 1e6).toFixed(1) + ' M';
const fmt = (n, d = 0) => (n === undefined || Number.isNaN(n) ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }));
const sec = (ms) => (ms / 1000).toFixed(2) + ' s';
const rows = Object.entries(results);
console.log(`pv versus full — default guest (Linux 6.1 + busybox), 1 vCPU, ${MEMORY}, disk ${DISK_MIB} MiB, TCP ${TCP_MIB} MiB`);
console.log(`load average before ${load0.map((x) => x.toFixed(2)).join(' ')}, after ${load1.map((x) => x.toFixed(2)).join(' ')}`);
console.log('');
console.log('Boot to the shell prompt');
console.log('');
console.log('| setup | wall time | guest instructions | firmware (M) | kernel (S) | user (U) | SBI calls in TS | ecalls into M | M instructions per ecall |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [, r] of rows) {
  const c = r.plain.boot.counters;
  if (c) {
    const all = c.U + c.S + c.M;
    const pct = (x) => `${M(x)} (${((100 * x) / all).toFixed(1)} %)`;
    console.log(`| ${r.label} | ${sec(r.plain.boot.ms)} | ${M(all)} | ${pct(c.M)} | ${pct(c.S)} | ${pct(c.U)} | ${fmt(c.sbi)} | ${fmt(c.ecalls)} | ${c.ecalls ? fmt(c.M / c.ecalls) + ' (boot included)' : '-'} |`);
  } else {
    console.log(`| ${r.label} | ${sec(r.plain.boot.ms)} | ${M(r.counted.boot.instret)} | (included) | | | - | n/a | n/a |`);
  }
}
console.log('');
console.log('I/O, per MiB moved (device: virtio-blk / NVMe for the disk, virtio-net / e1000 for TCP)');
console.log('');
console.log('| step | setup | wall time | MiB/s | guest instructions / MiB | of which M (firmware) | ecalls into M / MiB | SBI calls in TS / MiB | device register accesses / MiB | device interrupts / MiB |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
const devName = (key, dev) => ({ bqPv: { disk: 'virtio-blk.0', net: 'virtio-net.0' }, bqFull: { disk: 'nvme.0', net: 'e1000.0' } })[key]?.[dev];
/** The /proc/interrupts lines of a device: virtio by its virtioN name, NVMe by its queues, e1000 as eth0. */
const guestIrqRe = (key, dev, names) => key === 'qPv' ? new RegExp(`:${names?.[dev] ?? '?'}$`) : dev === 'disk' ? /:nvme0q\d+$/ : /:eth0$/;
for (const step of STEPS) {
  for (const [key, r] of rows) {
    const p = r.plain.steps[step.key];
    const perMib = (n) => (n === undefined || Number.isNaN(n) ? 'n/a' : fmt(n / step.mib, n / step.mib < 100 ? 1 : 0));
    let insn, mShare, ecalls, sbi, mmio, irqs;
    if (p.counters) {
      const c = p.counters;
      insn = c.U + c.S + c.M;
      mShare = insn === 0 ? 'n/a' : `${((100 * c.M) / insn).toFixed(2)} %`;
      ecalls = perMib(c.ecalls);
      sbi = perMib(c.sbi);
      mmio = perMib(c.mmio[devName(key, step.dev)]);
      irqs = perMib(c.irqs[devName(key, step.dev)]);
    } else {
      const c = r.counted.steps[step.key];
      insn = c.instructions;
      mShare = '(included)';
      ecalls = 'n/a';
      sbi = '-';
      mmio = c.traceMmio === undefined ? 'n/a (no trace event)' : perMib(c.traceMmio);
      const re = guestIrqRe(key, step.dev, r.counted.irqNames);
      irqs = perMib(Object.entries(c.guestIrqs).filter(([k]) => re.test(k)).reduce((n, [, v]) => n + v, 0));
    }
    console.log(`| ${step.what} | ${r.label} | ${p.seconds.toFixed(2)} s | ${(step.mib / p.seconds).toFixed(1)} | ${perMib(insn)} | ${mShare} | ${ecalls} | ${sbi} | ${mmio} | ${irqs} |`);
  }
}
console.log('');
for (const [key, r] of rows) {
  if (r.plain.boot.counters === undefined) continue;
  let m = 0, ecalls = 0, sbi = 0, mExc = 0, mIrq = 0;
  for (const step of STEPS) {
    const c = r.plain.steps[step.key].counters;
    m += c.M; ecalls += c.ecalls; sbi += c.sbi; mExc += c.mExceptions; mIrq += c.mInterrupts;
  }
  console.log(key === 'bqFull'
    ? `${r.label}, all I/O steps: ${fmt(ecalls)} ecalls into M (SBI calls), ${fmt(mExc)} other exceptions and ${fmt(mIrq)} interrupts taken in M; ${fmt(m)} firmware instructions, ${ecalls ? fmt(m / ecalls) : 'n/a'} per ecall`
    : `${r.label}, all I/O steps: ${fmt(sbi)} SBI calls answered in TypeScript, ${fmt(m)} instructions in M`);
}
for (const [, r] of rows) {
  if (r.counted === undefined) continue;
  const b = r.counted.boot;
  console.log(`${r.label} (-icount shift=0): instret at the prompt ${M(b.instretRaw)}, of which guest idle time ${M(b.idleNs)} ns-instructions; executed ≈ ${M(b.instret)}`);
}
console.log('');
console.log('Register accesses during the boot, per device (QEMU: its memory regions, counted up to the first commands after the prompt):');
for (const [, r] of rows) {
  const m = r.plain.boot.counters?.mmio ?? r.counted?.boot.traceByRegion ?? {};
  console.log(`  ${r.label}: ${Object.entries(m).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${fmt(n)}`).join(', ')}`);
}
console.log('QEMU instructions: instret under -icount shift=0 minus the guest idle time (/proc/uptime, 10 ms = 10 M resolution); QEMU M/S/U split not measurable without TCG plugins.');
console.log('QEMU register accesses: trace events memory_region_ops_read/write of the regions \'virtio-mmio\' (every virtio-mmio transport: the disk idles in the TCP steps, the NIC in the disk steps), \'nvme\' and \'e1000-mmio\'.');
console.log('QEMU interrupts: the guest\'s /proc/interrupts (virtioN of the device, nvme0qN, eth0). Banquise: host counters (monitor `info counters`).');
