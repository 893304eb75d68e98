// The compressor of memory records, injected so the core stays platform-free: node:zlib on
// Node (src/platform/node/zlib-page-compressor.ts), CompressionStream in a browser
// (stream-page-compressor.ts). Both speak raw DEFLATE (RFC 1951): either one reads what the
// other wrote.

/** Raw DEFLATE (RFC 1951) both ways. */
export interface PageCompressor {
  /** Compresses `data` (a concatenation of whole pages). */
  compress(data: Uint8Array): Promise<Uint8Array>;
  /**
   * Inflates `data`, which must yield exactly `outBytes` bytes. Rejects (any error) when the
   * data is not valid DEFLATE or would inflate to more or fewer bytes; never produces more than
   * `outBytes` bytes of output on the way.
   */
  decompress(data: Uint8Array, outBytes: number): Promise<Uint8Array>;
}
