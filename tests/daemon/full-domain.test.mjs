// A full-virtualization domain under the daemon (issue 11): an xl.cfg with type = "full" (no
// bios: the host's OpenSBI fw_dynamic), an NVMe disk (vdev nvme0) and an e1000 vif on a private
// user network. It boots the default guest through OpenSBI to a shell on its console; Linux sees
// the PCIe devices, the NVMe write reaches the host image, the guest powers off through OpenSBI
// and on_poweroff = "destroy" removes the domain. One boot shared by the checks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOT_TIMEOUT_MS, PROMPT, findGuest } from '../support/guest-session.mjs';
import { DomainConsole } from '../support/domain-console.mjs';
import { TestDaemon } from '../support/test-daemon.mjs';

const FW = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin';
const guest = existsSync(FW) ? await findGuest() : `${FW} not installed (apt-get install opensbi)`;
const skip = typeof guest === 'string' ? guest : false;
if (skip) console.log(`# skipping the full-mode domain: ${skip}`);

const DISK_BYTES = 8 * 1024 * 1024;
let tmp;
/** The daemon; its home (d.home) holds the config and the disk image, and is the verbs' cwd. */
let daemon;
let dir;
let con;

before(async () => {
  if (skip) return;
  tmp = mkdtempSync(join(tmpdir(), 'banquise-full-domain-'));
  daemon = await TestDaemon.start(tmp, 'd', { maxMemory: '512M' });
  dir = daemon.home;
  writeFileSync(join(dir, 'nvme.img'), Buffer.alloc(DISK_BYTES));
  writeFileSync(join(dir, 'hw1.cfg'), [
    'name = "hw1"', 'type = "full"', 'memory = 128', 'vcpus = 1',
    `kernel = "${guest.kernel}"`, `ramdisk = "${guest.initrd}"`,
    'disk = [ "nvme.img,raw,nvme0,rw" ]', 'vif = [ "type=user,model=e1000" ]',
    'on_poweroff = "destroy"', '',
  ].join('\n'));
  const r = await daemon.bq(['create', 'hw1.cfg']);
  assert.equal(r.code, 0, r.stderr);
  con = new DomainConsole(daemon.sock, 'hw1');
  await con.opened;
  await con.waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
  await con.waitFor(PROMPT, 120_000);
});

after(async () => {
  con?.close();
  await daemon?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('type = "full" domain: OpenSBI in emulated M-mode started Linux, which sees NVMe and e1000 on PCIe', { skip }, async () => {
  const list = JSON.parse((await daemon.bq(['list', '--json'])).stdout);
  const d = list.find((x) => x.name === 'hw1');
  assert.ok(d, `hw1 listed: ${JSON.stringify(list)}`);
  assert.ok(['running', 'blocked'].includes(d.state), d.state);
  assert.match(con.output, /OpenSBI v\d/, 'the firmware banner on the domain console');
  assert.match(con.output, /Domain0 Next Mode\s+: S-mode/);
  assert.match(await con.run('dmesg | grep -i "SBI implementation" | cut -d] -f2-'), /SBI implementation ID=0x1 /);
  const ids = await con.run('for d in /sys/bus/pci/devices/*; do echo $(cat $d/vendor):$(cat $d/device); done');
  assert.match(ids, /0x1b36:0x0010/, 'NVMe');
  assert.match(ids, /0x8086:0x100e/, 'e1000');
  assert.equal(await con.run('cat /sys/block/nvme0n1/size'), String(DISK_BYTES / 512));
  assert.match(await con.run('readlink /sys/class/net/eth0/device/driver'), /e1000$/);
});

test('the guest writes the NVMe disk and powers off through OpenSBI; the domain is destroyed, the data is on the host', { skip }, async () => {
  await con.run('yes full-domain | head -c 65536 > /tmp/p; dd if=/tmp/p of=/dev/nvme0n1 bs=4096 seek=16 conv=fsync 2>/dev/null; sync; echo ok');
  con.ws.send('poweroff\n');
  await con.waitClosed(120_000);
  const end = Date.now() + 60_000;
  for (;;) {
    const list = JSON.parse((await daemon.bq(['list', '--json'])).stdout);
    if (!list.some((x) => x.name === 'hw1')) break;
    if (Date.now() > end) throw new Error(`hw1 still listed after poweroff: ${JSON.stringify(list)}\n${daemon.log}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const img = readFileSync(join(dir, 'nvme.img'));
  const expected = Buffer.from('full-domain\n'.repeat(6000)).subarray(0, 65536);
  assert.ok(img.subarray(16 * 4096, 16 * 4096 + 65536).equals(expected), 'the pattern at 64 KiB of the image');
  assert.ok(img.subarray(0, 16 * 4096).every((b) => b === 0), 'nothing before it');
});
