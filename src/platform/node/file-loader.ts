// Reading user-named files with errors a user can act on.
import { readFileSync, statSync } from 'node:fs';
import { BanquiseError } from '../../base/errors.js';

/** Reads a whole file; a missing/unreadable file or a directory is a BanquiseError (status 64). */
export function loadFile(path: string, what: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new BanquiseError(`${what} ${path} is a directory, not a file`, 64);
    size = st.size;
  } catch (err) {
    if (err instanceof BanquiseError) throw err;
    const code = (err as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String((err as Error).message);
    throw new BanquiseError(`cannot read ${what} ${path}: ${why}`, 64);
  }
  if (size > 2 ** 31) throw new BanquiseError(`${what} ${path} is too large (${size} bytes)`, 64);
  try {
    const buf = readFileSync(path);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    throw new BanquiseError(`cannot read ${what} ${path}: ${(err as Error).message}`, 64);
  }
}
