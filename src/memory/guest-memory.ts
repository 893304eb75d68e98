import { BanquiseError } from '../base/errors.js';

/** Size of a guest page and of a WebAssembly page multiple we align to. */
export const PAGE_SIZE = 4096;
const WASM_PAGE = 65536;

/** What a domain's memory holds. */
export interface GuestMemoryConfig {
  /** Guest-physical address of the first RAM byte (0x8000_0000 on the virt board). */
  readonly ramBaseGpa: number;
  /** RAM size in bytes; a multiple of 4 KiB, at most 2 GiB. */
  readonly ramSizeBytes: number;
  /** Bytes reserved before RAM for hart state (registers, CSRs, TLBs) at fixed offsets. */
  readonly stateSizeBytes: number;
  /** Shared memory, for vCPUs on several threads. */
  readonly shared?: boolean;
}

/**
 * One `WebAssembly.Memory` per domain: hart state at offset 0, RAM after it at `ramOffset`.
 * The interpreter and generated WebAssembly both address it directly; devices use the
 * bounds-checked accessors (`slice`, `readU32` …) with guest-physical addresses.
 */
export class GuestMemory {
  readonly memory: WebAssembly.Memory;
  readonly buffer: ArrayBuffer;
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  readonly f64: Float64Array;
  readonly view: DataView;
  readonly ramBaseGpa: number;
  readonly ramSizeBytes: number;
  /** Byte offset of RAM inside `buffer` (a multiple of 64 KiB). */
  readonly ramOffset: number;
  /** One bit per RAM page set by every store the CPU or a device makes; for live migration. */
  readonly dirty: Uint32Array;
  /** Pages `takeDirty` took out of `dirty`: with `dirty`, every page marked since creation (writtenPages). */
  private readonly taken: Uint32Array;

  constructor(config: GuestMemoryConfig) {
    const { ramBaseGpa, ramSizeBytes, stateSizeBytes } = config;
    if (!Number.isSafeInteger(ramSizeBytes) || ramSizeBytes <= 0 || ramSizeBytes % PAGE_SIZE !== 0) {
      throw new BanquiseError(`memory size ${ramSizeBytes} must be a positive multiple of 4 KiB`, 64);
    }
    if (ramSizeBytes > 2 ** 31) {
      throw new BanquiseError(`memory size ${ramSizeBytes} is above the 2 GiB limit of a domain`, 64);
    }
    this.ramBaseGpa = ramBaseGpa;
    this.ramSizeBytes = ramSizeBytes;
    this.ramOffset = Math.ceil(stateSizeBytes / WASM_PAGE) * WASM_PAGE;
    const pages = (this.ramOffset + ramSizeBytes) / WASM_PAGE;
    this.memory = new WebAssembly.Memory({
      initial: Math.ceil(pages),
      maximum: Math.ceil(pages),
      shared: config.shared ?? false,
    });
    this.buffer = this.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.u16 = new Uint16Array(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
    this.view = new DataView(this.buffer);
    this.dirty = new Uint32Array(Math.ceil(ramSizeBytes / PAGE_SIZE / 32));
    this.taken = new Uint32Array(this.dirty.length);
  }

  /** True if [gpa, gpa + len) lies inside RAM. `gpa` may be any number (even unsafe/negative). */
  contains(gpa: number, len: number): boolean {
    const off = gpa - this.ramBaseGpa;
    return Number.isSafeInteger(off) && len >= 0 && off >= 0 && off + len <= this.ramSizeBytes;
  }

  /** Byte offset in `buffer` of a guest-physical RAM address (caller checked `contains`). */
  offsetOf(gpa: number): number {
    return this.ramOffset + (gpa - this.ramBaseGpa);
  }

  /** A live view of [gpa, gpa + len) of RAM, or undefined if any byte is outside RAM. */
  slice(gpa: number, len: number): Uint8Array | undefined {
    if (!this.contains(gpa, len)) return undefined;
    const off = this.offsetOf(gpa);
    return this.u8.subarray(off, off + len);
  }

  /** Marks the pages of [gpa, gpa + len) dirty (device DMA writes; the CPU marks its own). */
  markDirty(gpa: number, len: number): void {
    if (len <= 0 || !this.contains(gpa, len)) return;
    const first = Math.floor((gpa - this.ramBaseGpa) / PAGE_SIZE);
    const last = Math.floor((gpa - this.ramBaseGpa + len - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) this.dirty[p >>> 5] |= 1 << (p & 31);
  }

  /**
   * Copies the dirty bitmap into `into` (bit p of word p >> 5 = page p) and clears it. Only the
   * CPU's store-TLB fills and the writers here mark pages; see machine/dirty-tracking.ts.
   */
  takeDirty(into: Uint32Array = new Uint32Array(this.dirty.length)): Uint32Array {
    into.set(this.dirty);
    for (let i = 0; i < this.dirty.length; i++) this.taken[i]! |= this.dirty[i]!;
    this.dirty.fill(0);
    return into;
  }

  /**
   * Every RAM page marked since this memory was created (bit p of word p >> 5 = page p), whether
   * or not a takeDirty has cleared it since. When every write to RAM marks its page (the dirty
   * contract; not after a raw copy such as Machine.restore of a whole RAM), an unmarked page is
   * still all zeros: a fork's capture reads only the marked pages.
   */
  writtenPages(): Uint32Array {
    const out = new Uint32Array(this.dirty.length);
    for (let i = 0; i < out.length; i++) out[i] = this.dirty[i]! | this.taken[i]!;
    return out;
  }

  /** Copies `data` into RAM at `gpa`; false (nothing written) if it does not fit. */
  write(gpa: number, data: Uint8Array): boolean {
    if (!this.contains(gpa, data.length)) return false;
    this.u8.set(data, this.offsetOf(gpa));
    this.markDirty(gpa, data.length);
    return true;
  }

  /** Little-endian u16 at `gpa`, or -1 if outside RAM. */
  readU16(gpa: number): number {
    return this.contains(gpa, 2) ? this.view.getUint16(this.offsetOf(gpa), true) : -1;
  }

  /** Little-endian u32 at `gpa`, or -1 if outside RAM. */
  readU32(gpa: number): number {
    return this.contains(gpa, 4) ? this.view.getUint32(this.offsetOf(gpa), true) : -1;
  }

  /** Little-endian u64 at `gpa` as a BigInt, or undefined if outside RAM. */
  readU64(gpa: number): bigint | undefined {
    return this.contains(gpa, 8) ? this.view.getBigUint64(this.offsetOf(gpa), true) : undefined;
  }

  /** Writes a little-endian u16; false if outside RAM. */
  writeU16(gpa: number, value: number): boolean {
    if (!this.contains(gpa, 2)) return false;
    this.view.setUint16(this.offsetOf(gpa), value, true);
    this.markDirty(gpa, 2);
    return true;
  }

  /** Writes a little-endian u32; false if outside RAM. */
  writeU32(gpa: number, value: number): boolean {
    if (!this.contains(gpa, 4)) return false;
    this.view.setUint32(this.offsetOf(gpa), value >>> 0, true);
    this.markDirty(gpa, 4);
    return true;
  }

  /** Writes a little-endian u64; false if outside RAM. */
  writeU64(gpa: number, value: bigint): boolean {
    if (!this.contains(gpa, 8)) return false;
    this.view.setBigUint64(this.offsetOf(gpa), BigInt.asUintN(64, value), true);
    this.markDirty(gpa, 8);
    return true;
  }
}
