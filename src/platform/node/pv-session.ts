// `banquise run` on Node: a machine built from a MachineConfig on the host console, rebuilt
// from the same config when the guest reboots.
import { buildMachine, kernelConsole, type Machine, type MachineConfig, type MachineExit } from '../../machine/index.js';
import { startRunLoop } from './run-loop.js';
import { StdioConsole, type StdioStreams } from './stdio-console.js';
import { Monitor, type MonitorBalloon } from '../../machine/monitor.js';
import { MonitorServer } from './monitor-server.js';
import { openNodeBackends, type NodeBackendOptions } from './node-host-backends.js';
import { BanquiseError } from '../../base/errors.js';
import type { MachineState } from '../../machine/machine-state.js';
import { saveMachineFile } from './snapshot-session.js';
import { CountingLogger } from '../../base/logger.js';

/** Instructions per slice: long enough to amortize the loop, short enough for responsive I/O. */
export const PV_SLICE_INSTRUCTIONS = 2_000_000;

/** A `banquise run` request: the machine as plain data, and where its console goes. */
export interface PvSessionConfig {
  /** The machine (validated: validateMachineConfig). */
  readonly machine: MachineConfig;
  readonly streams: StdioStreams;
  /**
   * Host backend overrides: boot files already in memory, another virtio console end, time
   * sources… (the serial console and the wake-up are the session's own).
   */
  readonly backends?: Omit<NodeBackendOptions, 'console' | 'wake' | 'schedule'>;
  /** The host monitor (Ctrl-A C on a terminal; a Unix socket at `socketPath` if given). */
  readonly monitor?: { readonly socketPath?: string };
  /** Called with each machine the session builds (first boot and every reboot). */
  readonly onMachine?: (machine: Machine) => void;
  /** Resume this saved machine (of the same config) instead of booting (`--restore`). */
  readonly restore?: MachineState;
  /** Save the machine to this file when the user quits (Ctrl-A X, monitor `quit`). */
  readonly saveOnExit?: string;
}

/** How a session ended, with what the guest did. */
export interface PvSessionInfo {
  /** Process exit status: 0 after poweroff, the guest's failure code, 130 after Ctrl-A X. */
  readonly exitCode: number;
  readonly message?: string;
  readonly boots: number;
  readonly instructions: number;
}

/** The monitor's view of the balloon of whichever machine runs now. */
function currentBalloon(machine: () => Machine | undefined): MonitorBalloon {
  const get = (): NonNullable<Machine['devices']['balloon']> => {
    const b = machine()?.devices.balloon;
    if (b === undefined) throw new Error('the guest is between boots: try again');
    return b;
  };
  return {
    get stats() {
      return machine()?.devices.balloon?.stats;
    },
    setTargetPages: (pages) => get().setTargetPages(pages),
    info: () => get().info(),
    requestStats: () => machine()?.devices.balloon?.requestStats() ?? false,
  };
}

/** Builds the machine and runs it until poweroff or failure; a reboot builds it again from the same config. */
export async function runPvSession(cfg: PvSessionConfig): Promise<PvSessionInfo> {
  const config = cfg.machine;
  let boots = 0;
  let instructions = 0;
  let quit = false;
  let current: Machine | undefined;
  let wake = (): void => {};
  let console: StdioConsole | undefined;
  // Device events and counters (`info devices` reads the devices' own counters; the log keeps reasons).
  const log = cfg.backends?.log ?? new CountingLogger();
  const backends = await openNodeBackends(config, {
    ...cfg.backends,
    log,
    console: { write: (b) => console?.write(b) },
    wake: () => wake(),
    // A queue kick is processed right after the guest's current block, not a whole slice later
    // (Linux's hvc driver spins until its buffer comes back).
    schedule: (fn) => {
      queueMicrotask(fn);
      wake();
    },
  });
  // Keystrokes go to the console the kernel reads: hvc0 (the virtio console) when the command
  // line names it last, else the UART/SBI console.
  const tap = backends.consoleTap;
  const inputToHvc = config.devices.console === 'virtio' && kernelConsole(config.boot.cmdline)?.startsWith('hvc') === true;
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
  const saveCurrent = async (path: string): Promise<string> => {
    const m = current;
    if (m === undefined) throw new BanquiseError('the guest is between boots: try again', 75);
    const info = await saveMachineFile(m, path);
    return `saved to ${path}: ${(info.bytes / 1048576).toFixed(1)} MiB (${info.pages} pages) in ${info.ms.toFixed(0)} ms`;
  };
  const monitor = new Monitor({
    ramSizeBytes: config.memoryBytes,
    machine: () => current,
    ...(config.devices.balloon ? { balloon: currentBalloon(() => current) } : {}),
    sleep: (ms) => new Promise((res) => setTimeout(res, ms)),
    save: (path) => saveCurrent(path),
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
  let server: MonitorServer | undefined;
  try {
    const socketPath = cfg.monitor?.socketPath;
    server = socketPath !== undefined ? await MonitorServer.listen(socketPath, execute) : undefined;
    console = new StdioConsole(
      cfg.streams,
      (bytes) => {
        if (inputToHvc) tap?.input(bytes);
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
    const term = console;
    for (;;) {
      boots++;
      const machine = buildMachine(config, backends, boots === 1 && cfg.restore !== undefined ? { state: cfg.restore } : {});
      // A host socket that cannot listen is an error before the guest runs, not a log line.
      if (boots === 1) await backends.listening();
      current = machine;
      cfg.onMachine?.(machine);
      const loop = startRunLoop<MachineExit | 'quit'>(
        () => {
          if (quit) return { done: 'quit', sleepMs: 0 };
          release();
          const s = machine.runSlice(PV_SLICE_INSTRUCTIONS);
          if (machine.exit !== undefined) return { done: machine.exit, sleepMs: 0 };
          return { sleepMs: s.sleepMs };
        },
        () => term.flush(),
      );
      // Input or device work for the guest: cut a sleep short, or end the running slice early.
      wake = () => {
        loop.wake();
        machine.yieldSlice();
      };
      const exit = await loop.done;
      instructions += machine.instret();
      if (exit === 'quit' && cfg.saveOnExit !== undefined) {
        const saved = await saveCurrent(cfg.saveOnExit);
        return { exitCode: 0, message: `banquise: quit (${quitBy}); ${saved}`, boots, instructions };
      }
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
    console?.stop();
    server?.close();
    await backends.close();
  }
}
