// Raw DEFLATE through the Compression Streams API (`CompressionStream('deflate-raw')`), which
// browsers and Node.js (>= 18) both have: the platform-free PageCompressor.
import type { PageCompressor } from './page-compressor.js';

interface TransformPair {
  readonly readable: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } };
  readonly writable: { getWriter(): { write(b: Uint8Array): Promise<void>; close(): Promise<void>; abort(e?: unknown): Promise<void> } };
}
type StreamCtor = new (format: 'deflate-raw') => TransformPair;

/** The host's CompressionStream / DecompressionStream, when it has them. */
function streams(): { C: StreamCtor; D: StreamCtor } | undefined {
  const g = globalThis as unknown as { CompressionStream?: StreamCtor; DecompressionStream?: StreamCtor };
  return g.CompressionStream !== undefined && g.DecompressionStream !== undefined
    ? { C: g.CompressionStream, D: g.DecompressionStream }
    : undefined;
}

/** Pushes `data` through a transform; stops (and fails) once output exceeds `limit` bytes. */
async function pump(t: TransformPair, data: Uint8Array, limit: number): Promise<Uint8Array> {
  const writer = t.writable.getWriter();
  const reader = t.readable.getReader();
  const writing = writer.write(data).then(() => writer.close());
  writing.catch(() => {}); // reported through the reader
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value === undefined) continue;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      await writer.abort().catch(() => {});
      throw new Error(`output exceeds ${limit} bytes`);
    }
    parts.push(value);
  }
  await writing;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A PageCompressor over the Compression Streams API; undefined if the host lacks it. */
export function streamPageCompressor(): PageCompressor | undefined {
  const s = streams();
  if (s === undefined) return undefined;
  return {
    compress: (data) => pump(new s.C('deflate-raw'), data, data.length + (data.length >>> 3) + 1024),
    async decompress(data, outBytes) {
      const out = await pump(new s.D('deflate-raw'), data, outBytes);
      if (out.length !== outBytes) throw new Error(`inflated to ${out.length} bytes, expected ${outBytes}`);
      return out;
    },
  };
}
