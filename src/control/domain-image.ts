// A running domain's machine as the platform holds it for restore and fork (a save file read
// and checked, or a running domain captured in memory), and the identity a copy of a domain
// takes: a name, a uuid and MAC addresses of its own.
import type { DomainConfig, LifecycleAction } from './domain-config.js';
import type { MachineConfig } from '../machine/machine-config.js';
import { stableMac } from './stable-mac.js';

/** What a save file says about the domain around its machine (HEADER key `domain`). */
export interface SavedDomain {
  readonly name: string;
  readonly uuid: string;
  /** Memory target (the balloon's) in bytes when the domain was saved. */
  readonly memoryBytes: number;
  readonly onPoweroff: LifecycleAction;
  readonly onReboot: LifecycleAction;
  readonly onCrash: LifecycleAction;
  /** The domain's JIT settings (DomainConfig.jit, jitThreshold), when it set them; absent: the JIT on. */
  readonly jit?: boolean;
  readonly jitThreshold?: number;
}

/**
 * A whole machine state ready to start a domain from, held by the platform (guest RAM stays
 * out of the controller's hands). One image may start several domains (fork).
 */
export interface DomainImage {
  /** The machine it was taken from (validated). */
  readonly machine: MachineConfig;
  /** The domain around it, when the image says (save files written by the daemon do). */
  readonly domain?: SavedDomain;
  /** Platform data (Node: the MachineState with its RAM pages); the controller only passes it on. */
  readonly payload: unknown;
}

/** What a save to a file wrote. */
export interface SaveInfo {
  readonly bytes: number;
  /** Non-zero RAM pages written. */
  readonly pages: number;
  readonly ms: number;
}

/**
 * `config` as a copy of the domain `oldUuid` named `name` with uuid `newUuid`: every interface
 * whose MAC is the one derived from the old uuid gets the one derived from the new uuid (a MAC
 * the user wrote in the config is kept: it was chosen, not derived), and a vsock device loses its
 * host socket path (the platform gives the copy its own).
 */
export function withNewIdentity(config: DomainConfig, oldUuid: string, newUuid: string, name: string): DomainConfig {
  const d = config.machine.devices;
  const nics = d.nics.map((n, i) => (n.mac === undefined || n.mac === stableMac(oldUuid, i) ? { ...n, mac: stableMac(newUuid, i) } : n));
  // The copy's vsock gets a host socket of its own (the platform names it), not the original's.
  const vsock = d.vsock !== undefined ? { vsock: { guestCid: d.vsock.guestCid } } : {};
  return { ...config, name, machine: { ...config.machine, devices: { ...d, nics, ...vsock } } };
}

/**
 * Names of `count` fork children of `parent`: `base` itself for one child when given, else
 * `base-1` … `base-count` (base defaults to `parent-fork`); numbers in use are skipped only
 * when no base was given.
 */
export function forkChildNames(parent: string, count: number, base: string | undefined, taken: (name: string) => boolean): string[] {
  if (base !== undefined && count === 1) return [base];
  const stem = base ?? `${parent}-fork`;
  const names: string[] = [];
  for (let k = 1; names.length < count; k++) {
    const name = `${stem}-${k}`;
    if (base === undefined && taken(name)) continue;
    names.push(name);
  }
  return names;
}
