// The page that boots a Linux guest in the tab: choose images (the site's default guest or the
// user's own files), load them with progress, hand them to the machine worker, show the console
// in xterm.js and the guest's speed. Everything shown from the guest or a file name goes through
// textContent or the terminal, never through HTML.
import type { DiskConfig, FromWorker, MachineConfig } from '../../platform/browser/worker-protocol.js';
import { fetchWithProgress, formatBytes, readPickedFile } from './blob-loader.js';
import { loadGuestManifest, type GuestManifest } from './guest-manifest.js';
import { GuestTerminal } from '../common/guest-terminal.js';
import { MachineClient } from './machine-client.js';

const WORKER_URL = 'machine-worker.js';

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (e === null) throw new Error(`page is missing #${id}`);
  return e as T;
}

const form = el<HTMLFormElement>('setup');
const bootButton = el<HTMLButtonElement>('boot');
const phaseEl = el<HTMLSpanElement>('phase');
const progressEl = el<HTMLSpanElement>('progress');
const speedEl = el<HTMLSpanElement>('speed');
const defaultInfo = el<HTMLSpanElement>('default-info');
const rootDisk = el<HTMLInputElement>('root-disk');
const cmdline = el<HTMLInputElement>('cmdline');
const memory = el<HTMLSelectElement>('memory');

let client: MachineClient | undefined;
let sawOutput = false;
const terminal = new GuestTerminal(el('terminal'), (bytes) => client?.input(bytes));

/** Shows a phase word (also in data-phase, which the tests and the stylesheet read). */
function setPhase(phase: string, text = phase): void {
  phaseEl.dataset['phase'] = phase;
  phaseEl.textContent = text;
}

function source(): 'default' | 'files' {
  const checked = form.querySelector<HTMLInputElement>('input[name="source"]:checked');
  return checked?.value === 'files' ? 'files' : 'default';
}

function picked(id: string): File | undefined {
  return el<HTMLInputElement>(id).files?.[0] ?? undefined;
}

/** What to load and boot: blob paths (URLs or picked files) and the config that names them. */
interface BootPlan {
  readonly config: MachineConfig;
  readonly loads: readonly { readonly path: string; readonly label: string; readonly from: string | File }[];
}

function plan(manifest: GuestManifest | undefined): BootPlan {
  const memoryBytes = Number(memory.value) * 1024 * 1024;
  const loads: { path: string; label: string; from: string | File }[] = [];
  const disks: DiskConfig[] = [];
  let kernelPath: string;
  let initrdPath: string | undefined;
  if (source() === 'default') {
    if (manifest === undefined) throw new Error('this site has no default guest: pick your own files (or run `npm run guest` then `npm run build:web`)');
    kernelPath = manifest.kernel.url;
    loads.push({ path: kernelPath, label: 'kernel', from: manifest.kernel.url });
    if (rootDisk.checked) {
      if (manifest.rootDisk === undefined) throw new Error('this site has no default root disk');
      loads.push({ path: manifest.rootDisk.url, label: 'root disk', from: manifest.rootDisk.url });
      disks.push({ path: manifest.rootDisk.url, readOnly: false });
    } else {
      initrdPath = manifest.initrd.url;
      loads.push({ path: initrdPath, label: 'initrd', from: manifest.initrd.url });
    }
  } else {
    const kernel = picked('kernel-file');
    if (kernel === undefined) throw new Error('pick a kernel file (a RISC-V Linux Image)');
    kernelPath = `file:kernel/${kernel.name}`;
    loads.push({ path: kernelPath, label: 'kernel', from: kernel });
    const initrd = picked('initrd-file');
    if (initrd !== undefined) {
      initrdPath = `file:initrd/${initrd.name}`;
      loads.push({ path: initrdPath, label: 'initrd', from: initrd });
    }
    const disk = picked('disk-file');
    if (disk !== undefined) {
      const path = `file:disk/${disk.name}`;
      loads.push({ path, label: 'disk', from: disk });
      disks.push({ path, readOnly: false });
    }
  }
  const config: MachineConfig = {
    version: 1,
    mode: 'pv',
    memoryBytes,
    vcpus: 1,
    boot: {
      kernel: { path: kernelPath },
      ...(initrdPath !== undefined ? { initrd: { path: initrdPath } } : {}),
      cmdline: cmdline.value.trim(),
    },
    devices: { disks, nics: [], shares: [], console: 'serial', balloon: false, rng: true },
  };
  return { config, loads };
}

/** Loads every blob of the plan, showing bytes loaded out of the total. */
async function loadAll(p: BootPlan): Promise<Record<string, ArrayBuffer>> {
  const blobs: Record<string, ArrayBuffer> = {};
  for (const load of p.loads) {
    const show = (loaded: number, total: number | undefined): void => {
      progressEl.textContent = `${load.label}: ${formatBytes(loaded)}${total !== undefined ? ` / ${formatBytes(total)}` : ''}`;
    };
    blobs[load.path] = typeof load.from === 'string' ? await fetchWithProgress(load.from, show) : await readPickedFile(load.from, show);
  }
  const total = Object.values(blobs).reduce((n, b) => n + b.byteLength, 0);
  progressEl.textContent = `loaded ${formatBytes(total)}`;
  return blobs;
}

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function onWorkerMessage(msg: FromWorker): void {
  switch (msg.type) {
    case 'output':
      if (!sawOutput) {
        sawOutput = true;
        setPhase('running', 'running');
      }
      terminal.write(msg.bytes);
      break;
    case 'phase':
      if (msg.phase === 'booting') setPhase('booting', 'kernel booting');
      else if (msg.phase === 'rebooting') setPhase('booting', 'rebooting');
      else if (msg.phase === 'poweroff') {
        setPhase('poweroff', 'powered off');
        terminal.note('the guest powered off');
        bootButton.disabled = false;
      } else {
        setPhase('failed', `failed: ${msg.message ?? 'unknown error'}`);
        terminal.note(`machine failed: ${msg.message ?? 'unknown error'}`);
        bootButton.disabled = false;
      }
      break;
    case 'stats':
      speedEl.dataset['mips'] = msg.mips.toFixed(1);
      speedEl.textContent =
        `${msg.mips.toFixed(1)} MIPS · CPU ${Math.round(msg.busyPercent)} % · ` +
        `${(msg.instructions / 1e6).toFixed(0)} M instructions · up ${formatUptime(msg.uptimeMs)}`;
      break;
    case 'error':
      terminal.note(`machine worker: ${msg.message}`);
      break;
  }
}

async function boot(manifest: GuestManifest | undefined): Promise<void> {
  bootButton.disabled = true;
  try {
    const p = plan(manifest);
    setPhase('loading', 'loading');
    const blobs = await loadAll(p);
    client?.terminate();
    terminal.term.reset();
    sawOutput = false;
    client = new MachineClient(WORKER_URL, {
      onMessage: onWorkerMessage,
      onCrash: (message) => {
        setPhase('failed', `failed: ${message}`);
        bootButton.disabled = false;
      },
    });
    client.boot(p.config, blobs);
    terminal.focus();
  } catch (err) {
    setPhase('failed', `failed: ${err instanceof Error ? err.message : String(err)}`);
    bootButton.disabled = false;
  }
}

async function main(): Promise<void> {
  const manifest = await loadGuestManifest();
  if (manifest === undefined) {
    defaultInfo.textContent = '(not in this build: run `npm run guest`, then `npm run build:web`)';
    const files = form.querySelector<HTMLInputElement>('input[name="source"][value="files"]');
    if (files !== null) files.checked = true;
  } else {
    defaultInfo.textContent =
      `(Linux Image ${formatBytes(manifest.kernel.sizeBytes)} + busybox initramfs ${formatBytes(manifest.initrd.sizeBytes)}` +
      `${manifest.rootDisk !== undefined ? `, root disk ${formatBytes(manifest.rootDisk.sizeBytes)}` : ''})`;
    cmdline.value = manifest.cmdline;
  }
  rootDisk.disabled = manifest?.rootDisk === undefined;
  rootDisk.addEventListener('change', () => {
    const base = manifest?.cmdline ?? 'console=ttyS0';
    cmdline.value = rootDisk.checked ? `${base} root=/dev/vda rw` : base;
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void boot(manifest);
  });
  if (new URLSearchParams(location.search).get('boot') === 'default' && manifest !== undefined) void boot(manifest);
}

void main();
