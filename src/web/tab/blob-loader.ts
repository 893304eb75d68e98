// Bytes for the machine: fetched from the site with progress, or read from a file the user picked.

/** Progress of one load: bytes so far and the total when the server said it. */
export type LoadProgress = (loadedBytes: number, totalBytes: number | undefined) => void;

/**
 * Fetches `url` into an ArrayBuffer, reporting progress per received chunk. A non-2xx answer or
 * a body shorter than Content-Length is an error naming the URL.
 */
export async function fetchWithProgress(url: string, onProgress: LoadProgress): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
  const header = res.headers.get('content-length');
  const total = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
  if (res.body === null) {
    const buf = await res.arrayBuffer();
    onProgress(buf.byteLength, buf.byteLength);
    return buf;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  onProgress(0, total);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress(loaded, total);
  }
  if (total !== undefined && loaded !== total) throw new Error(`${url}: received ${loaded} of ${total} bytes`);
  const out = new Uint8Array(loaded);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out.buffer;
}

/** Reads a user-picked file, reporting progress when done (File reads are local and quick). */
export async function readPickedFile(file: File, onProgress: LoadProgress): Promise<ArrayBuffer> {
  onProgress(0, file.size);
  const buf = await file.arrayBuffer();
  onProgress(buf.byteLength, file.size);
  return buf;
}

/** "12.3 MB" style size for the progress line. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}
