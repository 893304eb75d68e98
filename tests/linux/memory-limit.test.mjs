// The largest --memory the CLI accepts (2G) boots Linux: RAM offsets past 2^31 in the buffer work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findGuest, GuestSession } from './guest-session.mjs';

const guest = await findGuest();
const skip = typeof guest === 'string' ? guest : false;

test('--memory 2G boots to a prompt and the guest sees 2 GiB', { skip }, async () => {
  const s = new GuestSession(['run', '--kernel', guest.kernel, '--initrd', guest.initrd, '--memory', '2G']);
  try {
    await s.waitForShell();
    const kb = Number(/MemTotal:\s+(\d+)/.exec(await s.run('grep MemTotal /proc/meminfo'))[1]);
    assert.ok(kb > 1_900_000 && kb <= 2 * 1024 * 1024, `MemTotal ${kb} kB`);
    // Some memory in use (8 MiB of tmpfs).
    assert.match(await s.run('head -c 8388608 /dev/zero > /tmp/big && wc -c < /tmp/big && rm /tmp/big', 300_000), /8388608/);
    s.send('poweroff\n');
    assert.equal((await s.waitExit(120_000)).code, 0, s.stderr);
  } finally {
    s.kill();
  }
});
