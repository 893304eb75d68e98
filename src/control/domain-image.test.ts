import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forkChildNames, withNewIdentity } from './domain-image.js';
import type { DomainConfig } from './domain-config.js';
import { stableMac } from './stable-mac.js';

const MIB = 1 << 20;

function cfg(nics: { mac?: string }[]): DomainConfig {
  return {
    name: 'p',
    machine: {
      version: 1, mode: 'pv', memoryBytes: 64 * MIB, vcpus: 1, boot: { kernel: { path: '/k' }, cmdline: '' },
      devices: { disks: [], nics: nics.map((n) => ({ backend: { kind: 'user' }, ...n })), shares: [], console: 'serial', balloon: false, rng: false },
    } as unknown as DomainConfig['machine'],
    memoryBytes: 64 * MIB, maxMemoryBytes: 64 * MIB, onPoweroff: 'destroy', onReboot: 'restart', onCrash: 'destroy',
  };
}

test('withNewIdentity: MACs derived from the old uuid follow the new uuid, chosen ones stay', () => {
  const c = cfg([{ mac: stableMac('old', 0) }, { mac: '02:00:00:00:00:07' }, {}]);
  const n = withNewIdentity(c, 'old', 'new', 'child');
  assert.equal(n.name, 'child');
  const macs = n.machine.devices.nics.map((x) => x.mac);
  assert.deepEqual(macs, [stableMac('new', 0), '02:00:00:00:00:07', stableMac('new', 2)]);
  assert.notEqual(macs[0], stableMac('old', 0));
  assert.equal(c.machine.devices.nics[0]!.mac, stableMac('old', 0), 'the parent config is not changed');
  assert.equal(n.machine.devices.vsock, undefined);
  const v = { ...c, machine: { ...c.machine, devices: { ...c.machine.devices, vsock: { guestCid: 3, udsPath: '/run/vsock-3' } } } };
  assert.deepEqual(withNewIdentity(v, 'old', 'new', 'child').machine.devices.vsock, { guestCid: 3 }, 'the copy does not take the original\'s host socket');
});

test('forkChildNames: one named child, numbered children, free numbers by default', () => {
  assert.deepEqual(forkChildNames('web', 1, 'kid', () => false), ['kid']);
  assert.deepEqual(forkChildNames('web', 3, 'kid', () => false), ['kid-1', 'kid-2', 'kid-3']);
  const taken = new Set(['web-fork-1', 'web-fork-3']);
  assert.deepEqual(forkChildNames('web', 2, undefined, (n) => taken.has(n)), ['web-fork-2', 'web-fork-4']);
  assert.deepEqual(forkChildNames('web', 2, 'kid', (n) => n === 'kid-1'), ['kid-1', 'kid-2'], 'a given stem is not renumbered: the caller refuses the taken name');
});
