// BlockBackend on an image held in memory (a fetched or user-picked file in the browser).
import type { BlockBackend } from '../../devices/virtio/blk/block-device.js';

/**
 * A raw disk image in an ArrayBuffer. Writes change the in-memory copy only (the page offers
 * a download of it); flush has nothing to make durable; discard and write-zeroes zero-fill.
 * Accesses past the end read zeroes and fail on write (the device checks bounds first).
 */
export class MemoryBlockBackend implements BlockBackend {
  private readonly bytes: Uint8Array;
  readonly sizeBytes: number;

  /** `image` becomes the disk (not copied: transfer or copy it before if the caller keeps it). */
  constructor(image: ArrayBuffer, readonly readOnly: boolean) {
    this.bytes = new Uint8Array(image);
    this.sizeBytes = image.byteLength;
  }

  /** The current content of the disk (a live view). */
  contents(): Uint8Array {
    return this.bytes;
  }

  async read(offsetBytes: number, dst: Uint8Array): Promise<void> {
    const end = Math.min(this.sizeBytes, offsetBytes + dst.length);
    const n = Math.max(0, end - offsetBytes);
    if (n > 0) dst.set(this.bytes.subarray(offsetBytes, end));
    dst.fill(0, n);
  }

  async write(offsetBytes: number, src: Uint8Array): Promise<void> {
    if (this.readOnly) throw new Error('read-only image');
    this.checkRange(offsetBytes, src.length);
    this.bytes.set(src, offsetBytes);
  }

  async flush(): Promise<void> {}

  async discard(offsetBytes: number, lengthBytes: number): Promise<void> {
    await this.writeZeroes(offsetBytes, lengthBytes, true);
  }

  async writeZeroes(offsetBytes: number, lengthBytes: number, _mayUnmap: boolean): Promise<void> {
    if (this.readOnly) throw new Error('read-only image');
    this.checkRange(offsetBytes, lengthBytes);
    this.bytes.fill(0, offsetBytes, offsetBytes + lengthBytes);
  }

  private checkRange(offsetBytes: number, lengthBytes: number): void {
    if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0 || lengthBytes < 0 || offsetBytes + lengthBytes > this.sizeBytes) {
      throw new Error(`access ${offsetBytes}+${lengthBytes} beyond the ${this.sizeBytes}-byte image`);
    }
  }
}
