// `banquise run` on Node: a pv machine on the host console, restarted on guest reboot.
import { randomFillSync } from 'node:crypto';
import { Machine, fullBoot, pvBoot, type MachineExit, type PciSlotFactory, type VirtioSlotFactory } from '../../machine/index.js';
import { HostClock, hostWallClockNs } from './host-clock.js';
import { startRunLoop } from './run-loop.js';
import { StdioConsole, type StdioStreams } from './stdio-console.js';
import { Monitor, type MonitorBalloon } from '../../machine/monitor.js';
import { MonitorServer } from './monitor-server.js';

/** Instructions per slice: long enough to amortize the loop, short enough for responsive I/O. */
export const PV_SLICE_INSTRUCTIONS = 2_000_000;

/** A validated `banquise run` request. */
export interface PvSessionConfig {
  /** Full mode: this firmware runs from the boot ROM and `kernel` is its next stage (any image). */
  readonly firmware?: Uint8Array;
  readonly kernel: Uint8Array;
  readonly initrd?: Uint8Array;
  readonly bootargs: string;
  readonly ramSizeBytes: number;
  readonly vcpus: number;
  /**
   * Slot factories of the virtio devices, asked for at every boot (a reboot builds a new
   * machine). `wake` runs the next slice now: devices call it when they complete I/O.
   */
  readonly virtio?: (wake: () => void) => VirtioSlotFactory[];
  /** PCI functions of a full-mode machine, asked for at every boot like `virtio`. */
  readonly pci?: (wake: () => void) => PciSlotFactory[];
  /**
   * Receives host console input instead of the UART (e.g. the virtio console when the guest's
   * console is hvc0). Input goes to one console only: the one the guest reads.
   */
  readonly consoleInput?: (bytes: Uint8Array) => void;
  readonly streams: StdioStreams;
  /** The host monitor (Ctrl-A C on a terminal; a Unix socket at `socketPath` if given). */
  readonly monitor?: { readonly balloon?: MonitorBalloon; readonly socketPath?: string };
}

/** How a session ended, with what the guest did. */
export interface PvSessionInfo {
  /** Process exit status: 0 after poweroff, the guest's failure code, 130 after Ctrl-A X. */
  readonly exitCode: number;
  readonly message?: string;
  readonly boots: number;
  readonly instructions: number;
}

/** Boots the guest and runs it until poweroff or failure; a reboot boots it again. */
export async function runPvSession(cfg: PvSessionConfig): Promise<PvSessionInfo> {
  let boots = 0;
  let instructions = 0;
  let quit = false;
  let current: Machine | undefined;
  let wake = (): void => {};
  // Scripted input (stdin not a terminal) is held until the guest's serial driver listens:
  // bytes that arrive earlier would be lost in its FIFO reset. Typed input goes at once.
  const scripted = cfg.streams.stdin.isTTY !== true;
  let held: Uint8Array[] = [];
  const release = (): void => {
    if (held.length === 0 || current === undefined || (scripted && !current.serialReaderPresent())) return;
    for (const b of held) current.consoleInput(b);
    held = [];
  };
  let quitBy = 'Ctrl-A X';
  const monitor = new Monitor({
    ramSizeBytes: cfg.ramSizeBytes,
    machine: () => current,
    ...(cfg.monitor?.balloon !== undefined ? { balloon: cfg.monitor.balloon } : {}),
    sleep: (ms) => new Promise((res) => setTimeout(res, ms)),
  });
  const execute = async (line: string): Promise<{ text: string; quit: boolean }> => {
    const r = await monitor.execute(line);
    if (r.quit) {
      quitBy = 'monitor';
      quit = true;
      wake();
    }
    return r;
  };
  const socketPath = cfg.monitor?.socketPath;
  const server = socketPath !== undefined ? await MonitorServer.listen(socketPath, execute) : undefined;
  const console = new StdioConsole(
    cfg.streams,
    (bytes) => {
      if (cfg.consoleInput !== undefined) cfg.consoleInput(bytes);
      else {
        held.push(Uint8Array.from(bytes));
        release();
      }
      wake();
    },
    () => {
      quit = true;
      wake();
    },
    execute,
  );
  console.start();
  try {
    for (;;) {
      boots++;
      const machine = new Machine({
        mode: cfg.firmware !== undefined ? 'full' : 'pv',
        ramSizeBytes: cfg.ramSizeBytes,
        vcpus: cfg.vcpus,
        clock: new HostClock(),
        wallClockNs: hostWallClockNs,
        console,
        ...(cfg.virtio !== undefined ? { virtio: cfg.virtio(() => wake()) } : {}),
        ...(cfg.pci !== undefined ? { pci: cfg.pci(() => wake()) } : {}),
      });
      const boot = {
        kernel: cfg.kernel,
        ...(cfg.initrd !== undefined ? { initrd: cfg.initrd } : {}),
        bootargs: cfg.bootargs,
        random: (b: Uint8Array) => randomFillSync(b),
      };
      if (cfg.firmware !== undefined) fullBoot(machine, { ...boot, firmware: cfg.firmware });
      else pvBoot(machine, boot);
      current = machine;
      const loop = startRunLoop<MachineExit | 'quit'>(
        () => {
          if (quit) return { done: 'quit', sleepMs: 0 };
          release();
          const s = machine.runSlice(PV_SLICE_INSTRUCTIONS);
          if (machine.exit !== undefined) return { done: machine.exit, sleepMs: 0 };
          return { sleepMs: s.sleepMs };
        },
        () => console.flush(),
      );
      wake = loop.wake;
      const exit = await loop.done;
      instructions += machine.instret();
      current = undefined;
      if (exit === 'quit') return { exitCode: 130, message: `banquise: quit (${quitBy})`, boots, instructions };
      if (exit.kind === 'reboot') continue;
      if (exit.kind === 'poweroff') return { exitCode: 0, boots, instructions };
      return {
        exitCode: exit.code === 0 ? 1 : exit.code,
        message: exit.message ?? `guest failed with code ${exit.code}`,
        boots,
        instructions,
      };
    }
  } finally {
    console.stop();
    server?.close();
  }
}
