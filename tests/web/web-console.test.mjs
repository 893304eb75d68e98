// The daemon's web console in a real browser: `banquise daemon --web` on a temporary socket and
// port (its token in a temporary config folder), the page built by build:web, headless Chromium.
// A user logs in with the token, creates a domain from the form, sees it running in the live
// list, opens its terminal and runs a command, pauses it and sees the state change; requests
// without the token are refused. BANQUISE_SCREENSHOT_DIR=docs writes the README's screenshot.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, findGuest, REPO } from '../support/guest-session.mjs';
import { chromiumMissing, launchChromium } from '../support/chromium.mjs';
import { typeLine, waitForTerminal } from './terminal.mjs';

const guest = await findGuest();
const noDaemon = existsSync(join(REPO, 'dist', 'api', 'daemon.js')) ? false : 'this build has no daemon (dist/api/daemon.js)';
const skip = noDaemon || chromiumMissing() || (typeof guest === 'string' ? guest : false);
if (skip) console.log(`# skipping web console tests: ${skip}`);
const BOOT_TIMEOUT_MS = 15 * 60_000;
const TERM = '#console-terminal';

describe('web console (banquise daemon --web) in Chromium', { skip }, () => {
  let dir;
  let daemon;
  let daemonLog = '';
  let url;
  let token;
  let browser;
  let page;
  const pageErrors = [];

  const row = (name) => page.locator(`#domains tr[data-domain="${name}"]`);
  const waitState = (name, re, timeout = 60_000) =>
    page.waitForFunction(
      ([n, src]) => new RegExp(src).test(document.querySelector(`#domains tr[data-domain="${n}"]`)?.dataset.state ?? ''),
      [name, re.source],
      { timeout },
    );

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'banquise-webconsole-'));
    execFileSync(process.execPath, [join(REPO, 'scripts', 'build-web.mjs'), '--no-guest', '--out', join(dir, 'site')], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    const env = { ...process.env, XDG_CONFIG_HOME: join(dir, 'config') };
    daemon = spawn(process.execPath, [BIN, 'daemon', '--socket', join(dir, 'run', 'd.sock'), '--web', '127.0.0.1:0', '--web-dir', join(dir, 'site', 'console'), '--max-memory', '512M'], {
      cwd: REPO, env, stdio: ['ignore', 'ignore', 'pipe'],
    });
    daemon.stderr.on('data', (d) => (daemonLog += d));
    const end = Date.now() + 60_000;
    while (!/web console at (http:\/\/\S+)/.test(daemonLog)) {
      if (daemon.exitCode !== null || Date.now() > end) throw new Error(`daemon did not start:\n${daemonLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    url = /web console at (http:\/\/\S+)/.exec(daemonLog)[1];
    token = readFileSync(join(dir, 'config', 'banquise', 'token'), 'utf8').trim();
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('dialog', (d) => void d.accept());
  });
  after(async () => {
    await browser?.close();
    if (daemon && daemon.exitCode === null) {
      const gone = new Promise((r) => daemon.once('exit', r));
      daemon.kill('SIGTERM');
      await gone;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('requests without the token are refused; the page asks for it', async () => {
    const noToken = await fetch(`${url}v1/domains`);
    assert.equal(noToken.status, 401);
    assert.equal((await fetch(`${url}v1/domains`, { headers: { Authorization: 'Bearer wrong' } })).status, 401);
    assert.equal((await fetch(`${url}web/defaults.json`)).status, 401);
    await page.goto(url);
    await page.locator('#login').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#app').isHidden(), true);
    // a WebSocket without the token is refused too
    const ws = await page.evaluate(
      (u) => new Promise((res) => {
        const s = new WebSocket(u.replace('http', 'ws') + 'v1/domains/x/console', ['banquise', 'banquise.bearer.wrong']);
        s.onopen = () => res('open');
        s.onerror = () => res('refused');
      }),
      url,
    );
    assert.equal(ws, 'refused');
    await page.fill('#token', 'not-the-token');
    await page.click('#login-form button');
    await page.waitForFunction(() => document.getElementById('login-error').textContent !== '');
    assert.match(await page.locator('#login-error').textContent(), /wrong token/);
  });

  test('log in, create a domain from the form, see it running', async () => {
    await page.fill('#token', token);
    await page.click('#login-form button');
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.click('#create summary');
    // The form is filled with the daemon host's default guest.
    assert.equal(await page.inputValue('#c-kernel'), guest.kernel);
    assert.equal(await page.inputValue('#c-initrd'), guest.initrd);
    await page.fill('#c-name', 'web1');
    await page.fill('#c-memory', '128');
    await page.click('#create-form button[type="submit"]');
    await row('web1').waitFor({ timeout: 30_000 });
    await waitState('web1', /^(running|blocked)$/);
    assert.equal(await row('web1').locator('td').nth(3).textContent(), '1');
    assert.equal(await row('web1').locator('td').nth(4).textContent(), '128 MiB');
    await page.waitForFunction(() => /\d+ %/.test(document.querySelector('#domains tr[data-domain="web1"] td.cpu')?.textContent ?? ''));
    await page.waitForFunction(() => /\d+:\d\d/.test(document.querySelector('#domains tr[data-domain="web1"] td.uptime')?.textContent ?? ''));
  });

  test('its terminal reaches the shell: a command runs and prints', async () => {
    await row('web1').locator('button[data-command="console"]').click();
    await page.locator('#console-panel').waitFor({ state: 'visible' });
    await waitForTerminal(page, /Banquise guest ready/, BOOT_TIMEOUT_MS, TERM);
    await waitForTerminal(page, /# $/, 60_000, TERM);
    await typeLine(page, 'echo web-$((6 * 7))-console', TERM);
    const text = await waitForTerminal(page, /\nweb-42-console\n/, 60_000, TERM);
    assert.match(text, /echo web-\$\(\(6 \* 7\)\)-console\nweb-42-console\n/);
    await typeLine(page, 'uname -m', TERM);
    await waitForTerminal(page, /uname -m\nriscv64\n/, 60_000, TERM);
    const dirShot = process.env.BANQUISE_SCREENSHOT_DIR;
    await page.screenshot({ path: join(dirShot ? join(REPO, dirShot) : tmpdir(), 'web-console.png'), fullPage: true });
  });

  test('pause and unpause change the state in the list', async () => {
    await row('web1').locator('button[data-command="pause"]').click();
    await waitState('web1', /^paused$/);
    assert.match(await row('web1').locator('td.state').textContent(), /^paused/);
    await row('web1').locator('button[data-command="unpause"]').click();
    await waitState('web1', /^(running|blocked)$/);
  });

  test('create from xl.cfg text: errors name the line; a good config creates the domain', async () => {
    await page.fill('#c-xl', 'name = "web2"\nmemory = 96\nmemroy = 3\n');
    await page.click('#create-xl-form button[type="submit"]');
    await page.waitForFunction(() => document.getElementById('message').className === 'error');
    assert.match(await page.locator('#message').textContent(), /config:3: .*memroy/);
    await page.fill('#c-xl', 'name = "web2"\nmemory = 96\nvcpus = 2\n');
    await page.click('#create-xl-form button[type="submit"]');
    await row('web2').waitFor({ timeout: 30_000 });
    await waitState('web2', /^(running|blocked)$/);
    assert.equal(await row('web2').locator('td').nth(3).textContent(), '2');
    assert.equal(await row('web2').locator('td').nth(4).textContent(), '96 MiB');
    await row('web2').locator('button[data-command="destroy"]').click();
    await page.waitForFunction(() => document.querySelector('#domains tr[data-domain="web2"]') === null, null, { timeout: 60_000 });
  });

  test('destroy removes it', async () => {
    await row('web1').locator('button[data-command="destroy"]').click();
    await page.waitForFunction(() => document.querySelector('#domains tr[data-domain="web1"]') === null, null, { timeout: 60_000 });
    assert.deepEqual(pageErrors, []);
  });
});
