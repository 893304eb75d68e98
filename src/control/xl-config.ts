// Domain config files in xl.cfg syntax (the subset that applies to Banquise): `KEY = VALUE`
// lines, VALUE a "string", a number or a [ "list", ... ] that may span lines, `#` comments.
// Parsed into a DomainConfig; every error names the file, the line and what to fix.
import { BanquiseError } from '../base/errors.js';
import type { DiskConfig, MachineConfig, NicConfig, ShareConfig, HostForwardConfig } from '../machine/machine-config.js';
import { domainNameProblem, LIFECYCLE_ACTIONS, MAX_JIT_THRESHOLD, type DomainConfig, type LifecycleAction } from './domain-config.js';

/** A config error: `file:line: what is wrong`. */
export class XlConfigError extends BanquiseError {
  constructor(readonly file: string, readonly line: number, readonly problem: string) {
    super(line > 0 ? `${file}:${line}: ${problem}` : `${file}: ${problem}`, 64);
    this.name = 'XlConfigError';
  }
}

/** A value as written in the file. */
export type XlValue = string | number | string[];

/** One `KEY = VALUE` setting and where it was. */
export interface XlSetting {
  readonly key: string;
  readonly value: XlValue;
  readonly line: number;
  /** Set for a command-line override: the `KEY=VALUE` as typed. */
  readonly override?: string;
}

/** What the host side supplies to the parser. */
export interface XlParseOptions {
  /** Name of the file, for messages. */
  readonly file: string;
  /** Absolute folder relative paths resolve against (the config file's folder). */
  readonly dir: string;
  /** `KEY=VALUE` overrides from the command line (applied after the file, as xl does). */
  readonly overrides?: readonly string[];
  /** True if a host file exists (kernel, ramdisk, disk images, shared folders). */
  readonly exists: (path: string) => boolean;
}

/**
 * A parsed config; `usesDefaultGuest` when it has no `kernel` (the caller fills in the default
 * guest), `usesDefaultBios` for a full-mode domain without `bios` or with `bios = "default"`
 * (the caller fills in the host's OpenSBI).
 */
export interface XlParseResult {
  readonly config: DomainConfig;
  readonly usesDefaultGuest: boolean;
  readonly usesDefaultBios: boolean;
}

const MIB = 1024 * 1024;
/** Keys Banquise understands, with what each holds (for "unknown key" messages). */
const KNOWN_KEYS = [
  'name', 'type', 'bios', 'memory', 'maxmem', 'vcpus', 'kernel', 'ramdisk', 'cmdline', 'extra', 'root',
  'disk', 'vif', 'p9', 'vsock', 'on_poweroff', 'on_reboot', 'on_crash', 'jit', 'jit_threshold',
] as const;
/** Kernel command line of the default guest (its console is the serial port). */
export const DEFAULT_DOMAIN_CMDLINE = 'console=ttyS0';

/** Splits config text into settings (syntax only). */
export function tokenizeXl(text: string, file: string, firstLine = 1): XlSetting[] {
  const out: XlSetting[] = [];
  let i = 0;
  let line = firstLine;
  const n = text.length;
  const err = (why: string): never => {
    throw new XlConfigError(file, line, why);
  };
  const skipSpace = (newlines: boolean): void => {
    while (i < n) {
      const c = text[i]!;
      if (c === '#') {
        while (i < n && text[i] !== '\n') i++;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === ';') i++;
      else if (c === '\n' && newlines) {
        line++;
        i++;
      } else break;
    }
  };
  const readString = (): string => {
    const q = text[i]!;
    i++;
    let s = '';
    while (i < n && text[i] !== q) {
      if (text[i] === '\n') err('string not closed before the end of the line');
      if (text[i] === '\\' && i + 1 < n) i++;
      s += text[i]!;
      i++;
    }
    if (i >= n) err('string not closed');
    i++;
    return s;
  };
  const readScalar = (): string | number => {
    const c = text[i];
    if (c === '"' || c === "'") return readString();
    const m = /^-?\d+/.exec(text.slice(i, i + 32));
    if (m === null) err(`expected a "string", a number or a [ list ], found ${JSON.stringify(text.slice(i, i + 20).split('\n')[0])}`);
    i += m![0].length;
    return Number(m![0]);
  };
  for (;;) {
    skipSpace(true);
    if (i >= n) break;
    const km = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 64));
    if (km === null) err(`expected KEY = VALUE, found ${JSON.stringify(text.slice(i, i + 20).split('\n')[0])}`);
    const key = km![0];
    const keyLine = line;
    i += key.length;
    skipSpace(false);
    if (text[i] !== '=') err(`expected '=' after ${key}`);
    i++;
    skipSpace(false);
    let value: XlValue;
    if (text[i] === '[') {
      i++;
      const items: string[] = [];
      for (;;) {
        skipSpace(true);
        if (i >= n) err(`list of ${key} not closed with ']'`);
        if (text[i] === ']') {
          i++;
          break;
        }
        const v = readScalar();
        items.push(String(v));
        skipSpace(true);
        if (text[i] === ',') i++;
        else if (text[i] !== ']') err(`expected ',' or ']' in the list of ${key}`);
      }
      value = items;
    } else {
      if (i >= n || text[i] === '\n') err(`${key} has no value`);
      value = readScalar();
    }
    skipSpace(false);
    if (i < n && text[i] !== '\n') err(`unexpected text after the value of ${key}: ${JSON.stringify(text.slice(i, i + 20).split('\n')[0])}`);
    out.push({ key, value, line: keyLine });
  }
  return out;
}

/** Joins `p` to `dir` when relative, and normalizes `.`/`..` (POSIX paths). */
export function resolvePath(dir: string, p: string): string {
  const full = p.startsWith('/') ? p : `${dir.replace(/\/+$/, '')}/${p}`;
  const parts: string[] = [];
  for (const seg of full.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return '/' + parts.join('/');
}

/** Parses an xl.cfg text (plus overrides) into a validated DomainConfig. */
export function parseXlConfig(text: string, opts: XlParseOptions): XlParseResult {
  const settings = tokenizeXl(text, opts.file);
  for (const o of opts.overrides ?? []) {
    const eq = o.indexOf('=');
    if (eq <= 0) throw new XlConfigError(opts.file, 0, `override ${JSON.stringify(o)} is not KEY=VALUE`);
    const key = o.slice(0, eq).trim();
    const raw = o.slice(eq + 1).trim();
    // An override value is taken as written: a number, a list, a quoted string, or bare text.
    const quoted = /^-?\d+$/.test(raw) || raw.startsWith('"') || raw.startsWith("'") || raw.startsWith('[') ? raw : JSON.stringify(raw);
    for (const s of tokenizeXl(`${key} = ${quoted}`, `${opts.file} (override ${o})`, 0)) settings.push({ ...s, override: o });
  }
  const byKey = new Map<string, XlSetting>();
  for (const s of settings) {
    if (!(KNOWN_KEYS as readonly string[]).includes(s.key)) {
      throw new XlConfigError(opts.file, s.line, `${s.override !== undefined ? `override ${s.override}: ` : ''}unknown key '${s.key}' (known: ${KNOWN_KEYS.join(', ')})`);
    }
    byKey.set(s.key, s); // the last one wins, as in xl
  }
  const err = (s: XlSetting | undefined, why: string): never => {
    throw new XlConfigError(opts.file, s?.line ?? 0, s?.override !== undefined ? `override ${s.override}: ${why}` : why);
  };
  const str = (key: string): string | undefined => {
    const s = byKey.get(key);
    if (s === undefined) return undefined;
    if (typeof s.value !== 'string') err(s, `${key} must be a "string"`);
    return s.value as string;
  };
  const int = (key: string, min: number, max: number): number | undefined => {
    const s = byKey.get(key);
    if (s === undefined) return undefined;
    const v = typeof s.value === 'string' && /^\d+$/.test(s.value) ? Number(s.value) : s.value;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) err(s, `${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(s.value)}`);
    return v as number;
  };
  const list = (key: string): { s: XlSetting; items: string[] } | undefined => {
    const s = byKey.get(key);
    if (s === undefined) return undefined;
    if (!Array.isArray(s.value)) err(s, `${key} must be a list: ${key} = [ "..." ]`);
    return { s, items: s.value as string[] };
  };
  const existing = (s: XlSetting, what: string, p: string): string => {
    const abs = resolvePath(opts.dir, p);
    if (!opts.exists(abs)) err(s, `${what} ${abs} does not exist`);
    return abs;
  };

  const nameS = byKey.get('name');
  const name = str('name');
  if (name === undefined) err(undefined, 'name = "..." is missing (every domain needs a unique name)');
  const nameProblem = domainNameProblem(name!);
  if (nameProblem !== undefined) err(nameS, nameProblem);

  const type = str('type') ?? 'pv';
  if (type !== 'pv' && type !== 'full' && type !== 'hvm') err(byKey.get('type'), `type must be "pv" or "full" ("hvm" is taken as "full"), got "${type}"`);
  const full = type !== 'pv';
  const biosS = byKey.get('bios');
  const bios = str('bios');
  if (bios !== undefined && !full) err(biosS, 'bios is the firmware of a full-virtualization domain: add type = "full", or drop bios');
  const biosPath = bios === undefined || bios === 'default' ? undefined : existing(biosS!, 'firmware file', bios);

  const memoryMiB = int('memory', 16, 2048) ?? 256;
  const maxmemMiB = int('maxmem', 16, 2048) ?? memoryMiB;
  if (maxmemMiB < memoryMiB) err(byKey.get('maxmem'), `maxmem (${maxmemMiB}) is below memory (${memoryMiB})`);
  const vcpus = int('vcpus', 1, 8) ?? 1;

  const kernelS = byKey.get('kernel');
  const kernel = str('kernel');
  const kernelPath = kernel === undefined ? undefined : existing(kernelS!, 'kernel file', kernel);
  const ramdisk = str('ramdisk');
  const ramdiskPath = ramdisk === undefined ? undefined : existing(byKey.get('ramdisk')!, 'ramdisk file', ramdisk);
  if (kernel === undefined && ramdisk !== undefined) err(byKey.get('ramdisk'), 'ramdisk without kernel: give kernel = "..." too, or neither for the default guest');
  let cmdline = str('cmdline') ?? str('extra') ?? DEFAULT_DOMAIN_CMDLINE;
  const root = str('root');
  if (root !== undefined) cmdline = `root=${root} ${cmdline}`;

  const disks: { vdev: string; disk: DiskConfig }[] = [];
  const diskL = list('disk');
  for (const spec of diskL?.items ?? []) disks.push(parseDiskSpec(spec, full, (why) => err(diskL!.s, `disk "${spec}": ${why}`), (p) => existing(diskL!.s, 'disk image', p)));
  const vdevs = new Set<string>();
  for (const d of disks) {
    if (vdevs.has(d.vdev)) err(diskL!.s, `disk vdev ${d.vdev} is used twice`);
    vdevs.add(d.vdev);
  }
  disks.sort((a, b) => (a.vdev < b.vdev ? -1 : a.vdev > b.vdev ? 1 : 0));

  const vifL = list('vif');
  const nics = (vifL?.items ?? []).map((spec) => parseVifSpec(spec, full, (why) => err(vifL!.s, `vif "${spec}": ${why}`)));
  const p9L = list('p9');
  const shares = (p9L?.items ?? []).map((spec) => parseP9Spec(spec, (why) => err(p9L!.s, `p9 "${spec}": ${why}`), (p) => existing(p9L!.s, 'shared folder', p)));
  const tags = new Set<string>();
  for (const s of shares) {
    if (tags.has(s.tag)) err(p9L!.s, `p9 tag '${s.tag}' is used twice`);
    tags.add(s.tag);
  }
  const vsockCid = int('vsock', 3, 0xfffffffe);

  const action = (key: string, dflt: LifecycleAction): LifecycleAction => {
    const v = str(key);
    if (v === undefined) return dflt;
    if (!(LIFECYCLE_ACTIONS as readonly string[]).includes(v)) err(byKey.get(key), `${key} must be one of ${LIFECYCLE_ACTIONS.join(', ')}, got "${v}"`);
    return v as LifecycleAction;
  };

  // The JIT (docs/jit.md): on unless jit = 0; jit_threshold tunes it, so it needs it on.
  const jitFlag = int('jit', 0, 1);
  const jitThreshold = int('jit_threshold', 0, MAX_JIT_THRESHOLD);
  if (jitFlag === 0 && jitThreshold !== undefined) err(byKey.get('jit_threshold'), 'jit_threshold applies to the JIT, which jit = 0 turns off: drop one of them');

  // NVMe disks and e1000 nics sit on PCIe, not in the 8 virtio-mmio slots.
  const virtioDisks = disks.filter((d) => d.disk.interface !== 'nvme').length;
  const virtioNics = nics.filter((n) => n.model !== 'e1000').length;
  const slots = virtioDisks + virtioNics + shares.length + (vsockCid !== undefined ? 1 : 0) + 3; // + rng, balloon, input
  if (slots > 8) err(undefined, `${slots} virtio devices (disks, vifs, p9 shares, vsock, plus rng, balloon and the power key), the board has 8 slots`);

  const machine: MachineConfig = {
    version: 1,
    mode: full ? 'full' : 'pv',
    memoryBytes: maxmemMiB * MIB,
    vcpus,
    boot: {
      kernel: { path: kernelPath ?? '' },
      ...(ramdiskPath !== undefined ? { initrd: { path: ramdiskPath } } : {}),
      cmdline,
      ...(biosPath !== undefined ? { bios: { path: biosPath } } : {}),
    },
    devices: {
      disks: disks.map((d) => d.disk),
      nics,
      shares,
      console: 'serial',
      ...(vsockCid !== undefined ? { vsock: { guestCid: vsockCid } } : {}),
      balloon: true,
      rng: true,
      input: true,
    },
  };
  return {
    config: {
      name: name!,
      machine,
      memoryBytes: memoryMiB * MIB,
      maxMemoryBytes: maxmemMiB * MIB,
      onPoweroff: action('on_poweroff', 'destroy'),
      onReboot: action('on_reboot', 'restart'),
      onCrash: action('on_crash', 'destroy'),
      ...(jitFlag !== undefined ? { jit: jitFlag === 1 } : {}),
      ...(jitThreshold !== undefined ? { jitThreshold } : {}),
    },
    usesDefaultGuest: kernelPath === undefined,
    usesDefaultBios: full && biosPath === undefined,
  };
}

/** `key=value,...` or positional fields of one list entry. */
function fields(spec: string): { pos: string[]; kv: Map<string, string> } {
  const pos: string[] = [];
  const kv = new Map<string, string>();
  for (const part of spec.split(',')) {
    const t = part.trim();
    const eq = t.indexOf('=');
    if (eq > 0) kv.set(t.slice(0, eq).trim(), t.slice(eq + 1).trim());
    else pos.push(t);
  }
  return { pos, kv };
}

/** A disk: `TARGET,FORMAT,VDEV,ACCESS` (xl's positional form) or `target=,format=,vdev=,access=`. */
function parseDiskSpec(spec: string, full: boolean, fail: (why: string) => never, existing: (p: string) => string): { vdev: string; disk: DiskConfig } {
  const { pos, kv } = fields(spec);
  for (const k of kv.keys()) if (!['target', 'format', 'vdev', 'access', 'serial', 'if'].includes(k)) fail(`unknown setting '${k}' (target, format, vdev, access, serial, if)`);
  const target = kv.get('target') ?? pos[0];
  const format = kv.get('format') ?? pos[1] ?? 'raw';
  const vdev = kv.get('vdev') ?? pos[2];
  const access = kv.get('access') ?? pos[3] ?? 'rw';
  if (target === undefined || target === '') fail('no image file (target)');
  if (format !== '' && format !== 'raw') fail(`format '${format}' is not supported: use raw images`);
  const nvmeName = vdev !== undefined && /^nvme\d$/.test(vdev);
  if (vdev === undefined || (!nvmeName && !/^(xvd|vd|sd|hd)[a-z]$/.test(vdev))) fail(`vdev must name a disk like vda (or nvme0), got ${JSON.stringify(vdev ?? '')}`);
  const iface = kv.get('if') ?? (nvmeName ? 'nvme' : 'virtio');
  if (iface !== 'virtio' && iface !== 'nvme') fail(`if must be virtio or nvme, got '${iface}'`);
  if (iface === 'nvme' && !full) fail('an NVMe disk sits on PCIe, which only type = "full" domains have');
  const ro = access === 'ro' || access === 'r';
  if (!ro && access !== 'rw' && access !== 'w' && access !== '') fail(`access must be ro or rw, got '${access}'`);
  const serial = kv.get('serial');
  const disk: DiskConfig = {
    path: existing(target!),
    readOnly: ro,
    ...(serial !== undefined ? { serial } : {}),
    ...(iface === 'nvme' ? { interface: 'nvme' as const } : {}),
  };
  return { vdev: nvmeName ? vdev! : vdev!.slice(-1), disk };
}

/**
 * A network interface: `bridge=NAME[,mac=M]` (a port on one of the daemon's bridges) or
 * `type=user[,hostfwd=tcp:[HOST]:HPORT-[GUEST]:GPORT]...[,mac=M]` (a private user network).
 */
function parseVifSpec(spec: string, full: boolean, fail: (why: string) => never): NicConfig {
  let mac: string | undefined;
  let model: 'virtio' | 'e1000' = 'virtio';
  let type = 'user';
  let bridge: string | undefined;
  const hostForwards: HostForwardConfig[] = [];
  for (const part of spec.split(',')) {
    const t = part.trim();
    if (t === '') continue;
    const eq = t.indexOf('=');
    const k = eq > 0 ? t.slice(0, eq) : t;
    const v = eq > 0 ? t.slice(eq + 1) : '';
    if (k === 'type') type = v;
    else if (k === 'model') {
      if (v !== 'virtio' && v !== 'e1000') fail(`model must be virtio or e1000, got '${v}'`);
      if (v === 'e1000' && !full) fail('an e1000 sits on PCIe, which only type = "full" domains have');
      model = v as 'virtio' | 'e1000';
    } else if (k === 'mac') {
      if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(v)) fail(`mac '${v}' is not like 52:54:00:12:34:56`);
      mac = v.toLowerCase();
    } else if (k === 'hostfwd') {
      const m = /^tcp:([0-9.]*):(\d{1,5})-([0-9.]*):(\d{1,5})$/.exec(v);
      if (m === null) fail(`hostfwd '${v}' is not tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT`);
      const hostPort = Number(m![2]);
      const guestPort = Number(m![4]);
      if (hostPort < 1 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) fail(`hostfwd '${v}': ports are 1..65535`);
      hostForwards.push({ hostAddress: m![1] || '127.0.0.1', hostPort, ...(m![3] ? { guestAddress: m![3] } : {}), guestPort });
    } else if (k === 'bridge') {
      if (!/^[A-Za-z0-9_.\-]{1,15}$/.test(v)) fail(`bridge '${v}' is not a bridge name (1 to 15 letters, digits, _ . -)`);
      bridge = v;
    } else fail(`unknown setting '${k}' (type, model, mac, hostfwd, bridge)`);
  }
  if (bridge !== undefined) {
    if (hostForwards.length > 0) fail(`hostfwd belongs to the bridge's uplink (banquise daemon --bridge ${bridge},uplink=user,hostfwd=...), not to a bridged vif`);
    if (type !== 'user' && type !== 'vif' && type !== 'ioemu') fail(`type '${type}' is not supported with bridge=`);
    return { ...(mac !== undefined ? { mac } : {}), ...(model === 'e1000' ? { model } : {}), backend: { kind: 'bridge', bridge } };
  }
  if (type !== 'user') fail(`type '${type}' is not supported: use type=user or bridge=NAME`);
  return { ...(mac !== undefined ? { mac } : {}), ...(model === 'e1000' ? { model } : {}), backend: { kind: 'user', hostForwards } };
}

/** A shared folder: `tag=T,path=DIR,security_model=none[,ro]`. */
function parseP9Spec(spec: string, fail: (why: string) => never, existing: (p: string) => string): ShareConfig {
  const { pos, kv } = fields(spec);
  for (const k of kv.keys()) if (!['tag', 'path', 'security_model', 'backend'].includes(k)) fail(`unknown setting '${k}' (tag, path, security_model)`);
  for (const p of pos) if (p !== 'ro' && p !== '') fail(`unknown flag '${p}' (ro)`);
  const tag = kv.get('tag');
  const path = kv.get('path');
  if (tag === undefined || !/^[A-Za-z0-9_.-]{1,31}$/.test(tag)) fail('tag=NAME is required (1 to 31 letters, digits, _ . -)');
  if (path === undefined || path === '') fail('path=DIR is required');
  const model = kv.get('security_model') ?? 'none';
  if (model !== 'none') fail(`security_model '${model}' is not supported: use none`);
  return { hostDir: existing(path!), tag: tag!, readOnly: pos.includes('ro') };
}
