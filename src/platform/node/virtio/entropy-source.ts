// EntropySource from the host's CSPRNG.
import { randomFillSync } from 'node:crypto';
import type { EntropySource } from '../../../devices/virtio/rng/entropy-device.js';

/** Random bytes from the host CSPRNG (`crypto.randomFillSync`), written in place. */
export class NodeEntropySource implements EntropySource {
  fill(dst: Uint8Array): void {
    randomFillSync(dst);
  }
}
