// The save, restore and fork verbs (issue 12), as xl's: each is one API request to the daemon,
// which does the work in the domains' workers. Files are paths on the daemon's host.
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { DomainInfo } from '../control/domain-controller.js';
import { attachConsole } from './console-verb.js';
import { callDaemon, daemonAddress, type ConnectOptions } from './daemon-client.js';
import { connectOptions } from './toolstack-verbs.js';

const MIB = 1024 * 1024;

function parseCount(text: string): number {
  const n = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 64)) throw new InvalidArgumentError(`'${text}' is not a count of 1 to 64`);
  return n;
}

/**
 * While `work` runs, on a terminal: one status line (`saving web1: 42%`) from the domain's
 * `operation_percent` (polled), or the seconds elapsed when the daemon gives no percentage.
 */
async function withProgress<T>(label: string, work: Promise<T>, poll?: () => Promise<number | undefined>): Promise<T> {
  if (process.stderr.isTTY !== true) return work;
  const t0 = Date.now();
  let shown = false;
  let polling = false;
  let last: number | undefined;
  const timer = setInterval(() => {
    if (polling) return;
    polling = true;
    void (poll?.() ?? Promise.resolve(undefined))
      .catch(() => undefined)
      .then((percent) => {
        polling = false;
        shown = true;
        last = percent ?? last; // the percentage stays once the RAM is written (the rest is small)
        process.stderr.write(`\r${label}: ${last !== undefined ? `${last}%` : `${((Date.now() - t0) / 1000).toFixed(0)} s`}\x1b[K`);
      });
  }, 500);
  try {
    return await work;
  } finally {
    clearInterval(timer);
    if (shown) process.stderr.write('\r\x1b[K');
  }
}

/** Registers save, restore and fork on `program`; `setExit` receives the exit status. */
export function addSnapshotVerbs(program: Command, setExit: (code: number) => void): void {
  connectOptions(
    program
      .command('save')
      .description('Save a domain to a file (on the daemon\'s host): the domain stops and is destroyed once the file is complete, as xl save. A failed save leaves it running.')
      .argument('<domain>', 'domain name or id')
      .argument('<file>', 'save file (written to FILE.partial, then renamed)')
      .option('-c, --checkpoint', 'keep the domain running (a checkpoint)'),
  ).action(async (ref: string, file: string, o: ConnectOptions & { checkpoint?: boolean }) => {
    const path = resolve(file);
    const a = daemonAddress(o);
    const at = `/v1/domains/${encodeURIComponent(ref)}`;
    const percent = async (): Promise<number | undefined> => ((await callDaemon(a, 'GET', at)) as DomainInfo).operation_percent;
    const r = (await withProgress(`saving ${ref}`, callDaemon(a, 'POST', `${at}/save`, { path, ...(o.checkpoint === true ? { checkpoint: true } : {}) }), percent)) as { bytes: number; pages: number; ms: number };
    process.stderr.write(`Saved domain ${ref} to ${path}: ${(r.bytes / MIB).toFixed(1)} MiB (${r.pages} pages in use) in ${(r.ms / 1000).toFixed(2)} s${o.checkpoint === true ? '; it runs on' : '; it was destroyed'}\n`);
  });

  connectOptions(
    program
      .command('restore')
      .description('Start a domain from a save file (on the daemon\'s host), where it was saved. A damaged, truncated or foreign file, a missing disk image, a taken name or a full memory budget is refused and leaves no domain.')
      .argument('<file>', 'save file written by banquise save')
      .option('-p, --paused', 'leave the domain paused (banquise unpause starts it)')
      .option('-c, --console', 'attach to the console once restored')
      .option('--name <name>', 'name of the restored domain (default: the saved one)'),
  ).action(async (file: string, o: ConnectOptions & { paused?: boolean; console?: boolean; name?: string }) => {
    const a = daemonAddress(o);
    const d = (await withProgress('restoring', callDaemon(a, 'POST', '/v1/domains/restore', { path: resolve(file), ...(o.name !== undefined ? { name: o.name } : {}), ...(o.paused === true ? { paused: true } : {}) }))) as DomainInfo;
    process.stderr.write(`Restored domain ${d.name} (id ${d.id}, uuid ${d.uuid})${o.paused === true ? ', paused' : ''}\n`);
    if (o.console === true) setExit(await attachConsole(a, d.name));
  });

  connectOptions(
    program
      .command('fork')
      .description('Instant clones of a running domain: each child continues from the same instant with its own name, uuid and MAC addresses (each gets a copy of the memory the parent uses).')
      .argument('<domain>', 'domain name or id')
      .option('--name <child>', 'name of the child; with --count N, children NAME-1 ... NAME-N (default DOMAIN-fork-K)')
      .option('--count <n>', 'children to start (1 to 64)', parseCount, 1),
  ).action(async (ref: string, o: ConnectOptions & { name?: string; count: number }) => {
    const t0 = performance.now();
    const children = (await callDaemon(daemonAddress(o), 'POST', `/v1/domains/${encodeURIComponent(ref)}/fork`, { count: o.count, ...(o.name !== undefined ? { name: o.name } : {}) })) as DomainInfo[];
    const ms = performance.now() - t0;
    for (const c of children) process.stderr.write(`Forked ${ref} into ${c.name} (id ${c.id}, uuid ${c.uuid})\n`);
    process.stderr.write(`${children.length} child(ren) running ${ms.toFixed(0)} ms after the request\n`);
  });
}
