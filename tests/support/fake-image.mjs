// A minimal RISC-V Linux `Image` for tests that build a machine without booting it: the 64-byte
// header (text_offset 0, image_size = file size, the "RISCV" and "RSC\x05" magics), no code.

/** The bytes of a 4 KiB Image the pv loader accepts. */
export function fakeLinuxImage() {
  const img = new Uint8Array(4096);
  new DataView(img.buffer).setUint32(16, img.length, true);
  img.set([0x52, 0x49, 0x53, 0x43, 0x56], 48);
  img.set([0x52, 0x53, 0x43, 0x05], 56);
  return img;
}
