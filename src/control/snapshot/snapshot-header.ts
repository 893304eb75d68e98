// The HEADER record: what a stream holds and the machine it was taken from.
import type { MachineConfig } from '../../machine/machine-config.js';
import { LIFECYCLE_ACTIONS, MAX_JIT_THRESHOLD, type LifecycleAction } from '../domain-config.js';
import type { SavedDomain } from '../domain-image.js';
import { decodePlain, encodePlain, type PlainData } from './plain-codec.js';
import { SnapshotError } from './snapshot-error.js';

/** Why the stream was written. */
export type SnapshotPurpose = 'save' | 'migration' | 'fork';

/** Contents of the HEADER record (a CBOR map with these keys). */
export interface SnapshotHeader {
  /** Version of the Banquise that wrote the stream (package.json `version`). */
  readonly banquiseVersion: string;
  readonly purpose: SnapshotPurpose;
  /** Host wall-clock time when the machine stopped, ns since the Unix epoch. */
  readonly savedAtNs: bigint;
  /** The machine, as it was built: the reader builds the same one. */
  readonly config: MachineConfig;
  /** The daemon's domain around the machine (name, uuid, memory target, on_*); absent from `banquise run` saves. */
  readonly domain?: SavedDomain;
}

/** Largest guest RAM a header may announce (one WebAssembly.Memory). */
export const HEADER_MAX_MEMORY_BYTES = 2 ** 31;

/** Encodes a header payload. */
export function encodeHeader(h: SnapshotHeader): Uint8Array {
  return encodePlain({
    banquiseVersion: h.banquiseVersion,
    purpose: h.purpose,
    savedAtNs: h.savedAtNs,
    config: h.config as unknown as PlainData,
    ...(h.domain !== undefined ? { domain: h.domain as unknown as PlainData } : {}),
  });
}

/**
 * Decodes and checks a header payload: the keys and types above and a RAM size the reader can
 * bound page numbers with. The MachineConfig itself is validated by whoever builds from it.
 */
export function decodeHeader(payload: Uint8Array): SnapshotHeader {
  const v = decodePlain(payload, 'snapshot HEADER record');
  const fail = (why: string): never => {
    throw new SnapshotError(`snapshot HEADER record: ${why}`);
  };
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return fail('not a map');
  const h = v as Record<string, PlainData>;
  if (typeof h['banquiseVersion'] !== 'string') fail('banquiseVersion is not a string');
  const purpose = h['purpose'];
  if (purpose !== 'save' && purpose !== 'migration' && purpose !== 'fork') fail(`unknown purpose ${String(purpose)}`);
  if (typeof h['savedAtNs'] !== 'bigint') fail('savedAtNs is not an integer');
  const c = h['config'];
  if (c === null || typeof c !== 'object' || Array.isArray(c) || ArrayBuffer.isView(c)) return fail('config is not a map');
  const mem = (c as Record<string, PlainData>)['memoryBytes'];
  if (typeof mem !== 'number' || !Number.isSafeInteger(mem) || mem <= 0 || mem % 4096 !== 0 || mem > HEADER_MAX_MEMORY_BYTES) {
    fail(`config.memoryBytes ${String(mem)} is not a positive multiple of 4 KiB up to 2 GiB`);
  }
  const domain = h['domain'] === undefined ? undefined : decodeSavedDomain(h['domain'], fail);
  return {
    banquiseVersion: h['banquiseVersion'] as string,
    purpose: purpose as SnapshotPurpose,
    savedAtNs: h['savedAtNs'] as bigint,
    config: c as unknown as MachineConfig,
    ...(domain !== undefined ? { domain } : {}),
  };
}

function decodeSavedDomain(v: PlainData, fail: (why: string) => never): SavedDomain {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || ArrayBuffer.isView(v)) return fail('domain is not a map');
  const d = v as Record<string, PlainData>;
  const text = (k: string): string => (typeof d[k] === 'string' && (d[k] as string).length <= 256 ? (d[k] as string) : fail(`domain.${k} is not a short string`));
  const action = (k: string): LifecycleAction => (LIFECYCLE_ACTIONS.includes(d[k] as LifecycleAction) ? (d[k] as LifecycleAction) : fail(`domain.${k} is not one of ${LIFECYCLE_ACTIONS.join(', ')}`));
  const mem = d['memoryBytes'];
  if (typeof mem !== 'number' || !Number.isSafeInteger(mem) || mem <= 0) fail('domain.memoryBytes is not a positive integer');
  const uuid = text('uuid');
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(uuid)) fail('domain.uuid is not a uuid (lowercase hex 8-4-4-4-12)');
  const jit = d['jit'];
  if (jit !== undefined && typeof jit !== 'boolean') fail('domain.jit is not true or false');
  const threshold = d['jitThreshold'];
  if (threshold !== undefined && (typeof threshold !== 'number' || !Number.isSafeInteger(threshold) || threshold < 0 || threshold > MAX_JIT_THRESHOLD)) {
    fail(`domain.jitThreshold is not a whole number from 0 to ${MAX_JIT_THRESHOLD}`);
  }
  if (jit === false && threshold !== undefined) fail('domain.jitThreshold is set while domain.jit is false');
  return {
    name: text('name'), uuid, memoryBytes: mem as number, onPoweroff: action('onPoweroff'), onReboot: action('onReboot'), onCrash: action('onCrash'),
    ...(jit !== undefined ? { jit: jit as boolean } : {}),
    ...(threshold !== undefined ? { jitThreshold: threshold as number } : {}),
  };
}
