import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BanquiseError } from '../base/errors.js';
import { FdtBuilder } from './fdt-builder.js';
import { readFdt } from './fdt-reader.js';

function sampleTree(): Uint8Array {
  const f = new FdtBuilder();
  f.beginNode('');
  f.propU32('#address-cells', 2);
  f.beginNode('cpus');
  f.propU32('timebase-frequency', 10_000_000);
  f.beginNode('cpu@0');
  f.propStrings('compatible', ['riscv']);
  f.endNode();
  f.beginNode('cpu@1');
  f.propStrings('compatible', ['riscv']);
  f.endNode();
  f.endNode();
  f.beginNode('soc');
  f.beginNode('serial@10000000');
  f.propStrings('compatible', ['ns16550a']);
  f.propCells('reg', [0, 0x10000000, 0, 0x100]);
  f.propU64('big', 0x1_0000_0002n);
  f.endNode();
  f.endNode();
  f.endNode();
  return f.finish();
}

/** A version-17 blob by hand: one reservation entry, a NOP token, an explicit layout. */
function handMade(): Uint8Array {
  const words = [
    0xd00dfeed, 0, 0, 0, 40, 17, 16, 3, 0, 0, // header, patched below
    0, 0x1000, 0, 0x2000, 0, 0, 0, 0, // reservation: {0x1000, 0x2000}, terminator
    1, 0, 4, 3, 4, 0, 42, 2, 9, // BEGIN "", NOP, PROP len 4 nameoff 0 = 42, END_NODE, END
  ];
  const strings = [0x78, 0, 0, 0]; // "x"
  const b = new Uint8Array(words.length * 4 + strings.length);
  const v = new DataView(b.buffer);
  words.forEach((w, i) => v.setUint32(4 * i, w));
  b.set(strings, words.length * 4);
  v.setUint32(4, b.length);
  v.setUint32(8, 72);
  v.setUint32(12, words.length * 4);
  v.setUint32(32, 2);
  v.setUint32(36, words.length * 4 - 72);
  return b;
}

test('reads a hand-made blob: reservation entries, NOP tokens, boot cpu', () => {
  const t = readFdt(handMade());
  assert.deepEqual(t.memReserve, [{ address: 0x1000n, size: 0x2000n }]);
  assert.equal(t.bootCpuidPhys, 3);
  assert.equal(t.root.u32('x'), 42);
});

test('accessors: paths, unit-address-less names, typed properties', () => {
  const { root } = readFdt(sampleTree());
  assert.equal(root.find('/cpus')!.u32('timebase-frequency'), 10_000_000);
  assert.equal(root.find('/cpus/cpu'), undefined, 'ambiguous without a unit address');
  assert.equal(root.find('/cpus/cpu@1')!.name, 'cpu@1');
  const serial = root.find('/soc/serial')!;
  assert.deepEqual(serial.cells('reg'), [0, 0x10000000, 0, 0x100]);
  assert.equal(serial.u64('big'), 0x1_0000_0002n);
  assert.equal(serial.u32('reg'), undefined);
  assert.equal(serial.string('compatible'), 'ns16550a');
  assert.equal(serial.string('reg'), undefined);
  assert.equal(root.findCompatible('riscv').length, 2);
  assert.equal(root.find('/nope'), undefined);
});

test('wrong magic, truncation and bad versions are refused', () => {
  const good = sampleTree();
  const refuse = (b: Uint8Array, re: RegExp) =>
    assert.throws(() => readFdt(b), (e: unknown) => e instanceof BanquiseError && e.exitCode === 64 && re.test(e.message));
  refuse(good.subarray(0, 20), /shorter than the header/);
  const magic = good.slice();
  magic[0] = 0;
  refuse(magic, /magic/);
  refuse(good.subarray(0, good.length - 8), /totalsize/);
  const ver = good.slice();
  new DataView(ver.buffer).setUint32(24, 18);
  refuse(ver, /version/);
});

test('the reader refuses malformed blobs with BanquiseError only', () => {
  const good = sampleTree();
  let seed = 99;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed % n;
  };
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    let b = good.slice();
    if (i % 4 === 0) b = b.subarray(0, rnd(b.length));
    for (let k = 0; k < 1 + rnd(3); k++) if (b.length) b[rnd(b.length)] = rnd(256);
    try {
      readFdt(b);
    } catch (e) {
      assert.ok(e instanceof BanquiseError, String(e));
      refused++;
    }
  }
  assert.ok(refused > 300, `${refused}`);
});
