// newc cpio archives (what the kernel unpacks as an initramfs), for suites and benchmarks that
// boot a guest with a few extra files.

/**
 * A newc cpio archive from [path, mode, data?] entries (mode includes the file type bits, e.g.
 * 0o40755 for a directory, 0o100755 for an executable). Concatenated after another (even gzip
 * compressed) initramfs, the kernel unpacks both.
 */
export function cpio(entries) {
  const parts = [];
  let ino = 1;
  const pad4 = (n) => (4 - (n % 4)) % 4;
  const add = (name, mode, data) => {
    const nameBytes = Buffer.from(name + '\0');
    const hex = (v) => v.toString(16).padStart(8, '0');
    const hdr = '070701' + [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0].map(hex).join('');
    parts.push(Buffer.from(hdr), nameBytes, Buffer.alloc(pad4(110 + nameBytes.length)), data, Buffer.alloc(pad4(data.length)));
  };
  for (const [name, mode, data] of entries) add(name, mode, data ?? Buffer.alloc(0));
  add('TRAILER!!!', 0, Buffer.alloc(0));
  return new Uint8Array(Buffer.concat(parts));
}
