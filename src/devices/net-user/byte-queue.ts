/**
 * A FIFO of bytes kept as the chunks they arrived in: append without copying, drop from the
 * front, copy out any range. Holds the data a TCP connection sent the guest until it is acked.
 */
export class ByteQueue {
  private chunks: Uint8Array[] = [];
  /** Bytes already consumed from `chunks[0]`. */
  private headOffset = 0;
  /** Bytes in the queue. */
  length = 0;

  /** Appends `data` (kept by reference: the caller gives up ownership). */
  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.length += data.length;
  }

  /** Drops the first `n` bytes (clamped to the length). */
  drop(n: number): void {
    n = Math.min(n, this.length);
    this.length -= n;
    while (n > 0) {
      const c = this.chunks[0]!;
      const avail = c.length - this.headOffset;
      if (n < avail) {
        this.headOffset += n;
        return;
      }
      n -= avail;
      this.chunks.shift();
      this.headOffset = 0;
    }
  }

  /** Copies `len` bytes starting `offset` bytes into the queue to `out[outOffset..]`. */
  copyOut(offset: number, len: number, out: Uint8Array, outOffset: number): void {
    let ci = 0;
    let pos = offset + this.headOffset;
    while (ci < this.chunks.length && pos >= this.chunks[ci]!.length) {
      pos -= this.chunks[ci]!.length;
      ci++;
    }
    while (len > 0 && ci < this.chunks.length) {
      const c = this.chunks[ci]!;
      const n = Math.min(len, c.length - pos);
      out.set(c.subarray(pos, pos + n), outOffset);
      outOffset += n;
      len -= n;
      pos = 0;
      ci++;
    }
  }

  /** Empties the queue. */
  clear(): void {
    this.chunks = [];
    this.headOffset = 0;
    this.length = 0;
  }
}
