// BlockBackend on a raw image file (node:fs/promises FileHandle).
import { open, type FileHandle } from 'node:fs/promises';
import { BanquiseError } from '../../../base/errors.js';
import type { BlockBackend } from '../../../devices/virtio/blk/block-device.js';

const ZERO_CHUNK = 1 << 20;

/**
 * A raw disk image. Flush is `fdatasync`. Node.js has no `fallocate`, so discard cannot punch
 * holes: it zero-fills (content after discard is unspecified, zeroes are a valid answer).
 */
export class BlockFileBackend implements BlockBackend {
  private zeroes: Uint8Array | undefined;

  private constructor(
    private readonly fh: FileHandle,
    readonly sizeBytes: number,
    readonly readOnly: boolean,
    /** Path of the image (for messages). */
    readonly path: string,
  ) {}

  /** Opens `path` (read-write unless `readOnly`); a missing/unreadable file is a BanquiseError. */
  static async open(path: string, readOnly: boolean): Promise<BlockFileBackend> {
    let fh: FileHandle;
    try {
      fh = await open(path, readOnly ? 'r' : 'r+');
    } catch (e) {
      throw diskOpenError(path, readOnly, (e as NodeJS.ErrnoException).code ?? String(e));
    }
    const st = await fh.stat();
    if (!st.isFile() && !st.isBlockDevice()) {
      await fh.close();
      throw new BanquiseError(`--disk ${path}: not a regular file`, 66);
    }
    return new BlockFileBackend(fh, st.size, readOnly, path);
  }

  async read(offsetBytes: number, dst: Uint8Array): Promise<void> {
    let done = 0;
    while (done < dst.length) {
      const { bytesRead } = await this.fh.read(dst, done, dst.length - done, offsetBytes + done);
      if (bytesRead === 0) {
        dst.fill(0, done); // past the end of a short file: zeroes
        return;
      }
      done += bytesRead;
    }
  }

  async write(offsetBytes: number, src: Uint8Array): Promise<void> {
    if (this.readOnly) throw new Error('read-only image');
    let done = 0;
    while (done < src.length) {
      const { bytesWritten } = await this.fh.write(src, done, src.length - done, offsetBytes + done);
      if (bytesWritten === 0) throw new Error('short write');
      done += bytesWritten;
    }
  }

  async flush(): Promise<void> {
    if (!this.readOnly) await this.fh.datasync();
  }

  async discard(offsetBytes: number, lengthBytes: number): Promise<void> {
    await this.writeZeroes(offsetBytes, lengthBytes);
  }

  async writeZeroes(offsetBytes: number, lengthBytes: number): Promise<void> {
    const z = (this.zeroes ??= new Uint8Array(ZERO_CHUNK));
    for (let done = 0; done < lengthBytes; ) {
      const n = Math.min(z.length, lengthBytes - done);
      await this.write(offsetBytes + done, z.subarray(0, n));
      done += n;
    }
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** The error of a disk image that cannot be opened; suggests `,ro` when only writing is refused. */
export function diskOpenError(path: string, readOnly: boolean, code: string): BanquiseError {
  const hint =
    code === 'ENOENT' ? ': no such file'
    : !readOnly && (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') ? `: it cannot be opened for writing; use --disk ${path},ro to give it to the guest read-only`
    : '';
  return new BanquiseError(`--disk ${path}: cannot open (${code})${hint}`, 66);
}
