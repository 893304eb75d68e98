// The host monitor of a running domain (in the spirit of QEMU's human monitor): text command
// lines in, plain text lines out. Platform-free: the terminal escape (Ctrl-A C) and the Unix
// socket (`--monitor PATH`) of src/platform/node only carry lines to `Monitor.execute`.
import { parseSize } from '../base/u64.js';
import type { BalloonInfo, BalloonStats } from '../devices/virtio/balloon/balloon-device.js';
import type { SbiStatsInfo } from './sbi/sbi-stats.js';
import type { DeviceInfo } from './machine-devices.js';
import { SAMPLE_EVERY, type JitInfo } from '../jit/jit.js';
import type { MachineCounters } from './machine-counters.js';

/** What the monitor needs of a virtio-balloon device (VirtioBalloonDevice has it). */
export interface MonitorBalloon {
  /** Latest statistics the guest reported. */
  readonly stats: BalloonStats | undefined;
  /** Sets `num_pages`, the number of pages the guest should give back. */
  setTargetPages(pages: number): void;
  /** Target, guest-reported and device-seen balloon sizes. */
  info(): BalloonInfo;
  /** Asks the guest for fresh statistics; false if it has no stats buffer posted. */
  requestStats(): boolean;
}

/** What the monitor reads of one hart (cpu/hart.ts Hart has it). */
export interface MonitorHart {
  readonly hartId: number;
  /** 0 = U, 1 = S, 3 = M. */
  readonly priv: number;
  readonly instret: number;
  /** In WFI with nothing pending. */
  readonly waiting: boolean;
  getPc(): bigint;
}

/** What the monitor reads of the running machine (Machine has it). */
export interface MonitorMachine {
  readonly harts: readonly MonitorHart[];
  /** pv mode only: the SBI and its call counters. */
  readonly sbi?: { readonly sbiStats: { info(): SbiStatsInfo } } | undefined;
  /** The virtio devices with their state and error counters. */
  deviceInfo?(): DeviceInfo[];
  /** Exact activity counters (instructions per privilege, traps into M, MMIO and interrupts per device). */
  counters?(): MachineCounters;
  /** The JIT of each hart (empty or absent when the JIT is off). */
  readonly jits?: readonly { readonly info: JitInfo }[];
}

/** Everything the monitor acts on, injected by the platform. */
export interface MonitorDeps {
  /** Guest RAM size (the balloon's range). */
  readonly ramSizeBytes: number;
  /** The machine now running (a reboot makes a new one), undefined between boots. */
  readonly machine: () => MonitorMachine | undefined;
  /** The balloon device, when the domain has one. */
  readonly balloon?: MonitorBalloon;
  /**
   * Host timer. With it, `info balloon` asks the guest for fresh statistics and waits up to
   * `statsTimeoutMs` for them; without it, it shows the last ones the guest sent.
   */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Longest wait for fresh guest statistics (default 1000 ms). */
  readonly statsTimeoutMs?: number;
  /**
   * Saves the domain to the save file `path` (the guest is paused while it is captured) and
   * returns a line for the user; throws a BanquiseError saying what went wrong. Without it,
   * `save` is not offered.
   */
  readonly save?: (path: string) => Promise<string>;
}

/** The answer to one command line. */
export interface MonitorReply {
  /** Reply lines joined with "\n" (no trailing newline; empty for an empty line). */
  readonly text: string;
  /** The command asks to end the domain (`quit`). */
  readonly quit: boolean;
}

/** Smallest guest memory `balloon` accepts: below this Linux cannot keep running. */
export const MONITOR_MIN_GUEST_BYTES = 16 * 1024 * 1024;

/** Page size of the balloon's `num_pages` / `actual` (VIRTIO_BALLOON_PFN_SHIFT). */
const BALLOON_PAGE_BYTES = 4096;
const MIB = 1024 * 1024;
const STATS_POLL_MS = 10;
/** Longest command line accepted (anything longer is an error, not a parse). */
export const MONITOR_MAX_LINE = 1024;

const HELP = [
  'help                 list the commands',
  'balloon <size>       set the guest memory target (e.g. 128M): the balloon takes RAM - size',
  'info balloon         balloon target, actual size and the guest memory statistics',
  'info sbi             SBI calls per extension and function',
  'info cpus            each hart: pc, privilege, instructions retired, waiting in wfi',
  'info devices         each virtio device: state, malformed chains, bad requests, resets and why',
  'info counters        instructions per privilege (U/S/M), traps into M-mode, SBI calls answered\n' +
    '                     in TypeScript, register accesses and interrupts per device',
  'info jit             each hart\'s JIT: blocks translated, modules live, compile time, invalidations',
  'save [-c] <file>     save the domain to a file and end banquise (-c: checkpoint, keep running);\n' +
    '                     banquise run --restore <file> resumes it',
  'quit                 stop the domain and end banquise',
];

/** SBI spec function names (SBI v2.0 chapters), by extension name and function ID. */
const SBI_FUNCTION_NAMES: Record<string, readonly string[]> = {
  BASE: ['sbi_get_spec_version', 'sbi_get_impl_id', 'sbi_get_impl_version', 'sbi_probe_extension', 'sbi_get_mvendorid', 'sbi_get_marchid', 'sbi_get_mimpid'],
  TIME: ['sbi_set_timer'],
  IPI: ['sbi_send_ipi'],
  RFNC: ['sbi_remote_fence_i', 'sbi_remote_sfence_vma', 'sbi_remote_sfence_vma_asid', 'sbi_remote_hfence_gvma_vmid', 'sbi_remote_hfence_gvma', 'sbi_remote_hfence_vvma_asid', 'sbi_remote_hfence_vvma'],
  HSM: ['sbi_hart_start', 'sbi_hart_stop', 'sbi_hart_get_status', 'sbi_hart_suspend'],
  SRST: ['sbi_system_reset'],
  DBCN: ['sbi_debug_console_write', 'sbi_debug_console_read', 'sbi_debug_console_write_byte'],
};

/** Balloon statistics in display order: label and whether the value is an amount of memory. */
const STAT_ROWS: readonly [keyof BalloonStats, string, boolean][] = [
  ['freeMemory', 'free memory', true],
  ['totalMemory', 'total memory', true],
  ['availableMemory', 'available memory', true],
  ['diskCaches', 'disk caches', true],
  ['swapIn', 'swapped in', true],
  ['swapOut', 'swapped out', true],
  ['majorFaults', 'major faults', false],
  ['minorFaults', 'minor faults', false],
  ['hugetlbAllocations', 'hugetlb allocations', false],
  ['hugetlbFailures', 'hugetlb failures', false],
];

const PRIV_NAMES = ['U', 'S', '?', 'M'];

/** Formats a byte count as MiB with one decimal (and the exact bytes). */
export function formatBytes(bytes: number | bigint): string {
  const n = Number(bytes);
  return `${(n / MIB).toFixed(1)} MiB (${bytes} bytes)`;
}

/** Interprets monitor command lines against one domain. */
export class Monitor {
  constructor(private readonly deps: MonitorDeps) {}

  /** `save [-c] FILE`: the file name is the rest of the line (it may hold spaces). */
  private async saveCommand(rest: string): Promise<MonitorReply> {
    if (this.deps.save === undefined) return reply('error: this domain cannot be saved from the monitor');
    const checkpoint = rest === '-c' || rest.startsWith('-c ');
    const path = checkpoint ? rest.slice(2).trim() : rest;
    if (path === '' || path.startsWith('-')) return reply('error: usage: save [-c] <file>');
    try {
      const text = await this.deps.save(path);
      return checkpoint ? reply(text) : { text: `${text}\nstopping the domain`, quit: true };
    } catch (err) {
      return reply(`error: ${(err as Error).message}`);
    }
  }

  /** Runs one command line; errors are replies (starting with "error: "), never exceptions. */
  async execute(line: string): Promise<MonitorReply> {
    if (line.length > MONITOR_MAX_LINE) return reply(`error: command line longer than ${MONITOR_MAX_LINE} characters`);
    const words = line.trim().split(/\s+/).filter((w) => w.length > 0);
    const [cmd, ...args] = words;
    if (cmd === undefined) return reply('');
    switch (cmd) {
      case 'help':
      case '?':
        return reply(HELP.join('\n'));
      case 'quit':
      case 'q':
        return { text: 'stopping the domain', quit: true };
      case 'save':
        return this.saveCommand(line.trim().slice(4).trim());
      case 'balloon':
        return reply(this.balloon(args));
      case 'info':
        if (args.length !== 1) return reply('error: usage: info balloon | info sbi | info cpus | info devices | info counters | info jit');
        switch (args[0]) {
          case 'balloon':
            return reply(await this.infoBalloon());
          case 'sbi':
            return reply(this.infoSbi());
          case 'cpus':
            return reply(this.infoCpus());
          case 'devices':
            return reply(this.infoDevices());
          case 'counters':
            return reply(this.infoCounters());
          case 'jit':
            return reply(this.infoJit());
          default:
            return reply(`error: unknown info item '${args[0]}' (balloon, sbi, cpus, devices, counters, jit)`);
        }
      default:
        return reply(`error: unknown command '${cmd}' (try 'help')`);
    }
  }

  private balloon(args: string[]): string {
    const dev = this.deps.balloon;
    if (dev === undefined) return 'error: this domain has no balloon device (start it with --balloon)';
    if (args.length !== 1) return 'error: usage: balloon <size>  (guest memory target, e.g. 128M)';
    const ram = this.deps.ramSizeBytes;
    const bytes = parseSize(args[0]!);
    if (bytes === undefined) return `error: '${args[0]}' is not a size (examples: 128M, 1G)`;
    if (bytes < MONITOR_MIN_GUEST_BYTES || bytes > ram) {
      return `error: ${args[0]} is out of range: the guest memory target must be between ${MONITOR_MIN_GUEST_BYTES / MIB}M and the RAM size ${ram / MIB}M`;
    }
    const ramPages = Math.floor(ram / BALLOON_PAGE_BYTES);
    const guestPages = Math.ceil(bytes / BALLOON_PAGE_BYTES);
    const balloonPages = ramPages - guestPages;
    dev.setTargetPages(balloonPages);
    return `target: ${formatBytes(guestPages * BALLOON_PAGE_BYTES)} for the guest, balloon ${balloonPages} pages`;
  }

  private async infoBalloon(): Promise<string> {
    const dev = this.deps.balloon;
    if (dev === undefined) return 'error: this domain has no balloon device (start it with --balloon)';
    const sleep = this.deps.sleep;
    let fresh = false;
    if (sleep !== undefined && this.deps.machine() !== undefined) {
      const before = dev.stats;
      if (dev.requestStats()) {
        const limit = this.deps.statsTimeoutMs ?? 1000;
        for (let waited = 0; waited < limit && dev.stats === before; waited += STATS_POLL_MS) await sleep(STATS_POLL_MS);
        fresh = dev.stats !== before;
      }
    }
    const ram = this.deps.ramSizeBytes;
    const info = dev.info();
    const lines = [
      `ram: ${formatBytes(ram)}`,
      `target: ${formatBytes(ram - info.targetPages * BALLOON_PAGE_BYTES)} for the guest, balloon ${info.targetPages} pages`,
      `actual: ${formatBytes(ram - info.actualPages * BALLOON_PAGE_BYTES)} for the guest, balloon ${info.actualPages} pages (reported by the guest)`,
      `inflated: ${info.inflatedPages} pages (seen by the device)`,
    ];
    const stats = dev.stats;
    if (stats === undefined) {
      lines.push('stats: none reported by the guest yet');
    } else {
      lines.push(`stats: ${fresh ? 'fresh' : 'last reported (the guest did not answer a new request)'}`);
      for (const [key, label, isMemory] of STAT_ROWS) {
        const v = stats[key];
        if (v !== undefined) lines.push(`  ${label}: ${isMemory ? formatBytes(v) : v.toString()}`);
      }
    }
    return lines.join('\n');
  }

  private infoSbi(): string {
    const m = this.deps.machine();
    if (m === undefined) return 'error: the domain is not running';
    if (m.sbi === undefined) return 'error: no SBI in this machine (full mode: the firmware answers SBI calls)';
    const info = m.sbi.sbiStats.info();
    const exts = Object.keys(info).sort();
    if (exts.length === 0) return 'no SBI calls yet';
    const lines: string[] = [];
    for (const ext of exts) {
      const perFid = info[ext]!;
      const fids = Object.keys(perFid).map(Number).sort((a, b) => a - b);
      let total = 0;
      for (const f of fids) total += perFid[f]!;
      lines.push(`${ext}: ${total}`);
      for (const f of fids) {
        const name = SBI_FUNCTION_NAMES[ext]?.[f];
        lines.push(`  fid ${f}${name !== undefined ? ` ${name}` : ''}: ${perFid[f]}`);
      }
    }
    return lines.join('\n');
  }

  private infoDevices(): string {
    const m = this.deps.machine();
    if (m === undefined) return 'error: the domain is not running';
    const devices = m.deviceInfo?.() ?? [];
    if (devices.length === 0) return 'no virtio devices';
    return devices.map(formatDevice).join('\n');
  }

  private infoCounters(): string {
    const m = this.deps.machine();
    if (m === undefined) return 'error: the domain is not running';
    if (m.counters === undefined) return 'error: this machine has no counters';
    const c = m.counters();
    const lines = [
      `instructions: U ${c.retired.user} S ${c.retired.supervisor} M ${c.retired.machine}`,
      `traps into M: ecall ${c.trapsToM.ecall} exception ${c.trapsToM.exception} interrupt ${c.trapsToM.interrupt}`,
      `SBI calls answered in TypeScript: ${c.sbiCalls}`,
    ];
    for (const [name, n] of Object.entries(c.mmio)) if (n > 0) lines.push(`mmio ${name}: ${n}`);
    for (const [name, n] of Object.entries(c.irqs)) if (n > 0) lines.push(`irq ${name}: ${n}`);
    return lines.join('\n');
  }

  private infoJit(): string {
    const m = this.deps.machine();
    if (m === undefined) return 'error: the domain is not running';
    if (m.jits === undefined || m.jits.length === 0) return 'the JIT is off (the machine runs with --no-jit, or jit = 0 in its domain config)';
    return m.jits.map((j, i) => {
      const s = j.info;
      return `hart ${i}: blocks translated ${s.blocksTranslated} (${s.instructionsTranslated} instructions), ` +
        `modules live ${s.modulesLive} (${s.cacheBytes} bytes), compiled ${s.modulesCompiled} in ${s.compileMs.toFixed(1)} ms, ` +
        `invalidations ${s.invalidations}, evictions ${s.evictions}, ` +
        `instructions in generated code ${s.jitInstructions} (${s.jitEntries} entries), ` +
        `exits to the runner ${s.exitsNext}, to the interpreter ${s.exitsInterp}, look-ups without code ${s.lookupsMissed}, ` +
        `interpreter runs ${s.interpreterRuns}, time in generated code ~${s.jitMsSampled.toFixed(0)} ms, ` +
        `in the interpreter ~${s.interpreterMsSampled.toFixed(0)} ms (1 call in ${SAMPLE_EVERY} timed)`;
    }).join('\n');
  }

  private infoCpus(): string {
    const m = this.deps.machine();
    if (m === undefined) return 'error: the domain is not running';
    return m.harts
      .map((h) => `hart ${h.hartId}: pc=0x${h.getPc().toString(16).padStart(16, '0')} priv=${PRIV_NAMES[h.priv & 3]} instret=${h.instret}${h.waiting ? ' (waiting in wfi)' : ''}`)
      .join('\n');
  }
}

function formatDevice(d: DeviceInfo): string {
  const line = `${d.name} (slot ${d.slot}): ${d.state}, malformed=${d.malformed} bad-requests=${d.badRequests} needs-reset=${d.needsReset}`;
  return d.lastNeedsResetReason === undefined ? line : `${line}\n  last reset reason: ${d.lastNeedsResetReason}`;
}

function reply(text: string): MonitorReply {
  return { text, quit: false };
}
