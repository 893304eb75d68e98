// The hypervisor in a browser tab, tested in a real browser: `npm run build:web` into a temporary
// folder, `banquise web --static` serving it, headless Chromium (Debian's, driven by
// playwright-core) opening the page, booting the default guest in the page's Web Worker, and
// typing into its xterm.js terminal like a user.
// BANQUISE_SCREENSHOT_DIR=docs writes the screenshot shown in the README.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findGuest, REPO } from '../support/guest-session.mjs';
import { chromiumMissing, launchChromium, serveStatic } from '../support/chromium.mjs';
import { terminalText, typeLine, waitForTerminal } from './terminal.mjs';

const guest = await findGuest();
const skip = chromiumMissing() || (typeof guest === 'string' ? guest : false);
if (skip) console.log(`# skipping browser tab tests: ${skip}`);
/** The interpreter boots Linux in tens of seconds on Node; a loaded machine may be much slower. */
const BOOT_TIMEOUT_MS = 15 * 60_000;

describe('Linux in a browser tab (Chromium)', { skip }, () => {
  let site;
  let server;
  let browser;
  let page;
  const pageErrors = [];

  before(async () => {
    site = mkdtempSync(join(tmpdir(), 'banquise-web-'));
    execFileSync(process.execPath, [join(REPO, 'scripts', 'build-web.mjs'), '--out', site], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    server = await serveStatic(site);
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(server.url);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (site) rmSync(site, { recursive: true, force: true });
  });

  test('the page is cross-origin isolated and offers the default guest', async () => {
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'COOP/COEP headers from banquise web --static');
    await page.waitForFunction(() => !document.getElementById('default-info').textContent.includes('looking'));
    assert.match(await page.locator('#default-info').textContent(), /Linux Image .* busybox initramfs/);
    assert.equal(await page.locator('input[name="source"][value="default"]').isChecked(), true);
  });

  test('boots to a shell: uname -m prints riscv64', async () => {
    await page.click('#boot');
    await page.waitForFunction(() => /loaded|kernel booting|running/.test(document.getElementById('progress').textContent + document.getElementById('phase').textContent));
    await waitForTerminal(page, /Banquise guest ready/, BOOT_TIMEOUT_MS);
    await waitForTerminal(page, /# $/, 60_000);
    assert.equal(await page.locator('#phase').getAttribute('data-phase'), 'running');
    await typeLine(page, 'uname -m');
    const text = await waitForTerminal(page, /uname -m\n(.*)\n.*# $/, 60_000);
    assert.equal(/uname -m\n(.*)\n/.exec(text)[1].trim(), 'riscv64');
  });

  test('cat /proc/cpuinfo shows the hart', async () => {
    await typeLine(page, 'cat /proc/cpuinfo');
    const text = await waitForTerminal(page, /cat \/proc\/cpuinfo\n[\s\S]*\n.*# $/, 60_000);
    const info = text.slice(text.lastIndexOf('cat /proc/cpuinfo'));
    assert.match(info, /^processor\s*:\s*0$/m);
    assert.match(info, /^hart\s*:\s*0$/m);
    assert.match(info, /^isa\s*:\s*rv64imafdc/m);
    assert.match(info, /^mmu\s*:\s*sv(39|48)/m);
  });

  test('the page shows the guest speed', async () => {
    await page.waitForFunction(() => document.getElementById('speed').dataset.mips !== undefined, null, { timeout: 30_000 });
    assert.match(await page.locator('#speed').textContent(), /MIPS · CPU \d+ % · \d+ M instructions · up \d+:\d\d/);
    const instructions = Number(/(\d+) M instructions/.exec(await page.locator('#speed').textContent())[1]);
    assert.ok(instructions > 50, `a Linux boot retires more than 50 M instructions (page says ${instructions} M)`);
    const dir = process.env.BANQUISE_SCREENSHOT_DIR;
    await page.screenshot({ path: join(dir ? join(REPO, dir) : tmpdir(), 'web-tab.png'), fullPage: true });
    assert.deepEqual(pageErrors, []);
  });
});
