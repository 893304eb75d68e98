// The firmware a full-mode machine gets when none is named (`--bios default`, xl.cfg without
// `bios`): Debian's OpenSBI fw_dynamic, the firmware QEMU's `virt` board starts by default.

/** OpenSBI `fw_dynamic.bin` from the Debian package `opensbi`. */
export const DEFAULT_BIOS = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin';
