// The xl-style verbs (issue 8): create, list, console, pause, unpause, shutdown, reboot,
// destroy, mem-set, top, info, dmesg, token, daemon. Each parses its arguments into one API
// request to the daemon; none of them runs a guest itself.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BanquiseError } from '../base/errors.js';
import { parseSize } from '../base/u64.js';
import type { DomainInfo, SchedInfo } from '../control/domain-controller.js';
import { parseXlConfig } from '../control/xl-config.js';
import { ensureToken, socketPath, tokenPath } from '../platform/node/daemon-paths.js';
import { ensureDefaultGuest } from '../platform/node/guest-images.js';
import { DEFAULT_BIOS } from '../platform/node/default-firmware.js';
import { parseBridgeSpec, type BridgeSpec } from '../platform/node/net/bridges.js';
import { attachConsole } from './console-verb.js';
import { callDaemon, daemonAddress, type ConnectOptions } from './daemon-client.js';
import { runDaemonVerb } from './daemon-verb.js';
import { addMigrateVerb } from './migrate-verb.js';
import { formatList, formatTop, type TopSample } from './domain-table.js';

const MIB = 1024 * 1024;

/** Adds --socket and --connect to a verb. */
export function connectOptions(cmd: Command): Command {
  return cmd
    .option('--socket <path>', 'the daemon\'s Unix socket (default: $BANQUISE_SOCKET, else $XDG_RUNTIME_DIR/banquise/banquised.sock or ~/.cache/banquise/banquised.sock)')
    .option('--connect <host:port>', 'a daemon listening on TCP (token: $BANQUISE_TOKEN or the token file)');
}

function parseMiB(text: string): number {
  const bytes = parseSize(/^\d+$/.test(text.trim()) ? `${text.trim()}M` : text);
  if (bytes === undefined || bytes < 16 * MIB) throw new InvalidArgumentError(`'${text}' is not a size of at least 16M (examples: 128M, 1G; a bare number is MiB)`);
  return bytes;
}

function parseWhole(text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new InvalidArgumentError('expected a whole number');
  return Number(text);
}

function parsePositive(text: string): number {
  const n = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`'${text}' is not a positive whole number`);
  return n;
}

/** Parses a config file as `banquise create` does (default guest filled in when it has no kernel). */
export async function loadDomainConfigFile(file: string, overrides: readonly string[]): Promise<ReturnType<typeof parseXlConfig>['config']> {
  const path = resolve(file);
  if (!existsSync(path)) throw new BanquiseError(`config file ${path} does not exist`, 66);
  const text = readFileSync(path, 'utf8');
  const parsed = parseXlConfig(text, { file, dir: dirname(path), overrides, exists: existsSync });
  let { config } = parsed;
  if (parsed.usesDefaultBios) {
    if (!existsSync(DEFAULT_BIOS)) throw new BanquiseError(`${file}: type = "full" without bios needs Debian's OpenSBI (${DEFAULT_BIOS}): apt-get install opensbi, or set bios = "FILE"`, 66);
    config = { ...config, machine: { ...config.machine, boot: { ...config.machine.boot, bios: { path: DEFAULT_BIOS } } } };
  }
  if (!parsed.usesDefaultGuest) return config;
  const guest = await ensureDefaultGuest();
  return { ...config, machine: { ...config.machine, boot: { ...config.machine.boot, kernel: { path: guest.kernel }, initrd: { path: guest.initrd } } } };
}

/** Registers the toolstack verbs on `program`; `setExit` receives the exit status. */
export function addToolstackVerbs(program: Command, setExit: (code: number) => void): void {
  const simple = (name: string, description: string, action: (ref: string, a: ReturnType<typeof daemonAddress>) => Promise<void>): void => {
    connectOptions(program.command(name).description(description).argument('<domain>', 'domain name or id')).action(async (ref: string, o: ConnectOptions) => {
      await action(ref, daemonAddress(o));
    });
  };

  connectOptions(
    program
      .command('create')
      .description('Create a domain from an xl.cfg-style config file and boot it.')
      .argument('<cfg>', 'domain config file (xl.cfg syntax: name, memory, vcpus, kernel, disk = [ ... ], ...)')
      .argument('[key=value...]', 'settings that override the file (e.g. name=web2 memory=128)')
      .option('-c, --console', 'attach to the console once created')
      .addHelpText('after', '\nWithout kernel = "...", the default guest (built on first use) boots. Relative paths are\nrelative to the config file\'s folder. The domain runs with the JIT unless jit = 0 (jit_threshold = N\ntunes it; docs/jit.md). See README.md "Several domains".'),
  ).action(async (cfg: string, overrides: string[], o: ConnectOptions & { console?: boolean }) => {
    const a = daemonAddress(o);
    const config = await loadDomainConfigFile(cfg, overrides);
    const d = (await callDaemon(a, 'POST', '/v1/domains', config)) as DomainInfo;
    process.stderr.write(`Created domain ${d.name} (id ${d.id}, uuid ${d.uuid})\n`);
    if (o.console === true) setExit(await attachConsole(a, d.name));
  });

  connectOptions(program.command('list').description('List the domains (Name ID Mem VCPUs State Time(s), as xl list).').option('--json', 'a JSON array of domains'))
    .action(async (o: ConnectOptions & { json?: boolean }) => {
      const list = (await callDaemon(daemonAddress(o), 'GET', '/v1/domains')) as DomainInfo[];
      process.stdout.write(o.json === true ? JSON.stringify(list, null, 2) + '\n' : formatList(list));
    });

  connectOptions(
    program
      .command('sched-credit')
      .description('Credit scheduler: without -d, every domain\'s weight, cap, CPU used and time waiting to run (for credit or its turn); with -d and -w/-c, set them (as xl sched-credit2).')
      .option('-d, --domain <domain>', 'domain name or id')
      .addOption(new Option('-w, --weight <w>', 'relative share when host CPUs are contended (1..65535, default 256)').argParser(parseWhole))
      .addOption(new Option('-c, --cap <percent>', 'most CPU as a percentage of one host core, 0 = no cap').argParser(parseWhole))
      .option('--json', 'JSON as the API returns it'),
  ).action(async (o: ConnectOptions & { domain?: string; weight?: number; cap?: number; json?: boolean }) => {
    const a = daemonAddress(o);
    const change = { ...(o.weight !== undefined ? { weight: o.weight } : {}), ...(o.cap !== undefined ? { cap: o.cap } : {}) };
    if (Object.keys(change).length > 0 && o.domain === undefined) throw new BanquiseError('sched-credit: -w and -c need -d DOMAIN', 64);
    let rows = (await callDaemon(a, 'GET', '/v1/sched')) as SchedInfo[];
    if (o.domain !== undefined) {
      const one = Object.keys(change).length > 0
        ? ((await callDaemon(a, 'PUT', `/v1/domains/${encodeURIComponent(o.domain)}/sched`, change)) as SchedInfo)
        : rows.find((r) => r.name === o.domain || String(r.id) === o.domain);
      if (one === undefined) throw new BanquiseError(`sched-credit: no domain '${o.domain}' (see banquise list)`, 1);
      rows = [one];
    }
    if (o.json === true) {
      process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      return;
    }
    const lines = [`${'Name'.padEnd(20)}${'ID'.padStart(5)}${'Weight'.padStart(8)}${'Cap'.padStart(6)}${'CPU(s)'.padStart(10)}${'Wait(s)'.padStart(10)}`];
    for (const r of rows) lines.push(`${r.name.slice(0, 19).padEnd(20)}${String(r.id).padStart(5)}${String(r.weight).padStart(8)}${String(r.cap).padStart(6)}${(r.cpu_ms / 1000).toFixed(1).padStart(10)}${(r.wait_ms / 1000).toFixed(1).padStart(10)}`);
    process.stdout.write(lines.join('\n') + '\n');
  });

  connectOptions(
    program
      .command('network-list')
      .description("Show a bridge of the daemon: its uplink, ports (domains), learned MAC addresses and counters; without NAME, list the bridges.")
      .argument('[name]', 'bridge name')
      .option('--json', 'JSON as the API returns it'),
  ).action(async (name: string | undefined, o: ConnectOptions & { json?: boolean }) => {
    const a = daemonAddress(o);
    if (name === undefined) {
      const r = (await callDaemon(a, 'GET', '/v1/networks')) as { networks: string[] };
      process.stdout.write(o.json === true ? JSON.stringify(r, null, 2) + '\n' : r.networks.map((n) => n + '\n').join(''));
      return;
    }
    const n = (await callDaemon(a, 'GET', `/v1/networks/${encodeURIComponent(name)}`)) as BridgeView;
    process.stdout.write(o.json === true ? JSON.stringify(n, null, 2) + '\n' : formatBridge(n));
  });

  connectOptions(
    program
      .command('console')
      .description('Attach to a domain\'s console (Ctrl-] detaches). Not on a terminal: print the console so far, then follow it until the domain stops.')
      .argument('<domain>', 'domain name or id'),
  ).action(async (ref: string, o: ConnectOptions) => setExit(await attachConsole(daemonAddress(o), ref)));

  simple('pause', 'Pause a domain: its vCPUs stop executing (memory and devices stay).', async (ref, a) => {
    await callDaemon(a, 'POST', `/v1/domains/${encodeURIComponent(ref)}/action`, { action: 'pause' });
  });
  simple('unpause', 'Resume a paused domain.', async (ref, a) => {
    await callDaemon(a, 'POST', `/v1/domains/${encodeURIComponent(ref)}/action`, { action: 'unpause' });
  });
  connectOptions(
    program
      .command('shutdown')
      .description('Ask the guest to shut down (its power key: init stops, file systems sync and unmount, then poweroff).')
      .argument('<domain>', 'domain name or id')
      .option('-w, --wait', 'wait until the domain has shut down'),
  ).action(async (ref: string, o: ConnectOptions & { wait?: boolean }) => {
    const d = (await callDaemon(daemonAddress(o), 'POST', `/v1/domains/${encodeURIComponent(ref)}/action`, { action: 'shutdown', ...(o.wait === true ? { wait: true } : {}) })) as DomainInfo | undefined;
    if (o.wait === true) process.stderr.write(d === undefined ? `Domain ${ref} shut down and was destroyed\n` : `Domain ${ref} is ${d.state}${d.reason !== undefined ? ` (${d.reason})` : ''}\n`);
  });
  simple('reboot', 'Ask the guest to reboot (it shuts down cleanly, then on_reboot applies: restart by default).', async (ref, a) => {
    await callDaemon(a, 'POST', `/v1/domains/${encodeURIComponent(ref)}/action`, { action: 'reboot' });
  });
  addMigrateVerb(program, connectOptions);
  simple('destroy', 'Stop a domain at once (no guest shutdown) and free its memory.', async (ref, a) => {
    await callDaemon(a, 'DELETE', `/v1/domains/${encodeURIComponent(ref)}`);
  });
  connectOptions(
    program
      .command('mem-set')
      .description('Set a domain\'s memory target through its balloon (up to its maxmem).')
      .argument('<domain>', 'domain name or id')
      .argument('<size>', 'e.g. 128M, 1G, or a number of MiB', parseMiB),
  ).action(async (ref: string, size: number, o: ConnectOptions) => {
    if (size % MIB !== 0) throw new BanquiseError('mem-set: the size must be a whole number of MiB', 64);
    await callDaemon(daemonAddress(o), 'PUT', `/v1/domains/${encodeURIComponent(ref)}/memory`, { target_mib: size / MIB });
  });

  connectOptions(
    program
      .command('top')
      .description('A live table of the domains: CPU %, guest MIPS, memory, disk bytes (as xentop).')
      .option('-d, --delay <seconds>', 'seconds between updates', parsePositive, 1)
      .option('-i, --iterations <n>', 'stop after n updates (default: until Ctrl-C; 2 when not on a terminal)', parsePositive),
  ).action(async (o: ConnectOptions & { delay: number; iterations?: number }) => {
    const a = daemonAddress(o);
    const tty = process.stdout.isTTY === true;
    const n = o.iterations ?? (tty ? Infinity : 2);
    let prev: TopSample | undefined;
    for (let i = 0; i < n; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, o.delay * 1000));
      const cur: TopSample = { atMs: Date.now(), domains: (await callDaemon(a, 'GET', '/v1/domains')) as DomainInfo[], sched: (await callDaemon(a, 'GET', '/v1/sched')) as SchedInfo[] };
      const text = formatTop(prev, cur);
      process.stdout.write(tty ? `\x1b[H\x1b[2J${new Date().toLocaleTimeString()}  (Ctrl-C quits)\n${text}` : `${text}\n`);
      prev = cur;
    }
  });

  connectOptions(program.command('info').description('Host, daemon version, domains and memory budget.').option('--json', 'JSON as the API answers it'))
    .action(async (o: ConnectOptions & { json?: boolean }) => {
      const i = (await callDaemon(daemonAddress(o), 'GET', '/v1/info')) as {
        version: string;
        host: { platform: string; arch: string; cpus: number; node: string; total_memory_mib: number; free_memory_mib: number };
        daemon: { pid: number; uptime_s: number; socket: string; listen?: string };
        memory: { budget_mib: number; used_mib: number };
        domains: { count: number; max: number };
      };
      if (o.json === true) return void process.stdout.write(JSON.stringify(i, null, 2) + '\n');
      process.stdout.write(
        [
          `version          : ${i.version}`,
          `host             : ${i.host.platform} ${i.host.arch}, ${i.host.cpus} cpu(s), node ${i.host.node}`,
          `host memory      : ${i.host.total_memory_mib} MiB total, ${i.host.free_memory_mib} MiB free`,
          `daemon           : pid ${i.daemon.pid}, up ${i.daemon.uptime_s} s, socket ${i.daemon.socket}${i.daemon.listen !== undefined ? `, tcp ${i.daemon.listen}` : ''}`,
          `memory budget    : ${i.memory.used_mib} of ${i.memory.budget_mib} MiB in use`,
          `domains          : ${i.domains.count} (at most ${i.domains.max})`,
        ].join('\n') + '\n',
      );
    });

  connectOptions(program.command('dmesg').description('The daemon\'s log.')).action(async (o: ConnectOptions) => {
    const l = (await callDaemon(daemonAddress(o), 'GET', '/v1/log')) as { lines: string[] };
    process.stdout.write(l.lines.map((x) => x + '\n').join(''));
  });

  program
    .command('token')
    .description(`Print the bearer token of the daemon's TCP listener (generated on first use, kept in ${tokenPath()}, mode 0600).`)
    .action(() => {
      process.stdout.write(ensureToken() + '\n');
    });

  program
    .command('daemon')
    .description('Run banquised, the daemon that owns the domains (in the foreground unless --detach).')
    .option('--socket <path>', 'Unix socket to listen on (default: $BANQUISE_SOCKET, else $XDG_RUNTIME_DIR/banquise/ or ~/.cache/banquise/banquised.sock; mode 0600)')
    .option('--listen <host:port>', 'also listen on TCP; every request needs the bearer token (banquise token)')
    .option('--web [host:port]', 'serve the web console (the API and a page: domains, consoles) on TCP, default 127.0.0.1:7651; log in with the token (banquise token); the page is built by npm run build:web')
    .addOption(new Option('--web-dir <folder>', 'folder of the built web console page (default: dist/web/console)').hideHelp())
    .addOption(new Option('--max-memory <size>', 'memory budget of all domains together, e.g. 4G (default: 80% of the free memory at start)').argParser(parseMiB))
    .addOption(new Option('--max-domains <n>', 'most domains at once (default 32)').argParser(parsePositive))
    .option('--detach', 'run in the background (log and pid file beside the socket)')
    .addOption(new Option('--allow-fault-injection', 'accept POST /v1/domains/{ref}/fault (isolation tests only)').hideHelp())
    .addOption(new Option('--host-cpus <n>', 'host CPUs the credit scheduler shares between domains (default: the core count)').argParser(parsePositive))
    .addOption(new Option('--bridge <spec>', 'declare a bridge: NAME[,uplink=user|none][,hostfwd=tcp:[HOST]:HPORT-[GUESTADDR]:GPORT]... (repeatable; GUESTADDR defaults to 10.0.2.15; default: br0,uplink=user)').argParser(collectBridge))
    .addOption(new Option('--watchdog-ms <ms>', 'a domain worker silent this long is stopped as stuck').argParser(parsePositive).hideHelp())
    .action(async (o: DaemonFlags & { detach?: boolean }, cmd: Command) => {
      setExit(
        await runDaemonVerb({
          socketPath: socketPath(o.socket),
          ...(o.listen !== undefined ? { listen: o.listen } : {}),
          ...(o.web !== undefined ? { web: o.web === true ? DEFAULT_WEB_CONSOLE : o.web } : {}),
          ...(o.webDir !== undefined ? { webDir: resolve(o.webDir) } : {}),
          ...(o.maxMemory !== undefined ? { maxMemoryBytes: o.maxMemory } : {}),
          ...(o.maxDomains !== undefined ? { maxDomains: o.maxDomains } : {}),
          ...(o.watchdogMs !== undefined ? { watchdogMs: o.watchdogMs } : {}),
          ...(o.bridge !== undefined ? { bridges: o.bridge.map((b) => b.spec) } : {}),
          ...(o.hostCpus !== undefined ? { hostCpus: o.hostCpus } : {}),
          allowFaultInjection: o.allowFaultInjection === true,
          detach: o.detach === true,
          argv: ['daemon', ...cmd.args, ...rawDaemonArgs(o)],
        }),
      );
    });
}

/** Address of the web console when `--web` names none. */
export const DEFAULT_WEB_CONSOLE = '127.0.0.1:7651';

/** The daemon's options as arguments again (for the --detach re-run). */
function rawDaemonArgs(o: DaemonFlags): string[] {
  return [
    ...(o.socket !== undefined ? ['--socket', resolve(o.socket)] : []),
    ...(o.listen !== undefined ? ['--listen', o.listen] : []),
    ...(o.web !== undefined ? ['--web', o.web === true ? DEFAULT_WEB_CONSOLE : o.web] : []),
    ...(o.webDir !== undefined ? ['--web-dir', resolve(o.webDir)] : []),
    ...(o.maxMemory !== undefined ? ['--max-memory', `${o.maxMemory / MIB}M`] : []),
    ...(o.maxDomains !== undefined ? ['--max-domains', String(o.maxDomains)] : []),
    ...(o.allowFaultInjection === true ? ['--allow-fault-injection'] : []),
    ...(o.watchdogMs !== undefined ? ['--watchdog-ms', String(o.watchdogMs)] : []),
    ...(o.bridge ?? []).flatMap((b) => ['--bridge', b.text]),
    ...(o.hostCpus !== undefined ? ['--host-cpus', String(o.hostCpus)] : []),
  ];
}

/** The flags of `banquise daemon` as commander parses them. */
interface DaemonFlags {
  socket?: string;
  listen?: string;
  web?: string | true;
  webDir?: string;
  maxMemory?: number;
  maxDomains?: number;
  allowFaultInjection?: boolean;
  watchdogMs?: number;
  bridge?: { text: string; spec: BridgeSpec }[];
  hostCpus?: number;
}

/** Parses one --bridge value and adds it to the ones before. */
function collectBridge(text: string, prev: { text: string; spec: BridgeSpec }[] | undefined): { text: string; spec: BridgeSpec }[] {
  let spec: BridgeSpec;
  try {
    spec = parseBridgeSpec(text);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return [...(prev ?? []), { text, spec }];
}

/** A bridge as GET /v1/networks/{name} returns it. */
interface BridgeView {
  name: string;
  uplink: string;
  ports: { id: number; label: string; dropped: number }[];
  macs: { mac: string; port: number }[];
  stats: Record<string, number>;
}

function formatBridge(n: BridgeView): string {
  const lines = [`bridge ${n.name}, uplink ${n.uplink}`, 'Port  Attached           Dropped  MACs'];
  for (const p of n.ports) {
    const macs = n.macs.filter((m) => m.port === p.id).map((m) => m.mac).join(' ');
    lines.push(`${String(p.id).padEnd(6)}${p.label.padEnd(19)}${String(p.dropped).padStart(7)}  ${macs}`);
  }
  lines.push(Object.entries(n.stats).map(([k, v]) => `${k} ${v}`).join(', '));
  return lines.join('\n') + '\n';
}
