// The `virt` board's mask ROM at 0x1000, as QEMU fills it (hw/riscv/boot.c, riscv_setup_rom_reset_vec):
// every hart starts here in M-mode, loads a0 = mhartid, a1 = device-tree address, a2 = address of a
// `fw_dynamic_info` (OpenSBI's fw_dynamic interface, include/sbi/fw_dynamic.h) and jumps to the
// firmware. The ROM is read-only: writes are ignored and counted.
import type { MmioDevice } from '../../memory/mmio-bus.js';

/** `fw_dynamic_info.magic` ("OSBI" little-endian). */
export const FW_DYNAMIC_INFO_MAGIC = 0x4942534f;
/** `fw_dynamic_info.version` QEMU writes (2: has `boot_hart`). */
export const FW_DYNAMIC_INFO_VERSION = 2;
/** `fw_dynamic_info.next_mode`: the next stage runs in S-mode. */
export const FW_DYNAMIC_INFO_NEXT_MODE_S = 1;

/** Offsets of the data words after the six instructions of the reset vector. */
export const enum BootRomLayout {
  START_ADDR = 0x18,
  FDT_ADDR = 0x20,
  /** `struct fw_dynamic_info`: magic, version, next_addr, next_mode, options, boot_hart (u64 each). */
  FW_DYNAMIC_INFO = 0x28,
  END = 0x58,
}

/** What the ROM hands over (guest-physical addresses). */
export interface BootRomConfig {
  /** Where the ROM jumps (the firmware, 0x8000_0000 on `virt`). */
  readonly firmwareGpa: number;
  /** Device tree address passed in a1. */
  readonly fdtGpa: number;
  /** Next stage the firmware starts in S-mode (`fw_dynamic_info.next_addr`), 0x8020_0000 on `virt`. */
  readonly nextStageGpa: number;
}

/** The ROM's counters. */
export interface BootRomState {
  /** Guest writes to the ROM (ignored). */
  readonly writesIgnored: number;
}

const X0 = 0, T0 = 5, A0 = 10, A1 = 11, A2 = 12;
const CSR_MHARTID = 0xf14;

function iType(opcode: number, rd: number, funct3: number, rs1: number, imm: number): number {
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode) >>> 0;
}

/** The reset vector: the same six instructions QEMU's ROM holds. */
function resetVector(): number[] {
  return [
    ((0 << 12) | (T0 << 7) | 0x17) >>> 0, //            auipc t0, 0
    iType(0x13, A2, 0, T0, BootRomLayout.FW_DYNAMIC_INFO), // addi  a2, t0, fw_dynamic_info
    iType(0x73, A0, 2, X0, CSR_MHARTID), //              csrr  a0, mhartid
    iType(0x03, A1, 3, T0, BootRomLayout.FDT_ADDR), //   ld    a1, fdt_addr(t0)
    iType(0x03, T0, 3, T0, BootRomLayout.START_ADDR), // ld    t0, start_addr(t0)
    iType(0x67, X0, 0, T0, 0), //                        jr    t0
  ];
}

/** Builds the ROM image (`size` bytes, zero-padded); throws if `size` cannot hold it (a wiring bug). */
export function buildBootRomImage(cfg: BootRomConfig, size: number): Uint8Array {
  if (size < BootRomLayout.END) throw new Error(`boot ROM of ${size} bytes is too small`);
  const image = new Uint8Array(size);
  const dv = new DataView(image.buffer);
  resetVector().forEach((insn, i) => dv.setUint32(i * 4, insn, true));
  const u64 = (off: number, v: number): void => dv.setBigUint64(off, BigInt(v), true);
  u64(BootRomLayout.START_ADDR, cfg.firmwareGpa);
  u64(BootRomLayout.FDT_ADDR, cfg.fdtGpa);
  const info = BootRomLayout.FW_DYNAMIC_INFO;
  u64(info, FW_DYNAMIC_INFO_MAGIC);
  u64(info + 8, FW_DYNAMIC_INFO_VERSION);
  u64(info + 16, cfg.nextStageGpa);
  u64(info + 24, FW_DYNAMIC_INFO_NEXT_MODE_S);
  u64(info + 32, 0); // options
  u64(info + 40, 0); // boot_hart: hart 0 does the cold boot, as on QEMU
  return image;
}

/** A read-only memory window of `sizeBytes` (zeros until `load`; reads past it return 0). */
export class BootRom implements MmioDevice {
  private writesIgnored = 0;
  private readonly image: Uint8Array;
  private readonly view: DataView;

  constructor(sizeBytes: number) {
    this.image = new Uint8Array(sizeBytes);
    this.view = new DataView(this.image.buffer);
  }

  /** Programs the ROM (the board does it before reset); bytes past the ROM's size are dropped. */
  load(image: Uint8Array): void {
    this.image.fill(0);
    this.image.set(image.subarray(0, this.image.length));
  }

  /** MmioDevice read: little-endian bytes of the image. */
  read(offset: number, size: 1 | 2 | 4): number {
    if (offset < 0 || offset + size > this.image.length) return 0;
    if (size === 1) return this.image[offset]!;
    if (size === 2) return this.view.getUint16(offset, true);
    return this.view.getUint32(offset, true);
  }

  /** MmioDevice write: ROM, ignored (counted). */
  write(_offset: number, _size: 1 | 2 | 4, _value: number): void {
    this.writesIgnored++;
  }

  /** Counters (the image itself is rebuilt from the boot configuration, not saved). */
  save(): BootRomState {
    return { writesIgnored: this.writesIgnored };
  }

  /** Restores the counters. */
  restore(state: BootRomState): void {
    this.writesIgnored = state.writesIgnored;
  }
}
