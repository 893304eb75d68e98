#!/usr/bin/env node
// Boots the default guest (pv, 1 vCPU, no devices but the console) for the first N million
// instructions, with or without the JIT, and prints CPU time, wall time and the JIT's counters.
// Stops at N million instructions or at the guest's first shell prompt, whichever comes first.
// Usage: node scripts/jit-boot-profile.mjs [--million N] [--no-jit] [--jit-threshold N] [--json]
// Profile it with: node --cpu-prof scripts/jit-boot-profile.mjs --million 10
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(REPO, 'dist', p);
const { values: opts } = parseArgs({
  options: {
    million: { type: 'string', default: '10' },
    'no-jit': { type: 'boolean', default: false },
    'jit-threshold': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const { buildMachine, validateMachineConfig } = await import(dist('machine/index.js'));
const { openNodeBackends } = await import(dist('platform/node/node-host-backends.js'));
const { ensureDefaultGuest } = await import(dist('platform/node/guest-images.js'));
const { loadFile } = await import(dist('platform/node/file-loader.js'));

const guest = await ensureDefaultGuest();
const target = Number(opts.million) * 1e6;
const jit = !opts['no-jit'];
const config = validateMachineConfig({
  mode: 'pv', memoryBytes: 256 * 1024 * 1024, vcpus: 1,
  boot: { kernel: { path: 'Image' }, initrd: { path: 'initrd' }, cmdline: 'console=ttyS0' },
  devices: { rng: false },
});
let console_ = '';
let ready = false;
let prompt = false;
const decoder = new TextDecoder();
const backends = await openNodeBackends(config, {
  blobs: { Image: loadFile(guest.kernel, 'kernel'), initrd: loadFile(guest.initrd, 'initrd') },
  console: {
    write(bytes) {
      console_ = (console_ + decoder.decode(bytes, { stream: true })).slice(-2000);
      if (!ready && /Banquise guest ready/.test(console_)) { ready = true; console_ = ''; }
      if (ready && /# $/.test(console_)) prompt = true;
    },
  },
});
const machine = buildMachine(config, backends, {
  jit,
  ...(opts['jit-threshold'] !== undefined ? { jitThreshold: Number(opts['jit-threshold']) } : {}),
});
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let idleMs = 0;
while (machine.instret() < target && machine.exit === undefined && !prompt) {
  const s = machine.runSlice(Math.min(1 << 20, target - machine.instret()));
  if (s.reason === 'idle') {
    idleMs += s.sleepMs;
    await new Promise((r) => setTimeout(r, s.sleepMs));
  }
}
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
await backends.close();
const out = {
  jit, prompt, instructions: machine.instret(), wallMs: Math.round(wallMs), cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  idleMs: Math.round(idleMs), load: (await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' '),
  info: machine.jits.length > 0 ? machine.jits[0].info : undefined,
};
if (opts.json) console.log(JSON.stringify(out));
else {
  console.log(`${out.jit ? 'JIT' : 'interpreter'}: ${(out.instructions / 1e6).toFixed(1)} M instructions${out.prompt ? ' (shell prompt)' : ''}, CPU ${out.cpuMs} ms, wall ${out.wallMs} ms (idle ${out.idleMs} ms), load ${out.load}`);
  if (out.info !== undefined) for (const [k, v] of Object.entries(out.info)) console.log(`  ${k}: ${typeof v === 'number' ? Math.round(v * 10) / 10 : JSON.stringify(v)}`);
}
