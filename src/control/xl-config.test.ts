import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXlConfig, resolvePath, XlConfigError } from './xl-config.js';

const files = new Set(['/cfg/Image', '/cfg/initrd.gz', '/cfg/disk.img', '/srv/share', '/data/b.img']);
const opts = { file: '/cfg/web1.cfg', dir: '/cfg', exists: (p: string) => files.has(p) };

const SAMPLE = `
name    = "web1"
type    = "pv"            # comment
memory  = 256             # MiB
maxmem  = 512
vcpus   = 2
kernel  = "Image"
ramdisk = "./initrd.gz"
extra = "console=ttyS0 root=/dev/vda rw"
disk    = [ "/data/b.img,raw,vdb,ro",
            "target=disk.img,vdev=vda,access=rw" ]
vif     = [ "type=user,hostfwd=tcp::8080-:80" ]
p9      = [ "tag=share,path=/srv/share,security_model=none" ]
vsock   = 3
on_poweroff = "destroy"
on_reboot   = "restart"
on_crash    = "preserve"
`;

test('the xl.cfg sample of issue 8 parses into a DomainConfig; relative paths against the folder', () => {
  const { config, usesDefaultGuest } = parseXlConfig(SAMPLE, opts);
  assert.equal(usesDefaultGuest, false);
  assert.equal(config.name, 'web1');
  assert.equal(config.memoryBytes, 256 << 20);
  assert.equal(config.maxMemoryBytes, 512 << 20);
  assert.equal(config.machine.memoryBytes, 512 << 20);
  assert.equal(config.machine.vcpus, 2);
  assert.equal(config.machine.boot.kernel.path, '/cfg/Image');
  assert.equal(config.machine.boot.initrd?.path, '/cfg/initrd.gz');
  assert.equal(config.machine.boot.cmdline, 'console=ttyS0 root=/dev/vda rw');
  assert.deepEqual(config.machine.devices.disks, [
    { path: '/cfg/disk.img', readOnly: false },
    { path: '/data/b.img', readOnly: true },
  ]);
  assert.deepEqual(config.machine.devices.nics, [{ backend: { kind: 'user', hostForwards: [{ hostAddress: '127.0.0.1', hostPort: 8080, guestPort: 80 }] } }]);
  assert.deepEqual(config.machine.devices.shares, [{ hostDir: '/srv/share', tag: 'share', readOnly: false }]);
  assert.deepEqual(config.machine.devices.vsock, { guestCid: 3 });
  assert.equal(config.onCrash, 'preserve');
  assert.equal(config.onPoweroff, 'destroy');
});

test('without kernel the default guest is asked for; overrides replace keys', () => {
  const r = parseXlConfig('name = "a"\nmemory = 128\n', { ...opts, overrides: ['name=b', 'vcpus=2', 'on_crash=preserve'] });
  assert.equal(r.usesDefaultGuest, true);
  assert.equal(r.config.name, 'b');
  assert.equal(r.config.machine.vcpus, 2);
  assert.equal(r.config.onCrash, 'preserve');
  assert.equal(r.config.machine.boot.cmdline, 'console=ttyS0');
});

function fails(text: string, re: RegExp, extra: Partial<typeof opts> & { overrides?: string[] } = {}): void {
  assert.throws(() => parseXlConfig(text, { ...opts, ...extra }), (e: unknown) => {
    assert.ok(e instanceof XlConfigError, String(e));
    assert.match(e.message, re);
    return true;
  });
}

test('errors name the file, the line and what is wrong', () => {
  fails('name = "a"\n\nmemroy = 12\n', /^\/cfg\/web1\.cfg:3: unknown key 'memroy'/);
  fails('name = "a"\nmemory = "lots"\n', /web1\.cfg:2: memory must be a whole number from 16 to 2048/);
  fails('name = "a"\nkernel = "nope"\n', /web1\.cfg:2: kernel file \/cfg\/nope does not exist/);
  fails('name = "a"\ntype = "bare"\n', /web1\.cfg:2: type must be "pv" or "full"/);
  fails('name = "a"\nbios = "default"\n', /web1\.cfg:2: bios is the firmware of a full-virtualization domain/);
  fails('name = "a"\ndisk = [ "disk.img,raw,nvme0,rw" ]\n', /:2: disk .*NVMe disk sits on PCIe, which only type = "full"/);
  fails('name = "a"\nvif = [ "model=e1000" ]\n', /:2: vif .*e1000 sits on PCIe/);
  fails('name = "a"\ntype = "full"\nbios = "nofw.bin"\n', /:3: firmware file \/cfg\/nofw\.bin does not exist/);
  fails('name = "a"\ndisk = [ "disk.img,qcow2,vda" ]\n', /:2: disk "disk.img,qcow2,vda": format 'qcow2'/);
  fails('name = "a"\ndisk = [ "disk.img,raw,vda", "/data/b.img,raw,vda" ]\n', /:2: disk vdev a is used twice/);
  fails('name = "a"\nvif = [ "bridge=br0,hostfwd=tcp::80-:80" ]\n', /:2: vif .*hostfwd belongs to the bridge's uplink/);
  fails('name = "a"\nvif = [ "bridge=a b" ]\n', /:2: vif .*is not a bridge name/);
  fails('name = "a"\non_crash = "explode"\n', /:2: on_crash must be one of destroy, restart, preserve/);
  fails('memory = 64\n', /name = "\.\.\." is missing/);
  fails('name = "12"\n', /:1: name "12" is all digits/);
  fails('name = "a"\nvcpus = 2 3\n', /:2: unexpected text after the value of vcpus/);
  fails('name = "a\n', /:1: string not closed/);
  fails('name = "a"\ndisk = [ "x",\n', /list of disk not closed/);
  fails('name = "a"\nmemory = 256\nmaxmem = 128\n', /:3: maxmem \(128\) is below memory \(256\)/);
  fails('name = "a"\n', /override vcpus.*vcpus must be a whole number/, { overrides: ['vcpus=99'] });
});

test('resolvePath joins and normalizes', () => {
  assert.equal(resolvePath('/a/b', '../c/./d'), '/a/c/d');
  assert.equal(resolvePath('/a/b', '/x'), '/x');
});

test('vif bridge=NAME puts the interface on a daemon bridge, with its MAC when given', () => {
  const c = parseXlConfig('name = "a"\nvif = [ "bridge=br0", "mac=52:54:00:aa:bb:cc,bridge=lan" ]\n', opts);
  assert.deepEqual(c.config.machine.devices.nics, [
    { backend: { kind: 'bridge', bridge: 'br0' } },
    { mac: '52:54:00:aa:bb:cc', backend: { kind: 'bridge', bridge: 'lan' } },
  ]);
});

test('type = "full": firmware, NVMe disks and e1000 nics on PCIe (outside the virtio slot count)', () => {
  const text = [
    'name = "hw1"', 'type = "full"', 'kernel = "Image"',
    'disk = [ "disk.img,raw,nvme0,rw", "target=/data/b.img,vdev=vdb,if=nvme", "/data/b.img,raw,vda,ro" ]',
    'vif = [ "model=e1000", "type=user", "bridge=br0,model=e1000" ]',
  ].join('\n');
  const r = parseXlConfig(text, opts);
  assert.equal(r.config.machine.mode, 'full');
  assert.equal(r.usesDefaultBios, true, 'no bios: the host default (OpenSBI fw_dynamic)');
  assert.equal(r.config.machine.boot.bios, undefined);
  assert.deepEqual(r.config.machine.devices.disks.map((d) => d.interface ?? 'virtio'), ['virtio', 'nvme', 'nvme'], 'in vdev order: vda, vdb, nvme0');
  assert.deepEqual(r.config.machine.devices.nics.map((n) => n.model ?? 'virtio'), ['e1000', 'virtio', 'e1000']);
  const own = parseXlConfig('name = "hw2"\ntype = "hvm"\nbios = "Image"\n', opts);
  assert.equal(own.config.machine.mode, 'full');
  assert.equal(own.usesDefaultBios, false);
  assert.equal(own.config.machine.boot.bios?.path, '/cfg/Image');
  assert.equal(parseXlConfig('name = "p"\n', opts).usesDefaultBios, false, 'pv needs no firmware');
});

test('jit = 1|0 and jit_threshold = N: absent means the JIT with its default threshold', () => {
  const dflt = parseXlConfig('name = "a"\n', opts).config;
  assert.equal(dflt.jit, undefined);
  assert.equal(dflt.jitThreshold, undefined);
  const off = parseXlConfig('name = "a"\njit = 0\n', opts).config;
  assert.equal(off.jit, false);
  const tuned = parseXlConfig('name = "a"\njit = 1\njit_threshold = 0\n', opts).config;
  assert.equal(tuned.jit, true);
  assert.equal(tuned.jitThreshold, 0);
  assert.equal(parseXlConfig('name = "a"\njit_threshold = 5000\n', opts).config.jitThreshold, 5000);
  assert.equal(parseXlConfig('name = "a"\njit = 1\n', { ...opts, overrides: ['jit=0'] }).config.jit, false, 'an override turns it off');
  fails('name = "a"\njit = 2\n', /web1\.cfg:2: jit must be a whole number from 0 to 1, got 2/);
  fails('name = "a"\njit = "yes"\n', /web1\.cfg:2: jit must be a whole number from 0 to 1/);
  fails('name = "a"\njit_threshold = -1\n', /web1\.cfg:2: jit_threshold must be a whole number from 0 to 2147483647/);
  fails('name = "a"\njit = 0\n\njit_threshold = 10\n', /web1\.cfg:4: jit_threshold applies to the JIT, which jit = 0 turns off/);
});
