// A domain's machine on Node: the config is validated, the host backends opened, and the one
// builder (buildMachine) wires and boots it. This file only adds what a domain needs around
// the builder: a vsock socket path in the domain's folder and the device handles it reports on.
import { BanquiseError } from '../../base/errors.js';
import { CountingLogger, type LogEvent } from '../../base/logger.js';
import { buildMachine, validateMachineConfig, type ConsoleBackend, type Machine, type MachineConfig } from '../../machine/index.js';
import type { NetBackend } from '../../devices/virtio/net/net-backend.js';
import { openNodeBackends } from './node-host-backends.js';
import { applyImage, type NodeImagePayload } from './domain-image-node.js';

/** A built domain machine and what the domain's worker drives. */
export interface DomainMachine {
  readonly machine: Machine;
  /** Per-device counters and recent events (`info devices`). */
  readonly logger: CountingLogger;
  /** Closes disk images, listeners and sockets. */
  close(): Promise<void>;
  /**
   * Every write to the machine's RAM since it was built marked its page (booted with mem.write,
   * or filled by applyImage): a capture may read only the marked pages (captureMachine).
   */
  readonly ramTracked: boolean;
}

/** Host services of a domain machine. */
export interface DomainMachineDeps {
  readonly console: ConsoleBackend;
  /** Called when a device completes I/O outside a slice (wakes the run loop). */
  readonly wake: () => void;
  /** Folder for the domain's Unix sockets (`vsock-CID` when the config names none). */
  readonly runtimeDir: string;
  /** Device events worth the daemon's log (warnings and errors). */
  readonly onEvent?: (e: LogEvent) => void;
  /** The host end of nic `index` when it is on a bridge (its channel to the daemon's switch). */
  readonly bridgePort?: (index: number) => NetBackend;
  /** Host socket of a vsock device whose config names none (default runtimeDir/vsock-CID). */
  readonly vsockPath?: string;
  /** Continue this machine instead of booting (restore, fork): boot files are not read. */
  readonly image?: NodeImagePayload;
  /** false: build without booting (a migration destination fills RAM, then restores). */
  readonly boot?: boolean;
  /** The domain's JIT settings (DomainConfig.jit, jitThreshold): on unless jit is false. */
  readonly jit?: boolean;
  readonly jitThreshold?: number;
}

/** Validates `raw` (JSON from the API), opens its host ends, builds and boots the machine. */
export async function buildDomainMachine(raw: MachineConfig, deps: DomainMachineDeps): Promise<DomainMachine> {
  const checked = validateMachineConfig(raw);
  if (checked.mode === 'bare') throw new BanquiseError("mode 'bare' runs test programs (banquise elf), not domains: use pv or full", 64);
  const v = checked.devices.vsock;
  const config: MachineConfig =
    v !== undefined && v.udsPath === undefined
      ? { ...checked, devices: { ...checked.devices, vsock: { ...v, udsPath: deps.vsockPath ?? `${deps.runtimeDir}/vsock-${v.guestCid}` } } }
      : checked;
  const logger = new CountingLogger(deps.onEvent);
  // A machine continued from an image has its kernel in RAM: its boot files are not read (a
  // later reboot starts a new worker that reads them).
  const blobs: Record<string, Uint8Array> = {};
  if (deps.image !== undefined) for (const ref of [config.boot.kernel, config.boot.initrd, config.boot.bios]) if (ref !== undefined) blobs[ref.path] = new Uint8Array(0);
  const backends = await openNodeBackends(config, { console: deps.console, wake: deps.wake, log: logger, blobs, ...(deps.bridgePort !== undefined ? { bridgePort: deps.bridgePort } : {}) });
  // Every way a domain's machine is made (boot, restore, fork, migration) runs with its JIT settings.
  const jit = { ...(deps.jit !== undefined ? { jit: deps.jit } : {}), ...(deps.jitThreshold !== undefined ? { jitThreshold: deps.jitThreshold } : {}) };
  try {
    // A migration destination fills RAM from the stream, behind the written-pages tracking:
    // its saves and forks read the whole RAM (ramTracked false).
    if (deps.boot === false) return { machine: buildMachine(config, backends, { ...jit, boot: false }), logger, close: () => backends.close(), ramTracked: false };
    if (deps.image === undefined) return { machine: buildMachine(config, backends, jit), logger, close: () => backends.close(), ramTracked: true };
    const machine = buildMachine(config, backends, { ...jit, boot: false });
    applyImage(machine, deps.image);
    return { machine, logger, close: () => backends.close(), ramTracked: true };
  } catch (err) {
    await backends.close();
    throw err;
  }
}
