// `banquise migrate NAME HOST[:PORT]`: asks the local daemon to live-migrate a domain to the
// daemon listening at HOST:PORT (authenticated with that daemon's token), and draws the
// migration's progress (bytes sent, round, dirty rate) on one carriage-return line meanwhile.
import { Command, InvalidArgumentError } from 'commander';
import { BanquiseError } from '../base/errors.js';
import type { DomainInfo } from '../control/domain-controller.js';
import { callDaemon, daemonAddress, type ConnectOptions, type DaemonAddress } from './daemon-client.js';

/** Port of the destination when HOST:PORT names none (the `--listen` example). */
export const DEFAULT_MIGRATION_PORT = 7650;
/** How often the progress line is refreshed (ms). */
const POLL_MS = 250;
const MIB = 1024 * 1024;

/** `HOST[:PORT]`, `[v6]:PORT` or a bare v6 address → host and port. */
export function parseDestination(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(text);
  const host = m?.[1] ?? (/^[0-9A-Fa-f:.]*:[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*$/.test(text) ? text : undefined); // a bare IPv6 address
  const port = m?.[2] !== undefined ? Number(m[2]) : DEFAULT_MIGRATION_PORT;
  if (host === undefined || host === '' || port < 1 || port > 65535) throw new InvalidArgumentError(`'${text}' is not HOST[:PORT] (e.g. 10.0.0.2:7650)`);
  return { host, port };
}

/** The API's Migration object. */
interface MigrationView {
  phase?: string;
  bytes_sent?: number;
  round?: number;
  dirty_rate?: number;
}

/** The API's MigrationResult. */
interface MigrationResult {
  destination: string;
  rounds: number;
  bytes_sent: number;
  final_pages: number;
  total_ms: number;
  downtime_ms: number;
}

/** One progress line: a bar of bytes sent against the guest's memory, then the figures. */
export function progressLine(p: MigrationView, memoryBytes: number, width = 24): string {
  const sent = p.bytes_sent ?? 0;
  const filled = Math.min(width, Math.round((sent / Math.max(1, memoryBytes)) * width));
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const phase = p.phase === 'stopped' ? 'stopped, last pages' : p.phase === 'rounds' ? `round ${p.round ?? 0}` : p.phase === 'full-pass' ? 'full pass' : 'connecting';
  return `${bar} ${(sent / MIB).toFixed(1)} MiB sent, ${phase}, dirty ${Math.round(p.dirty_rate ?? 0)} pages/s`;
}

/** Registers `migrate` on `program` (`withConnect` adds --socket / --connect). */
export function addMigrateVerb(program: Command, withConnect: (cmd: Command) => Command): void {
  withConnect(
    program
      .command('migrate')
      .description('Live-migrate a domain to another daemon: it keeps running while its memory is copied, stops for the last pages (the downtime), resumes there and is destroyed here. If anything fails before that, it keeps running here.')
      .argument('<domain>', 'domain name or id')
      .argument('<host[:port]>', `the destination daemon's --listen address (port ${DEFAULT_MIGRATION_PORT} when omitted)`, parseDestination)
      .option('--token <token>', "the destination daemon's token (`banquise token` on its host; default $BANQUISE_TOKEN)")
      .option('--downtime <ms>', 'downtime budget: copy rounds go on until the rest fits it (default 50)', (t) => {
        if (!/^\d{1,5}$/.test(t) || Number(t) < 1) throw new InvalidArgumentError('expected milliseconds, 1 to 60000');
        return Number(t);
      })
      .addHelpText('after', '\nThe destination runs `banquise daemon --listen HOST:PORT` and must reach the domain\'s disk images\nat the same paths (shared storage). See README.md "Several domains".'),
  ).action(async (ref: string, dest: { host: string; port: number }, o: ConnectOptions & { token?: string; downtime?: number }) => {
    const token = o.token ?? process.env['BANQUISE_TOKEN'];
    if (token === undefined || token === '') throw new BanquiseError("migrate needs the destination daemon's token: --token T or BANQUISE_TOKEN (`banquise token` on the destination's host shows it)", 64);
    await migrate(daemonAddress(o), ref, dest, token, o.downtime);
  });
}

async function migrate(a: DaemonAddress, ref: string, dest: { host: string; port: number }, token: string, downtimeMs: number | undefined): Promise<void> {
  const path = `/v1/domains/${encodeURIComponent(ref)}/migrate`;
  const d = (await callDaemon(a, 'GET', `/v1/domains/${encodeURIComponent(ref)}`)) as DomainInfo;
  const tty = process.stderr.isTTY === true;
  let shown = '';
  const poll = setInterval(() => {
    callDaemon(a, 'GET', path).then(
      (p) => {
        const line = progressLine(p as MigrationView, d.maxmem * MIB);
        if (tty) process.stderr.write(`\r${line}\x1b[K`);
        else if ((p as MigrationView).phase !== shown) process.stderr.write(`${line}\n`);
        shown = (p as MigrationView).phase ?? '';
      },
      () => {}, // not started yet or over
    );
  }, POLL_MS);
  try {
    const r = (await callDaemon(a, 'POST', path, { host: dest.host, port: dest.port, token, ...(downtimeMs !== undefined ? { downtime_ms: downtimeMs } : {}) })) as MigrationResult;
    if (tty) process.stderr.write('\r\x1b[K');
    process.stderr.write(`Migrated ${d.name} to ${r.destination} in ${(r.total_ms / 1000).toFixed(1)} s: ${r.rounds} round(s) after the full pass, ${(r.bytes_sent / MIB).toFixed(1)} MiB sent, downtime ${r.downtime_ms.toFixed(1)} ms (${r.final_pages} pages while stopped)\n`);
  } catch (err) {
    if (tty) process.stderr.write('\r\x1b[K');
    throw err;
  } finally {
    clearInterval(poll);
  }
}
