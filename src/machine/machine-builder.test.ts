import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../base/clock.js';
import { CountingLogger, NULL_LOGGER, type Logger } from '../base/logger.js';
import { MockDriver } from '../devices/virtio/mock-driver.js';
import { VIRTIO_F_VERSION_1 } from '../devices/virtio/virtio-device.js';
import { BanquiseError } from '../base/errors.js';
import { buildMachine } from './machine-builder.js';
import type { HostBackends } from './host-backends.js';
import { validateMachineConfig } from './validate-machine-config.js';
import { RAM_BASE_GPA } from './board-layout.js';

/** A 4 KiB Linux Image header the pv loader accepts (text_offset 0). */
function image(): Uint8Array {
  const img = new Uint8Array(4096);
  new DataView(img.buffer).setUint32(16, img.length, true);
  img.set([0x52, 0x49, 0x53, 0x43, 0x56], 48);
  img.set([0x52, 0x53, 0x43, 0x05], 56);
  img[64] = 0xaa;
  return img;
}

function backends(log: Logger = NULL_LOGGER, queue?: (() => void)[]): HostBackends {
  const unused = (): never => {
    throw new Error('not in this config');
  };
  return {
    clock: new ManualClock(),
    wallClockNs: () => 0n,
    console: { write() {} },
    virtioConsole: unused,
    blob: (ref) => (ref.path === 'Image' ? image() : new Uint8Array([1, 2, 3])),
    block: unused,
    net: unused,
    share: unused,
    vsock: unused,
    entropy: { fill: (b) => b.fill(7) },
    random: (b) => b.fill(9),
    wake() {},
    ...(queue !== undefined ? { schedule: (fn: () => void) => queue.push(fn) } : {}),
    log,
  };
}

test('buildMachine: the JIT is on unless turned off, one per hart with the given threshold', () => {
  const cfg = validateMachineConfig({ mode: 'pv', memoryBytes: 16 << 20, vcpus: 2, boot: { kernel: { path: 'Image' }, cmdline: 'x' } });
  assert.equal(buildMachine(cfg, backends()).jits.length, 2);
  assert.equal(buildMachine(cfg, backends(), { jit: false }).jits.length, 0);
  assert.equal(buildMachine(cfg, backends(), { jit: false }).jitInfo(), undefined);
  assert.equal(buildMachine(cfg, backends(), { jit: true, jitThreshold: 0 }).jits.length, 2);
  assert.throws(() => buildMachine(cfg, backends(), { jit: true, jitThreshold: -1 }), BanquiseError);
});

test('buildMachine: pv boot puts the kernel at the RAM base and hart 0 in S-mode with a1 = the DTB', () => {
  const cfg = validateMachineConfig({ mode: 'pv', memoryBytes: 16 << 20, vcpus: 2, boot: { kernel: { path: 'Image' }, initrd: { path: 'rd' }, cmdline: 'x' } });
  const m = buildMachine(cfg, backends());
  assert.equal(m.config, cfg);
  assert.equal(m.mem.slice(RAM_BASE_GPA + 64, 1)![0], 0xaa);
  assert.equal(m.harts.length, 2);
  assert.equal(m.harts[0]!.priv, 1);
  assert.equal(m.harts[0]!.getPc(), BigInt(RAM_BASE_GPA));
  assert.deepEqual(m.devices.all.map((d) => d.name), ['virtio-rng.0']);
  assert.equal(m.virtio[0]!.read(8, 4), 4);
});

test('buildMachine: full and bare modes are refused with a clear error', () => {
  for (const mode of ['full', 'bare']) {
    const cfg = validateMachineConfig({ mode, memoryBytes: 16 << 20, vcpus: 1, boot: { kernel: { path: 'Image' } } });
    assert.throws(() => buildMachine(cfg, backends()), (e: unknown) => e instanceof BanquiseError && e.message.includes(`mode "${mode}"`));
  }
});

test('a malformed chain is counted per device at the logger and shown by deviceInfo', () => {
  const log = new CountingLogger();
  const queue: (() => void)[] = [];
  const cfg = validateMachineConfig({ mode: 'pv', memoryBytes: 16 << 20, vcpus: 1, boot: { kernel: { path: 'Image' } }, devices: { balloon: true } });
  const m = buildMachine(cfg, backends(log, queue));
  assert.deepEqual(m.deviceInfo().map((d) => [d.name, d.state]), [['virtio-rng.0', 'reset'], ['virtio-balloon.0', 'reset']]);
  const drv = new MockDriver(m.virtio[0]!, m.mem);
  drv.init(VIRTIO_F_VERSION_1, [8]); // no INDIRECT_DESC: an indirect chain is malformed
  assert.equal(m.deviceInfo()[0]!.state, 'running');
  drv.post(0, [{ writableBytes: 16 }], true);
  drv.notify(0);
  while (queue.length > 0) queue.shift()!();
  assert.equal(log.counter('virtio-rng.0', 'malformed'), 1);
  assert.equal(log.counter('virtio-rng.0', 'needsReset'), 1);
  assert.equal(log.counter('virtio-balloon.0', 'needsReset'), 0);
  const info = m.deviceInfo()[0]!;
  assert.equal(info.state, 'needs-reset');
  assert.equal(info.malformed, 1);
  assert.equal(info.needsReset, 1);
  assert.match(info.lastNeedsResetReason!, /queue 0: malformed descriptor chain/);
  assert.ok(log.recent().some((e) => e.source === 'virtio-rng.0' && e.level === 'warn' && /needs reset: queue 0: malformed/.test(e.message)));
});
