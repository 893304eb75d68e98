// full boot (DESIGN.md §1): real firmware from reset, as on QEMU's `virt`. The firmware goes at
// the start of RAM, the next stage (a Linux `Image` or U-Boot) at 0x8020_0000, the initrd and the
// device tree where QEMU 7.2 puts them (hw/riscv/boot.c), and the boot ROM at 0x1000 sends every
// hart, in M-mode, to the firmware with a0 = hart id, a1 = DTB, a2 = fw_dynamic_info.
import { BanquiseError } from '../base/errors.js';
import { buildBootRomImage } from '../devices/boot-rom/boot-rom.js';
import { boardSlot } from './board-layout.js';
import { buildDeviceTree } from './device-tree.js';
import type { Machine } from './machine.js';

/** What to boot. */
export interface FullBootConfig {
  /** Firmware image (OpenSBI `fw_dynamic.bin`, `fw_jump.bin`, ...), loaded at the start of RAM. */
  readonly firmware: Uint8Array;
  /** Next stage, loaded as-is at NEXT_STAGE_OFFSET into RAM (Linux `Image`, U-Boot). */
  readonly kernel?: Uint8Array;
  readonly initrd?: Uint8Array;
  /** Kernel command line (`/chosen/bootargs`). */
  readonly bootargs: string;
  /** Fills a buffer with random bytes (for `/chosen/rng-seed`). */
  readonly random: (into: Uint8Array) => void;
}

/** Where full boot put things (guest-physical addresses). */
export interface FullBootInfo {
  readonly firmwareGpa: number;
  readonly kernelGpa: number;
  readonly initrdStartGpa?: number;
  readonly initrdEndGpa?: number;
  readonly dtbGpa: number;
  readonly dtbSizeBytes: number;
}

/** Offset of the next stage in RAM (QEMU: firmware end rounded up to 2 MiB on RV64). */
export const NEXT_STAGE_OFFSET = 2 * 1024 * 1024;
/** QEMU aligns the device tree down to 2 MiB below the top of RAM (or 3 GiB). */
const FDT_ALIGN = 2 * 1024 * 1024;
/** The device tree stays below 3 GiB so that 32-bit firmware can reach it (QEMU's rule). */
const FDT_LIMIT_GPA = 3 * 1024 * 1024 * 1024;
/** QEMU puts the initrd at kernel + min(RAM / 2, 128 MiB). */
const INITRD_MAX_OFFSET = 128 * 1024 * 1024;
const RNG_SEED_BYTES = 64;

function alignDown(n: number, a: number): number {
  return Math.floor(n / a) * a;
}

/**
 * Loads firmware, next stage, initrd and DTB into `machine` (a fresh full-mode machine), programs
 * the boot ROM and resets every hart to it in M-mode. Throws BanquiseError (status 64) when the
 * files do not fit.
 */
export function fullBoot(machine: Machine, cfg: FullBootConfig): FullBootInfo {
  const mem = machine.mem;
  const rom = machine.bootRom;
  if (rom === undefined) throw new Error('fullBoot needs a full-mode machine');
  const ramBase = mem.ramBaseGpa;
  const ramEnd = ramBase + mem.ramSizeBytes;
  const mib = (n: number): string => `${Math.ceil(n / 1024 / 1024)} MiB`;
  if (cfg.firmware.length > NEXT_STAGE_OFFSET) {
    throw new BanquiseError(`firmware of ${mib(cfg.firmware.length)} does not fit below the next stage at +${mib(NEXT_STAGE_OFFSET)}`, 64);
  }
  const kernelGpa = ramBase + NEXT_STAGE_OFFSET;
  const kernelEnd = kernelGpa + (cfg.kernel?.length ?? 0);

  let initrd: { startGpa: number; endGpa: number } | undefined;
  if (cfg.initrd !== undefined) {
    const startGpa = kernelGpa + Math.min(mem.ramSizeBytes / 2, INITRD_MAX_OFFSET);
    initrd = { startGpa, endGpa: startGpa + cfg.initrd.length };
  }
  const rngSeed = new Uint8Array(RNG_SEED_BYTES);
  cfg.random(rngSeed);
  const dtb = buildDeviceTree({
    vcpus: machine.harts.length,
    ramBaseGpa: ramBase,
    ramSizeBytes: mem.ramSizeBytes,
    bootargs: cfg.bootargs,
    ...(initrd !== undefined ? { initrd } : {}),
    rngSeed,
    virtioSlots: machine.virtio.flatMap((d, i) => (d !== undefined ? [i] : [])),
    ...(machine.pci !== undefined ? { pci: true } : {}),
  });
  const dtbGpa = alignDown(Math.min(ramEnd, Math.max(FDT_LIMIT_GPA, ramBase + 1)) - dtb.length, FDT_ALIGN);
  const lowest = initrd?.endGpa ?? kernelEnd;
  if (kernelEnd > ramEnd || lowest > dtbGpa || dtbGpa < kernelEnd) {
    throw new BanquiseError(
      `memory too small: firmware, next stage (${mib(cfg.kernel?.length ?? 0)})` +
        (cfg.initrd !== undefined ? `, initrd (${mib(cfg.initrd.length)}) at +${mib(initrd!.startGpa - ramBase)}` : '') +
        ` and device tree do not fit in ${mib(mem.ramSizeBytes)} of RAM; use more --memory`,
      64,
    );
  }
  mem.write(ramBase, cfg.firmware);
  if (cfg.kernel !== undefined) mem.write(kernelGpa, cfg.kernel);
  if (cfg.initrd !== undefined && initrd !== undefined) mem.write(initrd.startGpa, cfg.initrd);
  mem.write(dtbGpa, dtb);
  rom.load(buildBootRomImage({ firmwareGpa: ramBase, fdtGpa: dtbGpa, nextStageGpa: kernelGpa }, boardSlot('boot-rom').sizeBytes));
  machine.resetHarts(BigInt(boardSlot('boot-rom').baseGpa));
  return {
    firmwareGpa: ramBase,
    kernelGpa,
    ...(initrd !== undefined ? { initrdStartGpa: initrd.startGpa, initrdEndGpa: initrd.endGpa } : {}),
    dtbGpa,
    dtbSizeBytes: dtb.length,
  };
}
