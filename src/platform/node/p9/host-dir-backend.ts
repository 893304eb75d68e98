// A host directory as a 9P2000.L share. Confinement: no path the guest names is ever resolved
// by the host with symbolic links followed. On Linux every directory on the way is opened
// with O_PATH|O_NOFOLLOW|O_DIRECTORY relative to the previous one (through /proc/self/fd, the
// openat of Node), so '..', absolute links, links pointing out, and a link swapped in during a
// walk all fail; every opened file is checked again with realpath on its handle. Elsewhere,
// each component is lstat'ed and the directory's realpath compared with the expected one.
import { constants as C, realpathSync, statSync, existsSync, openSync, closeSync } from 'node:fs';
import { open, lstat, readdir, readlink, mkdir, symlink, link, rename, unlink, rmdir, chmod, lchown, truncate, lutimes, statfs, realpath, type FileHandle } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { BanquiseError } from '../../../base/errors.js';
import {
  LinuxErrno as E,
  P9Error,
  P9QidType,
  P9SetAttrValid as V,
  type P9Attr,
  type P9Backend,
  type P9DirEntry,
  type P9OpenFile,
  type P9Path,
  type P9SetAttr,
  type P9StatFs,
} from '../../../devices/virtio/p9/p9-backend.js';

/** Validated settings of a shared host directory. */
export interface HostDirConfig {
  /** The host directory to share. */
  readonly root: string;
  /** Refuse every change (EROFS). */
  readonly readOnly: boolean;
}

/** Linux O_PATH (asm-generic/fcntl.h); Node does not export it. */
const O_PATH = 0o10000000;
/** Linux open flags as 9P2000.L carries them. */
const L_O_WRONLY = 1;
const L_O_RDWR = 2;
const L_O_CREAT = 0o100;
const L_O_EXCL = 0o200;
const L_O_TRUNC = 0o1000;
const L_O_APPEND = 0o2000;
const L_O_DSYNC = 0o10000;
const L_O_DIRECTORY = 0o200000;
const L_O_SYNC = 0o4010000;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

const ERRNO: Record<string, number> = {
  EPERM: E.EPERM, ENOENT: E.ENOENT, EIO: E.EIO, ENXIO: E.ENXIO, EBADF: E.EBADF, EAGAIN: E.EAGAIN, ENOMEM: E.ENOMEM,
  EACCES: E.EACCES, EBUSY: E.EBUSY, EEXIST: E.EEXIST, EXDEV: E.EXDEV, ENODEV: E.ENODEV, ENOTDIR: E.ENOTDIR,
  EISDIR: E.EISDIR, EINVAL: E.EINVAL, ENFILE: E.ENFILE, EMFILE: E.EMFILE, ETXTBSY: E.ETXTBSY, EFBIG: E.EFBIG,
  ENOSPC: E.ENOSPC, ESPIPE: E.ESPIPE, EROFS: E.EROFS, EMLINK: E.EMLINK, ERANGE: E.ERANGE,
  ENAMETOOLONG: E.ENAMETOOLONG, ENOSYS: E.ENOSYS, ENOTEMPTY: E.ENOTEMPTY, ELOOP: E.ELOOP,
  EOVERFLOW: E.EOVERFLOW, ENOTSUP: E.EOPNOTSUPP, EOPNOTSUPP: E.EOPNOTSUPP, EDQUOT: E.EDQUOT,
};

/** A host error as the Linux errno the guest understands. */
/**
 * A file-system failure (a Node error with an errno `code`) as a P9Error; anything else (a
 * TypeError…) is a host bug and passes through unchanged, for the server to report.
 */
function toP9(err: unknown): unknown {
  if (err instanceof P9Error) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return err;
  return new P9Error(ERRNO[code] ?? E.EIO, code);
}

async function wrap<R>(fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (err) {
    throw toP9(err);
  }
}

/** A directory the backend resolved safely; `prefix + '/' + name` addresses its children. */
interface DirRef {
  readonly prefix: string;
  release(): Promise<void>;
}

function attrOf(s: BigIntStats): P9Attr {
  const mode = Number(s.mode);
  const fmt = mode & S_IFMT;
  return {
    qidType: fmt === S_IFDIR ? P9QidType.QTDIR : fmt === S_IFLNK ? P9QidType.QTSYMLINK : P9QidType.QTFILE,
    qidVersion: Number((s.mtimeNs ^ s.ctimeNs ^ s.size) & 0xffffffffn),
    qidPath: s.ino,
    mode, uid: Number(s.uid), gid: Number(s.gid), nlink: s.nlink, rdev: s.rdev, size: s.size,
    blksize: s.blksize, blocks: s.blocks,
    atimeSec: s.atimeNs / 1_000_000_000n, atimeNsec: s.atimeNs % 1_000_000_000n,
    mtimeSec: s.mtimeNs / 1_000_000_000n, mtimeNsec: s.mtimeNs % 1_000_000_000n,
    ctimeSec: s.ctimeNs / 1_000_000_000n, ctimeNsec: s.ctimeNs % 1_000_000_000n,
  };
}

function dtypeOf(mode: number): number {
  switch (mode & S_IFMT) {
    case S_IFDIR: return 4;
    case S_IFREG: return 8;
    case S_IFLNK: return 10;
    case 0o020000: return 2;
    case 0o060000: return 6;
    case 0o010000: return 1;
    case 0o140000: return 12;
    default: return 0;
  }
}

/** Host open flags for Linux open flags from the guest (always O_NOFOLLOW). */
function hostFlags(flags: number): number {
  let f = (flags & 3) === L_O_RDWR ? C.O_RDWR : (flags & 3) === L_O_WRONLY ? C.O_WRONLY : C.O_RDONLY;
  if (flags & L_O_CREAT) f |= C.O_CREAT;
  if (flags & L_O_EXCL) f |= C.O_EXCL;
  if (flags & L_O_TRUNC) f |= C.O_TRUNC;
  if (flags & L_O_APPEND) f |= C.O_APPEND;
  if (flags & L_O_DIRECTORY) f |= C.O_DIRECTORY ?? 0;
  if ((flags & L_O_SYNC) === L_O_SYNC) f |= C.O_SYNC ?? 0;
  else if (flags & L_O_DSYNC) f |= C.O_DSYNC ?? 0;
  // O_NONBLOCK: a FIFO or device the host left in the share must not block a thread-pool thread.
  return f | (C.O_NOFOLLOW ?? 0) | (C.O_NONBLOCK ?? 0);
}

/** Defence in depth: the server validated names already. */
function checkComponent(name: string): void {
  if (name.length === 0 || name === '.' || name === '..' || name.includes('/') || name.includes('\\') || name.includes('\0')) {
    throw new P9Error(E.EINVAL);
  }
}

/** A shared host directory (the `--share` backend). */
export class HostDirBackend implements P9Backend {
  readonly readOnly: boolean;
  /** Canonical path of the root. */
  readonly rootReal: string;
  /** O_PATH descriptor of the root (Linux), or -1 where /proc/self/fd is not available. */
  private rootFd = -1;

  constructor(config: HostDirConfig) {
    this.readOnly = config.readOnly;
    let real: string;
    try {
      real = realpathSync(config.root);
    } catch {
      throw new BanquiseError(`--share: ${config.root} does not exist`, 64);
    }
    if (!statSync(real).isDirectory()) throw new BanquiseError(`--share: ${config.root} is not a directory`, 64);
    this.rootReal = real;
    if (process.platform === 'linux' && existsSync('/proc/self/fd')) {
      this.rootFd = openSync(real, O_PATH | C.O_DIRECTORY);
    }
  }

  /** Resolves the directory at `path` without following any symbolic link. */
  private async dir(path: P9Path): Promise<DirRef> {
    if (this.rootFd >= 0) {
      let cur: FileHandle | undefined;
      try {
        for (const comp of path) {
          checkComponent(comp);
          const base = cur === undefined ? this.rootFd : cur.fd;
          const next = await open(`/proc/self/fd/${base}/${comp}`, O_PATH | C.O_NOFOLLOW | C.O_DIRECTORY);
          await cur?.close();
          cur = next;
        }
      } catch (err) {
        await cur?.close().catch(() => undefined);
        throw toP9(err);
      }
      const handle = cur;
      return {
        prefix: `/proc/self/fd/${handle === undefined ? this.rootFd : handle.fd}`,
        release: async () => {
          await handle?.close().catch(() => undefined);
        },
      };
    }
    let p = this.rootReal;
    for (const comp of path) {
      checkComponent(comp);
      p = `${p}/${comp}`;
      const st = await wrap(() => lstat(p));
      if (st.isSymbolicLink() || !st.isDirectory()) throw new P9Error(st.isSymbolicLink() ? E.ELOOP : E.ENOTDIR);
    }
    if ((await wrap(() => realpath(p))) !== p) throw new P9Error(E.EACCES);
    return { prefix: p, release: async () => undefined };
  }

  /** Runs `fn` with the node `path` as (directory ref, final name); the root is (root, '.'). */
  private async at<R>(path: P9Path, fn: (node: string, d: DirRef) => Promise<R>): Promise<R> {
    const isRoot = path.length === 0;
    const d = await this.dir(isRoot ? path : path.slice(0, -1));
    try {
      const name = isRoot ? '.' : path[path.length - 1]!;
      if (!isRoot) checkComponent(name);
      return await wrap(() => fn(`${d.prefix}/${name}`, d));
    } finally {
      await d.release();
    }
  }

  /** Refuses a handle whose real path is outside the root (a race the walk could not see). */
  private async checkHandle(fh: FileHandle): Promise<void> {
    if (this.rootFd < 0) return;
    const real = await readlink(`/proc/self/fd/${fh.fd}`);
    if (real !== this.rootReal && !real.startsWith(this.rootReal.endsWith('/') ? this.rootReal : `${this.rootReal}/`)) {
      await fh.close().catch(() => undefined);
      throw new P9Error(E.EACCES);
    }
  }

  private checkWritable(): void {
    if (this.readOnly) throw new P9Error(E.EROFS);
  }

  /** @inheritdoc */
  getattr(path: P9Path): Promise<P9Attr> {
    return this.at(path, async (node) => attrOf(await lstat(node, { bigint: true })));
  }

  /** @inheritdoc */
  async open(path: P9Path, flags: number): Promise<P9OpenFile> {
    if (this.readOnly && ((flags & 3) !== 0 || flags & (L_O_TRUNC | L_O_CREAT))) throw new P9Error(E.EROFS);
    let nodePath = '';
    const fh = await this.at(path, (node) => {
      nodePath = node;
      return open(node, hostFlags(flags & ~(L_O_CREAT | L_O_EXCL)));
    });
    await this.checkHandle(fh);
    return new HostFile(fh, this.rootFd >= 0 ? `/proc/self/fd/${fh.fd}` : nodePath);
  }

  /** @inheritdoc */
  async create(dir: P9Path, name: string, flags: number, mode: number): Promise<P9OpenFile> {
    this.checkWritable();
    const fh = await this.at([...dir, name], (node) => open(node, hostFlags(flags | L_O_CREAT) & ~(C.O_DIRECTORY ?? 0), mode & 0o7777));
    await this.checkHandle(fh);
    return new HostFile(fh, `/proc/self/fd/${fh.fd}`);
  }

  /** @inheritdoc */
  async mkdir(dir: P9Path, name: string, mode: number): Promise<void> {
    this.checkWritable();
    await this.at([...dir, name], (node) => mkdir(node, mode & 0o7777));
  }

  /** @inheritdoc */
  async symlink(dir: P9Path, name: string, target: string): Promise<void> {
    this.checkWritable();
    await this.at([...dir, name], (node) => symlink(target, node));
  }

  /** @inheritdoc */
  async mknod(dir: P9Path, name: string, mode: number, _major: number, _minor: number): Promise<void> {
    this.checkWritable();
    if ((mode & S_IFMT) !== S_IFREG && (mode & S_IFMT) !== 0) throw new P9Error(E.EOPNOTSUPP);
    await this.at([...dir, name], async (node) => {
      const fh = await open(node, C.O_CREAT | C.O_EXCL | C.O_WRONLY | (C.O_NOFOLLOW ?? 0), mode & 0o7777);
      await fh.close();
    });
  }

  /** @inheritdoc */
  async link(target: P9Path, dir: P9Path, name: string): Promise<void> {
    this.checkWritable();
    if (target.length === 0) throw new P9Error(E.EPERM);
    await this.at(target, (from) => this.at([...dir, name], (to) => link(from, to)));
  }

  /** @inheritdoc */
  readlink(path: P9Path): Promise<string> {
    return this.at(path, (node) => readlink(node));
  }

  /** @inheritdoc */
  async rename(fromDir: P9Path, fromName: string, toDir: P9Path, toName: string): Promise<void> {
    this.checkWritable();
    await this.at([...fromDir, fromName], (from) => this.at([...toDir, toName], (to) => rename(from, to)));
  }

  /** @inheritdoc */
  async unlink(dir: P9Path, name: string, removeDir: boolean): Promise<void> {
    this.checkWritable();
    await this.at([...dir, name], (node) => (removeDir ? rmdir(node) : unlink(node)));
  }

  /** @inheritdoc */
  async setattr(path: P9Path, a: P9SetAttr): Promise<void> {
    this.checkWritable();
    await this.at(path, async (node) => {
      const st = await lstat(node);
      const isLink = st.isSymbolicLink();
      if (a.valid & V.MODE) {
        if (isLink) throw new P9Error(E.EOPNOTSUPP);
        await this.onNode(node, (p) => chmod(p, a.mode & 0o7777));
      }
      if (a.valid & (V.UID | V.GID)) {
        await lchown(node, a.valid & V.UID ? a.uid : -1, a.valid & V.GID ? a.gid : -1);
      }
      if (a.valid & V.SIZE) {
        if (!st.isFile()) throw new P9Error(st.isDirectory() ? E.EISDIR : E.EINVAL);
        await this.onNode(node, (p) => truncate(p, a.size));
      }
      if (a.valid & (V.ATIME | V.MTIME)) {
        const now = Date.now() / 1000;
        const atime = !(a.valid & V.ATIME) ? st.atimeMs / 1000 : a.valid & V.ATIME_SET ? a.atimeSec + a.atimeNsec / 1e9 : now;
        const mtime = !(a.valid & V.MTIME) ? st.mtimeMs / 1000 : a.valid & V.MTIME_SET ? a.mtimeSec + a.mtimeNsec / 1e9 : now;
        await lutimes(node, atime, mtime);
      }
    });
  }

  /**
   * Runs a path operation that follows links (chmod, truncate) on `node` itself: through an
   * O_PATH|O_NOFOLLOW handle on Linux, so a link swapped in meanwhile is never followed.
   */
  private async onNode(node: string, fn: (p: string) => Promise<void>): Promise<void> {
    if (this.rootFd < 0) {
      await fn(node);
      return;
    }
    const h = await open(node, O_PATH | (C.O_NOFOLLOW ?? 0));
    try {
      const st = await h.stat();
      if (st.isSymbolicLink()) throw new P9Error(E.ELOOP);
      await fn(`/proc/self/fd/${h.fd}`);
    } finally {
      await h.close();
    }
  }

  /** @inheritdoc */
  statfs(path: P9Path): Promise<P9StatFs> {
    return this.at([], async (node) => {
      void path; // one file system per share: the root's answer holds everywhere
      const s = await statfs(node, { bigint: true });
      return {
        type: Number(s.type & 0xffffffffn), bsize: Number(s.bsize & 0xffffffffn), blocks: s.blocks, bfree: s.bfree,
        bavail: s.bavail, files: s.files, ffree: s.ffree, fsid: 0n, namelen: 255,
      };
    });
  }

  /** @inheritdoc */
  async close(): Promise<void> {
    if (this.rootFd >= 0) {
      closeSync(this.rootFd);
      this.rootFd = -1;
    }
  }
}

/** An open host file or directory. */
class HostFile implements P9OpenFile {
  constructor(
    private readonly fh: FileHandle,
    /** A path naming the opened directory itself (its /proc/self/fd link on Linux). */
    private readonly listPath: string,
  ) {}

  read(dst: Uint8Array, position: number): Promise<number> {
    return wrap(async () => (await this.fh.read(dst, 0, dst.length, position)).bytesRead);
  }

  write(src: Uint8Array, position: number): Promise<number> {
    return wrap(async () => (await this.fh.write(src, 0, src.length, position)).bytesWritten);
  }

  getattr(): Promise<P9Attr> {
    return wrap(async () => attrOf(await this.fh.stat({ bigint: true })));
  }

  sync(dataOnly: boolean): Promise<void> {
    return wrap(() => (dataOnly ? this.fh.datasync() : this.fh.sync()));
  }

  truncate(sizeBytes: number): Promise<void> {
    return wrap(() => this.fh.truncate(sizeBytes));
  }

  readdir(limit: number): Promise<P9DirEntry[]> {
    return wrap(async () => {
      const dirPath = this.listPath;
      const names = await readdir(dirPath);
      const out: P9DirEntry[] = [];
      for (const name of names) {
        if (out.length >= limit) break;
        try {
          const s = await lstat(`${dirPath}/${name}`, { bigint: true });
          const a = attrOf(s);
          out.push({ name, qidType: a.qidType, qidPath: a.qidPath, type: dtypeOf(a.mode) });
        } catch {
          // Removed between readdir and lstat: skip it.
        }
      }
      return out;
    });
  }

  close(): Promise<void> {
    return wrap(() => this.fh.close());
  }
}
