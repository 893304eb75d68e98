// --share parsing and slot building.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseShareOption, shareConfigsOf } from '../../dist/platform/node/net-options.js';
import { openNodeBackends } from '../../dist/platform/node/node-host-backends.js';
import { buildMachine, validateMachineConfig } from '../../dist/machine/index.js';
import { fakeLinuxImage } from '../support/fake-image.mjs';

function config(shares) {
  return validateMachineConfig({ mode: 'pv', memoryBytes: 16 << 20, vcpus: 1, boot: { kernel: { path: 'Image' } }, devices: { rng: false, shares } });
}

test('--share HOSTDIR,tag=TAG[,ro]', () => {
  assert.deepEqual(parseShareOption('/srv/x,tag=host'), { hostDir: '/srv/x', tag: 'host', readOnly: false });
  assert.deepEqual(parseShareOption('/srv/x,ro,tag=h0'), { hostDir: '/srv/x', tag: 'h0', readOnly: true });
});

test('bad --share values are BanquiseErrors naming the option', () => {
  for (const bad of ['', ',tag=x', '/x', '/x,tag=', '/x,tag=a b', '/x,tag=y,rx', `/x,tag=${'a'.repeat(300)}`]) {
    assert.throws(() => parseShareOption(bad), (e) => e.name === 'BanquiseError' && e.message.startsWith('--share') && e.exitCode === 64, bad);
  }
});

test('a missing shared directory is a BanquiseError naming --share', async () => {
  const cfg = config(shareConfigsOf([parseShareOption('/nonexistent/banquise-share,tag=x')]));
  await assert.rejects(openNodeBackends(cfg, { console: { write() {} }, blobs: { Image: fakeLinuxImage() } }), (e) => e.name === 'BanquiseError' && e.message.startsWith('--share'));
});

test('the builder gives a virtio-9p device with the tag in config space', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'banquise-share-'));
  try {
    const cfg = config(shareConfigsOf([parseShareOption(`${dir},tag=hostshare`)]));
    const backends = await openNodeBackends(cfg, { console: { write() {} }, blobs: { Image: fakeLinuxImage() } });
    try {
      const dev = buildMachine(cfg, backends).virtio[0];
      assert.equal(dev.read(8, 4), 9);
      assert.equal(dev.read(0x100, 2), 9);
      const tag = Array.from({ length: 9 }, (_, i) => dev.read(0x102 + i, 1));
      assert.equal(String.fromCharCode(...tag), 'hostshare');
    } finally {
      await backends.close();
    }
    assert.throws(() => shareConfigsOf([parseShareOption(`${dir},tag=a`), parseShareOption(`${dir},tag=a`)]), /used twice/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
