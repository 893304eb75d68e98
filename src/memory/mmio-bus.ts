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
  readonly device: MmioDevice;
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
    this.regions.push({ name, baseGpa, sizeBytes, device });
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
