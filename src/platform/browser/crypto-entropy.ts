// EntropySource from the Web Crypto API (browsers, Web Workers; Node.js >= 20 has it too).
import type { EntropySource } from '../../devices/virtio/rng/entropy-device.js';

/** `crypto.getRandomValues` fills at most 65536 bytes per call (Web Crypto API §10.1.1). */
export const GET_RANDOM_VALUES_MAX_BYTES = 65536;

/**
 * Random bytes from `crypto.getRandomValues`. The destination may be a view of guest memory,
 * which is shared when vCPUs run on several threads, and getRandomValues refuses shared views:
 * such views are filled through a private bounce buffer.
 */
export class CryptoEntropySource implements EntropySource {
  private readonly bounce = new Uint8Array(GET_RANDOM_VALUES_MAX_BYTES);

  fill(dst: Uint8Array): void {
    const direct = !(typeof SharedArrayBuffer !== 'undefined' && dst.buffer instanceof SharedArrayBuffer);
    for (let done = 0; done < dst.length; done += GET_RANDOM_VALUES_MAX_BYTES) {
      const n = Math.min(GET_RANDOM_VALUES_MAX_BYTES, dst.length - done);
      if (direct) {
        crypto.getRandomValues(dst.subarray(done, done + n));
      } else {
        const chunk = this.bounce.subarray(0, n);
        crypto.getRandomValues(chunk);
        dst.set(chunk, done);
      }
    }
  }
}
