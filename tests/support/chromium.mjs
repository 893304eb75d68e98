// Headless Chromium for the browser tests: Debian's `chromium` (scripts/setup.sh installs it)
// driven by playwright-core. Never downloads a browser; a fresh profile per launch.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { REPO, BIN } from './guest-session.mjs';

/** The system Chromium binary. */
export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or false when they can. */
export function chromiumMissing() {
  if (!existsSync(CHROMIUM)) return `${CHROMIUM} not found (scripts/setup.sh installs Debian's chromium)`;
  return false;
}

/**
 * Launches headless Chromium with a fresh user-data-dir; `close()` ends it and removes the
 * profile. Flags: no sandbox (tests run as root), no GPU, no network side traffic.
 */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'banquise-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1100, height: 900 },
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `banquise web --static 127.0.0.1:0 --dir DIR`; resolves with { url, stop() } once it
 * prints its address.
 */
export function serveStatic(dir) {
  const child = spawn(process.execPath, [BIN, 'web', '--static', '127.0.0.1:0', '--dir', dir], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => { child.kill(); rej(new Error(`banquise web did not start: ${out}${err}`)); }, 20_000);
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      const m = /at (http:\/\/\S+) /.exec(out);
      if (m) {
        clearTimeout(timer);
        res({
          url: m[1],
          stop: () => new Promise((done) => { if (child.exitCode !== null) return done(); child.once('exit', done); child.kill('SIGTERM'); }),
        });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); rej(new Error(`banquise web exited with ${code}: ${out}${err}`)); });
  });
}
