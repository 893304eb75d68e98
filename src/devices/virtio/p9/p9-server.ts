// A 9P2000.L file server (the protocol as Linux's v9fs client speaks it, over virtio): parses
// every message with bounds checks, keeps a bounded fid table, and turns requests into calls
// on a `P9Backend`. Failures are answered Rlerror with a Linux errno.
import {
  LinuxErrno as E,
  P9Error,
  P9QidType,
  P9SetAttrValid,
  type P9Attr,
  type P9Backend,
  type P9DirEntry,
  type P9OpenFile,
  type P9Path,
  type P9SetAttr,
} from './p9-backend.js';
import { P9_HEADER_SIZE, P9_NOFID, P9_QID_SIZE, P9_RW_HEADER_SIZE, P9Reader, P9Type as T, P9Writer, utf8Length } from './p9-wire.js';

/** Plain-data snapshot of a 9P session (`P9Server.saveState`). */
export interface P9ServerState {
  version: 1;
  msize: number;
  fids: { fid: number; path: string[]; qidType: number; isDir: boolean; openFlags: number }[];
}

/** Limits of a server. */
export interface P9ServerConfig {
  /** Largest msize accepted in Tversion (bytes). */
  readonly maxMsize?: number;
  /** Most fids a client may hold. */
  readonly maxFids?: number;
  /**
   * Called with an error that is not a P9Error (a host bug: the backend maps every file-system
   * failure to a P9Error). The client gets EIO either way; this makes the bug visible.
   */
  readonly onHostError?: (err: unknown) => void;
}

/** Counters of a server. */
export interface P9ServerStats {
  requests: number;
  /** Requests answered Rlerror. */
  errors: number;
  /** Messages that could not be parsed (bad size, truncated fields, bad strings). */
  malformed: number;
}

interface Fid {
  path: string[];
  qidType: number;
  file: P9OpenFile | undefined;
  /** Linux open flags of `file` (saved in snapshots), or -1. */
  openFlags: number;
  /** Restored from a snapshot as open: the handle is reopened with `openFlags` on first use. */
  reopen: boolean;
  isDir: boolean;
  /** Directory listing taken at the readdir at offset 0. */
  entries: { name: string; qidType: number; qidPath: bigint; type: number }[] | undefined;
}

/** Linux open flags the server looks at (asm-generic/fcntl.h, what P9_DOTL_* mirror). */
const O_ACCMODE = 3;
const O_RDONLY = 0;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const AT_REMOVEDIR = 0x200;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const NAME_MAX = 255;
const PATH_DEPTH_MAX = 256;
const MAXWELEM = 16;
const READDIR_LIMIT = 1 << 16;
/** P9_GETATTR_BASIC: every field up to blocks is valid. */
const P9_GETATTR_BASIC = 0x7ffn;
const P9_LOCK_SUCCESS = 0;
const F_UNLCK = 2;
const DT_DIR = 4;

/** The 9P2000.L protocol engine of one share; transport-independent. */
export class P9Server {
  /** Counters. */
  readonly stats: P9ServerStats = { requests: 0, errors: 0, malformed: 0 };
  /** msize agreed in Tversion (0 before). */
  msize = 0;
  private readonly maxMsize: number;
  private readonly maxFids: number;
  private fids = new Map<number, Fid>();
  /** Changes at every Tversion / reset: completions of an older session leave the fid table alone. */
  private session = 0;
  private readonly inflight = new Map<number, Promise<unknown>>();

  private readonly onHostError: ((err: unknown) => void) | undefined;

  constructor(private readonly backend: P9Backend, config: P9ServerConfig = {}) {
    this.onHostError = config.onHostError;
    this.maxMsize = Math.max(4096, Math.min(config.maxMsize ?? 512 * 1024, 16 << 20));
    this.maxFids = config.maxFids ?? 16384;
  }

  /** Largest request message a transport needs to accept. */
  get maxMessageBytes(): number {
    return this.maxMsize;
  }

  /** Forgets every fid (transport reset); open handles are closed in the background. */
  reset(): void {
    this.session++;
    const old = this.fids;
    this.fids = new Map();
    this.msize = 0;
    for (const f of old.values()) void f.file?.close().catch(() => undefined);
  }

  /**
   * Handles one request (`req`, the bytes the guest sent). Resolves to the reply, at most
   * `maxReplyBytes` long; an empty reply when not even a header could be read or written.
   * Never rejects.
   */
  handle(req: Uint8Array, maxReplyBytes: number): Promise<Uint8Array> {
    this.stats.requests++;
    if (req.length < P9_HEADER_SIZE) {
      this.stats.malformed++;
      return Promise.resolve(EMPTY);
    }
    const r = new P9Reader(req, 0, req.length);
    const size = r.u32();
    const type = r.u8();
    const tag = r.u16();
    const limit = Math.min(maxReplyBytes, this.msize === 0 ? this.maxMsize : this.msize);
    if (size < P9_HEADER_SIZE || size > req.length) {
      this.stats.malformed++;
      return Promise.resolve(this.error(tag, E.EINVAL, limit));
    }
    const body = new P9Reader(req, P9_HEADER_SIZE, size);
    const p = this.dispatch(type, tag, body, limit).then(
      (reply) => reply,
      (err: unknown) => {
        if (!(err instanceof P9Error)) this.onHostError?.(err);
        return this.error(tag, errnoOf(err), limit);
      },
    );
    this.inflight.set(tag, p);
    void p.then(() => {
      if (this.inflight.get(tag) === p) this.inflight.delete(tag);
    });
    return p;
  }

  private error(tag: number, errno: number, limit: number): Uint8Array {
    this.stats.errors++;
    if (limit < P9_RW_HEADER_SIZE) return EMPTY;
    const w = new P9Writer(P9_RW_HEADER_SIZE);
    w.u32(errno);
    return w.finish(T.Rlerror, tag);
  }

  private async dispatch(type: number, tag: number, r: P9Reader, limit: number): Promise<Uint8Array> {
    const w = (cap: number): P9Writer => new P9Writer(Math.min(cap, limit));
    const done = (wr: P9Writer): Uint8Array => {
      if (wr.overflow) throw new P9Error(E.EMSGSIZE);
      return wr.finish(type + 1, tag);
    };
    /** Rmkdir/Rsymlink/Rmknod: the qid of the entry just created. */
    const qidReply = async (path: readonly string[]): Promise<Uint8Array> => {
      const out = w(P9_HEADER_SIZE + P9_QID_SIZE);
      putQid(out, await this.backend.getattr(path));
      return done(out);
    };
    const bad = (): never => {
      this.stats.malformed++;
      throw new P9Error(E.EINVAL);
    };
    if (type !== T.Tversion && this.msize === 0) throw new P9Error(E.EPROTO);
    const session = this.session;
    switch (type) {
      case T.Tversion: {
        const msize = r.u32();
        const version = r.str();
        if (!r.ok || msize < 256) return bad();
        this.reset();
        this.msize = Math.min(msize, this.maxMsize);
        const out = w(64);
        out.u32(this.msize);
        out.str(version.startsWith('9P2000.L') ? '9P2000.L' : 'unknown');
        if (!version.startsWith('9P2000.L')) this.msize = 0;
        return done(out);
      }
      case T.Tattach: {
        const fid = r.u32();
        r.u32(); // afid
        r.str(); // uname
        r.str(); // aname: one share per device, any name reaches its root
        r.u32(); // n_uname
        if (!r.ok) return bad();
        this.checkNewFid(fid);
        const attr = await this.backend.getattr([]);
        this.setFid(session, fid, { path: [], qidType: attr.qidType, file: undefined, openFlags: -1, reopen: false, isDir: true, entries: undefined });
        const out = w(P9_HEADER_SIZE + P9_QID_SIZE);
        putQid(out, attr);
        return done(out);
      }
      case T.Tflush: {
        const oldtag = r.u16();
        if (!r.ok) return bad();
        const pending = this.inflight.get(oldtag);
        if (pending !== undefined) await pending.catch(() => undefined);
        return done(w(P9_HEADER_SIZE));
      }
      case T.Twalk: {
        const fidN = r.u32();
        const fid = this.fid(fidN);
        const newfid = r.u32();
        const nwname = r.u16();
        if (!r.ok || nwname > MAXWELEM) return bad();
        const names: string[] = [];
        for (let i = 0; i < nwname; i++) names.push(r.str(NAME_MAX * 4));
        if (!r.ok) return bad();
        if (newfid !== fidN) this.checkNewFid(newfid);
        else if (nwname === 0) {
          const same = w(P9_HEADER_SIZE + 2);
          same.u16(0);
          return done(same);
        }
        else if (fid.file !== undefined) throw new P9Error(E.EBADF);
        let path = fid.path;
        let qidType = fid.qidType;
        const out = w(P9_HEADER_SIZE + 2 + nwname * P9_QID_SIZE);
        out.u16(0);
        let walked = 0;
        for (const name of names) {
          let next: string[];
          if (name === '..') next = path.slice(0, -1);
          else if (name === '.') next = path;
          else {
            checkName(name);
            if (path.length >= PATH_DEPTH_MAX) throw new P9Error(E.ENAMETOOLONG);
            next = [...path, name];
          }
          let attr: P9Attr;
          try {
            if (qidType & P9QidType.QTSYMLINK) throw new P9Error(E.ENOTDIR);
            attr = await this.backend.getattr(next);
          } catch (err) {
            if (walked === 0) throw err;
            break; // a partial walk: Rwalk with the qids so far, newfid not created
          }
          putQid(out, attr);
          path = next;
          qidType = attr.qidType;
          walked++;
        }
        if (walked === nwname) {
          this.setFid(session, newfid, { path: path.slice(), qidType, file: undefined, openFlags: -1, reopen: false, isDir: (qidType & P9QidType.QTDIR) !== 0, entries: undefined });
        }
        out.buf[P9_HEADER_SIZE] = walked;
        return done(out);
      }
      case T.Tclunk: {
        const n = r.u32();
        if (!r.ok) return bad();
        const fid = this.fid(n);
        this.fids.delete(n);
        if (fid.file !== undefined) await fid.file.close().catch(() => undefined);
        return done(w(P9_HEADER_SIZE));
      }
      case T.Tremove: {
        const n = r.u32();
        if (!r.ok) return bad();
        const fid = this.fid(n);
        this.fids.delete(n);
        if (fid.file !== undefined) await fid.file.close().catch(() => undefined);
        if (fid.path.length === 0) throw new P9Error(E.EBUSY);
        await this.backend.unlink(fid.path.slice(0, -1), fid.path[fid.path.length - 1]!, fid.isDir);
        return done(w(P9_HEADER_SIZE));
      }
      case T.Tlopen: {
        const fid = this.fid(r.u32());
        const flags = r.u32();
        if (!r.ok) return bad();
        if (fid.file !== undefined || fid.reopen) throw new P9Error(E.EBADF);
        if (this.backend.readOnly && ((flags & O_ACCMODE) !== O_RDONLY || flags & (O_TRUNC | O_CREAT))) throw new P9Error(E.EROFS);
        if (fid.isDir && (flags & O_ACCMODE) !== O_RDONLY) throw new P9Error(E.EISDIR);
        const file = await this.backend.open(fid.path, flags);
        const attr = await file.getattr().catch(async (e: unknown) => {
          await file.close().catch(() => undefined);
          throw e;
        });
        if (!this.stillOurs(session, fid) || fid.file !== undefined) {
          await file.close().catch(() => undefined);
          throw new P9Error(E.EBADF);
        }
        fid.file = file;
        fid.openFlags = flags;
        fid.entries = undefined;
        const out = w(P9_HEADER_SIZE + P9_QID_SIZE + 4);
        putQid(out, attr);
        out.u32(0); // iounit: the client uses msize
        return done(out);
      }
      case T.Tlcreate: {
        const fid = this.fid(r.u32());
        const name = r.str(NAME_MAX * 4);
        const flags = r.u32();
        const mode = r.u32();
        r.u32(); // gid: files belong to the host user
        if (!r.ok) return bad();
        checkName(name);
        this.checkWritable();
        if (fid.file !== undefined || fid.reopen || !fid.isDir) throw new P9Error(fid.isDir ? E.EBADF : E.ENOTDIR);
        const file = await this.backend.create(fid.path, name, flags, mode & 0o7777);
        const attr = await file.getattr().catch(async (e: unknown) => {
          await file.close().catch(() => undefined);
          throw e;
        });
        if (!this.stillOurs(session, fid) || fid.file !== undefined) {
          await file.close().catch(() => undefined);
          throw new P9Error(E.EBADF);
        }
        fid.path = [...fid.path, name];
        fid.qidType = attr.qidType;
        fid.isDir = false;
        fid.file = file;
        fid.openFlags = flags & ~(O_CREAT | O_EXCL | O_TRUNC);
        const out = w(P9_HEADER_SIZE + P9_QID_SIZE + 4);
        putQid(out, attr);
        out.u32(0);
        return done(out);
      }
      case T.Tread: {
        const fid = await this.opened(session, r.u32());
        const offset = r.u64n();
        const count = r.u32();
        if (!r.ok) return bad();
        if (offset < 0) throw new P9Error(E.EINVAL);
        if (fid.file === undefined) throw new P9Error(E.EBADF);
        if (fid.isDir) throw new P9Error(E.EISDIR);
        const n = Math.max(0, Math.min(count, limit - P9_RW_HEADER_SIZE));
        const out = new P9Writer(P9_RW_HEADER_SIZE + n);
        const got = n === 0 ? 0 : await fid.file.read(out.buf.subarray(P9_RW_HEADER_SIZE, P9_RW_HEADER_SIZE + n), offset);
        const m = Math.max(0, Math.min(got, n));
        out.u32(m);
        out.pos = P9_RW_HEADER_SIZE + m;
        return done(out);
      }
      case T.Twrite: {
        const fid = await this.opened(session, r.u32());
        const offset = r.u64n();
        const count = r.u32();
        if (!r.ok) return bad();
        const data = r.bytes(count);
        if (data === undefined) return bad();
        if (offset < 0 || offset + count > Number.MAX_SAFE_INTEGER) throw new P9Error(E.EFBIG);
        if (fid.file === undefined) throw new P9Error(E.EBADF);
        if (fid.isDir) throw new P9Error(E.EISDIR);
        this.checkWritable();
        let written = 0;
        while (written < count) {
          const k = await fid.file.write(data.subarray(written), offset + written);
          if (k <= 0) break;
          written += k;
        }
        const out = w(P9_RW_HEADER_SIZE);
        out.u32(written);
        return done(out);
      }
      case T.Tgetattr: {
        const fid = await this.opened(session, r.u32());
        r.u64(); // request_mask: we always answer the basic set
        if (!r.ok) return bad();
        const attr = fid.file !== undefined ? await fid.file.getattr() : await this.backend.getattr(fid.path);
        const out = w(P9_HEADER_SIZE + 8 + P9_QID_SIZE + 4 * 3 + 8 * 15);
        out.u64(P9_GETATTR_BASIC);
        putQid(out, attr);
        out.u32(attr.mode);
        out.u32(attr.uid);
        out.u32(attr.gid);
        out.u64(attr.nlink);
        out.u64(attr.rdev);
        out.u64(attr.size);
        out.u64(attr.blksize);
        out.u64(attr.blocks);
        out.u64(attr.atimeSec);
        out.u64(attr.atimeNsec);
        out.u64(attr.mtimeSec);
        out.u64(attr.mtimeNsec);
        out.u64(attr.ctimeSec);
        out.u64(attr.ctimeNsec);
        out.u64(0); // btime_sec
        out.u64(0); // btime_nsec
        out.u64(0); // gen
        out.u64(0); // data_version
        return done(out);
      }
      case T.Tsetattr: {
        const fid = await this.opened(session, r.u32());
        const attr: P9SetAttr = {
          valid: r.u32(), mode: r.u32(), uid: r.u32(), gid: r.u32(), size: r.u64n(),
          atimeSec: r.u64n(), atimeNsec: r.u64n(), mtimeSec: r.u64n(), mtimeNsec: r.u64n(),
        };
        if (!r.ok) return bad();
        if (attr.size < 0 || attr.atimeSec < 0 || attr.mtimeSec < 0 || attr.atimeNsec < 0 || attr.mtimeNsec < 0) {
          throw new P9Error(E.EINVAL);
        }
        this.checkWritable();
        if (fid.file !== undefined && !fid.isDir && attr.valid & P9SetAttrValid.SIZE) {
          // ftruncate on an open file (Linux sends it on the file's fid; it may be unlinked).
          await fid.file.truncate(attr.size);
          attr.valid &= ~P9SetAttrValid.SIZE;
          if ((attr.valid & ~P9SetAttrValid.CTIME) === 0) return done(w(P9_HEADER_SIZE));
        }
        await this.backend.setattr(fid.path, attr);
        return done(w(P9_HEADER_SIZE));
      }
      case T.Treaddir: {
        const fid = await this.opened(session, r.u32());
        const offset = r.u64n();
        const count = r.u32();
        if (!r.ok) return bad();
        if (fid.file === undefined || !fid.isDir) throw new P9Error(fid.file === undefined ? E.EBADF : E.ENOTDIR);
        if (offset < 0) throw new P9Error(E.EINVAL);
        if (offset === 0 || fid.entries === undefined) {
          const self = await fid.file.getattr();
          const parent = fid.path.length === 0 ? self : await this.backend.getattr(fid.path.slice(0, -1)).catch(() => self);
          const list: P9DirEntry[] = await fid.file.readdir(READDIR_LIMIT);
          if (!this.stillOurs(session, fid)) throw new P9Error(E.EBADF);
          fid.entries = [
            { name: '.', qidType: self.qidType, qidPath: self.qidPath, type: DT_DIR },
            { name: '..', qidType: parent.qidType, qidPath: parent.qidPath, type: DT_DIR },
            ...list,
          ];
        }
        const entries = fid.entries;
        const cap = Math.max(0, Math.min(count, limit - P9_RW_HEADER_SIZE));
        const out = new P9Writer(P9_RW_HEADER_SIZE + cap);
        out.u32(0);
        let i = offset;
        for (; i < entries.length; i++) {
          const e = entries[i]!;
          const need = P9_QID_SIZE + 8 + 1 + 2 + utf8Length(e.name);
          if (out.pos + need > out.buf.length) break;
          out.qid(e.qidType, 0, e.qidPath);
          out.u64(i + 1);
          out.u8(e.type);
          out.str(e.name);
        }
        new DataView(out.buf.buffer).setUint32(P9_HEADER_SIZE, out.pos - P9_RW_HEADER_SIZE, true);
        return done(out);
      }
      case T.Tmkdir: {
        const dfid = this.fid(r.u32());
        const name = r.str(NAME_MAX * 4);
        const mode = r.u32();
        r.u32(); // gid
        if (!r.ok) return bad();
        checkName(name);
        this.checkWritable();
        await this.backend.mkdir(dfid.path, name, mode & 0o7777);
        return qidReply([...dfid.path, name]);
      }
      case T.Tsymlink: {
        const dfid = this.fid(r.u32());
        const name = r.str(NAME_MAX * 4);
        const target = r.str(4096);
        r.u32(); // gid
        if (!r.ok) return bad();
        checkName(name);
        if (target.length === 0 || target.includes('\0')) throw new P9Error(E.EINVAL);
        this.checkWritable();
        await this.backend.symlink(dfid.path, name, target);
        return qidReply([...dfid.path, name]);
      }
      case T.Tmknod: {
        const dfid = this.fid(r.u32());
        const name = r.str(NAME_MAX * 4);
        const mode = r.u32();
        const major = r.u32();
        const minor = r.u32();
        r.u32(); // gid
        if (!r.ok) return bad();
        checkName(name);
        this.checkWritable();
        await this.backend.mknod(dfid.path, name, mode, major, minor);
        return qidReply([...dfid.path, name]);
      }
      case T.Treadlink: {
        const fid = this.fid(r.u32());
        if (!r.ok) return bad();
        const target = await this.backend.readlink(fid.path);
        const out = w(P9_HEADER_SIZE + 2 + utf8Length(target));
        out.str(target);
        return done(out);
      }
      case T.Tlink: {
        const dfid = this.fid(r.u32());
        const fid = this.fid(r.u32());
        const name = r.str(NAME_MAX * 4);
        if (!r.ok) return bad();
        checkName(name);
        this.checkWritable();
        if (fid.isDir) throw new P9Error(E.EPERM);
        await this.backend.link(fid.path, dfid.path, name);
        return done(w(P9_HEADER_SIZE));
      }
      case T.Trename: {
        const fid = this.fid(r.u32());
        const dfid = this.fid(r.u32());
        const name = r.str(NAME_MAX * 4);
        if (!r.ok) return bad();
        checkName(name);
        this.checkWritable();
        if (fid.path.length === 0) throw new P9Error(E.EBUSY);
        const from = fid.path;
        await this.renamePath(session, from.slice(0, -1), from[from.length - 1]!, dfid.path, name);
        return done(w(P9_HEADER_SIZE));
      }
      case T.Trenameat: {
        const olddir = this.fid(r.u32());
        const oldname = r.str(NAME_MAX * 4);
        const newdir = this.fid(r.u32());
        const newname = r.str(NAME_MAX * 4);
        if (!r.ok) return bad();
        checkName(oldname);
        checkName(newname);
        this.checkWritable();
        await this.renamePath(session, olddir.path, oldname, newdir.path, newname);
        return done(w(P9_HEADER_SIZE));
      }
      case T.Tunlinkat: {
        const dfid = this.fid(r.u32());
        const name = r.str(NAME_MAX * 4);
        const flags = r.u32();
        if (!r.ok) return bad();
        checkName(name);
        this.checkWritable();
        await this.backend.unlink(dfid.path, name, (flags & AT_REMOVEDIR) !== 0);
        return done(w(P9_HEADER_SIZE));
      }
      case T.Tstatfs: {
        const fid = this.fid(r.u32());
        if (!r.ok) return bad();
        const s = await this.backend.statfs(fid.path);
        const out = w(P9_HEADER_SIZE + 4 * 3 + 8 * 6);
        out.u32(s.type);
        out.u32(s.bsize);
        out.u64(s.blocks);
        out.u64(s.bfree);
        out.u64(s.bavail);
        out.u64(s.files);
        out.u64(s.ffree);
        out.u64(s.fsid);
        out.u32(s.namelen);
        return done(out);
      }
      case T.Tfsync: {
        const fid = await this.opened(session, r.u32());
        const datasync = r.remaining() >= 4 ? r.u32() : 0;
        if (!r.ok) return bad();
        if (fid.file === undefined) throw new P9Error(E.EBADF);
        await fid.file.sync(datasync !== 0);
        return done(w(P9_HEADER_SIZE));
      }
      case T.Tlock: {
        this.fid(r.u32());
        r.u8(); // type
        r.u32(); // flags
        r.u64(); // start
        r.u64(); // length
        r.u32(); // proc_id
        r.str(); // client_id
        if (!r.ok) return bad();
        // Locks are advisory and the share has one client: every lock is granted.
        const out = w(P9_HEADER_SIZE + 1);
        out.u8(P9_LOCK_SUCCESS);
        return done(out);
      }
      case T.Tgetlock: {
        this.fid(r.u32());
        r.u8(); // type
        const start = r.u64();
        const length = r.u64();
        const procId = r.u32();
        const clientId = r.str();
        if (!r.ok) return bad();
        const out = w(P9_HEADER_SIZE + 1 + 8 + 8 + 4 + 2 + utf8Length(clientId));
        out.u8(F_UNLCK); // nobody holds a conflicting lock
        out.u64(start);
        out.u64(length);
        out.u32(procId);
        out.str(clientId);
        return done(out);
      }
      case T.Txattrwalk:
      case T.Txattrcreate:
      case T.Tauth:
        throw new P9Error(E.EOPNOTSUPP);
      default:
        throw new P9Error(E.EOPNOTSUPP);
    }
  }

  /** Renames and moves every fid under the old path to the new one (like a kernel's dcache would). */
  private async renamePath(session: number, fromDir: P9Path, fromName: string, toDir: P9Path, toName: string): Promise<void> {
    const toDirCopy = toDir.slice();
    if (toDirCopy.length + 1 > PATH_DEPTH_MAX) throw new P9Error(E.ENAMETOOLONG);
    const from = [...fromDir, fromName];
    await this.backend.rename(fromDir, fromName, toDirCopy, toName);
    if (session !== this.session) return;
    const to = [...toDirCopy, toName];
    for (const f of this.fids.values()) {
      if (f.path.length < from.length) continue;
      let under = true;
      for (let i = 0; i < from.length; i++) {
        if (f.path[i] !== from[i]) {
          under = false;
          break;
        }
      }
      if (under) f.path = [...to, ...f.path.slice(from.length)];
    }
  }

  /** The fid, with its handle reopened first if it was restored from a snapshot as open. */
  private async opened(session: number, n: number): Promise<Fid> {
    const f = this.fid(n);
    if (!f.reopen) return f;
    f.reopen = false;
    try {
      const file = await this.backend.open(f.path, f.openFlags & ~(O_CREAT | O_EXCL | O_TRUNC));
      if (!this.stillOurs(session, f) || f.file !== undefined) {
        await file.close().catch(() => undefined);
      } else {
        f.file = file;
      }
    } catch (err) {
      // The file went away while the snapshot was stored: the fid stays, unopened.
      f.openFlags = -1;
      throw err;
    }
    return f;
  }

  /** Plain-data snapshot of the session (msize and fids; open handles are reopened on restore). */
  saveState(): P9ServerState {
    const fids: P9ServerState['fids'] = [];
    for (const [n, f] of this.fids) {
      fids.push({ fid: n, path: f.path.slice(), qidType: f.qidType, isDir: f.isDir, openFlags: f.file !== undefined || f.reopen ? f.openFlags : -1 });
    }
    return { version: 1, msize: this.msize, fids };
  }

  /** Restores `saveState` output (validated; anything malformed leaves an empty session). */
  restoreState(state: unknown): void {
    this.reset();
    const s = state as Partial<P9ServerState> | null;
    if (s === null || typeof s !== 'object' || s.version !== 1 || !Array.isArray(s.fids) || s.fids.length > this.maxFids) return;
    if (typeof s.msize !== 'number' || !Number.isInteger(s.msize) || s.msize < 0 || s.msize > this.maxMsize) return;
    const fids = new Map<number, Fid>();
    for (const e of s.fids) {
      const ok = e !== null && typeof e === 'object' && Number.isInteger(e.fid) && e.fid >= 0 && e.fid < P9_NOFID &&
        Array.isArray(e.path) && e.path.length <= PATH_DEPTH_MAX && e.path.every((c) => typeof c === 'string' && validName(c)) &&
        Number.isInteger(e.qidType) && typeof e.isDir === 'boolean' && Number.isInteger(e.openFlags);
      if (!ok) return;
      fids.set(e.fid, { path: e.path.slice(), qidType: e.qidType & 0xff, file: undefined, openFlags: e.openFlags, reopen: e.openFlags >= 0, isDir: e.isDir, entries: undefined });
    }
    this.fids = fids;
    this.msize = s.msize;
  }

  private fid(n: number): Fid {
    const f = this.fids.get(n);
    if (f === undefined) throw new P9Error(E.EBADF);
    return f;
  }

  private checkNewFid(n: number): void {
    if (n === P9_NOFID) throw new P9Error(E.EBADF);
    if (this.fids.has(n)) throw new P9Error(E.EBADF);
    if (this.fids.size >= this.maxFids) throw new P9Error(E.ENFILE);
  }

  private setFid(session: number, n: number, f: Fid): void {
    if (session !== this.session) throw new P9Error(E.EBADF);
    const old = this.fids.get(n);
    if (old === undefined && this.fids.size >= this.maxFids) throw new P9Error(E.ENFILE);
    if (old?.file !== undefined) void old.file.close().catch(() => undefined);
    this.fids.set(n, f);
  }

  private stillOurs(session: number, f: Fid): boolean {
    if (session !== this.session) return false;
    for (const g of this.fids.values()) if (g === f) return true;
    return false;
  }

  private checkWritable(): void {
    if (this.backend.readOnly) throw new P9Error(E.EROFS);
  }
}

const EMPTY = new Uint8Array(0);

function putQid(w: P9Writer, a: P9Attr): void {
  w.qid(a.qidType, a.qidVersion, a.qidPath);
}

/** A single path component from the guest: not empty, no '/', no NUL, not '.' or '..'. */
function checkName(name: string): void {
  if (name.length === 0 || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new P9Error(E.EINVAL);
  }
  if (utf8Length(name) > NAME_MAX) throw new P9Error(E.ENAMETOOLONG);
}

function validName(name: string): boolean {
  try {
    checkName(name);
    return true;
  } catch {
    return false;
  }
}

function errnoOf(err: unknown): number {
  if (err instanceof P9Error) return err.errno;
  return E.EIO;
}

/** True if `mode` (Linux st_mode) is a directory. */
export function isDirMode(mode: number): boolean {
  return (mode & S_IFMT) === S_IFDIR;
}
