// Exact-length reads over a stream that arrives in chunks of any size (a file read stream, a
// socket, a browser ReadableStream): the snapshot reader's only view of its input.

/** Reads exact byte counts from an async iterable of chunks. */
export class ChunkReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private chunk: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private ended = false;
  /** Bytes consumed so far (for messages). */
  offset = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /**
   * The next `n` bytes, or fewer only if the stream ended first (the caller reports the
   * truncation). The caller bounds `n`. The result may be a view into a source chunk.
   */
  async read(n: number): Promise<Uint8Array> {
    if (this.chunk.length - this.pos >= n) {
      const b = this.chunk.subarray(this.pos, this.pos + n);
      this.pos += n;
      this.offset += n;
      return b;
    }
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      if (this.pos === this.chunk.length && !(await this.pull())) break;
      const take = Math.min(n - o, this.chunk.length - this.pos);
      out.set(this.chunk.subarray(this.pos, this.pos + take), o);
      this.pos += take;
      o += take;
    }
    this.offset += o;
    return o === n ? out : out.subarray(0, o);
  }

  /** True when the stream has no byte left. */
  async atEnd(): Promise<boolean> {
    while (this.pos === this.chunk.length) if (!(await this.pull())) return true;
    return false;
  }

  /** Stops the source (e.g. closes the file) without reading further. */
  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.it.return?.();
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.it.next();
    if (r.done === true) {
      this.ended = true;
      return false;
    }
    const v = r.value;
    if (!(v instanceof Uint8Array)) throw new TypeError('snapshot source yielded a non-byte chunk');
    this.chunk = v;
    this.pos = 0;
    return true;
  }
}
