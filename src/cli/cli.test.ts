// The kernel command line `banquise run` builds for --console and --append.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_APPEND, effectiveCmdline, kernelConsole, namesRootDevice } from './cli.js';

test('kernelConsole: the last console= before "--", without its options', () => {
  assert.equal(kernelConsole('root=/dev/vda rw'), undefined);
  assert.equal(kernelConsole('console=ttyS0,115200n8'), 'ttyS0');
  assert.equal(kernelConsole('console=hvc0 quiet console=ttyS0'), 'ttyS0');
  assert.equal(kernelConsole('  console=ttyS0   console=hvc0  '), 'hvc0');
  assert.equal(kernelConsole('quiet -- console=hvc0'), undefined);
  assert.equal(kernelConsole('xconsole=hvc0'), undefined);
});

test('effectiveCmdline: --console virtio adds console=hvc0 only when no console is named', () => {
  assert.equal(effectiveCmdline(undefined, false), DEFAULT_APPEND);
  assert.equal(effectiveCmdline('root=/dev/vda rw', false), 'root=/dev/vda rw');
  assert.equal(effectiveCmdline(undefined, true), 'console=hvc0');
  assert.equal(effectiveCmdline('root=/dev/vda rw', true), 'root=/dev/vda rw console=hvc0');
  assert.equal(effectiveCmdline('', true), 'console=hvc0');
  assert.equal(effectiveCmdline('console=ttyS0 rw', true), 'console=ttyS0 rw');
  assert.equal(effectiveCmdline('console=hvc0', true), 'console=hvc0');
  assert.equal(effectiveCmdline('quiet -- init-arg', true), 'quiet console=hvc0 -- init-arg');
});

test('namesRootDevice: root= before any -- means the disk is the root (no default initramfs)', () => {
  assert.equal(namesRootDevice('root=/dev/vda rw console=ttyS0'), true);
  assert.equal(namesRootDevice('console=ttyS0  root=PARTUUID=1234'), true);
  assert.equal(namesRootDevice('console=ttyS0'), false);
  assert.equal(namesRootDevice(''), false);
  assert.equal(namesRootDevice('console=ttyS0 -- root=/dev/vda'), false, 'after -- it is init\'s argument');
  assert.equal(namesRootDevice('noroot=1 rootwait'), false);
});
