// A whole machine to and from the snapshot stream: the machine's plain-data state split into
// records (harts → CPU records, every other component → a DEVICE record named after its key)
// and its RAM as MEMORY records read straight from guest memory.
import type { GuestMemory } from '../../memory/guest-memory.js';
import type { MachineConfig } from '../../machine/machine-config.js';
import type { PlainData } from './plain-codec.js';
import type { PageCompressor } from './page-compressor.js';
import { readSnapshot, type SnapshotContents } from './snapshot-reader.js';
import { SnapshotError } from './snapshot-error.js';
import type { SnapshotHeader, SnapshotPurpose } from './snapshot-header.js';
import { SnapshotWriter, type SnapshotSink } from './snapshot-writer.js';

/** A machine state as plain data: `harts` (one entry per hart) and named components. */
export interface MachineStateData {
  readonly harts: readonly PlainData[];
  readonly [component: string]: PlainData;
}

/** What the snapshot needs of a machine (Machine has it). */
export interface SnapshotMachine {
  readonly mem: GuestMemory;
  /** The config it was built from (undefined for boards not made by the builder). */
  readonly config: MachineConfig | undefined;
  /** Its state, everything but RAM, as plain data. Only between slices. */
  save(): MachineStateData;
  /** Applies a state taken by `save` of a machine built from the same config. */
  restore(state: MachineStateData): void;
}

/** The RAM bytes of guest memory (page 0 at offset 0): a view, not a copy. */
export function ramBytes(mem: GuestMemory): Uint8Array {
  return mem.u8.subarray(mem.ramOffset, mem.ramOffset + mem.ramSizeBytes);
}

/** How to write one snapshot. */
export interface WriteMachineOptions {
  readonly purpose: SnapshotPurpose;
  readonly banquiseVersion: string;
  /** Host wall clock at the stop, ns since the epoch (HEADER savedAtNs). */
  readonly nowNs: bigint;
  readonly compressor?: PageCompressor;
}

/** What a snapshot write produced. */
export interface MachineSnapshotInfo {
  readonly bytes: number;
  readonly pages: number;
}

/**
 * Writes the whole stopped machine (call between slices, with the machine not running) to
 * `sink`: HEADER, non-zero RAM pages, CPU and DEVICE records, END.
 */
export async function writeMachineSnapshot(machine: SnapshotMachine, sink: SnapshotSink, options: WriteMachineOptions): Promise<MachineSnapshotInfo> {
  const config = machine.config;
  if (config === undefined) throw new Error('only a machine made by buildMachine can be saved');
  const state = machine.save();
  const w = new SnapshotWriter(sink, options.compressor);
  await w.header({ banquiseVersion: options.banquiseVersion, purpose: options.purpose, savedAtNs: options.nowNs, config });
  const pages = await w.pages(ramBytes(machine.mem));
  await writeStateRecords(w, state);
  await w.end();
  return { bytes: w.bytesWritten, pages: pages.pages };
}

/** Writes the CPU and DEVICE records of a machine state. */
export async function writeStateRecords(w: SnapshotWriter, state: MachineStateData): Promise<void> {
  for (let i = 0; i < state.harts.length; i++) await w.cpu(i, state.harts[i]!);
  for (const key of Object.keys(state)) if (key !== 'harts') await w.device(key, state[key]!);
}

/** Reassembles the machine state of a completely read stream. */
export function stateOf(contents: SnapshotContents): MachineStateData {
  const state: Record<string, PlainData> = {};
  for (const [name, s] of contents.devices) {
    if (name === 'harts') throw new SnapshotError("snapshot is corrupted: a DEVICE record named 'harts'");
    state[name] = s;
  }
  return { ...state, harts: contents.cpus };
}

/** A restored machine, not yet running. */
export interface RestoredMachine<M extends SnapshotMachine> {
  readonly machine: M;
  readonly header: SnapshotHeader;
  readonly bytes: number;
}

/**
 * Reads a stream and rebuilds its machine: `build(config)` makes the machine (it must check the
 * host can satisfy the config, e.g. the disk images exist, and throw a BanquiseError if not);
 * its RAM is cleared and filled from the MEMORY records; the states are applied once END checked.
 * Any defect throws SnapshotError and `discard(machine)` is called on the machine built so far:
 * a damaged stream never leaves a half-restored machine behind.
 */
export async function readMachineSnapshot<M extends SnapshotMachine>(
  source: AsyncIterable<Uint8Array>,
  build: (header: SnapshotHeader) => M | Promise<M>,
  options: { readonly compressor?: PageCompressor; readonly discard?: (machine: M) => void | Promise<void>; readonly expectEof?: boolean } = {},
): Promise<RestoredMachine<M>> {
  let machine: M | undefined;
  try {
    const contents = await readSnapshot(
      source,
      {
        begin: async (header) => {
          machine = await build(header);
          const ram = ramBytes(machine.mem);
          ram.fill(0); // the builder may have loaded boot files: the snapshot replaces all of RAM
          return ram;
        },
      },
      {
        ...(options.compressor !== undefined ? { compressor: options.compressor } : {}),
        ...(options.expectEof !== undefined ? { expectEof: options.expectEof } : {}),
      },
    );
    try {
      machine!.restore(stateOf(contents));
    } catch (err) {
      if (err instanceof SnapshotError) throw err;
      throw new SnapshotError(`snapshot state does not fit this machine: ${(err as Error).message}`);
    }
    return { machine: machine!, header: contents.header, bytes: contents.bytes };
  } catch (err) {
    if (machine !== undefined) await options.discard?.(machine);
    throw err;
  }
}
