// `banquise daemon`: runs banquised in the foreground, or with --detach in the background
// (output to banquised.log beside the socket, pid file beside it too).
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { BanquiseError } from '../base/errors.js';
import { daemonLogPath, ensurePrivateDir, pidPath } from '../platform/node/daemon-paths.js';
import { socketAnswers, startDaemon } from '../api/daemon.js';
import { dirname } from 'node:path';

/** Options of `banquise daemon`, validated. */
export interface DaemonVerbOptions {
  readonly socketPath: string;
  readonly listen?: string;
  readonly maxMemoryBytes?: number;
  readonly maxDomains?: number;
  readonly allowFaultInjection: boolean;
  readonly watchdogMs?: number;
  readonly detach: boolean;
  /** The arguments to re-run without --detach. */
  readonly argv: readonly string[];
}

/** How long `--detach` waits for the background daemon to answer. */
const DETACH_WAIT_MS = 30_000;

/** Runs the daemon; the foreground form resolves when it is stopped (SIGINT/SIGTERM). */
export async function runDaemonVerb(o: DaemonVerbOptions): Promise<number> {
  if (o.detach) {
    ensurePrivateDir(dirname(o.socketPath));
    const logFile = daemonLogPath(o.socketPath);
    const fd = openSync(logFile, 'a', 0o600);
    const args = [process.argv[1]!, ...o.argv.filter((a) => a !== '--detach')];
    const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const deadline = Date.now() + DETACH_WAIT_MS;
    for (;;) {
      if (await socketAnswers(o.socketPath)) break;
      const code = await Promise.race([exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 100))]);
      if (code !== 'wait') throw new BanquiseError(`the daemon exited at start (status ${code}); see ${logFile}`, 70);
      if (Date.now() > deadline) throw new BanquiseError(`the daemon did not answer on ${o.socketPath} within ${DETACH_WAIT_MS / 1000} s; see ${logFile}`, 70);
    }
    process.stdout.write(`banquised started (pid ${child.pid}), socket ${o.socketPath}, pid file ${pidPath(o.socketPath)}, log ${logFile}\n`);
    return 0;
  }
  const daemon = await startDaemon({
    socketPath: o.socketPath,
    ...(o.listen !== undefined ? { listen: o.listen } : {}),
    ...(o.maxMemoryBytes !== undefined ? { maxMemoryBytes: o.maxMemoryBytes } : {}),
    ...(o.maxDomains !== undefined ? { maxDomains: o.maxDomains } : {}),
    ...(o.watchdogMs !== undefined ? { watchdogMs: o.watchdogMs } : {}),
    allowFaultInjection: o.allowFaultInjection,
    echoLog: (line) => process.stderr.write(line + '\n'),
  });
  await new Promise<void>((res) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      res();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await daemon.close();
  return 0;
}
