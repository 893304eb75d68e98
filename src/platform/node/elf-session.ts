// `banquise elf` on Node: a bare-metal HTIF program with its output on stdout.
import { ElfRunner, type ElfRunInfo } from '../../machine/index.js';
import { HostClock, hostWallClockNs } from './host-clock.js';
import { startRunLoop } from './run-loop.js';

/** Instructions per slice of the loop. */
export const ELF_SLICE_INSTRUCTIONS = 1_000_000;

/** A validated `banquise elf` request. */
export interface ElfSessionConfig {
  readonly elf: Uint8Array;
  readonly maxInstructions?: number;
  /** Receives one line per executed instruction when tracing. */
  readonly trace?: (line: string) => void;
  readonly stdout: NodeJS.WritableStream;
  /** Run hot guest code as WebAssembly (docs/jit.md), and its hotness threshold. */
  readonly jit?: boolean;
  readonly jitThreshold?: number;
}

/** Runs the program to its HTIF exit (or the instruction limit). */
export async function runElfSession(cfg: ElfSessionConfig): Promise<ElfRunInfo> {
  let pending: Uint8Array[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    cfg.stdout.write(Buffer.concat(pending));
    pending = [];
  };
  const runner = new ElfRunner({
    elf: cfg.elf,
    ...(cfg.maxInstructions !== undefined ? { maxInstructions: cfg.maxInstructions } : {}),
    clock: new HostClock(),
    wallClockNs: hostWallClockNs,
    console: { write: (bytes) => pending.push(Uint8Array.from(bytes)) },
    ...(cfg.jit !== undefined ? { jit: cfg.jit } : {}),
    ...(cfg.jitThreshold !== undefined ? { jitThreshold: cfg.jitThreshold } : {}),
  });
  if (cfg.trace !== undefined) attachTracer(runner, cfg.trace);
  const loop = startRunLoop<ElfRunInfo>(() => {
    const r = runner.runSlice(ELF_SLICE_INSTRUCTIONS);
    return r.done !== undefined ? { done: r.done, sleepMs: 0 } : { sleepMs: r.sleepMs };
  }, flush);
  try {
    return await loop.done;
  } finally {
    flush();
  }
}

/** Hooks the per-instruction tracer of hart 0 (see machine/trace-format). */
function attachTracer(runner: ElfRunner, out: (line: string) => void): void {
  runner.attachTrace(out);
}
