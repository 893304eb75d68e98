// The `banquise` command line: parses arguments into requests and hands them to the platform.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { BanquiseError } from '../base/errors.js';
import { parseSize } from '../base/u64.js';
import { loadFile } from '../platform/node/file-loader.js';
import { runElfSession } from '../platform/node/elf-session.js';
import { runPvSession, type PvSessionConfig } from '../platform/node/pv-session.js';
import { loadMachineFile, restoreBlobs } from '../platform/node/snapshot-session.js';
import { parseVirtioOptions } from '../platform/node/virtio-options.js';
import { nicConfigOf, parseNetOption, parseShareOption, shareConfigsOf } from '../platform/node/net-options.js';
import { DEFAULT_JIT_CONFIG, kernelConsole, MAX_MEMORY_BYTES, MIN_MEMORY_BYTES, validateMachineConfig, type MachineConfig } from '../machine/index.js';
import { packageVersion } from '../platform/node/daemon-paths.js';
import { DEFAULT_BIOS } from '../platform/node/default-firmware.js';
import { addToolstackVerbs } from './toolstack-verbs.js';
import { addSnapshotVerbs } from './snapshot-verbs.js';
import { registerWebCommand } from './web-command.js';

export { kernelConsole, MAX_MEMORY_BYTES, MIN_MEMORY_BYTES };
export { DEFAULT_BIOS };

/** Parses --mode: pv (default) or full. */
export function parseModeOption(text: string): 'pv' | 'full' {
  if (text === 'pv' || text === 'full') return text;
  throw new InvalidArgumentError(`'${text}' is not a mode: pv (kernel in S-mode, SBI in Banquise) or full (firmware from reset)`);
}

/** Kernel command line when --append is not given. */
export const DEFAULT_APPEND = 'console=ttyS0';

/**
/**
 * True if the kernel command line names a root device (`root=`, before any `--`): the user boots
 * a disk, so the default guest's initramfs (which would become the root) is not added.
 */
export function namesRootDevice(cmdline: string): boolean {
  for (const word of cmdline.trim().split(/\s+/)) {
    if (word === '--') break;
    if (word.startsWith('root=')) return true;
  }
  return false;
}

/**
 * The command line a guest boots with: `--append` (or DEFAULT_APPEND), and with
 * `--console virtio` `console=hvc0` when the user named no console (the virtio console is
 * hvc0: the guest kernel has no other hvc driver).
 */
export function effectiveCmdline(append: string | undefined, virtioConsole: boolean): string {
  if (!virtioConsole) return append ?? DEFAULT_APPEND;
  if (append === undefined) return 'console=hvc0';
  if (kernelConsole(append) !== undefined) return append;
  // Before a `--`: what follows it are init's arguments.
  const words = append.trim().split(/\s+/).filter((w) => w !== '');
  const end = words.indexOf('--');
  words.splice(end < 0 ? words.length : end, 0, 'console=hvc0');
  return words.join(' ');
}

const CONSOLE_HELP = `
Console: the guest's console is on this terminal: the serial port (ttyS0), or with
--console virtio the virtio console (hvc0). Keystrokes go to the console the kernel command
line names last (console=...). Ctrl-A X quits, Ctrl-A Ctrl-A sends Ctrl-A, Ctrl-A H lists the
escapes, Ctrl-A C switches to the host monitor and back. With stdin from a pipe or a file,
input passes through as it arrives and the end of input does not stop the guest.

Monitor (Ctrl-A C, or each connection to --monitor PATH): help, balloon <size> (guest memory
target, with --balloon), info balloon, info sbi, info cpus, info devices, info counters, info
jit, save, quit.`;

/** Parses a --memory value ("256M", "1G", bytes); rejects malformed or out-of-range sizes. */
export function parseMemoryOption(text: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined) throw new InvalidArgumentError(`'${text}' is not a size (examples: 256M, 1G)`);
  if (bytes < MIN_MEMORY_BYTES) throw new InvalidArgumentError(`${text} is too small: a guest needs at least 16M`);
  if (bytes > MAX_MEMORY_BYTES) throw new InvalidArgumentError(`${text} is too large: at most 2G per domain`);
  if (bytes % 4096 !== 0) throw new InvalidArgumentError(`${text} is not a multiple of 4K`);
  return bytes;
}

/** Parses --vcpus: an integer 1..8. */
export function parseVcpusOption(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 8) throw new InvalidArgumentError(`'${text}' is not a vCPU count from 1 to 8`);
  return n;
}

/** Parses --max-instructions: a positive integer. */
export function parseCountOption(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`'${text}' is not a positive whole number`);
  return n;
}

/** Parses --jit-threshold: a whole number, 0 included. */
function parseThresholdOption(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`'${text}' is not a whole number`);
  return n;
}

/**
 * The JIT flags as build options: on unless --no-jit (docs/jit.md); --jit-threshold with
 * --no-jit is a contradiction, refused rather than silently ignored.
 */
export function jitOptionsOf(opts: { jit?: boolean; jitThreshold?: number }): { jit: boolean; jitThreshold?: number } {
  if (opts.jit === false && opts.jitThreshold !== undefined) throw new BanquiseError('--jit-threshold needs the JIT: drop --no-jit', 64);
  return { jit: opts.jit !== false, ...(opts.jitThreshold !== undefined ? { jitThreshold: opts.jitThreshold } : {}) };
}

interface RunOptions {
  mode: 'pv' | 'full';
  bios?: string;
  kernel?: string;
  initrd?: string;
  append?: string;
  memory: number;
  vcpus: number;
  disk: string[];
  console?: string;
  vsock?: string;
  balloon?: boolean;
  monitor?: string;
  rng: boolean;
  net: string[];
  share: string[];
  jit?: boolean;
  jitThreshold?: number;
  saveOnExit?: string;
  restore?: string;
}

/** `run` options that describe the machine: a restore takes them from the save file instead. */
const RESTORE_CONFLICTS = ['mode', 'bios', 'kernel', 'initrd', 'append', 'memory', 'vcpus', 'disk', 'console', 'vsock', 'balloon', 'rng', 'net', 'share'];

/** What a `banquise run` session takes from the flags besides the machine: terminal, JIT, monitor, save. */
function sessionOptions(opts: RunOptions): Omit<PvSessionConfig, 'machine'> {
  return {
    streams: { stdin: process.stdin, stdout: process.stdout },
    ...jitOptionsOf(opts),
    ...(opts.monitor !== undefined ? { monitor: { socketPath: opts.monitor } } : {}),
    ...(opts.saveOnExit !== undefined ? { saveOnExit: opts.saveOnExit } : {}),
  };
}

/** Commander reducer for repeatable options. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

interface ElfOptions {
  maxInstructions?: number;
  trace?: boolean;
  jit?: boolean;
  jitThreshold?: number;
}

/** What the default guest provider returns (src/platform/node/guest-images.ts). */
interface DefaultGuest {
  kernel: string;
  initrd: string;
}

async function defaultGuest(): Promise<DefaultGuest> {
  const modulePath = '../platform/node/guest-images.js';
  let mod: { ensureDefaultGuest?: () => Promise<DefaultGuest> };
  try {
    mod = (await import(modulePath)) as typeof mod;
  } catch (err) {
    // Only a build without the module is "no default guest"; a module that fails to load is a bug.
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    throw new BanquiseError('no default guest available in this build: give --kernel (and --initrd)', 64);
  }
  if (typeof mod.ensureDefaultGuest !== 'function') {
    throw new BanquiseError('no default guest available in this build: give --kernel (and --initrd)', 64);
  }
  return mod.ensureDefaultGuest();
}

/** Builds the command tree; `setExit` receives the status the process must end with. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name('banquise')
    .description('A hypervisor in TypeScript: RISC-V RV64GC `virt` machines, paravirtualized (pv) or fully virtualized.')
    .version(packageVersion(), '-V, --version', 'print the version of Banquise')
    .addHelpText('after', CONSOLE_HELP)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();

  program
    .command('run')
    .description(
      'Boot a Linux guest: in pv mode (default) the kernel runs in S-mode and Banquise answers its SBI calls; ' +
        'in full mode (--mode full) every hart starts in M-mode at the boot ROM, the firmware (OpenSBI) answers them, ' +
        'and --kernel is its next stage at 0x80200000.',
    )
    .addOption(new Option('--mode <pv|full>', 'pv: paravirtualized; full: firmware from reset, PCIe devices available').default('pv').argParser(parseModeOption))
    .option('--bios <default|file>', `firmware for --mode full, loaded at 0x80000000 (default: ${DEFAULT_BIOS}, Debian's OpenSBI fw_dynamic)`)
    .option('--kernel <file>', 'RISC-V Linux Image to boot, or in full mode any next stage such as U-Boot (default: the default guest, built on first use)')
    .option('--initrd <file>', 'initial ramdisk (cpio, optionally compressed); default: the default guest\'s, unless --append names a root= device')
    .option('--append <cmdline>', `kernel command line (default: "${DEFAULT_APPEND}"; with --console virtio, console=hvc0 is added when it names no console)`)
    .addOption(new Option('--memory <size>', 'guest RAM, e.g. 256M or 1G: at least 16M, at most 2G (RAM, at guest address 0x80000000, is kept below the 4 GiB line, and shares one 32-bit WebAssembly.Memory with the harts\' state)').default(256 * 1024 * 1024, '256M').argParser(parseMemoryOption))
    .addOption(new Option('--vcpus <n>', 'number of virtual CPUs, 1 to 8').default(1).argParser(parseVcpusOption))
    .option('--disk <file[,ro][,serial=S][,if=virtio|nvme]>', 'disk backed by a raw image file: virtio-blk, or with if=nvme an NVMe controller on PCIe (--mode full) (repeatable)', collect, [])
    .option('--console <uart|virtio>', 'guest console: uart (ttyS0, the default) or virtio (a virtio console, hvc0, made the kernel console)')
    .option('--vsock <cid,uds=path>', 'virtio-vsock with this guest CID; host connections through Unix sockets at path_PORT')
    .option('--balloon', 'virtio-balloon device (driven from the monitor: balloon <size>, info balloon)')
    .option('--monitor <path>', 'host monitor on a Unix socket at path (command lines in, replies out)')
    .option('--no-rng', 'no virtio-rng entropy device (there is one by default)')
    .option('--net <spec>', 'network interface: user[,hostfwd=tcp::H-:G][,dns=A][,mac=M] | socket,listen=[H]:P | socket,connect=H:P; add ,model=e1000 for an Intel e1000 on PCIe instead of virtio-net (--mode full) (repeatable)', collect, [])
    .option('--share <dir,tag=T[,ro]>', 'share a host directory over virtio-9p (mounted at /mnt/T by the default guest; repeatable)', collect, [])
    .option('--jit', 'translate hot guest code to WebAssembly (the default: docs/jit.md)')
    .option('--no-jit', 'interpret only')
    .addOption(new Option('--jit-threshold <n>', `times a block start is reached before it is translated (0 = at once; default ${DEFAULT_JIT_CONFIG.threshold})`).argParser(parseThresholdOption))
    .option('--save-on-exit <file>', 'when you quit (Ctrl-A X, monitor quit), save the guest to file instead of discarding it')
    .option('--restore <file>', 'resume a guest saved with --save-on-exit or the monitor\'s save (its machine comes from the file)')
    .addHelpText('after', CONSOLE_HELP)
    .addHelpText('after', '\nExit status: 0 after poweroff, 101 when the guest kernel panics (pvpanic), the code a guest\nwrites to the test device, 130 after Ctrl-A X, 64 for a bad command line.')
    .action(async (opts: RunOptions, cmd: Command) => {
      const session = sessionOptions(opts); // checks the JIT flags before anything is read
      if (opts.restore !== undefined) {
        const given = RESTORE_CONFLICTS.filter((o) => cmd.getOptionValueSource(o) === 'cli');
        if (given.length > 0) {
          throw new BanquiseError(`--restore takes the machine from the save file: drop ${given.map((o) => `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}`, 64);
        }
        const saved = await loadMachineFile(opts.restore);
        const info = await runPvSession({
          machine: saved.state.config,
          restore: saved.state,
          backends: { blobs: restoreBlobs(saved.state.config) },
          ...session,
        });
        if (info.message !== undefined) process.stderr.write(`\n${info.message}\n`);
        setExit(info.exitCode);
        return;
      }
      if (opts.bios !== undefined && opts.mode !== 'full') throw new BanquiseError('--bios needs --mode full', 64);
      let kernelPath = opts.kernel;
      let initrdPath = opts.initrd;
      if (kernelPath === undefined) {
        const guest = await defaultGuest();
        kernelPath = guest.kernel;
        // With root= the disk is the root: the default initramfs would shadow it.
        if (!namesRootDevice(opts.append ?? '')) initrdPath ??= guest.initrd;
      }
      const nets = opts.net.map(parseNetOption);
      const shares = shareConfigsOf(opts.share.map(parseShareOption));
      const virtioCfg = parseVirtioOptions(
        {
          disk: opts.disk,
          ...(opts.console !== undefined ? { console: opts.console } : {}),
          ...(opts.vsock !== undefined ? { vsock: opts.vsock } : {}),
          balloon: opts.balloon === true,
          rng: opts.rng,
        },
        nets.filter((n) => n.model !== 'e1000').length + shares.length,
      );
      if (opts.mode !== 'full' && virtioCfg.disks.some((d) => d.interface === 'nvme')) {
        throw new BanquiseError('--disk ...,if=nvme needs --mode full (NVMe sits on PCIe, which pv mode does not have)', 64);
      }
      if (opts.mode !== 'full' && nets.some((n) => n.model === 'e1000')) {
        throw new BanquiseError('--net ...,model=e1000 needs --mode full (the e1000 sits on PCIe, which pv mode does not have)', 64);
      }
      const bios = opts.mode === 'full' ? (opts.bios === undefined || opts.bios === 'default' ? DEFAULT_BIOS : opts.bios) : undefined;
      // The flags as a machine: the builder does the rest (and again at every guest reboot).
      const machine: MachineConfig = validateMachineConfig({
        version: 1,
        mode: opts.mode,
        memoryBytes: opts.memory,
        vcpus: opts.vcpus,
        boot: {
          kernel: { path: kernelPath },
          ...(initrdPath !== undefined ? { initrd: { path: initrdPath } } : {}),
          cmdline: effectiveCmdline(opts.append, virtioCfg.virtioConsole),
          ...(bios !== undefined ? { bios: { path: bios } } : {}),
        },
        devices: {
          disks: virtioCfg.disks,
          nics: nets.map((n, i) => nicConfigOf(n, i)),
          shares,
          console: virtioCfg.virtioConsole ? 'virtio' : 'serial',
          ...(virtioCfg.vsock !== undefined ? { vsock: virtioCfg.vsock } : {}),
          balloon: virtioCfg.balloon,
          rng: virtioCfg.rng,
        },
      });
      const info = await runPvSession({
        machine,
        ...session,
      });
      if (info.message !== undefined) process.stderr.write(`\n${info.message}\n`);
      setExit(info.exitCode);
    });

  program
    .command('elf')
    .description('Run a bare-metal RV64 ELF in M-mode with HTIF (tohost/fromhost): exit 0 on pass, 1 on failure.')
    .argument('<file>', 'RV64 little-endian ELF executable')
    .addOption(new Option('--max-instructions <n>', 'stop with exit status 2 after n instructions').argParser(parseCountOption))
    .option('--trace', 'print every executed instruction on stderr (pc, raw bits, disassembly, register written)')
    .option('--jit', 'translate hot guest code to WebAssembly (the default: docs/jit.md)')
    .option('--no-jit', 'interpret only')
    .addOption(new Option('--jit-threshold <n>', `times a block start is reached before it is translated (0 = at once; default ${DEFAULT_JIT_CONFIG.threshold})`).argParser(parseThresholdOption))
    .addHelpText('after', '\nThe program ends by writing 1 (pass) or (n << 1) | 1 (failure n) to `tohost`;\n(1 << 56) | (1 << 48) | ch prints ch. Ctrl-C stops it.')
    .action(async (file: string, opts: ElfOptions) => {
      const jit = jitOptionsOf(opts);
      const elf = loadFile(file, 'ELF file');
      const info = await runElfSession({
        elf,
        ...(opts.maxInstructions !== undefined ? { maxInstructions: opts.maxInstructions } : {}),
        ...(opts.trace === true ? { trace: (line: string) => process.stderr.write(line + '\n') } : {}),
        ...jit,
        stdout: process.stdout,
      });
      if (info.message !== undefined) process.stderr.write(`${info.message}\n`);
      setExit(info.exitCode);
    });
  addToolstackVerbs(program, setExit);
  addSnapshotVerbs(program, setExit);
  registerWebCommand(program, setExit);
  return program;
}

/** Runs the CLI on `argv` (without node and script); resolves to the process exit status. */
export async function runCli(argv: readonly string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return 64;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its one-line message (or the help).
      return err.exitCode === 0 ? 0 : 64;
    }
    if (err instanceof BanquiseError) {
      process.stderr.write(`banquise: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`banquise: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 70;
  }
}
