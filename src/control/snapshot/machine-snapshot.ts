// A whole machine to and from the snapshot stream. `Machine.save()` (machine-state.ts) is split
// into records: each hart a CPU record; each virtio slot a DEVICE record `virtio.N` (null for
// an empty slot); every other component whose state is a map (clint, plic, uart, rtc, test) a
// DEVICE record named after its key; the remaining scalars and lists (version, hsm, hart entry
// points, nextHart, sbiInput, exit) one DEVICE record `board`. `config` travels in the HEADER,
// and RAM as MEMORY records read straight from guest memory (never copied whole).
import type { GuestMemory } from '../../memory/guest-memory.js';
import type { MachineConfig } from '../../machine/machine-config.js';
import type { MachineState } from '../../machine/machine-state.js';
import { validateMachineConfig } from '../../machine/validate-machine-config.js';
import type { PlainData } from './plain-codec.js';
import type { PageCompressor } from './page-compressor.js';
import { readSnapshot, type SnapshotContents } from './snapshot-reader.js';
import { SnapshotError } from './snapshot-error.js';
import type { SnapshotHeader, SnapshotPurpose } from './snapshot-header.js';
import { SnapshotWriter, type SnapshotSink } from './snapshot-writer.js';

/** A machine state as the stream sees it: plain data with `harts`; `config` and `ram` are not records. */
export interface MachineStateData {
  readonly harts: readonly unknown[];
}

/** What saving needs of a machine (Machine has it). */
export interface SavableMachine {
  readonly mem: GuestMemory;
  /** The config it was built from (undefined for boards not made by the builder). */
  readonly config: MachineConfig | undefined;
  /**
   * Its state between slices: with RAM (a copy, in `ram`) by default, so that the whole machine
   * is captured at one instant even if host I/O lands while the stream is written.
   */
  save(options?: { readonly withoutRam?: boolean }): MachineStateData;
}

/** Name of the DEVICE record holding the board's scalar and list fields. */
const BOARD_RECORD = 'board';
const VIRTIO_PREFIX = 'virtio.';

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
  /** The daemon's domain around the machine (HEADER `domain`). */
  readonly domain?: SnapshotHeader['domain'];
  /** Fraction of the RAM written so far (0..1), after each MEMORY record. */
  readonly onProgress?: (fraction: number) => void;
}

/** What a snapshot write produced. */
export interface MachineSnapshotInfo {
  readonly bytes: number;
  /** Non-zero pages written. */
  readonly pages: number;
}

/**
 * Writes the whole machine to `sink`: HEADER, non-zero RAM pages, CPU and DEVICE records, END.
 * The state (RAM included) is captured synchronously first, so the machine may run on or take
 * host I/O while the stream is written: the snapshot is of the instant of the call.
 */
export async function writeMachineSnapshot(machine: SavableMachine, sink: SnapshotSink, options: WriteMachineOptions): Promise<MachineSnapshotInfo> {
  const config = machine.config;
  if (config === undefined) throw new Error('only a machine made by buildMachine can be saved');
  const state = machine.save();
  const ram = (state as unknown as Record<string, unknown>)['ram'];
  if (!(ram instanceof Uint8Array) || ram.length !== machine.mem.ramSizeBytes) throw new Error('machine state without its RAM copy');
  const w = new SnapshotWriter(sink, options.compressor);
  await w.header({ banquiseVersion: options.banquiseVersion, purpose: options.purpose, savedAtNs: options.nowNs, config, ...(options.domain !== undefined ? { domain: options.domain } : {}) });
  const pages = await w.pages(ram, undefined, options.onProgress);
  await writeStateRecords(w, state);
  await w.end();
  return { bytes: w.bytesWritten, pages: pages.pages };
}

function isMap(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** Writes the CPU and DEVICE records of a machine state (see the file comment). */
export async function writeStateRecords(w: SnapshotWriter, state: MachineStateData): Promise<void> {
  for (let i = 0; i < state.harts.length; i++) await w.cpu(i, state.harts[i] as PlainData);
  const board: Record<string, PlainData> = {};
  const fields = state as unknown as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    const v = fields[key];
    if (key === 'harts' || key === 'config' || key === 'ram' || v === undefined) continue;
    if (key === 'virtio' && Array.isArray(v)) {
      for (let slot = 0; slot < v.length; slot++) await w.device(`${VIRTIO_PREFIX}${slot}`, v[slot] as PlainData);
    } else if (isMap(v) && key !== 'exit') {
      await w.device(key, v as PlainData);
    } else {
      board[key] = v as PlainData;
    }
  }
  await w.device(BOARD_RECORD, board);
}

/** Reassembles a machine state (without config and ram) from a completely read stream. */
export function stateOf(contents: SnapshotContents): Record<string, unknown> & { harts: readonly unknown[] } {
  const fail = (why: string): never => {
    throw new SnapshotError(`snapshot is corrupted: ${why}`);
  };
  const board = contents.devices.get(BOARD_RECORD);
  if (!isMap(board)) fail(`no '${BOARD_RECORD}' DEVICE record`);
  const state: Record<string, unknown> = { ...(board as Record<string, unknown>) };
  const virtio: unknown[] = [];
  for (const [name, s] of contents.devices) {
    if (name === BOARD_RECORD) continue;
    if (name.startsWith(VIRTIO_PREFIX)) {
      const slot = Number(name.slice(VIRTIO_PREFIX.length));
      if (!/^\d{1,2}$/.test(name.slice(VIRTIO_PREFIX.length)) || slot > 63) fail(`DEVICE record '${name}' names no virtio slot`);
      virtio[slot] = s;
      continue;
    }
    if (name === 'harts' || name === 'config' || name === 'ram' || name in state) fail(`DEVICE record '${name}' repeats a field`);
    state[name] = s;
  }
  for (let i = 0; i < virtio.length; i++) if (!(i in virtio)) fail(`no DEVICE record for virtio slot ${i}`);
  if (virtio.length > 0) state['virtio'] = virtio;
  return { ...state, harts: contents.cpus };
}

/** A stream read completely: the header and the whole machine state, RAM included. */
export interface ReadMachineState {
  readonly header: SnapshotHeader;
  /** Ready for `buildMachine(header.config, backends, { state })`. */
  readonly state: MachineState;
  readonly bytes: number;
}

/** Options of readMachineState. */
export interface ReadMachineOptions {
  readonly compressor?: PageCompressor;
  /**
   * Called with the checked header (its config validated) before any page is read: check that
   * this host can run that machine (disk images present, memory available) and throw a
   * BanquiseError saying what is missing if not.
   */
  readonly prepare?: (header: SnapshotHeader) => void | Promise<void>;
  /** Refuse bytes after END (default true: a file). */
  readonly expectEof?: boolean;
  /**
   * The RAM to fill, called after `prepare` (default: a fresh buffer). A migration destination
   * gives the memory of a machine built beforehand (`buildMachine(…, { boot: false })`, zeroed),
   * so that `state.ram` is that memory and `machine.restore(state)` copies nothing.
   */
  readonly ram?: (header: SnapshotHeader) => Uint8Array | Promise<Uint8Array>;
}

/**
 * Reads a whole stream into a MachineState. Nothing is built or started here: the caller builds
 * the machine from the result, so a damaged stream (SnapshotError) never leaves a half-restored
 * machine. RAM is one fresh buffer of the config's size.
 */
export async function readMachineState(source: AsyncIterable<Uint8Array>, options: ReadMachineOptions = {}): Promise<ReadMachineState> {
  let ram: Uint8Array | undefined;
  let checked: SnapshotHeader | undefined;
  const contents = await readSnapshot(
    source,
    {
      begin: async (header) => {
        let config: MachineConfig;
        try {
          config = validateMachineConfig(header.config);
        } catch (err) {
          throw new SnapshotError(`snapshot HEADER record: its machine config is invalid: ${(err as Error).message}`);
        }
        checked = { ...header, config };
        await options.prepare?.(checked);
        ram = options.ram !== undefined ? await options.ram(checked) : new Uint8Array(config.memoryBytes);
        return ram;
      },
    },
    {
      ...(options.compressor !== undefined ? { compressor: options.compressor } : {}),
      ...(options.expectEof !== undefined ? { expectEof: options.expectEof } : {}),
    },
  );
  const parts = stateOf(contents);
  const state = { ...parts, config: checked!.config, ram: ram! } as unknown as MachineState;
  return { header: checked!, state, bytes: contents.bytes };
}
