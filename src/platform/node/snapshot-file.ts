// Save files on Node: the snapshot stream written to a temporary file renamed into place (a
// crash or a failed save never leaves a half-written file under the user's name), and read back
// as a chunk stream.
import { createReadStream, createWriteStream, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { BanquiseError } from '../../base/errors.js';
import type { SnapshotSink } from '../../control/snapshot/snapshot-writer.js';

/** Bytes per write to the file (the writer's records are batched up to this). */
const FILE_CHUNK_BYTES = 1 << 20;

/**
 * Runs `produce` with a sink into `path`: the stream goes to `path.partial` first and replaces
 * `path` only once `produce` finished. On failure the partial file is removed and the error
 * rethrown (as a BanquiseError naming the file for I/O errors).
 */
export async function writeSnapshotFile(path: string, produce: (sink: SnapshotSink) => Promise<void>): Promise<number> {
  const partial = `${path}.partial`;
  const out = createWriteStream(partial, { flags: 'w', mode: 0o600 });
  let ioError: Error | undefined;
  out.on('error', (err) => (ioError ??= err));
  const opened = new Promise<void>((resolve) => {
    out.once('open', () => resolve());
    out.once('error', () => resolve());
  });
  await opened;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let total = 0;
  const flush = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    const buf = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (ioError !== undefined) throw ioError;
    if (!out.write(buf)) await new Promise<void>((resolve) => {
      const done = (): void => {
        out.off('drain', done);
        out.off('error', done);
        resolve();
      };
      out.on('drain', done);
      out.on('error', done);
    });
    if (ioError !== undefined) throw ioError;
  };
  try {
    if (ioError !== undefined) throw ioError;
    await produce(async (chunk) => {
      pending.push(Uint8Array.from(chunk));
      pendingBytes += chunk.length;
      total += chunk.length;
      if (pendingBytes >= FILE_CHUNK_BYTES) await flush();
    });
    await flush();
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (ioError !== undefined) throw ioError;
    renameSync(partial, path);
    return total;
  } catch (err) {
    out.destroy();
    try {
      unlinkSync(partial);
    } catch {
      // already gone
    }
    if (err instanceof BanquiseError) throw err;
    const code = (err as { code?: string }).code;
    if (code !== undefined) throw new BanquiseError(`cannot write save file ${path}: ${(err as Error).message}`, 74);
    throw err;
  }
}

/** The chunks of save file `path`; a missing or unreadable file is a BanquiseError (status 66). */
export function snapshotFileSource(path: string): AsyncIterable<Uint8Array> {
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new BanquiseError(`save file ${path} is a directory`, 66);
  } catch (err) {
    if (err instanceof BanquiseError) throw err;
    const code = (err as { code?: string }).code;
    throw new BanquiseError(`cannot read save file ${path}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, 66);
  }
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/** The running Banquise's version (package.json), written into snapshot headers. */
export function banquiseVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
