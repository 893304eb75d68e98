// The default guest the site ships (dist/web/guest/manifest.json, written by `npm run build:web`).

/** One file of the default guest, relative to the page. */
export interface GuestFile {
  readonly url: string;
  readonly sizeBytes: number;
}

/** What `npm run build:web` found in the guest image cache. */
export interface GuestManifest {
  readonly kernel: GuestFile;
  readonly initrd: GuestFile;
  /** The ext4 root disk, when it was copied (boot it with `root=/dev/vda rw`). */
  readonly rootDisk?: GuestFile;
  /** Kernel command line for the initramfs shell. */
  readonly cmdline: string;
  /** Cache key of the images (a hash of their inputs). */
  readonly key: string;
}

function file(v: unknown): GuestFile | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  const { url, sizeBytes } = r;
  if (typeof url !== 'string' || !/^[\w./-]+$/.test(url) || url.includes('..')) return undefined;
  if (typeof sizeBytes !== 'number' || !Number.isSafeInteger(sizeBytes) || sizeBytes < 0) return undefined;
  return { url, sizeBytes };
}

/** Fetches and checks the manifest; undefined when the site has no default guest. */
export async function loadGuestManifest(url = 'guest/manifest.json'): Promise<GuestManifest | undefined> {
  let res: Response;
  try {
    res = await fetch(url, { cache: 'no-cache' });
  } catch {
    return undefined;
  }
  if (!res.ok) return undefined;
  const raw = (await res.json()) as Record<string, unknown>;
  const kernel = file(raw['kernel']);
  const initrd = file(raw['initrd']);
  const rootDisk = raw['rootDisk'] === undefined ? undefined : file(raw['rootDisk']);
  const cmdline = raw['cmdline'];
  const key = raw['key'];
  if (kernel === undefined || initrd === undefined || typeof cmdline !== 'string' || typeof key !== 'string') return undefined;
  return { kernel, initrd, cmdline, key, ...(rootDisk !== undefined ? { rootDisk } : {}) };
}
