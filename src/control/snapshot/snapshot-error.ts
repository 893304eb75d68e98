import { BanquiseError } from '../../base/errors.js';

/**
 * A snapshot stream that cannot be read or restored: truncated, corrupted, foreign, written by
 * a newer Banquise, or describing a machine this host cannot build. The message says which.
 */
export class SnapshotError extends BanquiseError {
  constructor(message: string) {
    super(message, 65); // EX_DATAERR
    this.name = 'SnapshotError';
  }
}
