// Full mode (DESIGN.md §1 "full"): every hart starts in M-mode at the boot ROM, Debian's OpenSBI
// runs the SBI, and the guest's devices sit on PCIe. Part 1 needs only OpenSBI and a RISC-V
// cross compiler: fw_dynamic (the default --bios) and fw_jump start an S-mode payload from the
// boot ROM. Part 2 boots the default guest (Linux) through fw_dynamic with an NVMe disk and an
// e1000 NIC, and checks PCI enumeration, NVMe I/O (data checked from the host afterwards) and
// networking through the user-mode NAT. Skipped without their tools / images.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { BIN, BOOT_TIMEOUT_MS, findGuest, GuestSession, REPO } from '../support/guest-session.mjs';
import { MonitorClient } from '../support/monitor-client.mjs';

const FW_DIR = '/usr/lib/riscv64-linux-gnu/opensbi/generic';
const CC = 'riscv64-unknown-elf-gcc';
const missingFw = !existsSync(join(FW_DIR, 'fw_dynamic.bin'))
  ? `${FW_DIR}/fw_dynamic.bin not installed (apt-get install opensbi)`
  : spawnSync(CC, ['--version']).status !== 0 ? `${CC} not installed (apt-get install gcc-riscv64-unknown-elf)` : undefined;

// Awaited before any suite is registered: under `node --test --test-force-exit` (scripts/run-tests.mjs)
// a suite registered after a top-level await that outlives the earlier suites never runs.
const guest = missingFw ? missingFw : await findGuest();
const skipLinux = typeof guest === 'string' ? guest : false;
if (skipLinux) console.log(`# skipping full-mode Linux tests: ${skipLinux}`);

let dir;
const tmp = () => (dir ??= mkdtempSync(join(tmpdir(), 'banquise-full-')));
after(() => dir && rmSync(dir, { recursive: true, force: true }));

/** tests/devices/sbi-payload.S as a flat binary linked at 0x8020_0000 (the next stage address). */
function payloadBin() {
  const d = tmp();
  writeFileSync(join(d, 'p.ld'), 'ENTRY(_start)\nSECTIONS { . = 0x80200000; .text : { *(.text) } .rodata : { *(.rodata) } .bss : { *(.bss) } }\n');
  const elf = join(d, 'p.elf');
  const cc = spawnSync(CC, ['-march=rv64gc', '-mabi=lp64d', '-nostdlib', '-nostartfiles', '-T', join(d, 'p.ld'), '-Wl,--no-warn-rwx-segments', '-o', elf, join(REPO, 'tests/devices/sbi-payload.S')], { encoding: 'utf8' });
  assert.equal(cc.status, 0, cc.stderr);
  const bin = join(d, 'p.bin');
  assert.equal(spawnSync('riscv64-unknown-elf-objcopy', ['-O', 'binary', elf, bin]).status, 0);
  return bin;
}

function runFull(args) {
  return spawnSync(process.execPath, [BIN, 'run', '--mode', 'full', ...args], { encoding: 'utf8', timeout: 300_000, input: '' });
}

describe('full mode: OpenSBI from the boot ROM', { skip: missingFw }, () => {
  test('--bios default (fw_dynamic): the ROM hands over fw_dynamic_info; payload in S-mode; SBI answered by OpenSBI', () => {
    const r = runFull(['--kernel', payloadBin()]);
    assert.match(r.stdout, /Domain0 Next Address\s+: 0x0*80200000/);
    assert.match(r.stdout, /Domain0 Next Mode\s+: S-mode/);
    assert.match(r.stdout, /Domain0 Next Arg1\s+: 0x0*8fe00000/, 'DTB where QEMU puts it for 256 MiB');
    assert.match(r.stdout, /payload: hello from S-mode\s+payload: timer interrupt taken, powering off/);
    assert.equal(r.status, 0, r.stderr);
  });

  test('--bios fw_jump.bin works too (it ignores a2 and jumps to its built-in 0x8020_0000)', () => {
    const r = runFull(['--bios', join(FW_DIR, 'fw_jump.bin'), '--kernel', payloadBin()]);
    assert.match(r.stdout, /payload: timer interrupt taken, powering off/);
    assert.equal(r.status, 0, r.stderr);
  });

  test('user errors: --bios without --mode full, NVMe or e1000 in pv mode, a missing firmware file', () => {
    const pv = (args) => spawnSync(process.execPath, [BIN, 'run', ...args], { encoding: 'utf8', input: '' });
    assert.match(pv(['--bios', 'default', '--kernel', '/dev/null']).stderr, /--bios needs --mode full/);
    assert.match(pv(['--kernel', '/dev/null', '--disk', '/dev/null,if=nvme']).stderr, /needs --mode full/);
    assert.match(pv(['--kernel', '/dev/null', '--net', 'user,model=e1000']).stderr, /needs --mode full/);
    assert.match(runFull(['--bios', join(tmp(), 'nope.bin'), '--kernel', '/dev/null']).stderr, /cannot read firmware .*no such file/);
  });
});

describe('full mode: Linux through OpenSBI fw_dynamic, NVMe and e1000 on PCIe', { skip: skipLinux }, () => {
  const DISK_BYTES = 16 * 1024 * 1024;
  let s, disk, server, httpPort, linuxDir, mon;
  before(async () => {
    linuxDir = mkdtempSync(join(tmpdir(), 'banquise-full-linux-'));
    disk = join(linuxDir, 'nvme.img');
    writeFileSync(disk, Buffer.alloc(DISK_BYTES));
    server = http.createServer((req, res) => res.end(`served ${req.url} over e1000\n`));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    httpPort = server.address().port;
    s = new GuestSession(['run', '--mode', 'full', '--kernel', guest.kernel, '--initrd', guest.initrd,
      '--disk', `${disk},if=nvme`, '--net', 'user,model=e1000', '--monitor', join(linuxDir, 'mon.sock')]);
    await s.waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
    await s.waitFor(/# $/m, 60_000);
    mon = await MonitorClient.open(join(linuxDir, 'mon.sock'));
  });
  after(() => {
    mon?.close();
    s?.kill();
    server?.close();
    if (linuxDir) rmSync(linuxDir, { recursive: true, force: true });
  });

  test('the SBI is OpenSBI running in emulated M-mode', async () => {
    assert.match(await s.run('dmesg | grep -i "SBI implementation" | cut -d] -f2-'), /SBI implementation ID=0x1 /);
    assert.match(await s.run('cat /proc/cpuinfo'), /^isa\s*:\s*rv64imafdc/m);
  });

  test('PCI enumeration: host bridge, NVMe and e1000 in /sys/bus/pci/devices', async () => {
    const ls = await s.run('ls /sys/bus/pci/devices');
    assert.match(ls, /0000:00:00\.0/);
    assert.match(ls, /0000:00:01\.0/);
    assert.match(ls, /0000:00:02\.0/);
    const ids = await s.run('for d in /sys/bus/pci/devices/*; do echo $(cat $d/vendor):$(cat $d/device):$(cat $d/class); done');
    assert.match(ids, /0x1b36:0x0008:0x060000/);
    assert.match(ids, /0x1b36:0x0010:0x010802/);
    assert.match(ids, /0x8086:0x100e:0x020000/);
    assert.match(await s.run('readlink /sys/bus/pci/devices/0000:00:01.0/driver'), /nvme$/m);
    assert.match(await s.run('readlink /sys/bus/pci/devices/0000:00:02.0/driver'), /e1000$/m);
  });

  test('NVMe: size, write + flush, read back in the guest', async () => {
    assert.equal((await s.run('cat /sys/block/nvme0n1/size')).trim(), String(DISK_BYTES / 512));
    await s.run('yes nvme-from-guest | head -c 1048576 > /tmp/pattern');
    await s.run('dd if=/tmp/pattern of=/dev/nvme0n1 bs=4096 seek=256 conv=fsync 2>&1; sync');
    await s.run('echo 3 > /proc/sys/vm/drop_caches');
    assert.equal((await s.run('dd if=/dev/nvme0n1 bs=4096 skip=256 count=256 2>/dev/null | md5sum')).split(' ')[0],
      (await s.run('md5sum /tmp/pattern')).split(' ')[0]);
  });

  test('host counters (info counters): OpenSBI ran in M-mode and answered ecalls; NVMe I/O shows as register accesses and interrupts', async () => {
    const read = async () => {
      const t = await mon.command('info counters');
      const n = (re) => Number(re.exec(t)?.[1] ?? NaN);
      return { t, M: n(/^instructions: U \d+ S \d+ M (\d+)$/m), S: n(/^instructions: U \d+ S (\d+)/m), ecall: n(/^traps into M: ecall (\d+)/m),
        sbi: n(/^SBI calls answered in TypeScript: (\d+)$/m), mmio: n(/^mmio nvme\.0: (\d+)$/m), irq: n(/^irq nvme\.0: (\d+)$/m) };
    };
    const a = await read();
    assert.ok(a.M > 1_000_000, `firmware instructions in M-mode: ${a.t}`);
    assert.ok(a.S > 10 * a.M, 'the kernel in S-mode did most of the work');
    assert.ok(a.ecall > 100, 'the kernel\'s SBI calls trapped into M-mode');
    assert.equal(a.sbi, 0, 'nothing answered in TypeScript');
    await s.run('dd if=/dev/nvme0n1 of=/dev/null bs=4096 count=64 skip=2048 iflag=direct 2>/dev/null');
    const b = await read();
    assert.ok(b.mmio - a.mmio >= 64, `at least one doorbell write per 4 KiB direct read (${b.mmio - a.mmio})`);
    assert.ok(b.irq - a.irq >= 64, `one completion interrupt per read (${b.irq - a.irq})`);
  });

  test('e1000: DHCP from the user network, ping the gateway, HTTP from a host server', async () => {
    await s.run('ip link set eth0 up');
    assert.match(await s.run('udhcpc -i eth0 -n -q -s /bin/true 2>&1'), /lease of 10\.0\.2\.15 obtained from 10\.0\.2\.2/);
    await s.run('ip addr add 10.0.2.15/24 dev eth0 2>/dev/null; ip route add default via 10.0.2.2 2>/dev/null; true');
    assert.match(await s.run('ping -c 2 -W 5 10.0.2.2 2>&1'), /2 packets transmitted, 2 packets received/);
    const out = await s.run(`printf 'GET /via-e1000 HTTP/1.0\\r\\n\\r\\n' | nc 10.0.2.2 ${httpPort} 2>&1`);
    assert.match(out, /served \/via-e1000 over e1000/);
  });

  test('poweroff through OpenSBI; the NVMe data is on the host image', async () => {
    s.send('poweroff\n');
    const { code } = await s.exited;
    assert.equal(code, 0, s.stderr);
    const img = readFileSync(disk);
    const expected = Buffer.from('nvme-from-guest\n'.repeat(65536)).subarray(0, 1048576);
    assert.ok(img.subarray(256 * 4096, 256 * 4096 + 1048576).equals(expected), 'pattern at 1 MiB of the image');
    assert.ok(img.subarray(0, 256 * 4096).every((b) => b === 0), 'nothing written before it');
  });
});
