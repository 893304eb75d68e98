// A domain as data: the machine it runs plus what the toolstack does around it (xl.cfg's name,
// maxmem and on_* actions). JSON-safe: the CLI sends it to the daemon, the daemon to a worker.
import type { MachineConfig } from '../machine/machine-config.js';

/** What happens when the guest powers off, reboots or crashes (xl.cfg `on_poweroff` etc.). */
export type LifecycleAction = 'destroy' | 'restart' | 'preserve';

/** Every lifecycle action, for validation and help texts. */
export const LIFECYCLE_ACTIONS: readonly LifecycleAction[] = ['destroy', 'restart', 'preserve'];

/** A validated domain description. */
export interface DomainConfig {
  /** Unique name: 1..64 of [A-Za-z0-9_.-], not all digits (a number is a domain id). */
  readonly name: string;
  readonly machine: MachineConfig;
  /** Guest memory at boot (xl `memory`): the balloon holds back the rest of the RAM. */
  readonly memoryBytes: number;
  /** Balloon ceiling (xl `maxmem`): the machine's RAM size (machine.memoryBytes). */
  readonly maxMemoryBytes: number;
  readonly onPoweroff: LifecycleAction;
  readonly onReboot: LifecycleAction;
  readonly onCrash: LifecycleAction;
  /** Run hot guest code as WebAssembly (xl `jit`, docs/jit.md); absent: on. */
  readonly jit?: boolean;
  /** Times a block start is reached before it is translated (xl `jit_threshold`); absent: the JIT's default. */
  readonly jitThreshold?: number;
}

/** Largest JIT threshold a domain config may ask for (a count the JIT keeps per block start). */
export const MAX_JIT_THRESHOLD = 0x7fff_ffff;

/** Checks a domain's JIT settings (JSON from the API, a save file); returns what is wrong, or undefined. */
export function jitConfigProblem(config: Pick<DomainConfig, 'jit' | 'jitThreshold'>): string | undefined {
  if (config.jit !== undefined && typeof config.jit !== 'boolean') return 'jit must be true or false';
  const t = config.jitThreshold;
  if (t === undefined) return undefined;
  if (!Number.isSafeInteger(t) || t < 0 || t > MAX_JIT_THRESHOLD) return `jitThreshold must be a whole number from 0 to ${MAX_JIT_THRESHOLD}, got ${JSON.stringify(t)}`;
  if (config.jit === false) return 'jitThreshold applies to the JIT, which this domain turns off (jit false)';
  return undefined;
}

/** Checks a domain name; returns what is wrong, or undefined when it is fine. */
export function domainNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) return `name ${JSON.stringify(name)} must be 1 to 64 letters, digits, '_', '.' or '-'`;
  if (/^\d+$/.test(name)) return `name ${JSON.stringify(name)} is all digits, which would read as a domain id`;
  return undefined;
}
