/**
 * A memory-mapped device as the bus sees it: accesses arrive as an offset inside the device's
 * window. 8-byte guest accesses reach a device as two 4-byte accesses, low word first.
 * Reads of unimplemented registers return 0; writes to them are ignored. Never throws for
 * guest-controlled offsets or values.
 */
export interface MmioDevice {
  /** Reads `size` bytes at `offset`; returns the value zero-extended (0 .. 2^32-1). */
  read(offset: number, size: 1 | 2 | 4): number;
  /** Writes the low `size` bytes of `value` at `offset`. */
  write(offset: number, size: 1 | 2 | 4, value: number): void;
}

/** A device window on the bus. */
export interface MmioRegion {
  readonly name: string;
  readonly baseGpa: number;
  readonly sizeBytes: number;
  /** The device as the CPU reaches it: every read and write is counted in `accesses`. */
  readonly device: MmioDevice;
  /** Register accesses that reached the device (an 8-byte guest access counts twice). */
  readonly accesses: { reads: number; writes: number };
}

/** `device` behind a counter of its reads and writes. */
function counted(device: MmioDevice, accesses: { reads: number; writes: number }): MmioDevice {
  return {
    read(offset, size) {
      accesses.reads++;
      return device.read(offset, size);
    },
    write(offset, size, value) {
      accesses.writes++;
      device.write(offset, size, value);
    },
  };
}

/** The physical address space outside RAM: a sorted list of device windows. */
export class MmioBus {
  private regions: MmioRegion[] = [];
  private last: MmioRegion | undefined;

  /** Maps `device` at [baseGpa, baseGpa + sizeBytes). Overlapping windows are a wiring bug. */
  map(name: string, baseGpa: number, sizeBytes: number, device: MmioDevice): void {
    for (const r of this.regions) {
      if (baseGpa < r.baseGpa + r.sizeBytes && r.baseGpa < baseGpa + sizeBytes) {
        throw new Error(`MMIO window ${name} overlaps ${r.name}`);
      }
    }
    const accesses = { reads: 0, writes: 0 };
    this.regions.push({ name, baseGpa, sizeBytes, device: counted(device, accesses), accesses });
    this.regions.sort((a, b) => a.baseGpa - b.baseGpa);
  }

  /** The window containing `gpa`, or undefined (the access then faults). */
  find(gpa: number): MmioRegion | undefined {
    const l = this.last;
    if (l !== undefined && gpa >= l.baseGpa && gpa < l.baseGpa + l.sizeBytes) return l;
    for (const r of this.regions) {
      if (gpa >= r.baseGpa && gpa < r.baseGpa + r.sizeBytes) {
        this.last = r;
        return r;
      }
    }
    return undefined;
  }

  /** All windows, in address order. */
  list(): readonly MmioRegion[] {
    return this.regions;
  }
}
