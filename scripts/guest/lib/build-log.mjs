// Progress and logging for the guest build: one line per step with its elapsed time on stderr, the
// full output of every command in one log file, a spinner on a terminal and a heartbeat line
// every minute otherwise (CI).
import { appendFileSync, readFileSync } from 'node:fs';
import { spawn } from 'node:child_process';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Formats a duration in seconds as `12.3s` or `4m05s`. */
export function formatDuration(seconds) {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - m * 60);
  return `${m}m${String(s).padStart(2, '0')}s`;
}

/** A build step failed; `message` names the step, the log holds the details. */
export class BuildStepError extends Error {
  constructor(message) {
    super(message);
    this.name = 'BuildStepError';
  }
}

/** Writes progress lines to stderr and command output to the log file. */
export class BuildLog {
  /**
   * @param {string} logPath file that receives every command's output
   * @param {{ quiet?: boolean, stream?: NodeJS.WriteStream }} [opts]
   */
  constructor(logPath, opts = {}) {
    this.logPath = logPath;
    this.stream = opts.stream ?? process.stderr;
    this.quiet = opts.quiet ?? false;
    this.tty = !this.quiet && Boolean(this.stream.isTTY);
    this.startMs = Date.now();
    /** @type {Record<string, number>} seconds per step name */
    this.stepSeconds = {};
    /** @type {Set<import('node:child_process').ChildProcess>} running commands */
    this.children = new Set();
  }

  /** Terminates every running command with its whole process group (make and its compilers). */
  killChildren() {
    for (const child of this.children) {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }

  /** Appends text to the log file. */
  write(text) {
    appendFileSync(this.logPath, text);
  }

  /** Prints one progress line (and logs it). */
  info(text) {
    this.write(`\n### ${text}\n`);
    if (!this.quiet) this.stream.write(`[guest ${formatDuration((Date.now() - this.startMs) / 1000).padStart(6)}] ${text}\n`);
  }

  /**
   * Runs `fn` as a named step: prints a line when it ends with its duration, keeps a spinner (TTY)
   * or a heartbeat (no TTY) meanwhile. `fn` receives a `status(text)` callback for the spinner.
   * @template T
   * @param {string} name
   * @param {(status: (text: string) => void) => Promise<T>} fn
   * @returns {Promise<T>}
   */
  async step(name, fn) {
    const t0 = Date.now();
    this.write(`\n### step: ${name}\n`);
    let statusText = '';
    let frame = 0;
    let timer = null;
    if (this.tty) {
      timer = setInterval(() => {
        const elapsed = formatDuration((Date.now() - t0) / 1000);
        const line = `${SPINNER[frame++ % SPINNER.length]} ${name}  ${elapsed}  ${statusText}`;
        this.stream.write(`\r\x1b[2K${line.slice(0, (this.stream.columns || 100) - 1)}`);
      }, 150);
    } else if (!this.quiet) {
      this.stream.write(`[guest ${formatDuration((t0 - this.startMs) / 1000).padStart(6)}] ${name} ...\n`);
      timer = setInterval(() => {
        this.stream.write(`        ${name}: still running after ${formatDuration((Date.now() - t0) / 1000)} ${statusText}\n`);
      }, 60_000);
    }
    const clear = () => {
      if (timer) clearInterval(timer);
      if (this.tty) this.stream.write('\r\x1b[2K');
    };
    try {
      const result = await fn((text) => { statusText = text; });
      clear();
      const seconds = (Date.now() - t0) / 1000;
      this.stepSeconds[name] = Math.round(seconds * 10) / 10;
      if (!this.quiet) this.stream.write(`[guest ${formatDuration((Date.now() - this.startMs) / 1000).padStart(6)}] ✓ ${name} (${formatDuration(seconds)})\n`);
      return result;
    } catch (err) {
      clear();
      if (!this.quiet) this.stream.write(`[guest ${formatDuration((Date.now() - this.startMs) / 1000).padStart(6)}] ✗ ${name}\n`);
      throw err;
    }
  }

  /**
   * Runs a command, its stdout and stderr appended to the log; rejects with BuildStepError on a
   * non-zero exit. `onLine` sees each output line (for spinner status).
   * @param {string} cmd
   * @param {string[]} args
   * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, input?: string, onLine?: (line: string) => void, stdoutFile?: number }} [opts]
   * @returns {Promise<string>} the command's stdout when not redirected to `stdoutFile`, else ''
   */
  run(cmd, args, opts = {}) {
    this.write(`\n$ ${[cmd, ...args].join(' ')}${opts.cwd ? `   (in ${opts.cwd})` : ''}\n`);
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: [opts.input === undefined ? 'ignore' : 'pipe', opts.stdoutFile ?? 'pipe', 'pipe'],
        detached: true, // own process group, so an interrupted build can stop make and all its jobs
      });
      this.children.add(child);
      let stdout = '';
      let pending = '';
      const onData = (chunk, keep) => {
        const text = chunk.toString();
        if (keep) stdout += text;
        this.write(text);
        if (opts.onLine) {
          pending += text;
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) if (line.trim()) opts.onLine(line.trim());
        }
      };
      child.stdout?.on('data', (c) => onData(c, true));
      child.stderr.on('data', (c) => onData(c, false));
      if (opts.input !== undefined) child.stdin.end(opts.input);
      child.on('error', (err) => reject(new BuildStepError(`cannot run ${cmd}: ${err.message}`)));
      child.on('close', (code, signal) => {
        this.children.delete(child);
        if (code === 0) resolve(stdout);
        else reject(new BuildStepError(`${cmd} ${args.slice(0, 3).join(' ')}${args.length > 3 ? ' ...' : ''} failed (${signal ? `signal ${signal}` : `exit status ${code}`})`));
      });
    });
  }

  /** Returns the last `n` lines of the log file. */
  tail(n) {
    try {
      const lines = readFileSync(this.logPath, 'utf8').split('\n');
      return lines.slice(-n - 1).join('\n');
    } catch {
      return '';
    }
  }
}
