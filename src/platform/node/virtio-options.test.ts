import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BanquiseError } from '../../base/errors.js';
import { ManualClock } from '../../base/clock.js';
import { MockDriver } from '../../devices/virtio/mock-driver.js';
import { buildMachine, validateMachineConfig, type MachineConfig } from '../../machine/index.js';
import { parseDiskOption, parseVirtioOptions, parseVsockOption } from './virtio-options.js';
import { openNodeBackends } from './node-host-backends.js';

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

/** A minimal Linux Image: the 64-byte RISC-V header, text_offset 0, image_size = file size. */
function fakeImage(): Uint8Array {
  const img = new Uint8Array(4096);
  const v = new DataView(img.buffer);
  v.setUint32(16, img.length, true); // image_size
  img.set([0x52, 0x49, 0x53, 0x43, 0x56], 48); // "RISCV"
  img.set([0x52, 0x53, 0x43, 0x05], 56); // "RSC\x05"
  return img;
}

function configWith(dir: string, o: ReturnType<typeof parseVirtioOptions>): MachineConfig {
  return validateMachineConfig({
    mode: 'pv', memoryBytes: 16 << 20, vcpus: 1,
    boot: { kernel: { path: 'Image' }, cmdline: 'console=ttyS0' },
    devices: { disks: o.disks, console: o.virtioConsole ? 'virtio' : 'serial', balloon: o.balloon, rng: o.rng, ...(o.vsock ? { vsock: o.vsock } : {}) },
  });
}

test('buildMachine on node backends: one working slot per device; interrupts wake the host loop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'banquise-opt-'));
  writeFileSync(join(dir, 'd.img'), new Uint8Array(8192));
  const opts = parseVirtioOptions({ disk: [`${join(dir, 'd.img')},ro,serial=S1`], console: 'virtio', balloon: true });
  let wakes = 0;
  const input: ((d: Uint8Array) => void)[] = [];
  const backends = await openNodeBackends(configWith(dir, opts), {
    console: { write() {} },
    virtioConsole: { write() {}, onInput: (h) => input.push(h) },
    blobs: { Image: fakeImage() },
    clock: new ManualClock(),
    wake: () => wakes++,
    schedule: (fn) => fn(),
  });
  try {
    const m = buildMachine(configWith(dir, opts), backends);
    assert.deepEqual(m.devices.all.map((d) => [d.name, d.slot]), [['virtio-blk.0', 0], ['virtio-console.0', 1], ['virtio-rng.0', 2], ['virtio-balloon.0', 3]]);
    const ids = [0, 1, 2, 3].map((i) => m.virtio[i]!.read(8, 4));
    assert.deepEqual(ids, [2, 3, 4, 5]);
    assert.equal(m.virtio[4], undefined);
    assert.equal(m.devices.blocks[0]!.capacitySectors, 16);
    assert.equal(input.length, 1);
    const drv = new MockDriver(m.virtio[3]!, m.mem);
    drv.init(~0n, [8, 8, 8]);
    m.devices.balloon!.setTargetPages(10);
    assert.equal(wakes, 1);
  } finally {
    await backends.close();
  }
});

test('openNodeBackends: a missing disk names --disk; a missing kernel names the kernel', async () => {
  const cfg = configWith('/', parseVirtioOptions({ disk: ['/nonexistent/disk.img'] }));
  await assert.rejects(openNodeBackends(cfg, { console: { write() {} }, blobs: { Image: fakeImage() } }), (e: unknown) => e instanceof BanquiseError && e.message.startsWith('--disk /nonexistent/disk.img'));
  await assert.rejects(openNodeBackends(cfg, { console: { write() {} } }), (e: unknown) => e instanceof BanquiseError && e.message === 'cannot read kernel Image: no such file');
});
