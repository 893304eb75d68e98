// Helpers for the Linux boot suites: find the default guest, run `banquise run` with a piped
// console, wait for output, type commands.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(REPO, 'bin', 'banquise.js');
/** The shell prompt of the default guest ends with "# ". */
export const PROMPT = /# $/;

/**
 * The default guest's files, or a string saying why there are none. The images are built (once,
 * cached) by the guest-image code when the machine can build them.
 */
export async function findGuest() {
  const mod = join(REPO, 'dist', 'platform', 'node', 'guest-images.js');
  if (!existsSync(mod)) return 'guest images unavailable: dist/platform/node/guest-images.js is not built';
  try {
    const { ensureDefaultGuest } = await import(mod);
    const g = await ensureDefaultGuest();
    if (!existsSync(g.kernel) || !existsSync(g.initrd)) return `guest images missing in ${g.dir}`;
    return g;
  } catch (err) {
    return `guest images are not built and cannot be built here: ${err?.message ?? err}`;
  }
}

/** A running `banquise` process with its console on pipes. */
export class GuestSession {
  constructor(args, { env } = {}) {
    this.output = '';
    this.stderr = '';
    this.mark = 0;
    this.child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'], env: env ?? process.env });
    this.exited = new Promise((res) => this.child.on('exit', (code, signal) => res({ code, signal })));
    this.waiters = [];
    this.child.stdout.on('data', (d) => {
      this.output += d.toString('latin1');
      this.poke();
    });
    this.child.stderr.on('data', (d) => {
      this.stderr += d.toString('latin1');
    });
    this.exited.then(() => this.poke());
  }

  poke() {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves with the text after the mark up to the first match of `re`, and moves the mark past it. */
  waitFor(re, timeoutMs = 120_000) {
    return new Promise((res, rej) => {
      let done = false;
      const check = () => {
        if (done) return;
        const rest = this.output.slice(this.mark);
        const m = re.exec(rest);
        if (m) {
          done = true;
          cleanup();
          const text = rest.slice(0, m.index + m[0].length);
          this.mark += m.index + m[0].length;
          res(text);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done = true;
          cleanup();
          rej(new Error(`banquise exited (${this.child.exitCode}) before ${re}; output tail:\n${this.output.slice(-2000)}\nstderr:\n${this.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        cleanup();
        rej(new Error(`timeout waiting for ${re}; output tail:\n${this.output.slice(-2000)}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
      };
      this.waiters.push(check);
      check();
    });
  }

  /**
   * Types a command line and returns its output. The output is framed by two markers the shell
   * prints (`<<BEGIN`, `<<END`); the echoed command line spells them `'<<'BEGIN`, so terminal
   * echo and line wrapping never match.
   */
  async run(command, timeoutMs = 60_000) {
    this.child.stdin.write(`echo '<<'BEGIN; ${command}; echo '<<'END\n`);
    await this.waitFor(/<<BEGIN\r?\n/, timeoutMs);
    const text = await this.waitFor(/<<END\r?\n/, timeoutMs);
    await this.waitFor(PROMPT, timeoutMs);
    return text.replace(/<<END\r?\n$/, '').replace(/\r/g, '').replace(/\n$/, '');
  }

  /** Sends raw text without waiting. */
  send(text) {
    this.child.stdin.write(text);
  }

  kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
