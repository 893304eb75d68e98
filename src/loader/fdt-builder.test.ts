import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FdtBuilder } from './fdt-builder.js';
import { readFdt, type FdtNode } from './fdt-reader.js';

const hasDtc = spawnSync('dtc', ['--version']).status === 0;
const hasQemu = spawnSync('qemu-system-riscv64', ['--version']).status === 0;
const DTC_MISSING = 'dtc not installed (apt-get install device-tree-compiler)';

function sampleTree(): Uint8Array {
  const f = new FdtBuilder();
  const intc = f.allocPhandle();
  f.beginNode('');
  f.propU32('#address-cells', 2);
  f.propU32('#size-cells', 2);
  f.propString('compatible', 'riscv-virtio');
  f.beginNode('chosen');
  f.propString('bootargs', 'console=ttyS0 earlycon');
  f.propU64('linux,initrd-start', 0x88000000n);
  f.propU64('linux,initrd-end', 0x1_0000_0001);
  f.propBytes('rng-seed', Uint8Array.of(1, 2, 3, 4, 5));
  f.endNode();
  f.beginNode('memory@80000000');
  f.propString('device_type', 'memory');
  f.propCells('reg', [0, 0x80000000, 0, 0x8000000]);
  f.endNode();
  f.beginNode('soc');
  f.propEmpty('ranges');
  f.beginNode('interrupt-controller@c000000');
  f.propU32('phandle', intc);
  f.propStrings('compatible', ['sifive,plic-1.0.0', 'riscv,plic0']);
  f.propEmpty('interrupt-controller');
  f.endNode();
  f.beginNode('serial@10000000');
  f.propU32('interrupts', 10);
  f.propU32('interrupt-parent', intc);
  f.propString('compatible', 'ns16550a');
  f.endNode();
  f.endNode();
  f.endNode();
  return f.finish();
}

test('structure without a parser: header fields, alignment, string dedup, exact tokens', () => {
  const f = new FdtBuilder();
  f.beginNode('');
  f.propU32('a', 0x11223344);
  f.beginNode('n@1');
  f.propU32('a', 5);
  f.propString('bb', 'xy');
  f.endNode();
  f.endNode();
  const b = f.finish();
  const v = new DataView(b.buffer);
  const be = (o: number) => v.getUint32(o);
  assert.equal(be(0), 0xd00dfeed);
  assert.equal(be(4), b.length);
  assert.equal(b.length % 4, 0);
  assert.equal(be(16), 40, 'reservation map right after the header');
  assert.deepEqual([...b.subarray(40, 56)], new Array(16).fill(0), 'empty reservation map');
  assert.equal(be(8), 56);
  assert.equal(be(20), 17);
  assert.equal(be(24), 16);
  assert.equal(be(28), 0);
  const words = (from: number, n: number) => Array.from({ length: n }, (_, i) => be(from + 4 * i));
  // root: BEGIN "" (one padded word), PROP len 4 nameoff 0 value; BEGIN "n@1\0"; PROP a; PROP bb nameoff 2 "xy\0\0"; END_NODE x2; END
  assert.deepEqual(words(56, 16), [
    1, 0, 3, 4, 0, 0x11223344,
    1, 0x6e403100, 3, 4, 0, 5,
    3, 3, 2, 0x78790000,
  ]);
  assert.deepEqual(words(56 + 64, 3), [2, 2, 9]);
  assert.equal(be(36), 76, 'size_dt_struct');
  assert.equal(be(12), 56 + 76, 'strings follow the structure block');
  assert.equal(be(32), 5, '"a\\0bb\\0": "a" stored once');
  assert.deepEqual([...b.subarray(be(12), be(12) + 5)], [0x61, 0, 0x62, 0x62, 0]);
});

test('misuse is a host bug and throws', () => {
  const f = new FdtBuilder();
  assert.throws(() => f.propU32('x', 1));
  assert.throws(() => f.beginNode('notroot'));
  f.beginNode('');
  assert.throws(() => f.finish());
  assert.throws(() => f.propCells('c', [2 ** 32]));
  assert.throws(() => f.propString('s', 'a\0b'));
  assert.throws(() => f.beginNode('a/b'));
  f.endNode();
  assert.throws(() => f.endNode());
  assert.throws(() => f.beginNode(''));
  assert.ok(f.finish().length > 0);
});

test('round trip through the reader', () => {
  const t = readFdt(sampleTree());
  assert.equal(t.version, 17);
  assert.deepEqual(t.memReserve, []);
  const chosen = t.root.find('/chosen')!;
  assert.equal(chosen.string('bootargs'), 'console=ttyS0 earlycon');
  assert.equal(chosen.u64('linux,initrd-start'), 0x88000000n);
  assert.equal(chosen.u64('linux,initrd-end'), 0x1_0000_0001n);
  assert.deepEqual([...chosen.props.get('rng-seed')!], [1, 2, 3, 4, 5]);
  assert.deepEqual(t.root.find('/memory@80000000')!.cells('reg'), [0, 0x80000000, 0, 0x8000000]);
  const plic = t.root.find('/soc/interrupt-controller')!;
  assert.deepEqual(plic.strings('compatible'), ['sifive,plic-1.0.0', 'riscv,plic0']);
  assert.equal(plic.props.get('interrupt-controller')!.length, 0);
  const serial = t.root.findCompatible('ns16550a');
  assert.equal(serial.length, 1);
  assert.equal(serial[0].u32('interrupt-parent'), plic.u32('phandle'));
});

function dtcDecompile(blob: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'banquise-fdt-'));
  try {
    const p = join(dir, 't.dtb');
    writeFileSync(p, blob);
    const r = spawnSync('dtc', ['-I', 'dtb', '-O', 'dts', p], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /ERROR/);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('dtc decompiles the blob to the expected source', { skip: !hasDtc && DTC_MISSING }, () => {
  const dts = dtcDecompile(sampleTree());
  assert.match(dts, /\/dts-v1\/;/);
  assert.match(dts, /bootargs = "console=ttyS0 earlycon";/);
  assert.match(dts, /linux,initrd-end = <0x01 0x01>;/);
  assert.match(dts, /rng-seed = \[01 02 03 04 05\];/);
  assert.match(dts, /reg = <0x00 0x80000000 0x00 0x8000000>;/);
  assert.match(dts, /compatible = "sifive,plic-1.0.0\\0riscv,plic0";/);
  assert.match(dts, /interrupt-controller;/);
  assert.match(dts, /serial@10000000 \{[^}]*interrupt-parent = <0x01>;/s);
  assert.match(dts, /memory@80000000 \{[^}]*device_type = "memory";/s);
});

/** Writes `node` (read from some DTB) again with the builder. */
function rebuild(f: FdtBuilder, node: FdtNode): void {
  f.beginNode(node.name);
  for (const [k, v] of node.props) f.propBytes(k, v);
  for (const c of node.children) rebuild(f, c);
  f.endNode();
}

test("QEMU's virt device tree: read it, write it again, dtc sees the same tree", { skip: (!hasDtc || !hasQemu) && 'needs dtc and qemu-system-riscv64' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'banquise-virt-'));
  try {
    const p = join(dir, 'virt.dtb');
    const r = spawnSync('qemu-system-riscv64', ['-M', `virt,dumpdtb=${p}`, '-smp', '2', '-nographic'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const original = new Uint8Array(readFileSync(p));
    const tree = readFdt(original);
    const plic = tree.root.findCompatible('sifive,plic-1.0.0')[0] ?? tree.root.findCompatible('riscv,plic0')[0];
    assert.ok(plic, 'QEMU virt has a PLIC');
    assert.equal(plic.name, 'plic@c000000');
    assert.equal(tree.root.findCompatible('ns16550a')[0]?.u32('interrupts'), 10);
    assert.equal(tree.root.find('/cpus')?.u32('timebase-frequency'), 10_000_000);
    const f = new FdtBuilder();
    rebuild(f, tree.root);
    assert.equal(dtcDecompile(f.finish()), dtcDecompile(original));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
