// The host side of a 9P2000.L share, as the protocol server needs it. Paths are lists of
// components the server already validated (no '/', no NUL, no '.' or '..'), relative to the
// share root; the backend must make sure nothing outside the root can be reached through them.

/** Path of a node inside the share, as validated components ([] is the root). */
export type P9Path = readonly string[];

/** Linux errno values (asm-generic/errno*.h): what Rlerror carries, whatever the host OS. */
export const enum LinuxErrno {
  EPERM = 1,
  ENOENT = 2,
  EIO = 5,
  ENXIO = 6,
  EBADF = 9,
  EAGAIN = 11,
  ENOMEM = 12,
  EACCES = 13,
  EBUSY = 16,
  EEXIST = 17,
  EXDEV = 18,
  ENODEV = 19,
  ENOTDIR = 20,
  EISDIR = 21,
  EINVAL = 22,
  ENFILE = 23,
  EMFILE = 24,
  ETXTBSY = 26,
  EFBIG = 27,
  ENOSPC = 28,
  ESPIPE = 29,
  EROFS = 30,
  EMLINK = 31,
  ERANGE = 34,
  ENAMETOOLONG = 36,
  ENOSYS = 38,
  ENOTEMPTY = 39,
  ELOOP = 40,
  EPROTO = 71,
  EOVERFLOW = 75,
  EMSGSIZE = 90,
  EOPNOTSUPP = 95,
  EDQUOT = 122,
}

/** A failure to report to the guest as Rlerror(errno). */
export class P9Error extends Error {
  constructor(readonly errno: number, message = `errno ${errno}`) {
    super(message);
    this.name = 'P9Error';
  }
}

/** qid.type bits (9P2000 intro(5)). */
export const enum P9QidType {
  QTDIR = 0x80,
  QTSYMLINK = 0x02,
  QTFILE = 0x00,
}

/** Attributes of a node, as Rgetattr carries them (times in seconds + nanoseconds). */
export interface P9Attr {
  qidType: number;
  qidVersion: number;
  /** Unique id of the node inside the share (the host inode number). */
  qidPath: bigint;
  /** st_mode: S_IFMT type bits (Linux values) | permission bits. */
  mode: number;
  uid: number;
  gid: number;
  nlink: bigint;
  rdev: bigint;
  size: bigint;
  blksize: bigint;
  blocks: bigint;
  atimeSec: bigint;
  atimeNsec: bigint;
  mtimeSec: bigint;
  mtimeNsec: bigint;
  ctimeSec: bigint;
  ctimeNsec: bigint;
}

/** One directory entry (without '.' and '..', the server adds those). */
export interface P9DirEntry {
  name: string;
  qidType: number;
  qidPath: bigint;
  /** d_type (DT_DIR 4, DT_REG 8, DT_LNK 10 …). */
  type: number;
}

/** Rstatfs fields (struct statfs). */
export interface P9StatFs {
  type: number;
  bsize: number;
  blocks: bigint;
  bfree: bigint;
  bavail: bigint;
  files: bigint;
  ffree: bigint;
  fsid: bigint;
  namelen: number;
}

/** What Tsetattr asks for; `valid` holds P9_SETATTR_* bits. */
export interface P9SetAttr {
  valid: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  atimeSec: number;
  atimeNsec: number;
  mtimeSec: number;
  mtimeNsec: number;
}

/** Tsetattr `valid` bits (Linux include/net/9p/9p.h). */
export const enum P9SetAttrValid {
  MODE = 0x1,
  UID = 0x2,
  GID = 0x4,
  SIZE = 0x8,
  ATIME = 0x10,
  MTIME = 0x20,
  CTIME = 0x40,
  ATIME_SET = 0x80,
  MTIME_SET = 0x100,
}

/** An open file or directory. */
export interface P9OpenFile {
  /** Reads into `dst` at `position`; resolves to the byte count (0 at end of file). */
  read(dst: Uint8Array, position: number): Promise<number>;
  /** Writes `src` at `position`; resolves to the byte count. */
  write(src: Uint8Array, position: number): Promise<number>;
  /** Attributes of the open node (works after it was unlinked). */
  getattr(): Promise<P9Attr>;
  /** fsync / fdatasync. */
  sync(dataOnly: boolean): Promise<void>;
  /** ftruncate (works after the node was unlinked). */
  truncate(sizeBytes: number): Promise<void>;
  /** Every entry of an open directory, at most `limit` of them. */
  readdir(limit: number): Promise<P9DirEntry[]>;
  /** Closes the handle. */
  close(): Promise<void>;
}

/**
 * A share. Every method rejects with a `P9Error` (Linux errno) on failure; a read-only backend
 * rejects every change with EROFS. Open flags are Linux's (what 9P2000.L carries).
 */
export interface P9Backend {
  /** Writes are refused. */
  readonly readOnly: boolean;
  /** Attributes of `path`, not following a final symbolic link. */
  getattr(path: P9Path): Promise<P9Attr>;
  /** Opens `path` (never following a symbolic link). */
  open(path: P9Path, flags: number): Promise<P9OpenFile>;
  /** Creates and opens regular file `dir/name` with permission `mode`. */
  create(dir: P9Path, name: string, flags: number, mode: number): Promise<P9OpenFile>;
  /** Creates directory `dir/name`. */
  mkdir(dir: P9Path, name: string, mode: number): Promise<void>;
  /** Creates symbolic link `dir/name` → `target` (the target text is not interpreted). */
  symlink(dir: P9Path, name: string, target: string): Promise<void>;
  /** Creates a node of type `mode & S_IFMT` (regular files; others may fail EPERM/EOPNOTSUPP). */
  mknod(dir: P9Path, name: string, mode: number, major: number, minor: number): Promise<void>;
  /** Hard link `dir/name` to existing `target`. */
  link(target: P9Path, dir: P9Path, name: string): Promise<void>;
  /** Text of symbolic link `path`. */
  readlink(path: P9Path): Promise<string>;
  /** Renames `fromDir/fromName` to `toDir/toName`. */
  rename(fromDir: P9Path, fromName: string, toDir: P9Path, toName: string): Promise<void>;
  /** Removes `dir/name` (a directory when `removeDir`). */
  unlink(dir: P9Path, name: string, removeDir: boolean): Promise<void>;
  /** Changes attributes of `path`. */
  setattr(path: P9Path, attr: P9SetAttr): Promise<void>;
  /** File system statistics. */
  statfs(path: P9Path): Promise<P9StatFs>;
  /** Releases host resources. */
  close(): Promise<void>;
}
