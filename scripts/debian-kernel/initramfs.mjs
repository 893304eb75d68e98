// The Debian kernel's initramfs: the default guest's initramfs unchanged, followed by a second
// newc archive (the kernel unpacks concatenated archives in order, later files replacing
// earlier ones) with the modules and an /init that loads them before the guest's own init.

/** Where the added archive puts the guest's own /init (the new /init ends by running it). */
export const GUEST_INIT = '/lib/banquise/guest-init';

/** The entries of an uncompressed newc archive: [{name, mode, data}], up to its trailer. */
export function readNewc(buf) {
  const entries = [];
  let off = 0;
  for (;;) {
    if (off + 110 > buf.length) throw new Error(`truncated cpio header at ${off}`);
    const magic = buf.toString('latin1', off, off + 6);
    if (magic !== '070701' && magic !== '070702') throw new Error(`not a newc cpio archive (magic ${JSON.stringify(magic)} at ${off})`);
    const field = (i) => parseInt(buf.toString('latin1', off + 6 + i * 8, off + 14 + i * 8), 16);
    const mode = field(1);
    const size = field(6);
    const nameSize = field(11);
    if (!(nameSize >= 1) || !(size >= 0)) throw new Error(`bad cpio header at ${off}`);
    const name = buf.toString('latin1', off + 110, off + 110 + nameSize - 1);
    const dataAt = (off + 110 + nameSize + 3) & ~3;
    if (dataAt + size > buf.length) throw new Error(`truncated cpio entry ${name}`);
    if (name === 'TRAILER!!!') return entries;
    entries.push({ name, mode, data: buf.subarray(dataAt, dataAt + size) });
    off = (dataAt + size + 3) & ~3;
  }
}

/** A newc archive of [{name, mode, data?}] (mode with its file type bits), owned by root, mtime 0. */
export function writeNewc(entries) {
  const parts = [];
  const pad = (n) => Buffer.alloc((4 - (n % 4)) % 4);
  const hex = (v) => v.toString(16).padStart(8, '0');
  const add = (name, mode, data, ino) => {
    const nameBytes = Buffer.from(`${name}\0`, 'latin1');
    // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
    const header = '070701' + [ino, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0].map(hex).join('');
    parts.push(Buffer.from(header, 'latin1'), nameBytes, pad(110 + nameBytes.length), data, pad(data.length));
  };
  entries.forEach((e, i) => add(e.name, e.mode, Buffer.from(e.data ?? Buffer.alloc(0)), i + 1));
  add('TRAILER!!!', 0, Buffer.alloc(0), 0);
  return Buffer.concat(parts);
}

/**
 * The /init that runs first: as PID 1 it insmods every module listed in `listFile`, one path per
 * line, in that order (a failure is reported and the boot goes on, as a missing driver would
 * leave it), then it becomes the guest's init. Run again as /etc/init.d/rcS (a link to /init in
 * the default guest), it only hands over.
 */
export function initHook(listFile) {
  return [
    '#!/bin/sh',
    '# Added by scripts/debian-kernel.mjs: load the modules of a distribution kernel for the',
    "# board's devices, then run the default guest's init.",
    'if [ "$$" = 1 ]; then',
    `  while read -r ko; do`,
    '    insmod "$ko" || echo "banquise: insmod $ko failed"',
    `  done < ${listFile}`,
    'fi',
    `exec ${GUEST_INIT} "$@"`,
    '',
  ].join('\n');
}
