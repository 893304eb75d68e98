// pv boot (DESIGN.md §1): no firmware. Loads a RISC-V Linux `Image`, an initrd and a generated
// device tree into RAM and starts hart 0 in S-mode at the kernel with a0 = hart id, a1 = DTB.
import { BanquiseError } from '../base/errors.js';
import { parseLinuxImage } from '../loader/linux-image.js';
import { buildDeviceTree } from './device-tree.js';
import type { Machine } from './machine.js';
import { enterSupervisor } from './supervisor-entry.js';

/** What to boot. */
export interface PvBootConfig {
  /** A RISC-V Linux `Image` (uncompressed, with its 64-byte header). */
  readonly kernel: Uint8Array;
  readonly initrd?: Uint8Array;
  /** Kernel command line. */
  readonly bootargs: string;
  /** Fills a buffer with random bytes (for `/chosen/rng-seed`). */
  readonly random: (into: Uint8Array) => void;
}

/** Where pv boot put things (guest-physical addresses). */
export interface PvBootInfo {
  readonly kernelGpa: number;
  readonly kernelEndGpa: number;
  readonly initrdStartGpa?: number;
  readonly initrdEndGpa?: number;
  readonly dtbGpa: number;
  readonly dtbSizeBytes: number;
}

/** Space kept at the top of RAM for the device tree (it is a few KiB). */
export const DTB_RESERVE_BYTES = 1024 * 1024;
const PAGE = 4096;
const RNG_SEED_BYTES = 64;
/** RV64 kernels must sit on a 2 MiB boundary (the PMD size of their first mapping). */
const KERNEL_ALIGN = 2 * 1024 * 1024;

function alignDown(n: number, a: number): number {
  return Math.floor(n / a) * a;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * Loads kernel, initrd and DTB into `machine` (a fresh pv machine) and enters the kernel on
 * hart 0; the other harts stay STOPPED until the kernel starts them through SBI HSM. Throws
 * BanquiseError (status 64) when the kernel is not an Image or the files do not fit in RAM.
 */
export function pvBoot(machine: Machine, cfg: PvBootConfig): PvBootInfo {
  const mem = machine.mem;
  const image = parseLinuxImage(cfg.kernel);
  const ramBase = mem.ramBaseGpa;
  const ramEnd = ramBase + mem.ramSizeBytes;
  const kernelGpa = ramBase + alignUp(image.textOffset, KERNEL_ALIGN);
  const kernelEndGpa = kernelGpa + Math.max(image.imageSizeBytes, image.bytes.length);
  const mib = (n: number): string => `${Math.ceil(n / 1024 / 1024)} MiB`;

  let initrdStartGpa: number | undefined;
  let initrdEndGpa: number | undefined;
  let dtbGpa: number;
  if (cfg.initrd !== undefined) {
    initrdStartGpa = alignDown(ramEnd - DTB_RESERVE_BYTES - cfg.initrd.length, PAGE);
    initrdEndGpa = initrdStartGpa + cfg.initrd.length;
    dtbGpa = alignUp(initrdEndGpa, 8);
    if (initrdStartGpa < alignUp(kernelEndGpa, PAGE)) {
      throw new BanquiseError(
        `memory too small: the kernel (${mib(kernelEndGpa - ramBase)}) and the initrd (${mib(cfg.initrd.length)}) ` +
          `do not fit in ${mib(mem.ramSizeBytes)} of RAM; use more --memory`,
        64,
      );
    }
  } else {
    dtbGpa = ramEnd - DTB_RESERVE_BYTES;
    if (dtbGpa < kernelEndGpa) {
      throw new BanquiseError(`memory too small: the kernel needs ${mib(kernelEndGpa - ramBase + DTB_RESERVE_BYTES)} of RAM`, 64);
    }
  }

  const rngSeed = new Uint8Array(RNG_SEED_BYTES);
  cfg.random(rngSeed);
  const dtb = buildDeviceTree({
    vcpus: machine.harts.length,
    ramBaseGpa: ramBase,
    ramSizeBytes: mem.ramSizeBytes,
    bootargs: cfg.bootargs,
    ...(initrdStartGpa !== undefined && initrdEndGpa !== undefined
      ? { initrd: { startGpa: initrdStartGpa, endGpa: initrdEndGpa } }
      : {}),
    rngSeed,
    virtioSlots: machine.virtio.flatMap((d, i) => (d !== undefined ? [i] : [])),
  });
  if (dtbGpa + dtb.length > ramEnd) throw new BanquiseError(`device tree (${dtb.length} bytes) does not fit in RAM`, 64);

  mem.write(kernelGpa, image.bytes);
  if (cfg.initrd !== undefined && initrdStartGpa !== undefined) mem.write(initrdStartGpa, cfg.initrd);
  mem.write(dtbGpa, dtb);

  machine.resetHarts(BigInt(kernelGpa));
  enterSupervisor(machine.harts[0]!, BigInt(kernelGpa), 0n, BigInt(dtbGpa));
  return {
    kernelGpa,
    kernelEndGpa,
    ...(initrdStartGpa !== undefined && initrdEndGpa !== undefined ? { initrdStartGpa, initrdEndGpa } : {}),
    dtbGpa,
    dtbSizeBytes: dtb.length,
  };
}
