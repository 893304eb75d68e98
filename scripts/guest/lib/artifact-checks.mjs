// Sanity checks of build outputs, so a wrong toolchain or a broken step fails the build instead of
// producing an image that fails later inside the emulator.
import { closeSync, openSync, readSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';

function readHead(path, length, position = 0) {
  const buf = Buffer.alloc(length);
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, buf, 0, length, position);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks the RISC-V Linux Image header (Documentation/riscv/boot-image-header.rst): magic
 * "RISCV\0\0\0" at 0x30 and magic2 "RSC\x05" at 0x38. Returns the header's image_size.
 */
export function checkRiscvImage(path) {
  const h = readHead(path, 64);
  if (h.length < 64 || h.subarray(0x30, 0x38).toString('latin1') !== 'RISCV\0\0\0' || h.subarray(0x38, 0x3c).toString('latin1') !== 'RSC\x05') {
    throw new Error(`${path} is not a RISC-V Linux Image (header magic missing)`);
  }
  return Number(h.readBigUInt64LE(0x10));
}

/**
 * Checks that `path` is a statically linked 64-bit little-endian RISC-V ELF executable
 * (e_machine EM_RISCV = 243, no PT_INTERP program header).
 */
export function checkStaticRiscvElf(path) {
  const buf = readFileSync(path);
  if (buf.length < 64 || buf.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF file`);
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error(`${path} is not a 64-bit little-endian ELF`);
  if (buf.readUInt16LE(18) !== 243) throw new Error(`${path} is not a RISC-V ELF (e_machine ${buf.readUInt16LE(18)})`);
  const phoff = Number(buf.readBigUInt64LE(32));
  const phentsize = buf.readUInt16LE(54);
  const phnum = buf.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > buf.length) throw new Error(`${path}: truncated program headers`);
    if (buf.readUInt32LE(off) === 3) throw new Error(`${path} is dynamically linked (has PT_INTERP); CONFIG_STATIC did not take effect`);
  }
}

/** Checks a gzip-compressed newc cpio archive and returns the names of its entries. */
export function listNewcCpioGz(path) {
  const data = gunzipSync(readFileSync(path));
  const names = [];
  let off = 0;
  for (;;) {
    if (off + 110 > data.length) throw new Error(`${path}: truncated cpio header at ${off}`);
    const magic = data.toString('latin1', off, off + 6);
    if (magic !== '070701' && magic !== '070702') throw new Error(`${path}: not a newc cpio archive (magic ${JSON.stringify(magic)} at ${off})`);
    const field = (i) => parseInt(data.toString('latin1', off + 6 + i * 8, off + 14 + i * 8), 16);
    const fileSize = field(6);
    const nameSize = field(11);
    const name = data.toString('latin1', off + 110, off + 110 + nameSize - 1);
    off = (off + 110 + nameSize + 3) & ~3;
    off = (off + fileSize + 3) & ~3;
    if (name === 'TRAILER!!!') break;
    names.push(name);
  }
  return names;
}

/** Checks the ext2/3/4 superblock magic (0xEF53 at byte 1024 + 56) and returns the volume label. */
export function checkExt4(path) {
  const sb = readHead(path, 1024, 1024);
  if (sb.length < 1024 || sb.readUInt16LE(56) !== 0xef53) throw new Error(`${path} has no ext4 superblock`);
  return sb.toString('latin1', 120, 136).replace(/\0+$/, '');
}
