import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BootRom, BootRomLayout, FW_DYNAMIC_INFO_MAGIC, buildBootRomImage } from './boot-rom.js';

const CFG = { firmwareGpa: 0x8000_0000, fdtGpa: 0x8f00_0000, nextStageGpa: 0x8020_0000 };

test('reset vector: the six instructions of QEMU virt ROM (auipc, addi a2, csrr a0 mhartid, ld a1, ld t0, jr t0)', () => {
  const rom = new BootRom(0xf000);
  rom.load(buildBootRomImage(CFG, 0xf000));
  const words = [0, 4, 8, 12, 16, 20].map((o) => rom.read(o, 4));
  // Encodings checked against the RISC-V base ISA tables by hand (and QEMU's reset_vec words).
  assert.deepEqual(words, [0x00000297, 0x02828613, 0xf1402573, 0x0202b583, 0x0182b283, 0x00028067]);
});

test('data words: start address, FDT address and fw_dynamic_info (magic, version 2, next stage in S-mode, boot hart 0)', () => {
  const img = buildBootRomImage(CFG, 0x100);
  const dv = new DataView(img.buffer);
  const u64 = (o: number): bigint => dv.getBigUint64(o, true);
  assert.equal(u64(BootRomLayout.START_ADDR), 0x8000_0000n);
  assert.equal(u64(BootRomLayout.FDT_ADDR), 0x8f00_0000n);
  const i = BootRomLayout.FW_DYNAMIC_INFO;
  assert.deepEqual([u64(i), u64(i + 8), u64(i + 16), u64(i + 24), u64(i + 32), u64(i + 40)], [
    BigInt(FW_DYNAMIC_INFO_MAGIC), 2n, 0x8020_0000n, 1n, 0n, 0n,
  ]);
});

test('hostile access: writes are ignored and counted, reads outside the image return 0, never throw', () => {
  const rom = new BootRom(0x100);
  rom.load(buildBootRomImage(CFG, 0x100));
  const before = rom.read(0, 4);
  rom.write(0, 4, 0xdeadbeef);
  rom.write(0xffff_ffff, 1, 1);
  assert.equal(rom.read(0, 4), before);
  assert.equal(rom.save().writesIgnored, 2);
  assert.equal(rom.read(0xfe, 4), 0);
  assert.equal(rom.read(-4, 4), 0);
  assert.equal(rom.read(0x1_0000_0000, 2), 0);
  assert.throws(() => buildBootRomImage(CFG, 0x20), /too small/);
});
