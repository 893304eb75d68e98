// --share parsing and slot building.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseShareOption, buildShareSlots } from '../../dist/platform/node/net-options.js';
import { GuestMemory } from '../../dist/memory/guest-memory.js';

test('--share HOSTDIR,tag=TAG[,ro]', () => {
  assert.deepEqual(parseShareOption('/srv/x,tag=host'), { hostDir: '/srv/x', tag: 'host', readOnly: false });
  assert.deepEqual(parseShareOption('/srv/x,ro,tag=h0'), { hostDir: '/srv/x', tag: 'h0', readOnly: true });
});

test('bad --share values are BanquiseErrors naming the option', () => {
  for (const bad of ['', ',tag=x', '/x', '/x,tag=', '/x,tag=a b', '/x,tag=y,rx', `/x,tag=${'a'.repeat(300)}`]) {
    assert.throws(() => parseShareOption(bad), (e) => e.name === 'BanquiseError' && e.message.startsWith('--share') && e.exitCode === 64, bad);
  }
  assert.throws(() => buildShareSlots([parseShareOption('/nonexistent/banquise-share,tag=x')]), (e) => e.name === 'BanquiseError' && e.message.startsWith('--share'));
});

test('buildShareSlots gives a virtio-9p device with the tag in config space', () => {
  const dir = mkdtempSync(join(tmpdir(), 'banquise-share-'));
  try {
    const [slot] = buildShareSlots([parseShareOption(`${dir},tag=hostshare`)]);
    const mem = new GuestMemory({ ramBaseGpa: 0x80000000, ramSizeBytes: 1 << 20, stateSizeBytes: 0 });
    const dev = slot(mem, { set() {} });
    assert.equal(dev.read(8, 4), 9);
    assert.equal(dev.read(0x100, 2), 9);
    const tag = Array.from({ length: 9 }, (_, i) => dev.read(0x102 + i, 1));
    assert.equal(String.fromCharCode(...tag), 'hostshare');
    assert.throws(() => buildShareSlots([parseShareOption(`${dir},tag=a`), parseShareOption(`${dir},tag=a`)]), /used twice/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
