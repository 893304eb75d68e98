// A domain's machine on Node: the config is validated, the host backends opened, and the one
// builder (buildMachine) wires and boots it. This file only adds what a domain needs around
// the builder: a vsock socket path in the domain's folder and the device handles it reports on.
import { BanquiseError } from '../../base/errors.js';
import { CountingLogger, type LogEvent } from '../../base/logger.js';
import { buildMachine, validateMachineConfig, type ConsoleBackend, type Machine, type MachineConfig } from '../../machine/index.js';
import type { NetBackend } from '../../devices/virtio/net/net-backend.js';
import { openNodeBackends } from './node-host-backends.js';

/** A built domain machine and what the domain's worker drives. */
export interface DomainMachine {
  readonly machine: Machine;
  /** Per-device counters and recent events (`info devices`). */
  readonly logger: CountingLogger;
  /** Closes disk images, listeners and sockets. */
  close(): Promise<void>;
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
  /** false: build without booting (a migration destination fills RAM, then restores). */
  readonly boot?: boolean;
}

/** Validates `raw` (JSON from the API), opens its host ends, builds and boots the machine. */
export async function buildDomainMachine(raw: MachineConfig, deps: DomainMachineDeps): Promise<DomainMachine> {
  const checked = validateMachineConfig(raw);
  if (checked.mode === 'bare') throw new BanquiseError("mode 'bare' runs test programs (banquise elf), not domains: use pv or full", 64);
  const v = checked.devices.vsock;
  const config: MachineConfig =
    v !== undefined && v.udsPath === undefined
      ? { ...checked, devices: { ...checked.devices, vsock: { ...v, udsPath: `${deps.runtimeDir}/vsock-${v.guestCid}` } } }
      : checked;
  const logger = new CountingLogger(deps.onEvent);
  const backends = await openNodeBackends(config, { console: deps.console, wake: deps.wake, log: logger, ...(deps.bridgePort !== undefined ? { bridgePort: deps.bridgePort } : {}) });
  try {
    return { machine: buildMachine(config, backends, deps.boot === false ? { boot: false } : {}), logger, close: () => backends.close() };
  } catch (err) {
    await backends.close();
    throw err;
  }
}
