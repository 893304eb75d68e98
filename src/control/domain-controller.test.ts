import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainController } from './domain-controller.js';
import { ControlError } from './control-error.js';
import type { DomainConfig } from './domain-config.js';
import type { DomainHandle, DomainHost, DomainHostEvents, HostKey } from './domain-host.js';

const MIB = 1 << 20;

class FakeHandle implements DomainHandle {
  paused = false;
  keys: HostKey[] = [];
  killed = false;
  target = 0;
  constructor(readonly events: DomainHostEvents) {}
  pause(): void { this.paused = true; }
  unpause(): void { this.paused = false; }
  input(): void {}
  pressKey(k: HostKey): void { this.keys.push(k); }
  setMemoryTarget(b: number): void { this.target = b; }
  async kill(): Promise<void> { this.killed = true; }
  injectFault(): void { this.events.exit({ kind: 'crash', reason: 'injected' }); }
}

function setup(budgetMiB = 1024, maxDomains = 8) {
  const handles: FakeHandle[] = [];
  const host: DomainHost = { start: (_spec, ev) => { const h = new FakeHandle(ev); handles.push(h); return h; } };
  let n = 0;
  const logs: string[] = [];
  const c = new DomainController({ host, maxMemoryBytes: budgetMiB * MIB, maxDomains, newUuid: () => `uuid-${++n}`, log: (l) => logs.push(l), allowFaults: true });
  return { c, handles, logs };
}

function cfg(name: string, over: Partial<DomainConfig> = {}): DomainConfig {
  return {
    name,
    machine: { version: 1, mode: 'pv', memoryBytes: 256 * MIB, vcpus: 1, boot: { kernel: { path: '/k' }, cmdline: '' }, devices: { disks: [], nics: [], shares: [], console: 'serial', balloon: true, rng: true } },
    memoryBytes: 128 * MIB,
    maxMemoryBytes: 256 * MIB,
    onPoweroff: 'destroy',
    onReboot: 'restart',
    onCrash: 'preserve',
    ...over,
  };
}

const flush = () => new Promise((r) => setImmediate(r));

test('JIT figures reported by the host appear in the domain\'s info, and not when the JIT is off', async () => {
  const { c, handles } = setup();
  await c.execute({ kind: 'create', config: cfg('a') });
  const base = { instructions: 5, cpuMs: 10, idle: false, blockReadBytes: 0, blockWriteBytes: 0, netRxFrames: 0, netTxFrames: 0 };
  handles[0]!.events.stats(base);
  assert.equal(c.get('a').jit, undefined);
  const jit = {
    blocksTranslated: 120, instructionsTranslated: 700, modulesCompiled: 9, modulesLive: 8, cacheBytes: 65536, compileMs: 12.6,
    invalidations: 2, evictions: 1, jitInstructions: 40000, jitEntries: 300, exitsNext: 200, exitsInterp: 100, lookupsMissed: 50,
    interpreterRuns: 150, jitMsSampled: 3.2, interpreterMsSampled: 7.7,
  };
  handles[0]!.events.stats({ ...base, jit });
  assert.deepEqual(c.get('a').jit, {
    blocks_translated: 120, modules_compiled: 9, modules_live: 8, cache_bytes: 65536, compile_ms: 13, invalidations: 2,
    evictions: 1, jit_instructions: 40000, jit_ms_sampled: 3, interpreter_ms_sampled: 8,
  });
});

test('create, list, pause, unpause, destroy; states follow stats', async () => {
  const { c, handles } = setup();
  const a = await c.execute({ kind: 'create', config: cfg('a') });
  assert.equal(a!.id, 1);
  assert.equal(a!.memory, 128);
  assert.equal(handles[0]!.target, 128 * MIB, 'balloon holds back maxmem - memory');
  handles[0]!.events.stats({ instructions: 5, cpuMs: 1500, idle: true, blockReadBytes: 0, blockWriteBytes: 0, netRxFrames: 0, netTxFrames: 0 });
  assert.equal(c.get('a').state, 'blocked');
  assert.equal(c.get('1').cpu_time, 1.5);
  await c.execute({ kind: 'pause', ref: 'a' });
  assert.equal(c.get('a').state, 'paused');
  assert.equal(handles[0]!.paused, true);
  await assert.rejects(c.execute({ kind: 'pause', ref: 'a' }), (e: ControlError) => e.kind === 'conflict');
  await assert.rejects(c.execute({ kind: 'shutdown', ref: 'a' }), /unpause it first/);
  await c.execute({ kind: 'unpause', ref: 'a' });
  assert.equal(c.get('a').state, 'running');
  await c.execute({ kind: 'destroy', ref: '1' });
  assert.equal(handles[0]!.killed, true);
  assert.deepEqual(c.list(), []);
  await assert.rejects(c.execute({ kind: 'pause', ref: 'a' }), (e: ControlError) => e.kind === 'not-found');
});

test('shutdown presses the power key; poweroff applies on_poweroff; waitStopped resolves', async () => {
  const { c, handles } = setup();
  await c.execute({ kind: 'create', config: cfg('a') });
  const stopped = c.waitStopped('a');
  await c.execute({ kind: 'shutdown', ref: 'a' });
  assert.deepEqual(handles[0]!.keys, ['power']);
  handles[0]!.events.exit({ kind: 'poweroff' });
  assert.equal(await stopped, undefined, 'on_poweroff=destroy removes it');
  assert.deepEqual(c.list(), []);
});

test('reboot restarts (on_reboot=restart) keeping id, uuid and console; crash is preserved', async () => {
  const { c, handles } = setup();
  await c.execute({ kind: 'create', config: cfg('a') });
  handles[0]!.events.output(new Uint8Array([65]));
  await c.execute({ kind: 'reboot', ref: 'a' });
  assert.deepEqual(handles[0]!.keys, ['restart']);
  handles[0]!.events.exit({ kind: 'poweroff' });
  await flush();
  assert.equal(handles.length, 2);
  const i = c.get('a');
  assert.equal(i.boots, 2);
  assert.equal(i.uuid, 'uuid-1');
  assert.equal(c.console('a').ring.snapshot()[0], 65);
  await c.execute({ kind: 'fault', ref: 'a', fault: 'throw' });
  await flush();
  assert.equal(c.get('a').state, 'crashed');
  assert.equal(c.get('a').reason, 'injected');
  assert.equal(c.memoryUse().usedBytes, 0, 'a crashed domain holds no memory');
});

test('limits: memory budget, domain count, unique names', async () => {
  const { c } = setup(600, 2);
  await c.execute({ kind: 'create', config: cfg('a') });
  await assert.rejects(c.execute({ kind: 'create', config: cfg('a') }), /exists already/);
  await c.execute({ kind: 'create', config: cfg('b') });
  await assert.rejects(c.execute({ kind: 'create', config: cfg('c') }), /at most 2 domains/);
  await c.execute({ kind: 'destroy', ref: 'b' });
  const big = cfg('c', { maxMemoryBytes: 512 * MIB, machine: { ...cfg('c').machine, memoryBytes: 512 * MIB } });
  await assert.rejects(c.execute({ kind: 'create', config: big }), (e: ControlError) => e.kind === 'limit' && /not enough memory/.test(e.message));
  await assert.rejects(c.execute({ kind: 'mem-set', ref: 'a', bytes: 1024 * MIB }), /between 16M and the domain's maxmem/);
  const r = await c.execute({ kind: 'mem-set', ref: 'a', bytes: 200 * MIB });
  assert.equal(r!.memory, 200);
});

test('credit scheduler: weights split the host CPU between busy domains, a cap holds alone, sched-credit changes show', async () => {
  const budgets: (number | undefined)[][] = [];
  const host: DomainHost = {
    start: (_spec, ev) => {
      const i = budgets.push([]) - 1;
      const h = new FakeHandle(ev);
      (h as DomainHandle).setCpuBudget = (ms) => void budgets[i]!.push(ms);
      return h;
    },
  };
  let n = 0;
  const c = new DomainController({ host, maxMemoryBytes: 1024 * MIB, maxDomains: 4, newUuid: () => `uuid-${++n}`, log: () => {}, hostCpus: 1 });
  await c.execute({ kind: 'create', config: cfg('a') });
  await c.execute({ kind: 'create', config: cfg('b') });
  assert.throws(() => c.setSched('a', { weight: 0 }), /weight must be/);
  assert.deepEqual(c.setSched('a', { weight: 512 }), { id: 1, name: 'a', weight: 512, cap: 0, cpu_ms: 0, wait_ms: 0 });
  c.schedTick(100);
  assert.ok(Math.abs(budgets[0]![0]! - 200 / 3) < 1e-6 && Math.abs(budgets[1]![0]! - 100 / 3) < 1e-6, JSON.stringify(budgets));
  await c.execute({ kind: 'destroy', ref: 'b' });
  c.setSched('a', { cap: 25 });
  c.schedTick(100);
  assert.equal(budgets[0]![1], 25);
  c.setSched('a', { cap: 0 });
  c.schedTick(100);
  assert.equal(budgets[0]![2], undefined, 'alone and uncapped: no limit');
  assert.deepEqual(c.schedList().map((s) => [s.name, s.weight, s.cap]), [['a', 512, 0]]);
});
