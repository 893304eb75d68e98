// Synthetic streams for the snapshot tests and fuzzers: a small config, RAM with a pattern,
// CPU and device states, written through the real writer. Test-only (not exported by index.ts).
import type { MachineConfig } from '../machine/machine-config.js';
import type { PageCompressor } from '../control/snapshot/page-compressor.js';
import type { PlainData } from '../control/snapshot/plain-codec.js';
import type { SnapshotHeader } from '../control/snapshot/snapshot-header.js';
import { SnapshotWriter } from '../control/snapshot/snapshot-writer.js';

/** A 1 MiB, 2-hart pv machine. */
export const KIT_CONFIG: MachineConfig = {
  version: 1,
  mode: 'pv',
  memoryBytes: 1 << 20,
  vcpus: 2,
  boot: { kernel: { path: '/images/Image' }, cmdline: 'console=ttyS0' },
  devices: { disks: [{ path: '/images/disk.img', readOnly: false }], nics: [], shares: [], console: 'serial', balloon: false, rng: true },
};

/** The header the kit writes. */
export const KIT_HEADER: SnapshotHeader = {
  banquiseVersion: '0.1.0-test',
  purpose: 'save',
  savedAtNs: 1_700_000_000_123_456_789n,
  config: KIT_CONFIG,
};

/** RAM of the kit: mostly zero pages, some text-like pages, some pseudo-random pages. */
export function kitRam(bytes = KIT_CONFIG.memoryBytes, seed = 1): Uint8Array {
  const ram = new Uint8Array(bytes);
  let x = seed >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let p = 0; p < bytes / 4096; p++) {
    const kind = p % 7;
    if (kind === 1) for (let i = 0; i < 4096; i++) ram[p * 4096 + i] = 'banquise '.charCodeAt(i % 9);
    else if (kind === 4) for (let i = 0; i < 4096; i++) ram[p * 4096 + i] = rnd() & 0xff;
    else if (kind === 6) ram[p * 4096 + 4095] = 1; // non-zero in its last byte only
  }
  return ram;
}

/** CPU states of the kit. */
export const KIT_CPUS: readonly PlainData[] = [
  { pc: 0xffffffff80001000n, x: new Int32Array(64).fill(7), priv: 1 },
  { pc: 0xffffffff80002000n, x: new Int32Array(64).fill(-3), priv: 0 },
];

/** Device states of the kit. */
export const KIT_DEVICES: readonly [string, PlainData][] = [
  ['clint', { mtimecmp: [5n, 6n] }],
  ['uart', { rx: new Uint8Array([104, 105]), ier: 1, lcr: 3 }],
  ['virtio0', { status: 15, queues: [{ size: 256, desc: 0x80100000 }] }],
];

/** Writes the kit's whole stream and returns its chunks (as the writer emitted them). */
export async function kitStream(options: { ram?: Uint8Array; compressor?: PageCompressor; header?: SnapshotHeader } = {}): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  const w = new SnapshotWriter((c) => {
    chunks.push(c);
  }, options.compressor);
  await w.header(options.header ?? KIT_HEADER);
  await w.pages(options.ram ?? kitRam());
  for (let i = 0; i < KIT_CPUS.length; i++) await w.cpu(i, KIT_CPUS[i]!);
  for (const [name, s] of KIT_DEVICES) await w.device(name, s);
  await w.end();
  return chunks;
}

/** Concatenates chunks. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** An async iterable yielding `bytes` in pieces of `size` bytes (1 = byte by byte). */
export async function* pieces(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < bytes.length; o += size) yield bytes.slice(o, o + size);
}
