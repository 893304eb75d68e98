// RISC-V Linux kernel `Image` header, per the kernel's Documentation/riscv/boot-image-header.rst:
// code0/code1, text_offset (0x08), image_size (0x10), flags (0x18), version (0x20), the deprecated
// magic "RISCV\0\0\0" (0x30) and magic2 "RSC\x05" (0x38).
import { BanquiseError } from '../base/errors.js';

/** A kernel Image ready to be copied into RAM. */
export interface LinuxImage {
  /** Offset from the start of RAM (2 MiB aligned base) where the image must be placed. */
  textOffset: number;
  /** Bytes the kernel occupies once loaded (includes .bss); at least the file's length. */
  imageSizeBytes: number;
  /** The whole file (a view, not a copy). */
  bytes: Uint8Array;
  /** Header version, (major << 16) | minor (0.2 today; 0 for images older than the field). */
  version: number;
}

/** Size of the Image header. */
export const LINUX_IMAGE_HEADER_SIZE = 64;
/** magic2 at 0x38: "RSC\x05", little-endian u32. */
export const RISCV_IMAGE_MAGIC2 = 0x05435352;
/** Deprecated magic at 0x30: "RISCV\0\0\0", little-endian u64. */
export const RISCV_IMAGE_MAGIC = 0x5643534952n;
/** Refuse sizes beyond anything a domain's RAM (2 GiB) can hold. */
const MAX_IMAGE_BYTES = 2 ** 31;
/**
 * The Image file holds the whole kernel but its zero-filled `.bss` (image_size counts both), and
 * `.bss` is a small part of any kernel (7% of the default guest's image_size). A file holding less
 * than this fraction of image_size is cut short: an interrupted download or copy.
 */
export const MIN_FILE_FRACTION_OF_IMAGE_SIZE = 0.5;

function notRiscv(why: string): never {
  throw new BanquiseError(`the kernel file is not a RISC-V Linux Image: ${why}`, 64);
}

/** Checks the Image header and returns where and how large the kernel is. Malformed input throws BanquiseError (exit 64). */
export function parseLinuxImage(bytes: Uint8Array): LinuxImage {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    notRiscv('it is gzip-compressed (Image.gz): decompress it first');
  }
  if (bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
    notRiscv('it is an ELF file (vmlinux?): use arch/riscv/boot/Image');
  }
  if (bytes.length < LINUX_IMAGE_HEADER_SIZE) notRiscv(`it is ${bytes.length} bytes, shorter than the 64-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const magic2 = view.getUint32(0x38, true);
  const magic = view.getBigUint64(0x30, true);
  if (magic2 !== RISCV_IMAGE_MAGIC2 && magic !== RISCV_IMAGE_MAGIC) {
    notRiscv('no "RSC\\x05" magic at offset 0x38');
  }
  const textOffset = view.getBigUint64(0x08, true);
  const imageSize = view.getBigUint64(0x10, true);
  const version = view.getUint32(0x20, true);
  if (textOffset >= BigInt(MAX_IMAGE_BYTES)) notRiscv(`text_offset 0x${textOffset.toString(16)} is absurd`);
  if (imageSize > BigInt(MAX_IMAGE_BYTES)) notRiscv(`image_size ${imageSize} is larger than any guest RAM`);
  if (bytes.length < Number(imageSize) * MIN_FILE_FRACTION_OF_IMAGE_SIZE) {
    throw new BanquiseError(
      `the kernel file is truncated: it is ${bytes.length} bytes, but its header says the kernel occupies ` +
        `${imageSize} bytes (the file holds all of it but .bss); copy or download it again`,
      64,
    );
  }
  const imageSizeBytes = Math.max(Number(imageSize), bytes.length);
  return { textOffset: Number(textOffset), imageSizeBytes, bytes, version };
}
