// One wording for a Unix socket path that cannot be listened on (--monitor, --vsock uds=).
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BanquiseError } from '../../base/errors.js';

/** The user-facing error (exit 64) for `option path` whose listen failed with `err`: says what to fix. */
export function socketPathError(option: string, path: string, err: NodeJS.ErrnoException): BanquiseError {
  const dir = dirname(resolve(path));
  let why = err.message;
  if (!existsSync(dir)) why = `the folder ${dir} does not exist (create it, or pick a path in an existing folder)`;
  else if (!statSync(dir).isDirectory()) why = `${dir} is not a folder`;
  else if (err.code === 'EACCES') why = `no permission to create a socket in ${dir}`;
  else if (err.code === 'EADDRINUSE') why = 'another process listens on this socket';
  return new BanquiseError(`${option} ${path}: ${why}`, 64);
}
