// A domain's console output: the last bytes kept in a ring (what `console` shows first), and
// the live listeners (attached consoles) that get every byte as it comes.

/** Bytes of console output kept per domain. */
export const CONSOLE_RING_BYTES = 64 * 1024;

/** Something attached to a console. */
export type ConsoleListener = (bytes: Uint8Array) => void;

/** Ring buffer of console output with listeners. */
export class ConsoleRing {
  private readonly buf: Uint8Array;
  private start = 0;
  private length = 0;
  /** Bytes written since the ring was made (monotonic). */
  totalBytes = 0;
  private readonly listeners = new Set<ConsoleListener>();

  constructor(capacityBytes = CONSOLE_RING_BYTES) {
    this.buf = new Uint8Array(capacityBytes);
  }

  /** Appends output (keeping the last `capacity` bytes) and hands it to every listener. */
  write(bytes: Uint8Array): void {
    const cap = this.buf.length;
    this.totalBytes += bytes.length;
    const src = bytes.length > cap ? bytes.subarray(bytes.length - cap) : bytes;
    for (let i = 0; i < src.length; i++) {
      this.buf[(this.start + this.length) % cap] = src[i]!;
      if (this.length < cap) this.length++;
      else this.start = (this.start + 1) % cap;
    }
    for (const l of this.listeners) l(bytes);
  }

  /** What the ring holds, oldest byte first (a copy). */
  snapshot(): Uint8Array {
    const out = new Uint8Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.buf[(this.start + i) % this.buf.length]!;
    return out;
  }

  /** Attaches a listener; returns the function that detaches it. */
  attach(l: ConsoleListener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Number of attached listeners. */
  get attached(): number {
    return this.listeners.size;
  }
}
