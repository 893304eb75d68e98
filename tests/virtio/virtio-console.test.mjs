// `banquise run --console virtio`: the virtio console is the guest's hvc0 and its console
// (console=hvc0 is added to the command line): the shell runs on hvc0, host keystrokes reach it
// and none reach the UART.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { requireGuest, GuestSession, BOOT_TIMEOUT_MS } from '../support/guest-session.mjs';

describe('banquise run --console virtio', () => {
  let s;
  before(async () => {
    const guest = await requireGuest();
    s = new GuestSession(['run', '--kernel', guest.kernel, '--initrd', guest.initrd, '--console', 'virtio']);
    await s.waitForShell(BOOT_TIMEOUT_MS);
  });
  after(() => s?.kill());

  test('the kernel console is hvc0 and the shell runs on it', async () => {
    assert.match(await s.run('cat /proc/cmdline'), /(^| )console=hvc0( |$)/m);
    assert.match(await s.run('cat /proc/consoles'), /^hvc0 /m);
    assert.equal(await s.run('readlink /proc/$$/fd/0'), '/dev/hvc0');
    assert.equal(await s.run('echo $((6 * 7)) | tr 2 X'), '4X');
  });

  test('host keystrokes go to hvc0 only: the UART received nothing', async () => {
    // The serial driver counts received bytes per port (rx:N); typing went to hvc0 only.
    assert.match(await s.run('grep "^0:" /proc/tty/driver/serial'), /^0: uart:16550A .* rx:0\b/m);
  });

  test('poweroff ends the session with status 0', async () => {
    s.send('poweroff\n');
    assert.deepEqual(await s.waitExit(120_000), { code: 0, signal: null });
  });
});
