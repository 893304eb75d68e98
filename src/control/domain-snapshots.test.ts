import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainController } from './domain-controller.js';
import { ControlError } from './control-error.js';
import type { DomainConfig } from './domain-config.js';
import type { DomainHandle, DomainHost, DomainHostEvents, DomainStartSpec } from './domain-host.js';
import type { DomainImage, SaveInfo, SavedDomain } from './domain-image.js';
import { stableMac } from './stable-mac.js';

const MIB = 1 << 20;

/** A handle whose start, capture and save the test settles. */
class FakeHandle implements DomainHandle {
  paused: boolean;
  killed = false;
  saves: { path: string; domain: SavedDomain; paused: boolean }[] = [];
  failSave: string | undefined;
  readonly ready: Promise<void>;
  settle!: { ok: () => void; fail: (why: string) => void };
  constructor(readonly spec: DomainStartSpec, readonly events: DomainHostEvents, startOk: boolean | string) {
    this.paused = spec.paused === true;
    this.ready = new Promise((ok, fail) => (this.settle = { ok, fail: (why) => fail(new Error(why)) }));
    this.ready.catch(() => {});
    if (startOk === true) this.settle.ok();
    else if (typeof startOk === 'string') {
      this.settle.fail(startOk);
      setImmediate(() => events.exit({ kind: 'crash', reason: startOk }));
    }
  }
  pause(): void { this.paused = true; }
  unpause(): void { this.paused = false; }
  input(): void {}
  pressKey(): void {}
  setMemoryTarget(): void {}
  injectFault(): void {}
  async kill(): Promise<void> { this.killed = true; }
  async capture(): Promise<DomainImage> { return { machine: this.spec.config.machine, payload: `state of ${this.spec.config.name}` }; }
  gate: Promise<void> | undefined;
  async saveFile(path: string, domain: SavedDomain, onProgress?: (percent: number) => void): Promise<SaveInfo> {
    this.saves.push({ path, domain, paused: this.paused });
    onProgress?.(40);
    await this.gate;
    if (this.failSave !== undefined) throw new Error(this.failSave);
    return { bytes: 100, pages: 3, ms: 1 };
  }
}

function setup(budgetMiB = 1024) {
  const handles: FakeHandle[] = [];
  const images = new Map<string, DomainImage>();
  /** How the next started-from-image domains do: true, or a failure reason. */
  const startResults: (true | string)[] = [];
  /** Files whose pages the fake host went on to read (after admission). */
  const pagesRead: string[] = [];
  const host: DomainHost = {
    start: (spec, ev) => {
      const h = new FakeHandle(spec, ev, spec.image !== undefined ? (startResults.shift() ?? true) : true);
      handles.push(h);
      return h;
    },
    loadImage: async (path, admit) => {
      const i = images.get(path);
      if (i === undefined) throw new Error('snapshot is corrupted: checksum mismatch in record 2 (MEMORY) at byte 99');
      admit?.(i.machine, i.domain); // as the Node host: before the RAM is allocated and pages read
      pagesRead.push(path);
      return i;
    },
  };
  let n = 0;
  const logs: string[] = [];
  const c = new DomainController({ host, maxMemoryBytes: budgetMiB * MIB, maxDomains: 8, newUuid: () => `uuid-${++n}`, log: (l) => logs.push(l) });
  return { c, handles, images, startResults, logs, pagesRead };
}

function cfg(name: string): DomainConfig {
  return {
    name,
    machine: { version: 1, mode: 'pv', memoryBytes: 256 * MIB, vcpus: 1, boot: { kernel: { path: '/k' }, cmdline: '' }, devices: { disks: [], nics: [{ backend: { kind: 'user' } }], shares: [], console: 'serial', balloon: true, rng: true } } as unknown as DomainConfig['machine'],
    memoryBytes: 192 * MIB,
    maxMemoryBytes: 256 * MIB,
    onPoweroff: 'destroy',
    onReboot: 'restart',
    onCrash: 'restart',
  };
}

const names = (c: DomainController) => c.list().map((d) => d.name);

test('save pauses, writes with the domain around the machine, then destroys; checkpoint keeps it running', async () => {
  const { c, handles } = setup();
  await c.execute({ kind: 'create', config: cfg('a') });
  const h = handles[0]!;
  await c.save('a', '/s/a.sav', true);
  assert.equal(h.killed, false);
  assert.equal(h.saves[0]!.paused, false, 'a checkpoint does not pause');
  assert.equal(c.get('a').state, 'running');
  await c.save('a', '/s/a2.sav');
  assert.equal(h.saves[1]!.paused, true, 'xl save pauses the domain before writing');
  assert.deepEqual(h.saves.at(-1)!.domain, { name: 'a', uuid: 'uuid-1', memoryBytes: 192 * MIB, onPoweroff: 'destroy', onReboot: 'restart', onCrash: 'restart' });
  assert.equal(h.killed, true);
  assert.deepEqual(names(c), [], 'xl save: the domain is gone');
});

test('a failed save leaves the domain running (unpaused) and says so', async () => {
  const { c, handles } = setup();
  await c.execute({ kind: 'create', config: cfg('a') });
  handles[0]!.failSave = 'cannot write save file /nope/x: ENOENT';
  await assert.rejects(c.save('a', '/nope/x'), (e: unknown) => e instanceof ControlError && /save of 'a' failed: cannot write save file .*; the domain runs on/.test(e.message));
  assert.equal(handles[0]!.paused, false);
  assert.equal(c.get('a').state, 'running');
  assert.equal(handles[0]!.killed, false);
});

test('restore: saved name, uuid, memory target and on_*; paused on request; a damaged file creates nothing', async () => {
  const { c, handles, images } = setup();
  const saved: SavedDomain = { name: 'web', uuid: '11111111-2222-4333-8444-555555555555', memoryBytes: 128 * MIB, onPoweroff: 'preserve', onReboot: 'destroy', onCrash: 'preserve' };
  images.set('/s/web.sav', { machine: cfg('x').machine, domain: saved, payload: 'p' });
  await assert.rejects(c.restore('/s/bad.sav'), (e: unknown) => e instanceof ControlError && e.kind === 'invalid' && /cannot restore \/s\/bad\.sav: snapshot is corrupted/.test(e.message));
  assert.deepEqual(names(c), []);
  assert.equal(handles.length, 0, 'nothing was started');
  const d = await c.restore('/s/web.sav', { paused: true });
  assert.equal(d.name, 'web');
  assert.equal(d.uuid, '11111111-2222-4333-8444-555555555555');
  assert.equal(d.memory, 128);
  assert.equal(d.state, 'paused');
  assert.equal(handles[0]!.spec.paused, true);
  assert.equal(handles[0]!.spec.image!.payload, 'p');
  assert.equal(handles[0]!.spec.config.onPoweroff, 'preserve');
  await assert.rejects(c.restore('/s/web.sav'), (e: unknown) => e instanceof ControlError && e.kind === 'conflict', 'name taken');
  const other = await c.restore('/s/web.sav', { name: 'web2' });
  assert.equal(other.name, 'web2');
  assert.match(other.uuid, /^uuid-\d$/, 'the saved uuid is in use: a new one');
  assert.equal(handles[1]!.spec.config.machine.devices.nics[0]!.mac, stableMac(other.uuid, 0), 'and the MAC of the new uuid');
});

test('restore: a machine that fails to start is removed, not restarted (on_crash does not apply)', async () => {
  const { c, images, startResults } = setup();
  images.set('/s/a.sav', { machine: cfg('x').machine, domain: { name: 'a', uuid: 'u', memoryBytes: 256 * MIB, onPoweroff: 'destroy', onReboot: 'restart', onCrash: 'restart' }, payload: 0 });
  startResults.push('virtio-mmio restore: snapshot does not fit');
  await assert.rejects(c.restore('/s/a.sav'), /the saved machine did not start: virtio-mmio restore: snapshot does not fit/);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(names(c), []);
});

test('restore: the memory budget and the name are checked before the file\'s RAM is read', async () => {
  const { c, images, handles, pagesRead } = setup(300);
  await c.execute({ kind: 'create', config: cfg('a') });
  images.set('/s/b.sav', { machine: cfg('x').machine, domain: { name: 'b', uuid: 'u', memoryBytes: 256 * MIB, onPoweroff: 'destroy', onReboot: 'restart', onCrash: 'restart' }, payload: 0 });
  await assert.rejects(c.restore('/s/b.sav'), (e: unknown) => e instanceof ControlError && e.kind === 'limit' && /not enough memory: b needs 256M/.test(e.message));
  await assert.rejects(c.restore('/s/b.sav', { name: 'a' }), (e: unknown) => e instanceof ControlError && e.kind === 'conflict');
  await assert.rejects(c.restore('/s/b.sav', { name: '123' }), (e: unknown) => e instanceof ControlError && e.kind === 'invalid' && /all digits/.test(e.message));
  assert.deepEqual(pagesRead, [], 'refused at the header');
  assert.equal(handles.length, 1);
});

test('fork: children from one capture with their own name, uuid and MAC; admission for all before the parent is touched', async () => {
  const { c, handles, startResults } = setup(1024);
  await c.execute({ kind: 'create', config: cfg('p') });
  const parentMac = handles[0]!.spec.config.machine.devices.nics[0]!.mac;
  assert.equal(parentMac, stableMac('uuid-1', 0));
  await assert.rejects(c.fork('p', { count: 4 }), (e: unknown) => e instanceof ControlError && e.kind === 'limit', '5 × 256M do not fit 1G');
  assert.equal(handles.length, 1, 'no child started');
  const kids = await c.fork('p', { count: 2, name: 'kid' });
  assert.deepEqual(kids.map((k) => k.name), ['kid-1', 'kid-2']);
  assert.deepEqual(kids.map((k) => k.uuid), ['uuid-2', 'uuid-3']);
  assert.deepEqual(handles.slice(1).map((h) => h.spec.config.machine.devices.nics[0]!.mac), [stableMac('uuid-2', 0), stableMac('uuid-3', 0)]);
  assert.equal(handles[1]!.spec.image!.payload, 'state of p', 'one capture of the parent');
  assert.equal(handles[1]!.spec.image, handles[2]!.spec.image);
  assert.equal(c.get('kid-1').memory, 192, 'the parent\'s memory target');
  assert.equal(c.get('p').state, 'running');
  await assert.rejects(c.fork('p', { name: 'kid-1' }), (e: unknown) => e instanceof ControlError && e.kind === 'conflict');
  await assert.rejects(c.fork('p', { count: 0 }), (e: unknown) => e instanceof ControlError && e.kind === 'invalid');
  await c.execute({ kind: 'destroy', ref: 'kid-2' });
  startResults.push('out of memory');
  await assert.rejects(c.fork('p', { name: 'z' }), /did not start: out of memory/);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(names(c), ['p', 'kid-1'], 'the failed child is removed');
});

test('a save under way shows in the domain info with its percentage; another save or a fork waits for it', async () => {
  const { c, handles } = setup();
  await c.execute({ kind: 'create', config: cfg('a') });
  let open!: () => void;
  handles[0]!.gate = new Promise((r) => (open = r));
  const saving = c.save('a', '/s/a.sav', true);
  await new Promise((r) => setImmediate(r));
  assert.equal(c.get('a').operation, 'save');
  assert.equal(c.get('a').operation_percent, 40);
  await assert.rejects(c.save('a', '/s/b.sav'), (e: unknown) => e instanceof ControlError && e.kind === 'conflict' && /a save of it is under way/.test(e.message));
  await assert.rejects(c.fork('a'), /a save of it is under way/);
  open();
  await saving;
  assert.equal(c.get('a').operation, undefined);
  assert.equal(c.get('a').operation_percent, undefined);
});

test('a domain\'s JIT settings go into its save file and come back on restore; fork children keep them; bad ones are refused', async () => {
  const { c, handles, images } = setup(2048);
  await c.execute({ kind: 'create', config: { ...cfg('off'), jit: false } });
  await c.execute({ kind: 'create', config: { ...cfg('hot'), jit: true, jitThreshold: 0 } });
  await c.execute({ kind: 'create', config: cfg('dflt') });
  await c.save('off', '/s/off.sav', true);
  await c.save('hot', '/s/hot.sav', true);
  await c.save('dflt', '/s/dflt.sav', true);
  const off = handles[0]!.saves[0]!.domain;
  const hot = handles[1]!.saves[0]!.domain;
  const dflt = handles[2]!.saves[0]!.domain;
  assert.equal(off.jit, false);
  assert.deepEqual([hot.jit, hot.jitThreshold], [true, 0]);
  assert.deepEqual([dflt.jit, dflt.jitThreshold], [undefined, undefined], 'the default stays the default');
  for (const [path, domain] of [['/s/off.sav', off], ['/s/hot.sav', hot]] as const) images.set(path, { machine: cfg('x').machine, domain, payload: path });
  await c.restore('/s/off.sav', { name: 'off-r' });
  await c.restore('/s/hot.sav', { name: 'hot-r' });
  assert.equal(handles[3]!.spec.config.jit, false, 'restored with the JIT off');
  assert.deepEqual([handles[4]!.spec.config.jit, handles[4]!.spec.config.jitThreshold], [true, 0]);
  await c.fork('off', { name: 'off-kid' });
  assert.equal(handles[5]!.spec.config.jit, false, 'a fork child runs as its parent');
  await assert.rejects(c.execute({ kind: 'create', config: { ...cfg('bad'), jit: false, jitThreshold: 3 } }), (e: unknown) => e instanceof ControlError && e.kind === 'invalid' && /jitThreshold applies to the JIT/.test(e.message));
  await assert.rejects(c.execute({ kind: 'create', config: { ...cfg('bad'), jitThreshold: -1 } }), (e: unknown) => e instanceof ControlError && e.kind === 'invalid' && /jitThreshold must be a whole number/.test(e.message));
});
