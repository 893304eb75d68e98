// What the controller needs from the platform to run a domain's machine (DESIGN.md §4: each
// domain in its own worker). platform/node implements it with worker threads; tests with fakes.
import type { DomainConfig } from './domain-config.js';
import type { DomainExit, DomainStats } from './domain-state.js';
import type { DomainImage, SaveInfo, SavedDomain } from './domain-image.js';
import type { MachineConfig } from '../machine/machine-config.js';
import type { MigrationLink } from './migration/migration-link.js';
import type { MigrationInfo } from './migration/precopy.js';

/** Where an outgoing live migration is (reported by the host while it runs). */
export interface MigrationProgressReport {
  /** Stream bytes handed to the link so far. */
  readonly bytesSent: number;
  /** 0 during and right after the full pass, then the pre-copy round. */
  readonly round: number;
  /** Pages dirtied during the last round, and the rate (pages/s). */
  readonly dirtyPages: number;
  readonly dirtyRate: number;
  /** full-pass: all memory is being sent; rounds: dirty pages; stopped: the guest is stopped (downtime). */
  readonly phase: 'full-pass' | 'rounds' | 'stopped';
}

/** A key the host can press on the domain's virtio-input device. */
export type HostKey = 'power' | 'restart';

/** A fault a test can inject into a domain's host to prove isolation (daemon option only). */
export type InjectedFault = 'throw' | 'oom' | 'hang';

/** Control of one running machine. Every method returns at once; effects are reported as events. */
export interface DomainHandle {
  /** Stops instruction progress (the guest's clock keeps running, as in Xen). */
  pause(): void;
  /** Resumes after `pause`. */
  unpause(): void;
  /** Console input (bytes typed on an attached console). */
  input(bytes: Uint8Array): void;
  /** Presses and releases a key of the domain's virtio-input device. */
  pressKey(key: HostKey): void;
  /** Sets the balloon target: the guest memory the guest should keep. */
  setMemoryTarget(bytes: number): void;
  /** Stops the machine now and frees its memory; resolves once it is gone. */
  kill(): Promise<void>;
  /** Makes the domain's host fail (tests of isolation). */
  injectFault(kind: InjectedFault): void;
  /**
   * The credit scheduler's grant: at most `budgetMs` of CPU per `periodMs` (undefined: no
   * limit); overuse is carried into the next period as debt; `weight` orders the domains that
   * want the host CPUs at once. Hosts without it are not limited.
   */
  setCpuBudget?(budgetMs: number | undefined, periodMs: number, weight?: number): void;
  /** Settles once the machine is built and runs (rejects with the reason if it ends before). */
  readonly ready?: Promise<void>;
  /** Takes the whole machine at one instant (between slices) into an image; the domain runs on. */
  capture?(): Promise<DomainImage>;
  /** Writes the whole machine, taken at one instant, to the save file `path` (atomically); `onProgress` gets 0..100. */
  saveFile?(path: string, domain: SavedDomain, onProgress?: (percent: number) => void): Promise<SaveInfo>;
  /**
   * Live migration out over `link` (pre-copy; the guest runs until the switch-over). Resolves
   * once the destination runs the guest; rejects with the guest running here again.
   */
  migrateOut?(link: MigrationLink, options: { readonly downtimeBudgetMs?: number; readonly onProgress: (p: MigrationProgressReport) => void }): Promise<MigrationInfo>;
  /** Of a handle started `incoming`: receives the guest over `link`; resolves once it runs here. */
  migrateIn?(link: MigrationLink): Promise<void>;
}

/** What a running machine reports. `exit` is the last event of a handle. */
export interface DomainHostEvents {
  output(bytes: Uint8Array): void;
  stats(stats: DomainStats): void;
  /** A device event worth the daemon's log (bounded per boot by the host). */
  log(line: string): void;
  exit(exit: DomainExit): void;
}

/** Starts machines. */
export interface DomainHost {
  /**
   * Boots `config` (identity in `id`/`uuid`), or continues the machine of `image` (restore,
   * fork) when given, paused if `paused`; events arrive until `exit`. With `incoming` the
   * machine is built but neither boots nor runs: it waits for `migrateIn`.
   */
  start(spec: DomainStartSpec, events: DomainHostEvents): DomainHandle;
  /**
   * Reads and checks a save file (SnapshotError or BanquiseError saying what is wrong).
   * `admit` is called with its header before any RAM is allocated or page read, and refuses a
   * domain this daemon cannot take by throwing.
   */
  loadImage?(path: string, admit?: (machine: MachineConfig, domain: SavedDomain | undefined) => void): Promise<DomainImage>;
}

/** What DomainHost.start starts. */
export interface DomainStartSpec {
  readonly id: number;
  readonly uuid: string;
  readonly config: DomainConfig;
  readonly image?: DomainImage;
  readonly paused?: boolean;
  /** A migration destination: built, not booted, waiting for `migrateIn`. */
  readonly incoming?: boolean;
}
