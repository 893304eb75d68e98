// The one controller every front end goes through (Firecracker's model: the API is data): an
// action is checked against the domain's lifecycle state, then carried out on its host handle.
// Exits from the host apply the domain's on_poweroff / on_reboot / on_crash.
import { ConsoleRing } from './console-ring.js';
import { ControlError } from './control-error.js';
import { domainNameProblem, jitConfigProblem, type DomainConfig, type LifecycleAction } from './domain-config.js';
import type { DomainHandle, DomainHost, InjectedFault, MigrationProgressReport } from './domain-host.js';
import type { DomainImage, SaveInfo } from './domain-image.js';
import { forkDomain, restoreDomain, saveDomain, type ForkOptions, type RestoreOptions, type SnapshotOps } from './domain-snapshots.js';
import type { MigrationLink } from './migration/migration-link.js';
import type { MigrationInfo } from './migration/precopy.js';
import type { DomainExit, DomainState, DomainStats } from './domain-state.js';
import { withStableMacs } from './stable-mac.js';
import { allocateCredit, DEFAULT_WEIGHT, limitMs, schedParamsProblem, type SchedDemand, type SchedParams } from './credit-scheduler.js';
import type { DeviceInfo } from '../machine/machine-devices.js';

/** Everything a front end can ask of the controller. */
export type DomainAction =
  | { readonly kind: 'create'; readonly config: DomainConfig }
  | { readonly kind: 'pause'; readonly ref: string }
  | { readonly kind: 'unpause'; readonly ref: string }
  | { readonly kind: 'shutdown'; readonly ref: string }
  | { readonly kind: 'reboot'; readonly ref: string }
  | { readonly kind: 'destroy'; readonly ref: string }
  | { readonly kind: 'mem-set'; readonly ref: string; readonly bytes: number }
  | { readonly kind: 'fault'; readonly ref: string; readonly fault: InjectedFault };

/** A domain as reported (the API's Domain object). */
export interface DomainInfo {
  readonly id: number;
  readonly name: string;
  readonly uuid: string;
  readonly state: DomainState;
  /** Current memory target in MiB (xl list's Mem). */
  readonly memory: number;
  readonly maxmem: number;
  readonly vcpus: number;
  /** Seconds of host CPU time used by the domain (its worker thread's CPU time where measurable). */
  readonly cpu_time: number;
  readonly instructions: number;
  /** Boots so far (a restart after reboot adds one). */
  readonly boots: number;
  /** Why the domain crashed or shut down, when it did. */
  readonly reason?: string;
  /** Seconds since the domain was created (xl uptime). */
  readonly uptime_s: number;
  readonly block_read_bytes: number;
  readonly block_write_bytes: number;
  readonly net_rx_frames: number;
  readonly net_tx_frames: number;
  /** A save or fork of the domain under way, and how far it is (percent) when known. */
  readonly operation?: string;
  readonly operation_percent?: number;
  /** JIT figures of the current boot, when the domain runs with the JIT. */
  readonly jit?: DomainJitInfo;
}

/** A domain's JIT figures (the monitor's `info jit`, all harts added up). */
export interface DomainJitInfo {
  readonly blocks_translated: number;
  readonly modules_compiled: number;
  readonly modules_live: number;
  /** WebAssembly bytes of the live modules (the code cache's size). */
  readonly cache_bytes: number;
  readonly compile_ms: number;
  readonly invalidations: number;
  readonly evictions: number;
  /** Guest instructions retired in generated code (the rest ran in the interpreter). */
  readonly jit_instructions: number;
  /** Wall time in generated code and in the interpreter, estimated from sampled calls. */
  readonly jit_ms_sampled: number;
  readonly interpreter_ms_sampled: number;
}

/** A domain's scheduler parameters and figures (the API's SchedCredit object). */
export interface SchedInfo {
  readonly id: number;
  readonly name: string;
  readonly weight: number;
  readonly cap: number;
  /** Host CPU time used (credit burnt), ms. */
  readonly cpu_ms: number;
  /** Time it wanted to run but was held back (out of credit, or others' turn on the host CPUs), ms. */
  readonly wait_ms: number;
}

/** Limits and services of a controller. */
export interface ControllerOptions {
  readonly host: DomainHost;
  /** Sum of the RAM (maxmem) of live domains may not exceed this. */
  readonly maxMemoryBytes: number;
  readonly maxDomains: number;
  /** Fresh UUIDs (crypto.randomUUID on every platform). */
  readonly newUuid: () => string;
  /** The daemon's log (`banquise dmesg`). */
  readonly log: (line: string) => void;
  /** Whether `fault` actions are accepted (a daemon started for isolation tests). */
  readonly allowFaults?: boolean;
  /** Names of the daemon's bridges; a nic on another bridge is refused (undefined: not checked). */
  readonly bridges?: readonly string[];
  /** Host CPUs the credit scheduler shares (`--host-cpus`); undefined: no scheduling. */
  readonly hostCpus?: number;
  /** Milliseconds of a clock, for uptimes (default: Date.now). */
  readonly nowMs?: () => number;
  /** Checks the host can run a machine (disk images reachable); throws a BanquiseError saying what is missing. */
  readonly checkHost?: (config: DomainConfig) => void;
}

/** A live migration of a domain, while it runs (the API's Migration object). */
export interface MigrationStatus {
  readonly direction: 'out' | 'in';
  /** The other daemon (HOST:PORT for an outgoing one). */
  readonly peer: string;
  readonly startedAtMs: number;
  /** Outgoing: set once the guest's memory flows. */
  progress?: MigrationProgressReport;
  /** Incoming: the stream is open. */
  receiving?: boolean;
}

const MIB = 1024 * 1024;
const ZERO_STATS: DomainStats = { instructions: 0, cpuMs: 0, idle: false, blockReadBytes: 0, blockWriteBytes: 0, netRxFrames: 0, netTxFrames: 0 };

interface Domain {
  /** Credit scheduler parameters (sched-credit). */
  sched: SchedParams;
  /** cpuMs at the last scheduler tick (what it used in the period). */
  schedLastCpuMs: number;
  readonly id: number;
  readonly uuid: string;
  readonly config: DomainConfig;
  state: DomainState;
  handle: DomainHandle | undefined;
  /** Counters of previous boots plus the current one. */
  base: DomainStats;
  stats: DomainStats;
  boots: number;
  /** When it was created (ControllerOptions.nowMs). */
  readonly createdAtMs: number;
  memoryTargetBytes: number;
  /** A `reboot` was asked for: the next poweroff counts as a reboot. */
  rebootRequested: boolean;
  reason: string | undefined;
  readonly console: ConsoleRing;
  /** Called when the domain is gone or stopped (console followers, shutdown -w). */
  readonly stopWaiters: Set<() => void>;
  /** Started from an image and not yet running: a failure removes it (domain-snapshots.ts). */
  starting?: boolean;
  /** A save or fork of it is under way, and how far (0..100) when it says. */
  busy?: string;
  busyPercent?: number;
  /** A live migration in progress: every action but destroy is refused meanwhile. */
  migration?: MigrationStatus | undefined;
}

/** How a domain is started from an image (restore, fork). */
interface StartFrom {
  readonly uuid: string;
  readonly image: DomainImage;
  readonly paused: boolean;
}

/** Owns the domains of one daemon. */
export class DomainController {
  private readonly domains = new Map<number, Domain>();
  private nextId = 1;
  private readonly nowMs: () => number;

  constructor(private readonly opts: ControllerOptions) {
    this.nowMs = opts.nowMs ?? (() => Date.now());
  }

  /** Carries out an action; resolves with the domain's info (undefined once destroyed). */
  async execute(action: DomainAction): Promise<DomainInfo | undefined> {
    if (action.kind === 'create') return this.create(action.config);
    const d = this.find(action.ref);
    switch (action.kind) {
      case 'pause':
        this.expect(d, ['running', 'blocked'], 'pause');
        d.handle!.pause();
        d.state = 'paused';
        break;
      case 'unpause':
        this.expect(d, ['paused'], 'unpause');
        d.handle!.unpause();
        d.state = 'running';
        break;
      case 'shutdown':
      case 'reboot':
        this.expect(d, ['running', 'blocked'], action.kind);
        // The guest's own shutdown or reboot runs on a key press (the default guest's acpid
        // maps KEY_POWER to poweroff and KEY_RESTART to reboot). A guest that answers a reboot
        // request by powering off still counts as rebooted (on_reboot applies).
        d.rebootRequested = action.kind === 'reboot';
        d.handle!.pressKey(action.kind === 'reboot' ? 'restart' : 'power');
        this.opts.log(`domain ${d.config.name} (${d.id}): ${action.kind} requested (${action.kind === 'reboot' ? 'restart' : 'power'} key)`);
        break;
      case 'destroy':
        await this.remove(d, 'destroyed');
        return undefined;
      case 'mem-set': {
        this.expect(d, ['running', 'blocked', 'paused'], 'mem-set');
        if (!Number.isSafeInteger(action.bytes) || action.bytes < 16 * MIB || action.bytes > d.config.maxMemoryBytes) {
          throw new ControlError('invalid', `mem-set: the target must be between 16M and the domain's maxmem (${d.config.maxMemoryBytes / MIB}M)`);
        }
        d.memoryTargetBytes = action.bytes;
        d.handle!.setMemoryTarget(action.bytes);
        break;
      }
      case 'fault':
        if (this.opts.allowFaults !== true) throw new ControlError('forbidden', 'fault injection is off: start the daemon with --allow-fault-injection (tests only)');
        this.expect(d, ['running', 'blocked', 'paused'], 'fault');
        d.handle!.injectFault(action.fault);
        this.opts.log(`domain ${d.config.name} (${d.id}): injected fault '${action.fault}'`);
        break;
    }
    return this.info(d);
  }

  /** Every domain, by id. */
  list(): DomainInfo[] {
    return [...this.domains.values()].sort((a, b) => a.id - b.id).map((d) => this.info(d));
  }

  /** One domain by name or id (ControlError not-found otherwise). */
  get(ref: string): DomainInfo {
    return this.info(this.find(ref));
  }

  /** The console of a domain: its ring (output so far) and a way to type into it. */
  console(ref: string): { ring: ConsoleRing; input: (bytes: Uint8Array) => void; onStop: (fn: () => void) => () => void; running: () => boolean } {
    const d = this.find(ref);
    return {
      ring: d.console,
      input: (bytes) => d.handle?.input(bytes),
      onStop: (fn) => {
        d.stopWaiters.add(fn);
        return () => d.stopWaiters.delete(fn);
      },
      running: () => d.handle !== undefined && this.domains.get(d.id) === d,
    };
  }

  /** Resolves when the domain is gone, shut down or crashed (`shutdown -w`). */
  waitStopped(ref: string): Promise<DomainInfo | undefined> {
    const d = this.find(ref);
    if (d.handle === undefined) return Promise.resolve(this.info(d));
    return new Promise((res) => {
      const done = (): void => {
        d.stopWaiters.delete(done);
        res(this.domains.get(d.id) === d ? this.info(d) : undefined);
      };
      d.stopWaiters.add(done);
    });
  }

  /** Saves a domain to a file (xl save): it stops and is destroyed, or runs on with `checkpoint`. */
  async save(ref: string, path: string, checkpoint = false): Promise<SaveInfo> {
    return saveDomain(this.snapshotOps(), ref, path, checkpoint);
  }

  /** Starts a domain from a save file (xl restore); nothing is left of a refused one. */
  async restore(path: string, options: RestoreOptions = {}): Promise<DomainInfo> {
    return restoreDomain(this.snapshotOps(), path, options);
  }

  /** Starts clones of a running domain from its state at one instant, each with its own identity. */
  async fork(ref: string, options: ForkOptions = {}): Promise<DomainInfo[]> {
    return forkDomain(this.snapshotOps(), ref, options);
  }

  /** What domain-snapshots.ts needs of the controller's domains. */
  private snapshotOps(): SnapshotOps {
    return {
      host: this.opts.host,
      newUuid: this.opts.newUuid,
      log: this.opts.log,
      nowMs: this.nowMs,
      find: (ref) => this.find(ref),
      expect: (d, states, what) => this.expect(d as Domain, states, what),
      names: () => [...this.domains.values()].map((d) => d.config.name),
      memoryUse: () => this.memoryUse(),
      liveCount: () => [...this.domains.values()].filter((d) => d.handle !== undefined).length,
      maxDomains: this.opts.maxDomains,
      start: (config, from) => this.domains.get(this.create(config, from).id)!,
      remove: (d, why) => this.remove(d as Domain, why),
      info: (d) => this.info(d as Domain),
    };
  }

  /** Each virtio device of a domain with its state and error counters (as last reported). */
  /** Every domain's scheduler parameters and figures (sched-credit without -d). */
  schedList(): SchedInfo[] {
    return [...this.domains.values()].sort((a, b) => a.id - b.id).map((d) => this.schedInfo(d));
  }

  /** Sets a domain's weight and/or cap (ControlError invalid for bad values, not-found). */
  setSched(ref: string, p: Partial<SchedParams>): SchedInfo {
    const d = this.find(ref);
    const problem = schedParamsProblem(p);
    if (problem !== undefined) throw new ControlError('invalid', problem);
    d.sched = { weight: p.weight ?? d.sched.weight, cap: p.cap ?? d.sched.cap };
    this.opts.log(`domain ${d.config.name} (${d.id}): weight ${d.sched.weight}, cap ${d.sched.cap}`);
    return this.schedInfo(d);
  }

  /**
   * One accounting period of the credit scheduler (the daemon calls it every `periodMs`): what
   * each live domain used since the last tick says what it wants (a domain that idled wants
   * what it used, a busy one its limit); budgets for the next period go to the domains' hosts.
   */
  schedTick(periodMs: number): void {
    const hostCpus = this.opts.hostCpus;
    if (hostCpus === undefined) return;
    const live = [...this.domains.values()].filter((d) => d.handle !== undefined && (d.state === 'running' || d.state === 'blocked'));
    const demands: SchedDemand[] = live.map((d) => {
      const used = Math.max(0, d.stats.cpuMs - d.schedLastCpuMs);
      d.schedLastCpuMs = d.stats.cpuMs;
      const vcpus = d.config.machine.vcpus;
      return { id: d.id, weight: d.sched.weight, cap: d.sched.cap, vcpus, wantMs: d.stats.idle ? used : limitMs({ vcpus, cap: d.sched.cap }, periodMs) };
    });
    const budgets = allocateCredit(demands, hostCpus, periodMs);
    for (const d of live) {
      const limited = d.sched.cap > 0 || live.length > 1;
      // An idle domain's budget covers what it used; it may wake at any time, so it keeps at
      // least a fair share of one period in reserve (the debt rule evens out any excess).
      const b = budgets.get(d.id) ?? 0;
      const floor = d.stats.idle ? Math.min(limitMs({ vcpus: d.config.machine.vcpus, cap: d.sched.cap }, periodMs), (hostCpus * periodMs) / live.length) : 0;
      d.handle!.setCpuBudget?.(limited ? Math.max(b, floor) : undefined, periodMs, d.sched.weight);
    }
  }

  private schedInfo(d: Domain): SchedInfo {
    return { id: d.id, name: d.config.name, weight: d.sched.weight, cap: d.sched.cap, cpu_ms: Math.round(d.stats.cpuMs), wait_ms: Math.round(d.stats.waitMs ?? 0) };
  }

  devices(ref: string): readonly DeviceInfo[] {
    return this.find(ref).stats.devices ?? [];
  }

  /** Memory in use by live domains and the budget (bytes). */
  memoryUse(): { usedBytes: number; budgetBytes: number; domains: number; maxDomains: number } {
    let used = 0;
    for (const d of this.domains.values()) if (d.handle !== undefined) used += d.config.maxMemoryBytes;
    return { usedBytes: used, budgetBytes: this.opts.maxMemoryBytes, domains: this.domains.size, maxDomains: this.opts.maxDomains };
  }

  /** Destroys every domain (daemon shutdown). */
  async destroyAll(): Promise<void> {
    for (const d of [...this.domains.values()]) await this.remove(d, 'daemon stopping');
  }

  private create(config: DomainConfig, from?: StartFrom, incoming?: { readonly uuid: string; readonly peer: string }): DomainInfo {
    const problem = domainNameProblem(config.name);
    if (problem !== undefined) throw new ControlError('invalid', problem);
    for (const d of this.domains.values()) {
      if (d.config.name === config.name) throw new ControlError('conflict', `a domain named '${config.name}' exists already (id ${d.id}): pick another name or destroy it first`);
    }
    if (config.maxMemoryBytes !== config.machine.memoryBytes) throw new ControlError('invalid', 'maxMemoryBytes must equal machine.memoryBytes (the RAM the balloon can give back)');
    if (config.memoryBytes > config.maxMemoryBytes) throw new ControlError('invalid', `memory (${config.memoryBytes / MIB}M) is above maxmem (${config.maxMemoryBytes / MIB}M)`);
    const jitProblem = jitConfigProblem(config);
    if (jitProblem !== undefined) throw new ControlError('invalid', jitProblem);
    const use = this.memoryUse();
    let live = 0;
    for (const d of this.domains.values()) if (d.handle !== undefined) live++;
    if (live >= this.opts.maxDomains) throw new ControlError('limit', `the daemon runs at most ${this.opts.maxDomains} domains (--max-domains): destroy one first`);
    if (use.usedBytes + config.maxMemoryBytes > use.budgetBytes) {
      throw new ControlError(
        'limit',
        `not enough memory: '${config.name}' needs ${config.maxMemoryBytes / MIB}M (maxmem), ${Math.floor((use.budgetBytes - use.usedBytes) / MIB)}M of the daemon's ${Math.floor(use.budgetBytes / MIB)}M budget is free (--max-memory)`,
      );
    }
    for (const n of config.machine.devices.nics) {
      if (n.backend.kind === 'bridge' && this.opts.bridges !== undefined && !this.opts.bridges.includes(n.backend.bridge)) {
        throw new ControlError('invalid', `no bridge '${n.backend.bridge}' in this daemon (it has: ${this.opts.bridges.join(', ') || 'none'}); declare it with banquise daemon --bridge ${n.backend.bridge}`);
      }
    }
    if (incoming !== undefined) {
      try {
        this.opts.checkHost?.(config);
      } catch (err) {
        throw new ControlError('invalid', (err as Error).message);
      }
    }
    const uuid = from?.uuid ?? incoming?.uuid ?? this.opts.newUuid();
    const d: Domain = {
      id: this.nextId++,
      uuid,
      config: withStableMacs(config, uuid),
      state: 'running',
      handle: undefined,
      base: ZERO_STATS,
      stats: ZERO_STATS,
      boots: 0,
      createdAtMs: this.nowMs(),
      memoryTargetBytes: config.memoryBytes,
      rebootRequested: false,
      reason: undefined,
      console: new ConsoleRing(),
      stopWaiters: new Set(),
      sched: { weight: DEFAULT_WEIGHT, cap: 0 },
      schedLastCpuMs: 0,
      ...(from !== undefined ? { starting: true } : {}),
      migration: incoming !== undefined ? { direction: 'in', peer: incoming.peer, startedAtMs: this.nowMs() } : undefined,
    };
    this.domains.set(d.id, d);
    this.boot(d, from, incoming !== undefined);
    const how = from !== undefined ? 'started from a saved state' : incoming !== undefined ? `reserved for a migration from ${incoming.peer}` : 'created';
    this.opts.log(`domain ${config.name} (${d.id}) ${how}: ${config.memoryBytes / MIB}M of ${config.maxMemoryBytes / MIB}M, ${config.machine.vcpus} vCPU(s)`);
    return this.info(d);
  }

  /**
   * Live migration out (`banquise migrate`): `connect` asks the destination to take the domain
   * and opens the stream (a refusal throws before anything is sent), then the host runs the
   * pre-copy. Success destroys the domain here; any failure leaves it running here.
   */
  async migrateOut(ref: string, peer: string, connect: (offer: { config: DomainConfig; uuid: string }) => Promise<MigrationLink>, downtimeBudgetMs?: number): Promise<MigrationInfo> {
    const d = this.find(ref);
    this.expect(d, ['running', 'blocked'], 'migrate');
    if (d.busy !== undefined) throw new ControlError('conflict', `cannot migrate '${d.config.name}': a ${d.busy} of it is under way`);
    const handle = d.handle!;
    if (handle.migrateOut === undefined) throw new ControlError('invalid', 'this host cannot migrate domains');
    const m: MigrationStatus = { direction: 'out', peer, startedAtMs: this.nowMs() };
    d.migration = m;
    this.opts.log(`domain ${d.config.name} (${d.id}): migrating to ${peer}`);
    let link: MigrationLink | undefined;
    try {
      link = await connect({ config: d.config, uuid: d.uuid });
      if (d.handle !== handle) throw new ControlError('conflict', `'${d.config.name}' stopped while connecting to ${peer}`);
      const info = await handle.migrateOut(link, { ...(downtimeBudgetMs !== undefined ? { downtimeBudgetMs } : {}), onProgress: (p) => (m.progress = p) });
      this.opts.log(`domain ${d.config.name} (${d.id}): migrated to ${peer} (${info.rounds} rounds, ${(info.bytesSent / MIB).toFixed(1)} MiB, downtime ${info.downtimeMs.toFixed(1)} ms)`);
      await this.remove(d, `migrated to ${peer}`);
      return info;
    } catch (err) {
      link?.close();
      if (d.migration === m) d.migration = undefined;
      const running = this.domains.get(d.id) === d && d.handle === handle;
      const message = `migration of '${d.config.name}' to ${peer} failed: ${(err as Error).message}${running ? '; the domain keeps running here' : ''}`;
      this.opts.log(`domain ${d.config.name} (${d.id}): ${message}`);
      throw err instanceof ControlError ? new ControlError(err.kind, message) : new ControlError('remote', message);
    }
  }

  /**
   * Reserves a domain for an incoming migration: the checks of `create` plus the host's
   * (disk images reachable), then a machine built but not booted, shown paused.
   */
  prepareIncoming(config: DomainConfig, uuid: string, peer: string): DomainInfo {
    return this.create(config, undefined, { uuid, peer });
  }

  /** Receives the guest of a domain made by prepareIncoming over `link`; it runs here once this resolves, or is gone. */
  async receiveIncoming(ref: string, link: MigrationLink): Promise<DomainInfo> {
    const d = this.find(ref);
    const handle = d.handle;
    if (d.migration?.direction !== 'in' || d.migration.receiving === true || handle?.migrateIn === undefined) {
      throw new ControlError('conflict', `'${d.config.name}' is not waiting for an incoming migration`);
    }
    const peer = d.migration.peer;
    d.migration.receiving = true;
    try {
      await handle.migrateIn(link);
    } catch (err) {
      if (this.domains.get(d.id) === d) await this.remove(d, `incoming migration failed: ${(err as Error).message}`);
      throw new ControlError('remote', `incoming migration of '${d.config.name}' failed: ${(err as Error).message}`);
    }
    d.migration = undefined;
    d.state = 'running';
    this.opts.log(`domain ${d.config.name} (${d.id}): migrated in from ${peer}; running`);
    return this.info(d);
  }

  /** The live migration of a domain, if one runs. */
  migration(ref: string): MigrationStatus {
    const d = this.find(ref);
    if (d.migration === undefined) throw new ControlError('not-found', `'${d.config.name}' is not migrating`);
    return { ...d.migration };
  }

  private boot(d: Domain, from?: StartFrom, incoming = false): void {
    d.boots++;
    d.state = from?.paused === true || incoming ? 'paused' : 'running';
    d.rebootRequested = false;
    d.reason = undefined;
    d.base = d.stats;
    let live = true;
    const handle = this.opts.host.start({ id: d.id, uuid: d.uuid, config: d.config, ...(from !== undefined ? { image: from.image, paused: from.paused } : {}), ...(incoming ? { incoming } : {}) }, {
      output: (bytes) => {
        if (live) d.console.write(bytes);
      },
      stats: (s) => {
        if (!live) return;
        d.stats = add(d.base, s);
        if (d.state === 'running' || d.state === 'blocked') d.state = s.idle ? 'blocked' : 'running';
      },
      log: (line) => {
        if (live) this.opts.log(`domain ${d.config.name} (${d.id}): ${line}`);
      },
      exit: (e) => {
        if (!live) return;
        live = false;
        void this.exited(d, handle, e);
      },
    });
    d.handle = handle;
    if (d.memoryTargetBytes < d.config.maxMemoryBytes) handle.setMemoryTarget(d.memoryTargetBytes);
  }

  private async exited(d: Domain, handle: DomainHandle, e: DomainExit): Promise<void> {
    if (this.domains.get(d.id) !== d || d.handle !== handle || d.starting === true) return;
    if (d.migration?.direction === 'in') {
      // A machine that never ran here: nothing to restart.
      await this.remove(d, `stopped before its incoming migration completed: ${e.kind === 'crash' ? e.reason : e.kind}`);
      return;
    }
    const kind = e.kind === 'poweroff' && d.rebootRequested ? 'reboot' : e.kind;
    const action: LifecycleAction = kind === 'poweroff' ? d.config.onPoweroff : kind === 'reboot' ? d.config.onReboot : d.config.onCrash;
    d.reason = e.kind === 'crash' ? e.reason : kind;
    this.opts.log(`domain ${d.config.name} (${d.id}): ${e.kind === 'crash' ? `crashed: ${e.reason}` : kind}; ${kind === 'crash' ? 'on_crash' : `on_${kind}`} = ${action}`);
    d.state = 'dying';
    d.handle = undefined;
    await handle.kill();
    if (action === 'destroy') {
      this.domains.delete(d.id);
      d.state = 'dying';
      this.wakeStopped(d);
    } else if (action === 'restart') {
      d.console.write(new TextEncoder().encode(`\r\n[banquise: domain ${d.config.name} ${kind === 'crash' ? 'crashed' : kind === 'reboot' ? 'rebooting' : 'powered off'}; restarting]\r\n`));
      this.boot(d);
    } else {
      d.state = kind === 'crash' ? 'crashed' : 'shutdown';
      this.wakeStopped(d);
    }
  }

  private async remove(d: Domain, why: string): Promise<void> {
    d.state = 'dying';
    const h = d.handle;
    d.handle = undefined;
    this.domains.delete(d.id);
    if (h !== undefined) await h.kill();
    this.opts.log(`domain ${d.config.name} (${d.id}) ${why}`);
    this.wakeStopped(d);
  }

  private wakeStopped(d: Domain): void {
    for (const w of [...d.stopWaiters]) w();
  }

  private find(ref: string): Domain {
    if (/^\d+$/.test(ref)) {
      const d = this.domains.get(Number(ref));
      if (d !== undefined) return d;
    } else {
      for (const d of this.domains.values()) if (d.config.name === ref) return d;
    }
    throw new ControlError('not-found', `no domain '${ref}' (see banquise list)`);
  }

  private expect(d: Domain, states: DomainState[], what: string): void {
    if (d.migration !== undefined) throw new ControlError('conflict', `cannot ${what} '${d.config.name}': it is migrating ${d.migration.direction === 'out' ? 'to' : 'from'} ${d.migration.peer}`);
    if (!states.includes(d.state) || d.handle === undefined) {
      throw new ControlError('conflict', `cannot ${what} '${d.config.name}': it is ${d.state}${d.state === 'paused' ? ' (unpause it first)' : ''}`);
    }
  }

  private info(d: Domain): DomainInfo {
    const s = d.stats;
    return {
      id: d.id,
      name: d.config.name,
      uuid: d.uuid,
      state: d.state,
      memory: Math.round(d.memoryTargetBytes / MIB),
      maxmem: Math.round(d.config.maxMemoryBytes / MIB),
      vcpus: d.config.machine.vcpus,
      cpu_time: Math.round(s.cpuMs) / 1000,
      instructions: s.instructions,
      boots: d.boots,
      ...(d.reason !== undefined ? { reason: d.reason } : {}),
      uptime_s: Math.round(this.nowMs() - d.createdAtMs) / 1000,
      block_read_bytes: s.blockReadBytes,
      block_write_bytes: s.blockWriteBytes,
      net_rx_frames: s.netRxFrames,
      net_tx_frames: s.netTxFrames,
      ...(d.busy !== undefined ? { operation: d.busy, ...(d.busyPercent !== undefined ? { operation_percent: d.busyPercent } : {}) } : {}),
      ...(s.jit !== undefined ? {
        jit: {
          blocks_translated: s.jit.blocksTranslated,
          modules_compiled: s.jit.modulesCompiled,
          modules_live: s.jit.modulesLive,
          cache_bytes: s.jit.cacheBytes,
          compile_ms: Math.round(s.jit.compileMs),
          invalidations: s.jit.invalidations,
          evictions: s.jit.evictions,
          jit_instructions: s.jit.jitInstructions,
          jit_ms_sampled: Math.round(s.jit.jitMsSampled),
          interpreter_ms_sampled: Math.round(s.jit.interpreterMsSampled),
        },
      } : {}),
    };
  }
}

function add(a: DomainStats, b: DomainStats): DomainStats {
  return {
    instructions: a.instructions + b.instructions,
    cpuMs: a.cpuMs + b.cpuMs,
    idle: b.idle,
    blockReadBytes: a.blockReadBytes + b.blockReadBytes,
    blockWriteBytes: a.blockWriteBytes + b.blockWriteBytes,
    netRxFrames: a.netRxFrames + b.netRxFrames,
    netTxFrames: a.netTxFrames + b.netTxFrames,
    ...(b.devices !== undefined ? { devices: b.devices } : {}),
    ...(b.jit !== undefined ? { jit: b.jit } : {}),
    waitMs: (a.waitMs ?? 0) + (b.waitMs ?? 0),
  };
}
