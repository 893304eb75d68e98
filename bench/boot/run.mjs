#!/usr/bin/env node
// npm run bench:boot — boots the default guest (Linux 6.1 + busybox initramfs) to its shell prompt
// on Banquise (pv mode: no firmware, SBI answered in TypeScript) and on qemu-system-riscv64
// -M virt (its own OpenSBI), same kernel, same initramfs, same command line, in the same run,
// and prints a table: wall time to the prompt, guest instructions executed, the ratios.
// Instructions: Banquise counts its own exactly. QEMU has no TCG plugins in Debian, so the guest
// reports them itself: the initramfs gets an overlay (bench/boot/overlay.mjs) whose /etc/profile
// runs /bin/instret (reads the instret CSR) right before the first prompt, and QEMU runs a second
// time with -icount shift=0, where instret is QEMU's count of executed instructions (OpenSBI
// included). The same number read on Banquise checks the method against the exact count.
// --exact-split adds one Banquise boot with a per-instruction tracer that counts S and U exactly
// (slow: its time is not reported); otherwise the split is sampled at slice boundaries.
// Banquise boots twice per run: with the JIT (the default; --jit-threshold N tunes it) and with
// --no-jit (the interpreter alone); --no-jit here boots only the latter.
// Usage: node bench/boot/run.mjs [--vcpus N] [--memory MiB] [--runs N] [--no-qemu] [--no-jit] [--jit-threshold N]
//   [--exact-split] [--json]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => join(REPO, 'dist', p);
const PROMPT = /# $/;
const READY = /Banquise guest ready/;
const APPEND = 'console=ttyS0';
const TIMEOUT_MS = 30 * 60_000;

const { values: opts } = parseArgs({
  options: {
    vcpus: { type: 'string', default: '1' },
    memory: { type: 'string', default: '256' },
    runs: { type: 'string', default: '1' },
    'no-qemu': { type: 'boolean', default: false },
    'no-jit': { type: 'boolean', default: false },
    'jit-threshold': { type: 'string' },
    'exact-split': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const vcpus = Number(opts.vcpus);
if (opts['no-jit'] && opts['jit-threshold'] !== undefined) {
  console.error('bench:boot: --jit-threshold needs the JIT: drop --no-jit');
  process.exit(2);
}
/** The Banquise rows: the JIT (the default) unless --no-jit, and the interpreter alone. */
const ENGINES = [...(opts['no-jit'] ? [] : [{ name: 'jit', jit: true }]), { name: 'interp', jit: false }];
const memoryMiB = Number(opts.memory);
const runs = Math.max(1, Number(opts.runs));

if (!existsSync(dist('machine/index.js'))) {
  console.error('bench:boot: build first (npm run build)');
  process.exit(1);
}
const { buildMachine, validateMachineConfig } = await import(dist('machine/index.js'));
const { openNodeBackends } = await import(dist('platform/node/node-host-backends.js'));
const { ensureDefaultGuest } = await import(dist('platform/node/guest-images.js'));
const { loadFile } = await import(dist('platform/node/file-loader.js'));

const guest = await ensureDefaultGuest();
const { benchInitrd } = await import('./overlay.mjs');
const kernel = loadFile(guest.kernel, 'kernel');
const withOverlay = benchInitrd(loadFile(guest.initrd, 'initrd'));
const initrd = withOverlay ?? loadFile(guest.initrd, 'initrd');
const initrdPath = withOverlay === undefined ? guest.initrd : join(mkdtempSync(join(tmpdir(), 'banquise-bench-')), 'initramfs.cpio.gz');
if (withOverlay !== undefined) writeFileSync(initrdPath, withOverlay);
const INSTRET = /instret=(\d+)/;

/** Number of quanta sampled for the kernel/user split (priv at each quantum boundary). */
const SAMPLE_QUANTUM = 4096;

/**
 * Boots Banquise in-process (the same builder as `banquise run`, without virtio devices), slice by slice, and
 * stops at the first shell prompt after the guest's "ready" banner. Exact instruction count;
 * the S/U split is sampled at slice boundaries because the hart has no per-privilege counter.
 */
async function bootBanquise(jit, exactSplit = false) {
  let text = '';
  let ready = false;
  let prompt = false;
  let reported;
  const decoder = new TextDecoder();
  const config = validateMachineConfig({
    mode: 'pv', memoryBytes: memoryMiB * 1024 * 1024, vcpus,
    boot: { kernel: { path: 'Image' }, initrd: { path: 'initrd' }, cmdline: APPEND },
    devices: { rng: false },
  });
  const backends = await openNodeBackends(config, {
    blobs: { Image: kernel, initrd },
    console: {
      write(bytes) {
        text = (text + decoder.decode(bytes, { stream: true })).slice(-4096);
        if (!ready && READY.test(text)) {
          ready = true;
          text = text.slice(text.search(READY));
        }
        const m = INSTRET.exec(text);
        if (m) reported = Number(m[1]);
        if (ready && PROMPT.test(text)) prompt = true;
      },
    },
  });
  const t0 = performance.now();
  const machine = buildMachine(config, backends, {
    jit,
    ...(jit && opts['jit-threshold'] !== undefined ? { jitThreshold: Number(opts['jit-threshold']) } : {}),
  });
  const samples = [0, 0, 0, 0];
  const exact = [0, 0, 0, 0];
  if (exactSplit) for (const h of machine.harts) h.setTracer(() => { exact[h.priv]++; });
  let idleMs = 0;
  while (!prompt && machine.exit === undefined) {
    if (performance.now() - t0 > TIMEOUT_MS) throw new Error('Banquise: no prompt within the timeout');
    for (let i = 0; i < 64 && !prompt; i++) {
      const s = machine.runSlice(SAMPLE_QUANTUM);
      for (const h of machine.harts) if (machine.hartState(h.hartId) === 0 /* STARTED */) samples[h.priv]++;
      if (s.reason === 'idle') {
        idleMs += s.sleepMs;
        await new Promise((r) => setTimeout(r, s.sleepMs));
        break;
      }
      if (s.reason === 'exit') break;
    }
    await new Promise((r) => setImmediate(r));
  }
  const ms = performance.now() - t0;
  await backends.close();
  if (!prompt) throw new Error(`Banquise: the guest exited before the prompt: ${JSON.stringify(machine.exit)}`);
  const instructions = machine.instret();
  const su = samples[1] + samples[3] + samples[0];
  const sbi = machine.sbi.sbiStats.info();
  let sbiCalls = 0;
  for (const ext of Object.values(sbi)) for (const n of Object.values(ext)) sbiCalls += n;
  return {
    ms,
    instructions,
    reported,
    ...(exactSplit ? { exact: { user: exact[0], kernel: exact[1], machine: exact[3] } } : {}),
    firmware: 0,
    kernelShare: su === 0 ? 0 : samples[1] / su,
    userShare: su === 0 ? 0 : samples[0] / su,
    idleMs,
    sbiCalls,
    sbi,
  };
}

/** Boots QEMU with its bundled OpenSBI and the same kernel/initramfs; time to the prompt only. */
function bootQemu(icount) {
  return new Promise((res, rej) => {
    const args = ['-M', 'virt', '-nographic', '-m', `${memoryMiB}M`, '-smp', String(vcpus),
      '-kernel', guest.kernel, '-initrd', initrdPath, '-append', APPEND, '-monitor', 'none',
      ...(icount ? ['-icount', 'shift=0'] : [])];
    const t0 = performance.now();
    const q = spawn('qemu-system-riscv64', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let text = '';
    let ready = false;
    let reported;
    const timer = setTimeout(() => { q.kill('SIGKILL'); rej(new Error('QEMU: no prompt within the timeout')); }, TIMEOUT_MS);
    q.stdout.on('data', (d) => {
      text = (text + d.toString('latin1')).slice(-4096);
      if (!ready && READY.test(text)) { ready = true; text = text.slice(text.search(READY)); }
      const m = INSTRET.exec(text);
      if (m) reported = Number(m[1]);
      if (ready && PROMPT.test(text)) {
        const ms = performance.now() - t0;
        clearTimeout(timer);
        q.kill('SIGKILL');
        res({ ms, reported });
      }
    });
    q.on('error', (e) => { clearTimeout(timer); rej(e); });
    q.on('exit', (code) => { if (!ready) { clearTimeout(timer); rej(new Error(`QEMU exited (${code}) before the prompt`)); } });
  });
}

const haveQemu = !opts['no-qemu'] && spawnSync('qemu-system-riscv64', ['--version']).status === 0;
const results = [];
for (let r = 0; r < runs; r++) {
  const banquise = {};
  for (const e of ENGINES) banquise[e.name] = await bootBanquise(e.jit);
  const q = haveQemu ? await bootQemu(false) : undefined;
  // instret is per hart: the guest-read count is the machine's total only with one vCPU.
  const qi = haveQemu && withOverlay !== undefined && r === 0 && vcpus === 1 ? await bootQemu(true) : undefined;
  results.push({ banquise, qemu: q, qemuIcount: qi });
}
// A tracer runs every instruction in the interpreter (the JIT steps aside): one boot serves both.
const exactRun = opts['exact-split'] ? await bootBanquise(false, true) : undefined;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const qMs = haveQemu ? median(results.map((r) => r.qemu.ms)) : undefined;
/** Per engine, the Banquise run with the median time (its counts and split are reported). */
const rows = ENGINES.map((e) => {
  const ms = median(results.map((r) => r.banquise[e.name].ms));
  return { ...e, ms, b: results.find((r) => r.banquise[e.name].ms === ms).banquise[e.name] };
});
const b = rows[0].b;

if (opts.json) {
  console.log(JSON.stringify({ vcpus, memoryMiB, runs, results }, null, 2));
} else {
  const fmt = (n) => n.toLocaleString('en-US');
  console.log(`Boot to shell prompt — Linux 6.1 + busybox initramfs, ${vcpus} vCPU(s), ${memoryMiB} MiB, append "${APPEND}", median of ${runs}`);
  console.log('');
  console.log('| | time to prompt | guest instructions | firmware (M) | kernel (S) | user (U) | MIPS |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const threshold = opts['jit-threshold'] !== undefined ? `, --jit-threshold ${opts['jit-threshold']}` : '';
  for (const r of rows) {
    const mips = (r.b.instructions / 1e6) / (r.ms / 1000);
    const engine = r.jit ? `JIT, the default${threshold}` : '--no-jit';
    console.log(`| Banquise pv (no firmware, SBI in TS; ${engine}) | ${(r.ms / 1000).toFixed(2)} s | ${fmt(r.b.instructions)} | 0 | ~${(r.b.kernelShare * 100).toFixed(1)} % | ~${(r.b.userShare * 100).toFixed(1)} % | ${mips.toFixed(1)} |`);
  }
  const qInsn = results[0].qemuIcount?.reported;
  if (qMs !== undefined) {
    const insn = qInsn !== undefined ? fmt(qInsn) : vcpus > 1 ? 'not measured (instret is per hart; use --vcpus 1)' : 'not measured (no cross compiler for /bin/instret)';
    console.log(`| QEMU virt + OpenSBI (TCG) | ${(qMs / 1000).toFixed(2)} s | ${insn} | (included) | | | |`);
    console.log('');
    for (const r of rows) console.log(`time ratio Banquise (${r.jit ? 'JIT' : '--no-jit'}) / QEMU: ${(r.ms / qMs).toFixed(2)}×`);
    if (qInsn !== undefined) console.log(`instruction ratio Banquise / QEMU: ${(b.instructions / qInsn).toFixed(2)}× (QEMU: -icount shift=0 run, instret read by the guest before its first prompt)`);
  } else {
    console.log('(QEMU not run: qemu-system-riscv64 missing or --no-qemu)');
  }
  if (b.reported !== undefined && vcpus === 1) console.log(`method check: the guest's own instret read on Banquise: ${fmt(b.reported)} (exact count at the prompt: ${fmt(b.instructions)})`);
  console.log(`SBI calls during the boot: ${fmt(b.sbiCalls)} ${JSON.stringify(b.sbi)}`);
  console.log(`time idle (all harts in WFI): ${(b.idleMs / 1000).toFixed(2)} s`);
  if (exactRun !== undefined) {
    const e = exactRun.exact;
    const all = e.user + e.kernel + e.machine;
    console.log(`exact split (traced boot, ${fmt(exactRun.instructions)} instructions): firmware/M ${fmt(e.machine)}, kernel/S ${fmt(e.kernel)} (${(100 * e.kernel / all).toFixed(1)} %), user/U ${fmt(e.user)} (${(100 * e.user / all).toFixed(1)} %)`);
  } else {
    console.log('kernel/user split: sampled at slice boundaries (the hart has no per-privilege instret counter; --exact-split traces a boot).');
  }
}
