// The kernel command line `banquise run` builds for --console and --append.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BanquiseError } from '../base/errors.js';
import { DEFAULT_APPEND, effectiveCmdline, jitOptionsOf, kernelConsole, namesRootDevice, runCli } from './cli.js';

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

test('jitOptionsOf: the JIT is on unless --no-jit; a threshold is passed on; a threshold with --no-jit is refused', () => {
  assert.deepEqual(jitOptionsOf({}), { jit: true });
  assert.deepEqual(jitOptionsOf({ jit: true }), { jit: true });
  assert.deepEqual(jitOptionsOf({ jit: false }), { jit: false });
  assert.deepEqual(jitOptionsOf({ jitThreshold: 0 }), { jit: true, jitThreshold: 0 });
  assert.throws(() => jitOptionsOf({ jit: false, jitThreshold: 5 }), (e: unknown) => e instanceof BanquiseError && e.exitCode === 64 && /drop --no-jit/.test(e.message));
});

test('banquise elf/run: --no-jit with --jit-threshold exits 64 before anything is read', async () => {
  const write = process.stderr.write;
  let err = '';
  process.stderr.write = ((chunk: string) => { err += chunk; return true; }) as typeof process.stderr.write;
  try {
    assert.equal(await runCli(['elf', '--no-jit', '--jit-threshold', '3', '/nonexistent.elf']), 64);
    assert.equal(await runCli(['run', '--no-jit', '--jit-threshold', '3', '--kernel', '/nonexistent']), 64);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(err.match(/--jit-threshold needs the JIT: drop --no-jit/g)?.length, 2, err);
});
