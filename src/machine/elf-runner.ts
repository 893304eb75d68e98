// The bare-metal runner behind `banquise elf`: loads an RV64 ELF into a bare board (RAM at
// 0x8000_0000), starts hart 0 in M-mode at the entry and speaks HTIF through `tohost`/`fromhost`
// (DESIGN.md §7): 1 = pass, (n << 1) | 1 = failure n, device 1 command 1 = print a character.
import type { Clock } from '../base/clock.js';
import { BanquiseError } from '../base/errors.js';
import { disassemble } from '../cpu/disassemble.js';
import { parseElf } from '../loader/elf.js';
import { Machine, type ConsoleBackend, type MachineExit } from './machine.js';

/** Input of an ELF run. */
export interface ElfRunConfig {
  /** The ELF file's bytes. */
  readonly elf: Uint8Array;
  /** RAM size (default 256 MiB). */
  readonly ramSizeBytes?: number;
  /** Stop with status 2 after this many instructions (default: no limit). */
  readonly maxInstructions?: number;
  readonly clock: Clock;
  readonly wallClockNs: () => bigint;
  /** Receives HTIF console characters and UART output. */
  readonly console: ConsoleBackend;
  /** Run hot guest code as WebAssembly (docs/jit.md), and its hotness threshold. */
  readonly jit?: boolean;
  readonly jitThreshold?: number;
}

/** How an ELF run ended. */
export interface ElfRunInfo {
  /** Process exit status: 0 pass, 1 failure, 2 instruction limit, or the test device's code. */
  readonly exitCode: number;
  /** A line for the user (e.g. `FAIL: test 3`), if any. */
  readonly message?: string;
  /** Instructions retired. */
  readonly instructions: number;
}

/** Outcome of one `ElfRunner.runSlice`. */
export interface ElfSliceInfo {
  /** Set when the run is over. */
  readonly done?: ElfRunInfo;
  /** How long the platform may sleep (the hart waits in WFI). */
  readonly sleepMs: number;
}

/** Default RAM of the bare board: 256 MiB. */
export const ELF_DEFAULT_RAM_BYTES = 256 * 1024 * 1024;

/** Instructions between two looks at `tohost`. */
export const HTIF_POLL_INSTRUCTIONS = 4096;

/** HTIF device 1 (console), command 1 (write a character): `(1 << 56) | (1 << 48) | ch`. */
const HTIF_CONSOLE_PUTCHAR = (1n << 56n) | (1n << 48n);

const ABI_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2', 's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7', 's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
];

/**
 * One trace line: pc, raw instruction (4 hex digits for a compressed one), disassembly, and
 * the register written with its new value (rd = -1: none; 32 + n: f register n).
 */
export function formatTraceLine(pc: bigint, insn: number, rd: number, rdValue: bigint): string {
  const compressed = (insn & 3) !== 3;
  const raw = compressed ? (insn & 0xffff).toString(16).padStart(4, '0').padEnd(8, ' ') : (insn >>> 0).toString(16).padStart(8, '0');
  let line = `${pc.toString(16).padStart(16, '0')} ${raw} ${disassemble(insn, pc).replace('\t', ' ').padEnd(28, ' ')}`;
  if (rd > 0) {
    const name = rd >= 32 ? `f${rd - 32}` : ABI_NAMES[rd]!;
    line += ` ${name}=${BigInt.asUintN(64, rdValue).toString(16).padStart(16, '0')}`;
  }
  return line.trimEnd();
}

/** Runs one bare-metal ELF, slice by slice. */
export class ElfRunner {
  readonly machine: Machine;
  /** Guest-physical address of `tohost`, or -1 if the ELF has none. */
  readonly tohostGpa: number;
  /** Guest-physical address of `fromhost`, or -1. */
  readonly fromhostGpa: number;
  /** The ELF's entry point. */
  readonly entry: bigint;
  private readonly maxInstructions: number;
  private readonly console: ConsoleBackend;
  private readonly one = new Uint8Array(1);
  private result: ElfRunInfo | undefined;

  /** Parses and loads the ELF; throws BanquiseError (exit status 64) on malformed input. */
  constructor(config: ElfRunConfig) {
    const image = parseElf(config.elf);
    this.console = config.console;
    this.maxInstructions = config.maxInstructions ?? Infinity;
    this.machine = new Machine({
      mode: 'bare',
      ramSizeBytes: config.ramSizeBytes ?? ELF_DEFAULT_RAM_BYTES,
      vcpus: 1,
      clock: config.clock,
      wallClockNs: config.wallClockNs,
      console: config.console,
      ...(config.jit !== undefined ? { jit: config.jit } : {}),
      ...(config.jitThreshold !== undefined ? { jitThreshold: config.jitThreshold } : {}),
    });
    const mem = this.machine.mem;
    for (const seg of image.segments) {
      const where = `0x${seg.paddr.toString(16)}`;
      if (seg.memSize > 0xffff_ffffn || seg.paddr > 0xffff_ffff_ffffn || !mem.contains(Number(seg.paddr), Number(seg.memSize))) {
        throw new BanquiseError(
          `ELF segment at ${where} (${seg.memSize} bytes) is outside RAM ` +
            `(0x${mem.ramBaseGpa.toString(16)}..0x${(mem.ramBaseGpa + mem.ramSizeBytes).toString(16)})`,
          64,
        );
      }
      const gpa = Number(seg.paddr);
      mem.write(gpa, seg.fileBytes);
      const bss = Number(seg.memSize) - seg.fileBytes.length;
      if (bss > 0) {
        const off = mem.offsetOf(gpa + seg.fileBytes.length);
        mem.u8.fill(0, off, off + bss);
      }
    }
    this.entry = image.entry;
    this.tohostGpa = this.symbolGpa(image.symbols.get('tohost'));
    this.fromhostGpa = this.symbolGpa(image.symbols.get('fromhost'));
    this.machine.resetHarts(image.entry);
  }

  private symbolGpa(addr: bigint | undefined): number {
    if (addr === undefined || addr > 0xffff_ffff_ffffn) return -1;
    return this.machine.mem.contains(Number(addr), 8) ? Number(addr) : -1;
  }

  /**
   * Traces every instruction of hart 0: `pc raw disassembly [reg=value]`, one line each.
   * Tracing takes the hart's slow path.
   */
  attachTrace(out: (line: string) => void): void {
    this.machine.harts[0]!.setTracer((pc, insn, rd, rdValue) => out(formatTraceLine(pc, insn, rd, rdValue)));
  }

  /** The result, once the run is over. */
  get done(): ElfRunInfo | undefined {
    return this.result;
  }

  /** Runs up to `budget` instructions, looking at `tohost` every HTIF_POLL_INSTRUCTIONS. */
  runSlice(budget: number): ElfSliceInfo {
    const m = this.machine;
    let left = budget;
    while (this.result === undefined && left > 0) {
      const executed = m.steps(); // trapping instructions count: a fault loop must hit the limit
      const remaining = this.maxInstructions - executed;
      if (remaining <= 0) {
        this.finish(2, `instruction limit reached: ${this.maxInstructions} instructions executed without an exit`);
        break;
      }
      const slice = m.runSlice(Math.min(HTIF_POLL_INSTRUCTIONS, left, remaining));
      left -= Math.max(1, slice.instructions);
      this.pollHtif();
      if (this.result === undefined && m.exit !== undefined) this.finishFromMachine(m.exit);
      if (this.result === undefined && slice.reason === 'idle') return { sleepMs: slice.sleepMs };
    }
    return this.result !== undefined ? { done: this.result, sleepMs: 0 } : { sleepMs: 0 };
  }

  /** Acts on a pending HTIF request in `tohost`. */
  private pollHtif(): void {
    if (this.tohostGpa < 0 || this.result !== undefined) return;
    const mem = this.machine.mem;
    const v = mem.readU64(this.tohostGpa);
    if (v === undefined || v === 0n) return;
    const device = v >> 56n;
    const command = (v >> 48n) & 0xffn;
    if (device === 0n && (v & 1n) === 1n) {
      const payload = v & ((1n << 48n) - 1n);
      if (payload === 1n) this.finish(0);
      else this.finish(1, `FAIL: test ${payload >> 1n}`);
      return;
    }
    if (device === 1n && command === 1n) {
      this.one[0] = Number(v & 0xffn);
      this.console.write(this.one);
      mem.writeU64(this.tohostGpa, 0n);
      if (this.fromhostGpa >= 0) mem.writeU64(this.fromhostGpa, 1n);
      return;
    }
    if (device === 1n && command === 0n) {
      // Console read request: no input offered; acknowledge so the guest does not wait forever.
      mem.writeU64(this.tohostGpa, 0n);
      return;
    }
    this.finish(1, `unsupported HTIF request 0x${v.toString(16)} in tohost (only exit and console output exist)`);
  }

  private finishFromMachine(exit: MachineExit): void {
    if (exit.kind === 'poweroff') this.finish(0);
    else if (exit.kind === 'reboot') this.finish(1, 'the program asked for a reboot, which bare-metal runs do not do');
    else this.finish(exit.code, exit.message);
  }

  private finish(exitCode: number, message?: string): void {
    const instructions = this.machine.instret();
    this.result = message === undefined ? { exitCode, instructions } : { exitCode, message, instructions };
  }
}
