// The daemon's web console (`banquise daemon --web`): log in with the API token, see the domains
// refreshed live, create one, pause/unpause/shutdown/reboot/destroy it, open its console.
import { parseXlConfig } from '../../control/xl-config.js';
import { ApiClient, ApiError, type DomainView } from './api-client.js';
import { ConsoleView } from './console-socket.js';
import { DomainTable, type RowCommand } from './domain-table.js';

/** Where the token is kept between visits (this origin only). */
const TOKEN_KEY = 'banquise.token';
const REFRESH_MS = 1000;
const MIB = 1024 * 1024;

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`page is missing #${id}`);
  return e as T;
}

const loginView = el<HTMLElement>('login');
const appView = el<HTMLElement>('app');
const loginForm = el<HTMLFormElement>('login-form');
const loginError = el<HTMLElement>('login-error');
const messageEl = el<HTMLElement>('message');
const createForm = el<HTMLFormElement>('create-form');
const consolePanel = el<HTMLElement>('console-panel');
const consoleTitle = el<HTMLElement>('console-title');

let api: ApiClient | undefined;
/** The daemon host's default guest (from /web/defaults.json), if built. */
let defaults: { kernel: string; initrd: string } | undefined;
let timer: ReturnType<typeof setInterval> | undefined;
let openConsole: ConsoleView | undefined;
const table = new DomainTable(el<HTMLTableSectionElement>('domains'), (d, c) => void command(d, c));

/** A line for the user (plain text). */
function say(text: string, error = false): void {
  messageEl.textContent = text;
  messageEl.className = error ? 'error' : '';
}

function showLogin(why?: string): void {
  if (timer !== undefined) clearInterval(timer);
  timer = undefined;
  openConsole?.close();
  openConsole = undefined;
  api = undefined;
  appView.hidden = true;
  loginView.hidden = false;
  loginError.textContent = why ?? '';
}

async function refresh(): Promise<void> {
  if (api === undefined) return;
  try {
    const domains = await api.list();
    table.render(domains, performance.now());
    el('domain-count').textContent = `${domains.length} domain${domains.length === 1 ? '' : 's'}`;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      localStorage.removeItem(TOKEN_KEY);
      showLogin('the daemon refused the token');
    } else say(`refresh failed: ${err instanceof Error ? err.message : String(err)}`, true);
  }
}

async function login(token: string): Promise<boolean> {
  const client = new ApiClient(token);
  try {
    const info = await client.info();
    api = client;
    localStorage.setItem(TOKEN_KEY, token);
    loginView.hidden = true;
    appView.hidden = false;
    el('daemon-info').textContent = `banquised ${String(info['version'] ?? '?')}`;
    await loadDefaults(client);
    await refresh();
    timer = setInterval(() => void refresh(), REFRESH_MS);
    return true;
  } catch (err) {
    showLogin(err instanceof ApiError && err.status === 401 ? 'wrong token' : `cannot reach the daemon: ${err instanceof Error ? err.message : String(err)}`);
    return false;
  }
}

async function command(d: DomainView, c: RowCommand): Promise<void> {
  if (api === undefined) return;
  if (c === 'console') {
    openConsole?.close();
    consolePanel.hidden = false;
    consoleTitle.textContent = `Console: ${d.name}`;
    openConsole = new ConsoleView(el('console-terminal'), api, d.name, () => {});
    return;
  }
  if (c === 'destroy' && !confirm(`Destroy ${d.name}? Its machine stops at once.`)) return;
  try {
    if (c === 'destroy') await api.destroy(d.name);
    else await api.action(d.name, c);
    say(`${c}: ${d.name}`);
  } catch (err) {
    say(`${c} ${d.name}: ${err instanceof Error ? err.message : String(err)}`, true);
  }
  await refresh();
}

/** The DomainConfig the create form describes (the daemon validates it against the API schema). */
function configFromForm(): unknown {
  const v = (id: string): string => el<HTMLInputElement>(id).value.trim();
  const memoryBytes = Number(v('c-memory')) * MIB;
  const initrd = v('c-initrd');
  const disk = v('c-disk');
  return {
    name: v('c-name'),
    memoryBytes,
    maxMemoryBytes: memoryBytes,
    onPoweroff: 'destroy',
    onReboot: 'restart',
    onCrash: 'preserve',
    machine: {
      version: 1,
      mode: 'pv',
      memoryBytes,
      vcpus: Number(v('c-vcpus')),
      boot: { kernel: { path: v('c-kernel') }, ...(initrd !== '' ? { initrd: { path: initrd } } : {}), cmdline: v('c-cmdline') },
      devices: {
        disks: disk !== '' ? [{ path: disk, readOnly: false }] : [],
        nics: [],
        shares: [],
        console: 'serial',
        balloon: false,
        rng: true,
      },
    },
  };
}

createForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (api === undefined) return;
  const a = api;
  void (async () => {
    try {
      const d = await a.create(configFromForm());
      say(`created ${d.name} (id ${d.id})`);
    } catch (err) {
      say(`create: ${err instanceof Error ? err.message : String(err)}`, true);
    }
    await refresh();
  })();
});

/**
 * The DomainConfig of an xl.cfg text, parsed here with the same parser as `banquise create`
 * (control/xl-config.ts); errors name the line. The daemon checks the files exist.
 */
function configFromXl(text: string): unknown {
  const { config, usesDefaultGuest } = parseXlConfig(text, { file: 'config', dir: '/', exists: () => true });
  if (!usesDefaultGuest) return config;
  if (defaults === undefined) throw new Error('config has no kernel and the daemon host has no built default guest (npm run guest there)');
  return { ...config, machine: { ...config.machine, boot: { ...config.machine.boot, kernel: { path: defaults.kernel }, initrd: { path: defaults.initrd } } } };
}

el<HTMLFormElement>('create-xl-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  if (api === undefined) return;
  const a = api;
  void (async () => {
    try {
      const d = await a.create(configFromXl(el<HTMLTextAreaElement>('c-xl').value));
      say(`created ${d.name} (id ${d.id})`);
    } catch (err) {
      say(`create: ${err instanceof Error ? err.message : String(err)}`, true);
    }
    await refresh();
  })();
});

loginForm.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void login(el<HTMLInputElement>('token').value.trim());
});
el('logout').addEventListener('click', () => {
  localStorage.removeItem(TOKEN_KEY);
  showLogin();
});
el('console-close').addEventListener('click', () => {
  openConsole?.close();
  openConsole = undefined;
  consolePanel.hidden = true;
});

/** Fills the create form with the daemon host's default guest (kernel/initrd paths there). */
async function loadDefaults(client: ApiClient): Promise<void> {
  try {
    const d = (await client.webDefaults()) as { kernel?: unknown; initrd?: unknown; cmdline?: unknown };
    if (typeof d.kernel === 'string' && typeof d.initrd === 'string') defaults = { kernel: d.kernel, initrd: d.initrd };
    if (typeof d.kernel === 'string') el<HTMLInputElement>('c-kernel').value = d.kernel;
    if (typeof d.initrd === 'string') el<HTMLInputElement>('c-initrd').value = d.initrd;
    if (typeof d.cmdline === 'string') el<HTMLInputElement>('c-cmdline').value = d.cmdline;
  } catch {
    // no default guest on the daemon host: the form stays as it is
  }
}

const saved = localStorage.getItem(TOKEN_KEY);
if (saved !== null && saved !== '') void login(saved);
else showLogin();
