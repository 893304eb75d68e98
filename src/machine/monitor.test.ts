import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Monitor, MONITOR_MAX_LINE, type MonitorBalloon, type MonitorDeps, type MonitorHart, type MonitorMachine } from './monitor.js';
import type { BalloonInfo, BalloonStats } from '../devices/virtio/balloon/balloon-device.js';
import { VirtioBalloonDevice } from '../devices/virtio/balloon/balloon-device.js';
import { mockHarness } from '../devices/virtio/mock-driver.js';
import { SbiStats } from './sbi/sbi-stats.js';

const MIB = 1024 * 1024;
const RAM = 256 * MIB;

/** A balloon whose guest answers a stats request with `next` (or never, when `answer` is false). */
class FakeBalloon implements MonitorBalloon {
  stats: BalloonStats | undefined;
  target = 0;
  actual = 0;
  requests = 0;
  answer = true;
  next: BalloonStats | undefined;
  setTargetPages(pages: number): void {
    this.target = pages;
  }
  info(): BalloonInfo {
    return { targetPages: this.target, actualPages: this.actual, inflatedPages: this.actual };
  }
  requestStats(): boolean {
    this.requests++;
    if (this.answer && this.next !== undefined) {
      const n = this.next;
      // The guest answers a little later (after one timer tick).
      setTimeout(() => (this.stats = { ...n }), 1);
    }
    return true;
  }
}

function hart(hartId: number, pc: bigint, priv: number, instret: number, waiting: boolean): MonitorHart {
  return { hartId, priv, instret, waiting, getPc: () => pc };
}

function setup(over: Partial<MonitorDeps> = {}) {
  const balloon = new FakeBalloon();
  const sbiStats = new SbiStats();
  const machine: MonitorMachine = {
    harts: [hart(0, 0xffffffff80002eeen, 1, 12345, true), hart(1, 0x80200000n, 3, 7, false)],
    sbi: { sbiStats },
  };
  const deps: MonitorDeps = {
    ramSizeBytes: RAM,
    machine: () => machine,
    balloon,
    sleep: (ms) => new Promise((res) => setTimeout(res, ms)),
    statsTimeoutMs: 200,
    ...over,
  };
  return { mon: new Monitor(deps), balloon, sbiStats };
}

test('help lists every command; empty lines answer nothing; unknown commands are errors', async () => {
  const { mon } = setup();
  const help = (await mon.execute('help')).text;
  for (const c of ['balloon <size>', 'info balloon', 'info sbi', 'info cpus', 'quit']) assert.ok(help.includes(c), c);
  assert.deepEqual(await mon.execute('   '), { text: '', quit: false });
  assert.match((await mon.execute('frobnicate')).text, /^error: unknown command 'frobnicate'/);
  assert.match((await mon.execute('info')).text, /^error: usage: info/);
  assert.match((await mon.execute('info memory')).text, /^error: unknown info item 'memory'/);
  assert.match((await mon.execute('x'.repeat(MONITOR_MAX_LINE + 1))).text, /^error: command line longer/);
});

test('quit asks to end the domain', async () => {
  const { mon } = setup();
  assert.equal((await mon.execute('quit')).quit, true);
  assert.equal((await mon.execute('help')).quit, false);
});

test('balloon <size>: the balloon takes RAM - size, in 4 KiB pages', async () => {
  const { mon, balloon } = setup();
  const r = await mon.execute('balloon 128M');
  assert.equal(balloon.target, (128 * MIB) / 4096);
  assert.match(r.text, /^target: 128\.0 MiB \(134217728 bytes\) for the guest, balloon 32768 pages$/);
  await mon.execute('  balloon   256M ');
  assert.equal(balloon.target, 0);
  await mon.execute('balloon 200000K');
  assert.equal(balloon.target, RAM / 4096 - 50000);
  // A size that is not a whole number of pages leaves the guest the page it is in.
  await mon.execute(`balloon ${RAM - 1}`);
  assert.equal(balloon.target, 0);
});

test('balloon <size>: malformed, out-of-range and missing sizes are errors that change nothing', async () => {
  const { mon, balloon } = setup();
  balloon.target = 99;
  for (const [line, re] of [
    ['balloon', /^error: usage: balloon <size>/],
    ['balloon 1M 2M', /^error: usage/],
    ['balloon lots', /^error: 'lots' is not a size/],
    ['balloon -5M', /is not a size/],
    ['balloon 8M', /^error: 8M is out of range: .* between 16M and the RAM size 256M/],
    ['balloon 257M', /out of range/],
    ['balloon 99999999999999999999G', /is not a size/],
  ] as const) {
    assert.match((await mon.execute(line)).text, re, line);
  }
  assert.equal(balloon.target, 99);
});

test('without a balloon device, balloon and info balloon say so', async () => {
  const { mon } = setup({ balloon: undefined });
  const noDev = { ramSizeBytes: RAM, machine: () => undefined };
  for (const m of [mon, new Monitor(noDev)]) {
    assert.match((await m.execute('balloon 128M')).text, /^error: this domain has no balloon device \(start it with --balloon\)/);
    assert.match((await m.execute('info balloon')).text, /^error: this domain has no balloon device/);
  }
});

test('info balloon: target, actual and the fresh guest statistics with units', async () => {
  const { mon, balloon } = setup();
  balloon.target = 32768;
  balloon.actual = 16384;
  balloon.stats = { freeMemory: 1n };
  balloon.next = { freeMemory: 110n * BigInt(MIB), totalMemory: 245n * BigInt(MIB), availableMemory: 107n * BigInt(MIB), minorFaults: 1623n, swapIn: 0n };
  const text = (await mon.execute('info balloon')).text;
  assert.equal(balloon.requests, 1);
  const lines = text.split('\n');
  assert.equal(lines[0], 'ram: 256.0 MiB (268435456 bytes)');
  assert.equal(lines[1], 'target: 128.0 MiB (134217728 bytes) for the guest, balloon 32768 pages');
  assert.equal(lines[2], 'actual: 192.0 MiB (201326592 bytes) for the guest, balloon 16384 pages (reported by the guest)');
  assert.equal(lines[3], 'inflated: 16384 pages (seen by the device)');
  assert.equal(lines[4], 'stats: fresh');
  assert.ok(lines.includes('  free memory: 110.0 MiB (115343360 bytes)'), text);
  assert.ok(lines.includes('  total memory: 245.0 MiB (256901120 bytes)'), text);
  assert.ok(lines.includes('  available memory: 107.0 MiB (112197632 bytes)'), text);
  assert.ok(lines.includes('  minor faults: 1623'), text);
  assert.ok(lines.includes('  swapped in: 0.0 MiB (0 bytes)'), text);
  assert.ok(!text.includes('hugetlb'), 'stats the guest did not send are not shown');
});

test('info balloon: a guest that does not answer gets the last stats, marked, after the timeout', async () => {
  const { mon, balloon } = setup({ statsTimeoutMs: 50 });
  balloon.answer = false;
  assert.match((await mon.execute('info balloon')).text, /stats: none reported by the guest yet$/);
  balloon.stats = { freeMemory: 5n * BigInt(MIB) };
  const text = (await mon.execute('info balloon')).text;
  assert.match(text, /stats: last reported \(the guest did not answer a new request\)\n {2}free memory: 5\.0 MiB/);
});

test('info balloon between boots does not wait for a guest', async () => {
  let slept = 0;
  const { mon, balloon } = setup({ machine: () => undefined, sleep: async () => void slept++ });
  balloon.stats = { freeMemory: 0n };
  assert.match((await mon.execute('info balloon')).text, /stats: last reported/);
  assert.equal(slept, 0);
  assert.equal(balloon.requests, 0);
});

test('info sbi: calls per extension with the spec function names', async () => {
  const { mon, sbiStats } = setup();
  assert.equal((await mon.execute('info sbi')).text, 'no SBI calls yet');
  sbiStats.count('TIME', 0);
  sbiStats.count('TIME', 0);
  sbiStats.count('RFNC', 1);
  sbiStats.count('RFNC', 0);
  sbiStats.count('RFNC', 0);
  sbiStats.count('unknown', 0x0a000000);
  assert.equal(
    (await mon.execute('info sbi')).text,
    [
      'RFNC: 3',
      '  fid 0 sbi_remote_fence_i: 2',
      '  fid 1 sbi_remote_sfence_vma: 1',
      'TIME: 2',
      '  fid 0 sbi_set_timer: 2',
      'unknown: 1',
      '  fid 167772160: 1',
    ].join('\n'),
  );
  const full = new Monitor({ ramSizeBytes: RAM, machine: () => ({ harts: [], sbi: undefined }) });
  assert.match((await full.execute('info sbi')).text, /^error: no SBI in this machine/);
});

test('info jit: the counters of each hart\'s JIT, or that it is off', async () => {
  const info = {
    blocksTranslated: 12, instructionsTranslated: 80, modulesCompiled: 3, modulesLive: 2, cacheBytes: 4096, compileMs: 1.25,
    invalidations: 1, evictions: 0, jitInstructions: 5000, jitEntries: 40, exitsNext: 30, exitsInterp: 10, lookupsMissed: 7,
    interpreterRuns: 17, jitMsSampled: 2.5, interpreterMsSampled: 4,
  };
  const on = new Monitor({ ramSizeBytes: RAM, machine: () => ({ harts: [], jits: [{ info }] }) });
  assert.equal(
    (await on.execute('info jit')).text,
    'hart 0: blocks translated 12 (80 instructions), modules live 2 (4096 bytes), compiled 3 in 1.3 ms, invalidations 1, ' +
      'evictions 0, instructions in generated code 5000 (40 entries), exits to the runner 30, to the interpreter 10, ' +
      'look-ups without code 7, interpreter runs 17, time in generated code ~3 ms, in the interpreter ~4 ms (1 call in 64 timed)',
  );
  const off = new Monitor({ ramSizeBytes: RAM, machine: () => ({ harts: [] }) });
  assert.match((await off.execute('info jit')).text, /^the JIT is off/);
});

test('info cpus: pc, privilege, instret and wfi state per hart', async () => {
  const { mon } = setup();
  assert.equal(
    (await mon.execute('info cpus')).text,
    'hart 0: pc=0xffffffff80002eee priv=S instret=12345 (waiting in wfi)\nhart 1: pc=0x0000000080200000 priv=M instret=7',
  );
  const stopped = new Monitor({ ramSizeBytes: RAM, machine: () => undefined });
  assert.match((await stopped.execute('info cpus')).text, /^error: the domain is not running/);
});

test('balloon drives a real virtio-balloon device: num_pages and a config interrupt', async () => {
  const ram = 64 * MIB;
  const dev = new VirtioBalloonDevice(ram / 4096);
  const h = mockHarness(dev, ram);
  h.drv.init(~0n, [16, 16, 16]);
  const mon = new Monitor({ ramSizeBytes: ram, machine: () => undefined, balloon: dev });
  await mon.execute('balloon 48M');
  assert.equal(h.drv.ackInterrupt(), 2, 'configuration change interrupt');
  assert.equal(Number(h.drv.config(0, 4)), (16 * MIB) / 4096);
  assert.match((await mon.execute('info balloon')).text, /target: 48\.0 MiB .* balloon 4096 pages\nactual: 64\.0 MiB .* balloon 0 pages/);
});

test('info devices lists each virtio device with its state, counters and last reset reason', async () => {
  const machine: MonitorMachine = {
    harts: [],
    deviceInfo: () => [
      { name: 'virtio-blk.0', slot: 0, state: 'running', malformed: 0, badRequests: 2, needsReset: 0 },
      { name: 'virtio-net.0', slot: 1, state: 'needs-reset', malformed: 1, badRequests: 0, needsReset: 1, lastNeedsResetReason: 'queue 1: malformed descriptor chain (status 3)' },
    ],
  };
  const mon = new Monitor({ ramSizeBytes: RAM, machine: () => machine });
  assert.equal(
    (await mon.execute('info devices')).text,
    'virtio-blk.0 (slot 0): running, malformed=0 bad-requests=2 needs-reset=0\n' +
      'virtio-net.0 (slot 1): needs-reset, malformed=1 bad-requests=0 needs-reset=1\n' +
      '  last reset reason: queue 1: malformed descriptor chain (status 3)',
  );
  assert.equal((await new Monitor({ ramSizeBytes: RAM, machine: () => ({ harts: [] }) }).execute('info devices')).text, 'no virtio devices');
  assert.match((await new Monitor({ ramSizeBytes: RAM, machine: () => undefined }).execute('info devices')).text, /^error: the domain is not running/);
});

test('info counters: instructions per privilege, traps into M, SBI calls, non-zero device counts', async () => {
  const counters = () => ({
    retired: { user: 5, supervisor: 700, machine: 30 },
    trapsToM: { ecall: 4, exception: 1, interrupt: 0 },
    sbiCalls: 0,
    mmio: { serial: 12, 'nvme.0': 9, 'virtio-rng.0': 0 },
    irqs: { 'nvme.0': 3, serial: 0 },
  });
  const mon = new Monitor({ ramSizeBytes: RAM, machine: () => ({ harts: [], counters }) });
  assert.equal((await mon.execute('info counters')).text, [
    'instructions: U 5 S 700 M 30',
    'traps into M: ecall 4 exception 1 interrupt 0',
    'SBI calls answered in TypeScript: 0',
    'mmio serial: 12',
    'mmio nvme.0: 9',
    'irq nvme.0: 3',
  ].join('\n'));
  assert.match((await new Monitor({ ramSizeBytes: RAM, machine: () => undefined }).execute('info counters')).text, /^error: the domain is not running/);
});
