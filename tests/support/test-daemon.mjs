// A banquise daemon in a child process for tests and benchmarks: its own socket, config folder
// (so its own token) and optionally a TCP listener on a free loopback port; verbs run against it.
import { spawn, execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { BIN, REPO } from './guest-session.mjs';

export class TestDaemon {
  /**
   * Starts `banquise daemon` with its files under `dir/<name>`; `listen` adds a TCP listener on
   * 127.0.0.1 (port chosen by the system). Resolves once it listens.
   */
  static async start(dir, name, { listen = false, maxMemory = '1G', extra = [] } = {}) {
    const d = new TestDaemon();
    d.name = name;
    d.home = join(dir, name);
    mkdirSync(d.home, { recursive: true });
    d.sock = join(d.home, 'run', 'banquised.sock');
    d.env = { ...process.env, BANQUISE_SOCKET: d.sock, XDG_CONFIG_HOME: join(d.home, 'config') };
    delete d.env.BANQUISE_TOKEN;
    d.log = '';
    d.proc = spawn(process.execPath, [BIN, 'daemon', '--socket', d.sock, '--max-memory', maxMemory, ...(listen ? ['--listen', '127.0.0.1:0'] : []), ...extra], {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: d.env,
    });
    d.proc.stderr.on('data', (b) => (d.log += b));
    const end = Date.now() + 60_000;
    while (!/listening on/.test(d.log)) {
      if (Date.now() > end || d.proc.exitCode !== null) throw new Error(`daemon ${name} did not start:\n${d.log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (listen) {
      d.port = Number(/and 127\.0\.0\.1:(\d+) \(bearer token\)/.exec(d.log)[1]);
      d.token = readFileSync(join(d.home, 'config', 'banquise', 'token'), 'utf8').trim();
    }
    return d;
  }

  /** Runs a banquise verb against this daemon; resolves {code, stdout, stderr}. */
  bq(args, { env } = {}) {
    return new Promise((res) => {
      execFile(process.execPath, [BIN, ...args], { cwd: this.home, env: { ...this.env, ...env }, timeout: 600_000 }, (err, stdout, stderr) =>
        res({ code: err ? (err.code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  /** GET `path` of the API on the daemon's socket; resolves with the parsed JSON body. */
  get(path) {
    return new Promise((res, rej) => {
      const r = request({ socketPath: this.sock, path }, (m) => {
        let t = '';
        m.on('data', (d) => (t += d));
        m.on('end', () => res(JSON.parse(t)));
      });
      r.on('error', rej);
      r.end();
    });
  }

  /** The domains as `banquise list --json` gives them. */
  async list() {
    const r = await this.bq(['list', '--json']);
    if (r.code !== 0) throw new Error(`list on ${this.name}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** Stops the daemon (SIGTERM: it destroys its domains) and waits for it. */
  async stop() {
    if (this.proc.exitCode !== null) return;
    this.proc.kill('SIGTERM');
    await new Promise((r) => this.proc.once('exit', r));
  }
}
