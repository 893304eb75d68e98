// Where the daemon and the verbs meet on this host: the default Unix socket, the pid file,
// the TCP bearer token; and the package version.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of the default socket: `$XDG_RUNTIME_DIR/banquise`, else `~/.cache/banquise`. */
export function defaultRuntimeDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_RUNTIME_DIR'];
  if (xdg && isAbsolute(xdg)) return join(xdg, 'banquise');
  return join(env['HOME'] || homedir(), '.cache', 'banquise');
}

/** The socket the daemon and the verbs use: `--socket`, else BANQUISE_SOCKET, else the default. */
export function socketPath(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (option !== undefined && option !== '') return resolve(option);
  const e = env['BANQUISE_SOCKET'];
  if (e !== undefined && e !== '') return resolve(e);
  return join(defaultRuntimeDir(env), 'banquised.sock');
}

/** Pid file of a daemon listening on `socket` (beside it). */
export function pidPath(socket: string): string {
  return join(dirname(socket), 'banquised.pid');
}

/** Log file of a detached daemon (beside its socket). */
export function daemonLogPath(socket: string): string {
  return join(dirname(socket), 'banquised.log');
}

/** Creates `dir` (and parents) with mode 0700 when missing. */
export function ensurePrivateDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** File of the TCP bearer token: `${XDG_CONFIG_HOME:-~/.config}/banquise/token`. */
export function tokenPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_CONFIG_HOME'];
  const base = xdg && isAbsolute(xdg) ? xdg : join(env['HOME'] || homedir(), '.config');
  return join(base, 'banquise', 'token');
}

/** The bearer token, generated (32 random bytes, hex, mode 0600) on first use. */
export function ensureToken(path = tokenPath()): string {
  if (existsSync(path)) {
    const t = readFileSync(path, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(t)) return t;
  }
  ensurePrivateDir(dirname(path));
  const token = randomBytes(32).toString('hex');
  writeFileSync(path, token + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
  return token;
}

/** The package version (package.json of this checkout). */
export function packageVersion(): string {
  const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'package.json');
  try {
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
