// The snapshot stream's page compressor on Node: raw DEFLATE (RFC 1951) through node:zlib,
// compatible with the CompressionStream one of src/control/snapshot.
import { deflateRaw, deflateRawSync, inflateRaw, inflateRawSync, constants } from 'node:zlib';
import type { PageCompressor } from '../../control/snapshot/page-compressor.js';

/**
 * A node:zlib PageCompressor. `level` 1 (fastest) by default: memory pages are mostly either
 * very compressible or not at all, and migration downtime counts every millisecond.
 */
export function zlibPageCompressor(level = 1): PageCompressor {
  return {
    compress: (data) =>
      new Promise((resolve, reject) => {
        deflateRaw(data, { level, strategy: constants.Z_DEFAULT_STRATEGY }, (err, out) => (err ? reject(err) : resolve(out)));
      }),
    decompress: (data, outBytes) =>
      new Promise((resolve, reject) => {
        // maxOutputLength bounds what a hostile stream can make us allocate.
        inflateRaw(data, { maxOutputLength: Math.max(1, outBytes) }, (err, out) => {
          if (err) reject(err);
          else if (out.length !== outBytes) reject(new Error(`inflated to ${out.length} bytes, expected ${outBytes}`));
          else resolve(out);
        });
      }),
  };
}

/**
 * The same compressor, synchronous (deflateRawSync/inflateRawSync): for a domain's worker
 * thread, whose own thread may block ~20 ms per MiB. The asynchronous one goes through libuv's
 * thread pool, and a worker busy running guest slices then waited seconds per MiB for the
 * completions (measured while migrating a guest copying files).
 */
export function syncZlibPageCompressor(level = 1): PageCompressor {
  return {
    compress: async (data) => deflateRawSync(data, { level, strategy: constants.Z_DEFAULT_STRATEGY }),
    decompress: async (data, outBytes) => {
      const out = inflateRawSync(data, { maxOutputLength: Math.max(1, outBytes) });
      if (out.length !== outBytes) throw new Error(`inflated to ${out.length} bytes, expected ${outBytes}`);
      return out;
    },
  };
}
