import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MachineConfigError, validateMachineConfig } from './validate-machine-config.js';

const minimal = { mode: 'pv', memoryBytes: 256 << 20, vcpus: 2, boot: { kernel: { path: '/k/Image' } } };

function rejects(raw: unknown, path: string, what: RegExp): void {
  assert.throws(
    () => validateMachineConfig(raw),
    (e: unknown) => e instanceof MachineConfigError && e.path === path && what.test(e.message) && e.exitCode === 64,
    `${path} ${what}`,
  );
}

test('a minimal config gets every documented default', () => {
  assert.deepEqual(validateMachineConfig(minimal), {
    version: 1, mode: 'pv', memoryBytes: 256 << 20, vcpus: 2,
    boot: { kernel: { path: '/k/Image' }, cmdline: '' },
    devices: { disks: [], nics: [], shares: [], console: 'serial', balloon: false, rng: true },
  });
});

test('a full config survives validation and a JSON round trip unchanged', () => {
  const full = {
    version: 1, mode: 'pv', memoryBytes: 64 << 20, vcpus: 1,
    boot: { kernel: { path: 'Image' }, initrd: { path: 'initrd' }, cmdline: 'console=hvc0 rw' },
    devices: {
      disks: [{ path: 'a.img', readOnly: true, serial: 'S-1' }, { path: 'b.img', readOnly: false, interface: 'virtio' }],
      nics: [
        { mac: '52:54:00:00:00:01', backend: { kind: 'user', hostForwards: [{ hostAddress: '', hostPort: 8080, guestAddress: '10.0.2.15', guestPort: 80 }], dnsServer: '1.1.1.1' } },
        { backend: { kind: 'socket', mode: 'listen', host: '127.0.0.1', port: 0 } },
      ],
      shares: [{ hostDir: '/srv', tag: 'srv', readOnly: true }],
      console: 'virtio', vsock: { guestCid: 3, udsPath: '/tmp/v' }, balloon: true, rng: false,
    },
  };
  const v = validateMachineConfig(full);
  assert.deepEqual(v, full);
  assert.deepEqual(validateMachineConfig(JSON.parse(JSON.stringify(v))), v);
});

test('unknown fields are named with their path', () => {
  rejects({ ...minimal, memory: 1 }, 'memory', /unknown field \(known here: version, mode/);
  rejects({ ...minimal, boot: { kernel: { path: 'k', sha: 1 } } }, 'boot.kernel.sha', /unknown field/);
  rejects({ ...minimal, devices: { disks: [{ path: 'a', ro: true }] } }, 'devices.disks[0].ro', /unknown field .*readOnly/);
  rejects({ ...minimal, devices: { nics: [{ backend: { kind: 'user', port: 3 } }] } }, 'devices.nics[0].backend.port', /unknown field/);
});

test('bad values say what to fix', () => {
  rejects(null, '', /must be an object/);
  rejects([], '', /must be an object, not an array/);
  rejects({ ...minimal, version: 2 }, 'version', /must be 1/);
  rejects({ ...minimal, mode: 'hvm' }, 'mode', /one of "pv", "full", "bare"/);
  rejects({ ...minimal, memoryBytes: '256M' }, 'memoryBytes', /whole number/);
  rejects({ ...minimal, memoryBytes: 1 << 20 }, 'memoryBytes', /out of range/);
  rejects({ ...minimal, memoryBytes: (64 << 20) + 1 }, 'memoryBytes', /multiple of 4096/);
  rejects({ ...minimal, vcpus: 9 }, 'vcpus', /out of range 1..8/);
  rejects({ ...minimal, vcpus: 1.5 }, 'vcpus', /whole number/);
  rejects({ mode: 'pv', memoryBytes: 64 << 20, vcpus: 1 }, 'boot', /is required/);
  rejects({ ...minimal, boot: {} }, 'boot.kernel', /is required/);
  rejects({ ...minimal, boot: { kernel: { path: '' } } }, 'boot.kernel.path', /must not be empty/);
  rejects({ ...minimal, boot: { kernel: { path: 'k' }, cmdline: 'x'.repeat(5000) } }, 'boot.cmdline', /longer than 4096/);
  rejects({ ...minimal, devices: { disks: [{ path: 'a', serial: 'has space' }] } }, 'devices.disks[0].serial', /printable ASCII/);
  rejects({ ...minimal, devices: { disks: [{ path: 'a', serial: 'x'.repeat(21) }] } }, 'devices.disks[0].serial', /longer than 20/);
  rejects({ ...minimal, devices: { disks: [{ path: 'a', interface: 'nvme' }] } }, 'devices.disks[0].interface', /needs mode "full"/);
  rejects({ ...minimal, devices: { disks: [{ path: 'a', readOnly: 'yes' }] } }, 'devices.disks[0].readOnly', /true or false/);
  rejects({ ...minimal, devices: { disks: 'a.img' } }, 'devices.disks', /must be an array/);
  rejects({ ...minimal, devices: { nics: [{ mac: '01:00:00:00:00:00', backend: { kind: 'user' } }] } }, 'devices.nics[0].mac', /multicast/);
  rejects({ ...minimal, devices: { nics: [{ mac: 'zz', backend: { kind: 'user' } }] } }, 'devices.nics[0].mac', /six hex bytes/);
  rejects({ ...minimal, devices: { nics: [{}] } }, 'devices.nics[0].backend', /is required/);
  rejects({ ...minimal, devices: { nics: [{ backend: { kind: 'tap' } }] } }, 'devices.nics[0].backend.kind', /one of "user", "socket", "bridge"/);
  rejects({ ...minimal, devices: { nics: [{ backend: { kind: 'user', hostForwards: [{ hostPort: 70000, guestPort: 1 }] } }] } }, 'devices.nics[0].backend.hostForwards[0].hostPort', /out of range 1..65535/);
  rejects({ ...minimal, devices: { nics: [{ backend: { kind: 'user', hostForwards: [{ hostPort: 80, guestPort: 1 }, { hostPort: 80, guestPort: 2 }] } }] } }, 'devices.nics[0].backend.hostForwards[1].hostPort', /forwarded twice/);
  rejects({ ...minimal, devices: { nics: [{ backend: { kind: 'user', dnsServer: 'example' } }] } }, 'devices.nics[0].backend.dnsServer', /IPv4/);
  rejects({ ...minimal, devices: { nics: [{ backend: { kind: 'socket', mode: 'connect', host: 'h', port: 0 } }] } }, 'devices.nics[0].backend.port', /out of range 1..65535/);
  rejects({ ...minimal, devices: { shares: [{ hostDir: '/a', tag: 'a b' }] } }, 'devices.shares[0].tag', /letters, digits/);
  rejects({ ...minimal, devices: { shares: [{ hostDir: '/a', tag: 't' }, { hostDir: '/b', tag: 't' }] } }, 'devices.shares[1].tag', /used twice/);
  rejects({ ...minimal, devices: { vsock: { guestCid: 2 } } }, 'devices.vsock.guestCid', /reserved/);
  rejects({ ...minimal, devices: { console: 'hvc' } }, 'devices.console', /one of "serial", "virtio"/);
  rejects({ ...minimal, devices: { disks: Array.from({ length: 8 }, (_, i) => ({ path: `d${i}` })) } }, 'devices', /9 virtio devices requested, the board has 8 slots/);
  rejects({ ...minimal, boot: { kernel: { path: 'a\0b' } } }, 'boot.kernel.path', /NUL/);
});

test('the error message names the config and the field', () => {
  assert.throws(() => validateMachineConfig({ ...minimal, vcpus: 0 }), { message: 'machine config: vcpus: 0 is out of range 1..8' });
});
