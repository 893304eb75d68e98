// Shared helpers for the suites and benchmarks that boot the default guest: find (or build) its
// images, run `banquise run` with the console on pipes, wait for output, type commands, wait for
// the process to end. Every wait has a timeout; `kill()` is for `after`/finally.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Waiters, waitForText } from './waiters.mjs';

/** The repository root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The `banquise` command. */
export const BIN = join(REPO, 'bin', 'banquise.js');
/** The shell prompt of the default guest ends with "# ". */
export const PROMPT = /# $/;
/**
 * A command's output without the kernel log lines the console interleaves (`[   21.010663] …`,
 * e.g. "hrtimer: interrupt took N ns" when the host paused the guest, as a loaded machine or a
 * JIT compile does): they are the kernel's, not the command's. A command that prints kernel log
 * lines itself (`dmesg`) must cut their `[ time]` prefix (`| cut -d] -f2-`) to keep them.
 */
export function commandOutput(text) {
  return text.replace(/\r/g, '').split('\n').filter((l) => !/^\[\s*\d+\.\d+\] /.test(l)).join('\n').replace(/\n$/, '');
}

/** Generous limit for one boot of the default guest (a cold JIT-less run on a loaded CI box). */
export const BOOT_TIMEOUT_MS = 15 * 60_000;

/**
 * The default guest's files ({kernel, initrd, rootDisk, dir}), building them (once, cached) when
 * missing. Throws when they cannot be built, so a suite that needs Linux fails instead of skipping.
 */
export async function requireGuest() {
  const mod = join(REPO, 'dist', 'platform', 'node', 'guest-images.js');
  if (!existsSync(mod)) throw new Error('dist/platform/node/guest-images.js is not built (run npx tsc -b src/tsconfig.json)');
  const { ensureDefaultGuest } = await import(mod);
  const g = await ensureDefaultGuest();
  for (const p of [g.kernel, g.initrd, g.rootDisk]) if (!existsSync(p)) throw new Error(`guest image missing: ${p}`);
  return g;
}

/**
 * The default guest's files, or a string saying why there are none (for suites that choose to
 * skip). The images are built (once, cached) when the machine can build them.
 */
export async function findGuest() {
  try {
    return await requireGuest();
  } catch (err) {
    return `guest images are not built and cannot be built here: ${err?.message ?? err}`;
  }
}

/** A running `banquise` (or other emulator) process with its console on pipes. */
export class GuestSession {
  /**
   * `args` are the arguments of `banquise` (e.g. ['run', '--kernel', k]), or of `command` when
   * given (e.g. qemu-system-riscv64 with -nographic, as a reference in benchmarks).
   */
  constructor(args, { env, command } = {}) {
    this.output = '';
    this.stderr = '';
    this.mark = 0;
    const [file, argv] = command === undefined ? [process.execPath, [BIN, ...args]] : [command, args];
    this.child = spawn(file, argv, { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    this.exited = new Promise((res) => this.child.on('exit', (code, signal) => res({ code, signal })));
    this.waiters = new Waiters();
    this.child.stdout.on('data', (d) => {
      this.output += d.toString('latin1');
      this.poke();
    });
    this.child.stderr.on('data', (d) => {
      this.stderr += d.toString('latin1');
    });
    // Writes after the guest process died must not crash the test process.
    this.child.stdin.on('error', () => {});
    this.exited.then(() => this.poke());
  }

  poke() {
    this.waiters.notify();
  }

  /** Resolves with the text after the mark up to the first match of `re`, and moves the mark past it. */
  waitFor(re, timeoutMs = 120_000) {
    const tail = () => `output tail:\n${this.output.slice(-2000)}\nstderr:\n${this.stderr}`;
    return waitForText(this, re, timeoutMs,
      () => (this.child.exitCode !== null || this.child.signalCode !== null ? `banquise exited (${this.child.exitCode}) before ${re}; ${tail()}` : undefined),
      () => `timeout waiting for ${re}; ${tail()}`);
  }

  /** Waits for the guest's banner and its first shell prompt. */
  async waitForShell(timeoutMs = BOOT_TIMEOUT_MS) {
    await this.waitFor(/Banquise guest ready/, timeoutMs);
    await this.waitFor(PROMPT, 60_000);
  }

  /**
   * Types a command line and returns its output. The output is framed by two markers the shell
   * prints (`<<BEGIN`, `<<END`); the echoed command line spells them `'<<'BEGIN`, so terminal
   * echo and line wrapping never match.
   */
  async run(command, timeoutMs = 120_000) {
    this.child.stdin.write(`echo '<<'BEGIN; ${command}; echo '<<'END\n`);
    await this.waitFor(/<<BEGIN\r?\n/, timeoutMs);
    const text = await this.waitFor(/<<END\r?\n/, timeoutMs);
    await this.waitFor(PROMPT, timeoutMs);
    return commandOutput(text.replace(/<<END\r?\n$/, ''));
  }

  /** Sends raw text without waiting. */
  send(text) {
    this.child.stdin.write(text);
  }

  /** Resolves with {code, signal} when the process ends; rejects after `timeoutMs`. */
  waitExit(timeoutMs = 120_000) {
    let timer;
    const timeout = new Promise((_, rej) => {
      timer = setTimeout(() => rej(new Error(`banquise did not exit within ${timeoutMs} ms; output tail:\n${this.output.slice(-2000)}\nstderr:\n${this.stderr}`)), timeoutMs);
    });
    return Promise.race([this.exited, timeout]).finally(() => clearTimeout(timer));
  }

  /** SIGKILLs the process if it still runs. */
  kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
