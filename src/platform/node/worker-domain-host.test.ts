// Domains in real worker threads, on a tiny kernel Image that spins (no Linux needed): pause
// freezes the instruction count, and a worker that throws, runs out of heap or hangs ends as
// `crashed` while another domain keeps running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { DomainController } from '../../control/domain-controller.js';
import type { DomainConfig } from '../../control/domain-config.js';
import { WorkerDomainHost } from './worker-domain-host.js';

const MIB = 1 << 20;

/** A RISC-V Linux Image header whose first two instructions are `addi x1,x1,1; j .-4`. */
function spinImage(): Uint8Array {
  const img = new Uint8Array(4096);
  const v = new DataView(img.buffer);
  v.setUint32(0, 0x00108093, true); // addi x1, x1, 1
  v.setUint32(4, 0xffdff06f, true); // jal x0, -4
  v.setBigUint64(8, 0x200000n, true); // text_offset
  v.setBigUint64(16, 4096n, true); // image_size
  v.setUint32(0x38, 0x05435352, true); // "RSC\x05"
  return img;
}

function config(name: string, kernel: string): DomainConfig {
  return {
    name,
    machine: { version: 1, mode: 'pv', memoryBytes: 16 * MIB, vcpus: 1, boot: { kernel: { path: kernel }, cmdline: '' }, devices: { disks: [], nics: [], shares: [], console: 'serial', balloon: false, rng: false, input: true } },
    memoryBytes: 16 * MIB,
    maxMemoryBytes: 16 * MIB,
    onPoweroff: 'destroy',
    onReboot: 'restart',
    onCrash: 'preserve',
  };
}

async function until<T>(what: string, f: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('worker domains: pause freezes progress; throw, out-of-memory and hang crash one domain only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'banquise-worker-'));
  const kernel = join(dir, 'spin.Image');
  writeFileSync(kernel, spinImage());
  const log: string[] = [];
  const c = new DomainController({
    host: new WorkerDomainHost({ runtimeDir: dir, watchdogMs: 6000, statsIntervalMs: 100, heapLimitMb: 64 }),
    maxMemoryBytes: 256 * MIB,
    maxDomains: 8,
    newUuid: randomUUID,
    log: (l) => log.push(l),
    allowFaults: true,
  });
  try {
    await c.execute({ kind: 'create', config: config('spin', kernel) });
    await until('spin runs', () => (c.get('spin').instructions > 1_000_000 ? true : undefined));
    assert.equal(c.get('spin').state, 'running', 'a spinning guest is never blocked');
    await c.execute({ kind: 'pause', ref: 'spin' });
    await new Promise((r) => setTimeout(r, 400)); // stats of the last slice arrive
    const frozen = c.get('spin').instructions;
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(c.get('spin').instructions, frozen, 'no instruction while paused');
    await c.execute({ kind: 'unpause', ref: 'spin' });
    await until('spin resumes', () => (c.get('spin').instructions > frozen ? true : undefined));

    const cases = [
      ['thrower', 'throw', /host error in the domain: injected fault/],
      ['hog', 'oom', /out of memory/],
      ['stuck', 'hang', /did not answer for 6 s/],
    ] as const;
    for (const [name, fault] of cases) {
      await c.execute({ kind: 'create', config: config(name, kernel) });
      await until(`${name} runs`, () => (c.get(name).instructions > 0 ? true : undefined));
      await c.execute({ kind: 'fault', ref: name, fault });
    }
    for (const [name, , reason] of cases) {
      const d = await until(`${name} crashed`, () => (c.get(name).state === 'crashed' ? c.get(name) : undefined));
      assert.match(d.reason ?? '', reason);
    }
    const before = c.get('spin').instructions;
    await until('spin still runs', () => (c.get('spin').instructions > before ? true : undefined));
    assert.equal(c.memoryUse().usedBytes, 16 * MIB, 'only spin holds memory');
    assert.ok(log.some((l) => /thrower \(\d\): crashed: .*on_crash = preserve/.test(l)), log.join('\n'));
  } finally {
    await c.destroyAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a domain whose kernel is not an Image crashes with the loader\'s reason', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'banquise-worker-'));
  const kernel = join(dir, 'junk');
  writeFileSync(kernel, new Uint8Array(4096).fill(7));
  const c = new DomainController({ host: new WorkerDomainHost({ runtimeDir: dir }), maxMemoryBytes: 64 * MIB, maxDomains: 2, newUuid: randomUUID, log: () => {} });
  try {
    await c.execute({ kind: 'create', config: config('junk', kernel) });
    const d = await until('crashed', () => (c.get('junk').state === 'crashed' ? c.get('junk') : undefined));
    assert.match(d.reason ?? '', /not a RISC-V Linux Image/);
  } finally {
    await c.destroyAll();
    rmSync(dir, { recursive: true, force: true });
  }
});
