// The guest console's output side in a worker: bytes are gathered during a slice and handed to
// the page in one message after it (one postMessage per byte would swamp the page).

/** Bytes gathered before a flush is forced even in the middle of a slice. */
export const CONSOLE_BATCH_BYTES = 64 * 1024;

/** A ConsoleBackend (machine and virtio console) that batches output for `sink`. */
export class BatchedConsole {
  private buf = new Uint8Array(CONSOLE_BATCH_BYTES);
  private used = 0;

  /** `sink` receives a fresh copy it may keep or transfer. */
  constructor(private readonly sink: (bytes: Uint8Array) => void) {}

  /** Guest output (a live view: copied here). */
  write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) {
      const n = Math.min(bytes.length - off, this.buf.length - this.used);
      this.buf.set(bytes.subarray(off, off + n), this.used);
      this.used += n;
      off += n;
      if (this.used === this.buf.length) this.flush();
    }
  }

  /** Hands the gathered bytes to the sink (nothing if there are none). */
  flush(): void {
    if (this.used === 0) return;
    this.sink(this.buf.slice(0, this.used));
    this.used = 0;
  }
}
