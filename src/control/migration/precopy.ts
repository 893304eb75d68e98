// Live migration by pre-copy (Clark et al., NSDI 2005) over one MigrationLink, in the snapshot
// stream format: HEADER; wait for ACCEPT; every non-zero page while the guest runs; rounds of
// the pages dirtied meanwhile (exact tracking: machine/dirty-tracking.ts) until what is left
// fits the downtime budget; then pause, the last dirty pages, CPU and DEVICE records, END; the
// destination restores, starts the guest and replies RUNNING. Until RUNNING arrives the source
// can resume: any failure before the switch-over leaves the guest running on the source.
import { dirtyPageCount, dirtyPageList, startDirtyRound, type DirtyTrackable } from '../../machine/dirty-tracking.js';
import { ChunkReader } from '../snapshot/chunk-reader.js';
import { readMachineState, ramBytes, writeStateRecords, type SavableMachine } from '../snapshot/machine-snapshot.js';
import type { MachineState } from '../../machine/machine-state.js';
import type { PageCompressor } from '../snapshot/page-compressor.js';
import { SnapshotError } from '../snapshot/snapshot-error.js';
import type { SnapshotHeader } from '../snapshot/snapshot-header.js';
import { SnapshotWriter } from '../snapshot/snapshot-writer.js';
import { SNAPSHOT_PAGE_BYTES } from '../snapshot/page-record.js';
import type { MigrationLink } from './migration-link.js';
import { encodeReply, readReply } from './migration-reply.js';

/** A machine that can migrate: snapshot-able and dirty-trackable (Machine is both). */
export type MigratableMachine = SavableMachine & DirtyTrackable;

/** How the source side runs. */
export interface MigrateOutOptions {
  readonly banquiseVersion: string;
  /** Host wall clock, ns since the epoch. */
  readonly wallClockNs: () => bigint;
  /** A monotonic clock in ms (performance.now). */
  readonly nowMs: () => number;
  /** Stops the guest: no slice runs after this returns (the platform's loop is paused). */
  pause(): void;
  /** Lets the guest run again (migration failed before the switch-over). */
  resume(): void;
  /** Gives the run loop a turn, so the guest runs while memory is being sent. */
  yieldToGuest(): Promise<void>;
  readonly compressor?: PageCompressor;
  /** Largest expected pause (default 50 ms): stop once the remaining pages fit it. */
  readonly downtimeBudgetMs?: number;
  /** Most pre-copy rounds after the full pass (default 30). */
  readonly maxRounds?: number;
  /** Called after the full pass and each round. */
  readonly onProgress?: (p: MigrationProgress) => void;
}

/** Progress of a migration. */
export interface MigrationProgress {
  /** 0 = the full pass, then 1, 2, … */
  readonly round: number;
  /** Pages sent in this round. */
  readonly pages: number;
  /** Stream bytes sent so far. */
  readonly bytesSent: number;
  /** Pages dirtied during this round (what the next round must send). */
  readonly dirtyPages: number;
  /** Dirtying rate during this round, pages per second. */
  readonly dirtyRate: number;
}

/** What a finished migration measured. */
export interface MigrationInfo {
  /** Pre-copy rounds after the full pass. */
  readonly rounds: number;
  readonly bytesSent: number;
  /** Page entries sent, all rounds. */
  readonly pagesSent: number;
  /** Pages sent while the guest was stopped. */
  readonly finalPages: number;
  /** From start to RUNNING, ms. */
  readonly totalMs: number;
  /** From the source's pause to the destination's RUNNING reply, ms. */
  readonly downtimeMs: number;
}

/** A last round of at most this many pages is sent stored: compressing would take longer. */
const LAST_ROUND_COMPRESS_PAGES = 1024;

/** Time per page assumed before anything was measured (ms). */
const INITIAL_MS_PER_PAGE = 0.01;

/**
 * Migrates `machine` out over `link`. Resolves once the destination runs the guest (the caller
 * then destroys the source); rejects, with the guest running on the source again, otherwise.
 */
export async function migrateOut(machine: MigratableMachine, link: MigrationLink, options: MigrateOutOptions): Promise<MigrationInfo> {
  const config = machine.config;
  if (config === undefined) throw new Error('only a machine made by buildMachine can migrate');
  const budget = options.downtimeBudgetMs ?? 50;
  const maxRounds = options.maxRounds ?? 30;
  const replies = new ChunkReader(link.receive);
  const ram = ramBytes(machine.mem);
  const w = new SnapshotWriter(link.send, options.compressor);
  const t0 = options.nowMs();
  let paused = false;
  let pagesSent = 0;
  try {
    await w.header({ banquiseVersion: options.banquiseVersion, purpose: 'migration', savedAtNs: options.wallClockNs(), config });
    const answer = await readReply(replies);
    if (answer === undefined) throw new SnapshotError('migration destination closed the link before accepting');
    if (answer.kind === 'refuse') throw new SnapshotError(`migration destination refused: ${answer.reason}`);
    if (answer.kind !== 'accept') throw new SnapshotError(`migration destination sent ${answer.kind} before accepting`);

    // Full pass: everything non-zero, while the guest runs.
    let bitmap = startDirtyRound(machine);
    let roundStart = options.nowMs();
    let sent = await w.pages(ram);
    pagesSent += sent.pages;
    let msPerPage = sent.pages > 0 ? Math.max(INITIAL_MS_PER_PAGE, (options.nowMs() - roundStart) / sent.pages) : INITIAL_MS_PER_PAGE;
    let round = 0;
    for (;;) {
      await options.yieldToGuest();
      const elapsed = Math.max(1e-3, options.nowMs() - roundStart);
      bitmap = startDirtyRound(machine, bitmap);
      const dirty = dirtyPageCount(bitmap);
      options.onProgress?.({ round, pages: sent.pages, bytesSent: w.bytesWritten, dirtyPages: dirty, dirtyRate: (dirty * 1000) / elapsed });
      if (dirty * msPerPage <= budget || round >= maxRounds) break;
      round++;
      roundStart = options.nowMs();
      sent = await w.pages(ram, dirtyPageList(bitmap));
      pagesSent += sent.pages;
      if (sent.pages > 0) msPerPage = Math.max(INITIAL_MS_PER_PAGE, (options.nowMs() - roundStart) / sent.pages);
    }

    // Stop and copy. Still unsent: the pages dirtied during the last round (in `bitmap`) and
    // those dirtied since it was taken. They and the device state are captured synchronously,
    // at one instant: host I/O landing in the stopped source afterwards is not sent.
    options.pause();
    paused = true;
    const tPause = options.nowMs();
    const since = startDirtyRound(machine);
    for (let i = 0; i < bitmap.length; i++) bitmap[i] = bitmap[i]! | since[i]!;
    const list = dirtyPageList(bitmap);
    const copy = new Uint8Array(list.length * SNAPSHOT_PAGE_BYTES);
    list.forEach((p, i) => copy.set(ram.subarray(p * SNAPSHOT_PAGE_BYTES, (p + 1) * SNAPSHOT_PAGE_BYTES), i * SNAPSHOT_PAGE_BYTES));
    const state = machine.save({ withoutRam: true });
    const last = await w.copiedPages(list, copy, { compress: list.length > LAST_ROUND_COMPRESS_PAGES });
    pagesSent += last.pages;
    await writeStateRecords(w, state);
    await w.end();
    const done = await readReply(replies);
    if (done?.kind !== 'running') {
      throw new SnapshotError(done === undefined ? 'migration destination closed the link before running the guest' : done.kind === 'refuse' ? `migration destination failed: ${done.reason}` : `migration destination sent ${done.kind}`);
    }
    const tEnd = options.nowMs();
    link.close();
    return { rounds: round, bytesSent: w.bytesWritten, pagesSent, finalPages: last.pages, totalMs: tEnd - t0, downtimeMs: tEnd - tPause };
  } catch (err) {
    link.close(); // the destination's reader ends, and so does its reply stream
    if (paused) options.resume();
    throw err;
  }
}

/** A guest received by migrateIn: its whole state, not built or running yet. */
export interface IncomingMigration {
  readonly header: SnapshotHeader;
  /** Build the machine from it: `buildMachine(header.config, backends, { state })`. */
  readonly state: MachineState;
  /** Tell the source the guest runs here now (call right after starting it): the switch-over. */
  confirmRunning(): Promise<void>;
  /** Tell the source this side failed (before confirmRunning): the source resumes. */
  fail(reason: string): Promise<void>;
}

/**
 * Receives a migration over `link`. `prepare(header)` checks this host can run the machine
 * (throw a BanquiseError if not: its message goes back to the source as the refusal), then the
 * whole stream is read. A broken or damaged stream throws SnapshotError; nothing was built.
 */
export async function migrateIn(
  link: MigrationLink,
  options: {
    readonly compressor?: PageCompressor;
    readonly prepare?: (header: SnapshotHeader) => void | Promise<void>;
    /** The RAM to receive into (see ReadMachineOptions.ram): a machine built at ACCEPT time. */
    readonly ram?: (header: SnapshotHeader) => Uint8Array | Promise<Uint8Array>;
  } = {},
): Promise<IncomingMigration> {
  let accepted = false;
  try {
    const r = await readMachineState(link.receive, {
      ...(options.compressor !== undefined ? { compressor: options.compressor } : {}),
      expectEof: false,
      ...(options.ram !== undefined ? { ram: options.ram } : {}),
      prepare: async (header) => {
        try {
          await options.prepare?.(header);
        } catch (err) {
          await link.send(encodeReply({ kind: 'refuse', reason: (err as Error).message }));
          throw err;
        }
        accepted = true;
        await link.send(encodeReply({ kind: 'accept' }));
      },
    });
    return {
      header: r.header,
      state: r.state,
      confirmRunning: async () => {
        await link.send(encodeReply({ kind: 'running' }));
        link.close();
      },
      fail: async (reason) => {
        await Promise.resolve(link.send(encodeReply({ kind: 'refuse', reason }))).catch(() => {});
        link.close();
      },
    };
  } catch (err) {
    if (accepted) await Promise.resolve(link.send(encodeReply({ kind: 'refuse', reason: (err as Error).message }))).catch(() => {});
    link.close();
    throw err;
  }
}
