import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BanquiseError } from '../../base/errors.js';
import { GuestMemory } from '../../memory/guest-memory.js';
import { MockDriver, RecordingIrq } from '../../devices/virtio/mock-driver.js';
import {
  buildVirtioSlots, openDisks, parseDiskOption, parseVirtioOptions, parseVsockOption, type VirtioDevices,
} from './virtio-options.js';

function rejects(fn: () => unknown, option: string): void {
  assert.throws(fn, (e: unknown) => e instanceof BanquiseError && e.message.includes(option) && !e.message.includes('\n') && e.exitCode === 64);
}

test('--disk parsing', () => {
  assert.deepEqual(parseDiskOption('a.img'), { path: 'a.img', readOnly: false });
  assert.deepEqual(parseDiskOption('/x/b.img,ro,serial=ABC-1'), { path: '/x/b.img', readOnly: true, serial: 'ABC-1' });
  rejects(() => parseDiskOption(''), '--disk');
  rejects(() => parseDiskOption(',ro'), '--disk');
  rejects(() => parseDiskOption('a.img,rw'), '--disk');
  rejects(() => parseDiskOption('a.img,serial='), '--disk');
  rejects(() => parseDiskOption('a.img,serial=123456789012345678901'), '--disk');
  rejects(() => parseDiskOption('a.img,serial=has space'), '--disk');
});

test('--vsock parsing', () => {
  assert.deepEqual(parseVsockOption('3,uds=/tmp/v.sock'), { guestCid: 3, udsPath: '/tmp/v.sock' });
  for (const bad of ['2,uds=/x', '4294967295,uds=/x', 'abc,uds=/x', '5', '5,path=/x', '5,uds=', '-3,uds=/x', `5,uds=/${'a'.repeat(120)}`]) {
    rejects(() => parseVsockOption(bad), '--vsock');
  }
});

test('--console, --balloon, --no-rng and the slot limit', () => {
  const c = parseVirtioOptions({ console: 'virtio', balloon: true, disk: ['a.img'] });
  assert.equal(c.virtioConsole, true);
  assert.equal(c.balloon, true);
  assert.equal(c.rng, true);
  assert.equal(parseVirtioOptions({ rng: false }).rng, false);
  rejects(() => parseVirtioOptions({ console: 'serial' }), '--console');
  rejects(() => parseVirtioOptions({ disk: Array.from({ length: 8 }, (_, i) => `d${i}.img`) }), '--disk');
  rejects(() => parseVirtioOptions({ disk: ['a.img'] }, 7), '--disk');
});

test('buildVirtioSlots: one working slot per device; interrupts wake the host loop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'banquise-opt-'));
  writeFileSync(join(dir, 'd.img'), new Uint8Array(8192));
  const cfg = parseVirtioOptions({ disk: [`${join(dir, 'd.img')},ro,serial=S1`], console: 'virtio', balloon: true });
  const disks = await openDisks(cfg);
  let wakes = 0;
  let devs: VirtioDevices | undefined;
  const input: ((d: Uint8Array) => void)[] = [];
  const slots = buildVirtioSlots(cfg, {
    disks,
    ramSizeBytes: 1 << 20,
    console: { write() {}, onInput: (h) => input.push(h) },
    wake: () => wakes++,
    schedule: (fn) => fn(),
  }, (d) => (devs = d));
  assert.equal(slots.length, 4);
  const mem = new GuestMemory({ ramBaseGpa: 0x8000_0000, ramSizeBytes: 1 << 20, stateSizeBytes: 0 });
  const ids = slots.map((f) => f(mem, new RecordingIrq()).read(8, 4));
  assert.deepEqual(ids, [2, 3, 4, 5]);
  assert.equal(devs!.blocks[0]!.capacitySectors, 16);
  const irq = new RecordingIrq();
  const drv = new MockDriver(slots[3]!(mem, irq), mem);
  drv.init(~0n, [8, 8, 8]);
  devs!.balloon!.setTargetPages(10);
  assert.equal(irq.level, true);
  assert.equal(wakes, 1);
  await disks[0]!.close();
});

test('openDisks: missing file names --disk', async () => {
  const cfg = parseVirtioOptions({ disk: ['/nonexistent/disk.img'] });
  await assert.rejects(openDisks(cfg), (e: unknown) => e instanceof BanquiseError && e.message.startsWith('--disk /nonexistent/disk.img'));
});
