// Save, restore and fork of the daemon's domains (issue 12), on the controller's domains and
// the platform's images (DomainHost.loadImage, DomainHandle.capture/saveFile). A refused
// restore or fork leaves no domain behind; a failed save leaves the domain as it was.
import { ControlError } from './control-error.js';
import { domainNameProblem, type DomainConfig } from './domain-config.js';
import type { DomainHandle, DomainHost } from './domain-host.js';
import { forkChildNames, withNewIdentity, type DomainImage, type SaveInfo, type SavedDomain } from './domain-image.js';
import type { DomainState } from './domain-state.js';
import type { DomainInfo } from './domain-controller.js';

const MIB = 1024 * 1024;
/** Most children of one fork. */
export const FORK_MAX_CHILDREN = 64;

/** A controller domain as this file sees it. */
export interface SnapshotDomain {
  readonly id: number;
  readonly uuid: string;
  readonly config: DomainConfig;
  state: DomainState;
  readonly handle: DomainHandle | undefined;
  readonly memoryTargetBytes: number;
  starting?: boolean;
  busy?: string;
  /** How far the operation in `busy` is, 0..100, when it says. */
  busyPercent?: number;
}

/** What the controller lends to these operations. */
export interface SnapshotOps {
  readonly host: DomainHost;
  readonly newUuid: () => string;
  readonly log: (line: string) => void;
  /** Milliseconds of a clock (log lines give durations). */
  readonly nowMs: () => number;
  find(ref: string): SnapshotDomain;
  expect(d: SnapshotDomain, states: DomainState[], what: string): void;
  names(): string[];
  memoryUse(): { usedBytes: number; budgetBytes: number };
  liveCount(): number;
  readonly maxDomains: number;
  /** Creates the domain record and starts its machine from `from.image` (all create checks apply). */
  start(config: DomainConfig, from: { uuid: string; image: DomainImage; paused: boolean }): SnapshotDomain;
  remove(d: SnapshotDomain, why: string): Promise<void>;
  info(d: SnapshotDomain): DomainInfo;
}

/** Options of a restore. */
export interface RestoreOptions {
  /** Name of the restored domain (default: the saved one). */
  readonly name?: string;
  /** Leave it paused (xl restore -p). */
  readonly paused?: boolean;
}

/** Options of a fork. */
export interface ForkOptions {
  /** Child name (one child) or name stem (children `NAME-1` …); default `PARENT-fork-K`. */
  readonly name?: string;
  /** Children to start (1 … 64, default 1). */
  readonly count?: number;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What a save file keeps of the domain around its machine. */
export function savedDomainOf(d: SnapshotDomain): SavedDomain {
  const c = d.config;
  return {
    name: c.name, uuid: d.uuid, memoryBytes: d.memoryTargetBytes, onPoweroff: c.onPoweroff, onReboot: c.onReboot, onCrash: c.onCrash,
    ...(c.jit !== undefined ? { jit: c.jit } : {}),
    ...(c.jitThreshold !== undefined ? { jitThreshold: c.jitThreshold } : {}),
  };
}

/** Checks that domains `names` of `bytesEach` RAM each may all start now (names, budget, count). */
function admit(ops: SnapshotOps, names: readonly string[], bytesEach: number): void {
  const taken = new Set(ops.names());
  for (const n of names) {
    const problem = domainNameProblem(n);
    if (problem !== undefined) throw new ControlError('invalid', problem);
    if (taken.has(n)) throw new ControlError('conflict', `a domain named '${n}' exists already: pick another name (--name)`);
  }
  const need = bytesEach * names.length;
  const use = ops.memoryUse();
  if (use.usedBytes + need > use.budgetBytes) {
    throw new ControlError('limit', `not enough memory: ${names.join(', ')} need${names.length === 1 ? 's' : ''} ${need / MIB}M, ${Math.floor((use.budgetBytes - use.usedBytes) / MIB)}M of the daemon's ${Math.floor(use.budgetBytes / MIB)}M budget is free (--max-memory)`);
  }
  if (ops.liveCount() + names.length > ops.maxDomains) throw new ControlError('limit', `the daemon runs at most ${ops.maxDomains} domains (--max-domains): ${names.length} more do not fit`);
}

function claim(d: SnapshotDomain, what: string): void {
  if (d.busy !== undefined) throw new ControlError('conflict', `cannot ${what} '${d.config.name}': a ${d.busy} of it is under way`);
  d.busy = what;
}

/**
 * Saves domain `ref` to `path`. Without `checkpoint` the domain is paused first and destroyed
 * once the file is complete (xl save); a failed save resumes it. With `checkpoint` the machine
 * is taken at one instant between two slices and runs on.
 */
export async function saveDomain(ops: SnapshotOps, ref: string, path: string, checkpoint: boolean): Promise<SaveInfo> {
  const d = ops.find(ref);
  ops.expect(d, ['running', 'blocked', 'paused'], 'save');
  const handle = d.handle!;
  if (handle.saveFile === undefined) throw new ControlError('forbidden', 'this host cannot save domains');
  claim(d, 'save');
  const before = d.state;
  const stop = !checkpoint && before !== 'paused';
  if (stop) {
    handle.pause();
    d.state = 'paused';
  }
  let info: SaveInfo;
  try {
    info = await handle.saveFile(path, savedDomainOf(d), (percent) => (d.busyPercent = percent));
  } catch (err) {
    if (stop && d.handle === handle) {
      handle.unpause();
      d.state = before;
    }
    throw new ControlError('invalid', `save of '${d.config.name}' failed: ${message(err)}${d.handle === handle ? '; the domain runs on' : ''}`);
  } finally {
    d.busy = undefined;
    d.busyPercent = undefined;
  }
  ops.log(`domain ${d.config.name} (${d.id}) saved to ${path}: ${info.bytes} bytes, ${info.pages} pages, ${Math.round(info.ms)} ms${checkpoint ? ' (checkpoint: it runs on)' : ''}`);
  if (!checkpoint && d.handle === handle) await ops.remove(d, 'destroyed after its save');
  return info;
}

/**
 * Starts a domain from save file `path`: the file is read and checked whole before anything is
 * created. The domain keeps its saved uuid (and so its MACs) unless a live domain has that
 * uuid (a checkpoint still running): then it gets a new uuid and the MACs derived from it.
 */
export async function restoreDomain(ops: SnapshotOps, path: string, options: RestoreOptions): Promise<DomainInfo> {
  const load = ops.host.loadImage;
  if (load === undefined) throw new ControlError('forbidden', 'this host cannot restore domains');
  const nameOf = (saved: SavedDomain | undefined): string => {
    const name = options.name ?? saved?.name;
    if (name === undefined) throw new ControlError('invalid', `${path} names no domain (it was saved by banquise run): give one with --name NAME`);
    return name;
  };
  let image: DomainImage;
  try {
    // Refused before the file's RAM is allocated: a taken name, a full budget (checked again at the start).
    image = await load.call(ops.host, path, (machine, saved) => admit(ops, [nameOf(saved)], machine.memoryBytes));
  } catch (err) {
    if (err instanceof ControlError) throw err;
    throw new ControlError('invalid', `cannot restore ${path}: ${message(err)}`);
  }
  const saved = image.domain;
  const name = nameOf(saved);
  const m = image.machine;
  let config: DomainConfig = {
    name,
    machine: m,
    memoryBytes: Math.min(saved?.memoryBytes ?? m.memoryBytes, m.memoryBytes),
    maxMemoryBytes: m.memoryBytes,
    onPoweroff: saved?.onPoweroff ?? 'destroy',
    onReboot: saved?.onReboot ?? 'restart',
    onCrash: saved?.onCrash ?? 'destroy',
    // The JIT as the saved domain had it (a `banquise run` save names none: the default, on).
    ...(saved?.jit !== undefined ? { jit: saved.jit } : {}),
    ...(saved?.jitThreshold !== undefined ? { jitThreshold: saved.jitThreshold } : {}),
  };
  const inUse = saved !== undefined && ops.names().some((n) => { try { return ops.find(n).uuid === saved.uuid; } catch { return false; } });
  const uuid = saved !== undefined && !inUse ? saved.uuid : ops.newUuid();
  if (saved !== undefined && uuid !== saved.uuid) config = withNewIdentity(config, saved.uuid, uuid, name);
  const [d] = await startEach(ops, [{ uuid, config }], image, options.paused === true);
  ops.log(`domain ${name} (${d!.id}) restored from ${path}${options.paused === true ? ' (paused)' : ''}`);
  return ops.info(d!);
}

/**
 * Forks domain `ref`: its machine is taken at one instant (the parent stops only for that
 * copy, between two slices) and `count` children start from it, each with a new name, uuid
 * and the MACs of that uuid. Admission (names, memory, domain count) is checked for all
 * children before the parent is touched; if one child fails to start, none is left.
 */
export async function forkDomain(ops: SnapshotOps, ref: string, options: ForkOptions): Promise<DomainInfo[]> {
  const p = ops.find(ref);
  ops.expect(p, ['running', 'blocked', 'paused'], 'fork');
  const count = options.count ?? 1;
  if (!Number.isSafeInteger(count) || count < 1 || count > FORK_MAX_CHILDREN) throw new ControlError('invalid', `fork: count must be 1 to ${FORK_MAX_CHILDREN}, got ${count}`);
  const handle = p.handle!;
  if (handle.capture === undefined) throw new ControlError('forbidden', 'this host cannot fork domains');
  const taken = new Set(ops.names());
  const names = forkChildNames(p.config.name, count, options.name, (n) => taken.has(n));
  admit(ops, names, p.config.maxMemoryBytes);
  claim(p, 'fork');
  const t0 = ops.nowMs();
  let image: DomainImage;
  try {
    image = await handle.capture();
  } catch (err) {
    throw new ControlError('invalid', `fork of '${p.config.name}' failed: ${message(err)}`);
  } finally {
    p.busy = undefined;
  }
  const base: DomainConfig = { ...p.config, memoryBytes: p.memoryTargetBytes };
  const configs = names.map((n) => ({ name: n, uuid: ops.newUuid() })).map(({ name, uuid }) => ({ uuid, config: withNewIdentity({ ...base, name }, p.uuid, uuid, name) }));
  const t1 = ops.nowMs();
  const children = await startEach(ops, configs, image, false);
  const t2 = ops.nowMs();
  ops.log(`domain ${p.config.name} (${p.id}) forked: ${children.map((c) => `${c.config.name} (${c.id})`).join(', ')}; capture ${t1 - t0} ms, children running ${t2 - t1} ms later`);
  return children.map((c) => ops.info(c));
}

/** Starts every config from `image` and waits until all run; on any failure removes them all. */
async function startEach(ops: SnapshotOps, items: { uuid: string; config: DomainConfig }[], image: DomainImage, paused: boolean): Promise<SnapshotDomain[]> {
  const started: SnapshotDomain[] = [];
  try {
    for (const { uuid, config } of items) started.push(ops.start(config, { uuid, image, paused }));
    const failures = await Promise.allSettled(started.map((d) => d.handle?.ready ?? Promise.resolve()));
    const failed = failures.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw new ControlError('invalid', `the saved machine did not start: ${message(failed.reason)}`);
    for (const d of started) d.starting = false;
    return started;
  } catch (err) {
    for (const d of started) await ops.remove(d, 'removed: it did not start from its saved state');
    throw err;
  }
}
