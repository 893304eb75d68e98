// 9P2000.L message encoding: little-endian integers, strings as u16 length + UTF-8 bytes,
// a 7-byte header size[4] type[1] tag[2]. The reader never throws: a read past the end (or a
// string that is not UTF-8) clears `ok` and yields zeros.

/** 9P2000.L message types (Linux include/net/9p/9p.h); replies are T + 1. */
export const enum P9Type {
  Tlerror = 6,
  Rlerror = 7,
  Tstatfs = 8,
  Tlopen = 12,
  Tlcreate = 14,
  Tsymlink = 16,
  Tmknod = 18,
  Trename = 20,
  Treadlink = 22,
  Tgetattr = 24,
  Tsetattr = 26,
  Txattrwalk = 30,
  Txattrcreate = 32,
  Treaddir = 40,
  Tfsync = 50,
  Tlock = 52,
  Tgetlock = 54,
  Tlink = 70,
  Tmkdir = 72,
  Trenameat = 74,
  Tunlinkat = 76,
  Tversion = 100,
  Tauth = 102,
  Tattach = 104,
  Tflush = 108,
  Twalk = 110,
  Tread = 116,
  Twrite = 118,
  Tclunk = 120,
  Tremove = 122,
}

/** Size of the message header. */
export const P9_HEADER_SIZE = 7;
/** Header + count[4] of Rread / Rreaddir / Twrite (P9_IOHDRSZ of the Linux client is 24). */
export const P9_RW_HEADER_SIZE = 11;
/** No fid (afid of Tattach without authentication). */
export const P9_NOFID = 0xffffffff;
/** Size of a qid on the wire. */
export const P9_QID_SIZE = 13;

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Bounds-checked reader over one message. */
export class P9Reader {
  /** False once anything was read past the end or a string was not valid UTF-8. */
  ok = true;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array, public pos: number, private readonly end: number) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }

  private take(n: number): number {
    const p = this.pos;
    if (p + n > this.end) {
      this.ok = false;
      this.pos = this.end;
      return -1;
    }
    this.pos = p + n;
    return p;
  }

  /** Bytes left in the message. */
  remaining(): number {
    return this.end - this.pos;
  }

  /** One byte. */
  u8(): number {
    const p = this.take(1);
    return p < 0 ? 0 : this.buf[p]!;
  }

  /** A little-endian u16. */
  u16(): number {
    const p = this.take(2);
    return p < 0 ? 0 : this.view.getUint16(p, true);
  }

  /** A little-endian u32. */
  u32(): number {
    const p = this.take(4);
    return p < 0 ? 0 : this.view.getUint32(p, true);
  }

  /** A u64 as a BigInt. */
  u64(): bigint {
    const p = this.take(8);
    return p < 0 ? 0n : this.view.getBigUint64(p, true);
  }

  /** A u64 as a number, or -1 if it exceeds 2^53 - 1 (callers treat that as out of range). */
  u64n(): number {
    const p = this.take(8);
    if (p < 0) return 0;
    const lo = this.view.getUint32(p, true);
    const hi = this.view.getUint32(p + 4, true);
    return hi >= 0x200000 ? -1 : hi * 4294967296 + lo;
  }

  /** A string of at most `maxBytes` UTF-8 bytes (longer or malformed: `ok` cleared, ''). */
  str(maxBytes = 65535): string {
    const len = this.u16();
    const p = this.take(len);
    if (p < 0) return '';
    if (len > maxBytes) {
      this.ok = false;
      return '';
    }
    try {
      return decoder.decode(this.buf.subarray(p, p + len));
    } catch {
      this.ok = false;
      return '';
    }
  }

  /** `n` raw bytes (a view, not a copy), or undefined if the message is shorter. */
  bytes(n: number): Uint8Array | undefined {
    const p = this.take(n);
    return p < 0 ? undefined : this.buf.subarray(p, p + n);
  }
}

/** Writer of one reply into a buffer of fixed capacity; `overflow` is set instead of throwing. */
export class P9Writer {
  pos = P9_HEADER_SIZE;
  /** True if something did not fit (the reply must not be sent). */
  overflow = false;
  readonly buf: Uint8Array;
  private readonly view: DataView;

  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  /** Reserves `n` bytes; returns their offset or -1. */
  reserve(n: number): number {
    const p = this.pos;
    if (p + n > this.buf.length) {
      this.overflow = true;
      return -1;
    }
    this.pos = p + n;
    return p;
  }

  /** Appends one byte. */
  u8(v: number): void {
    const p = this.reserve(1);
    if (p >= 0) this.buf[p] = v;
  }

  /** Appends a little-endian u16. */
  u16(v: number): void {
    const p = this.reserve(2);
    if (p >= 0) this.view.setUint16(p, v, true);
  }

  /** Appends a little-endian u32. */
  u32(v: number): void {
    const p = this.reserve(4);
    if (p >= 0) this.view.setUint32(p, v >>> 0, true);
  }

  /** Appends a little-endian u64. */
  u64(v: bigint | number): void {
    const p = this.reserve(8);
    if (p >= 0) this.view.setBigUint64(p, BigInt.asUintN(64, BigInt(v)), true);
  }

  /** Appends a string: u16 byte length, then UTF-8 (over 65535 bytes: `overflow`). */
  str(s: string): void {
    const b = encoder.encode(s);
    if (b.length > 65535) {
      this.overflow = true;
      return;
    }
    this.u16(b.length);
    const p = this.reserve(b.length);
    if (p >= 0) this.buf.set(b, p);
  }

  /** A qid: type[1] version[4] path[8]. */
  qid(type: number, version: number, path: bigint): void {
    this.u8(type);
    this.u32(version);
    this.u64(path);
  }

  /** Writes the header and returns the finished message. */
  finish(type: number, tag: number): Uint8Array {
    this.view.setUint32(0, this.pos, true);
    this.buf[4] = type;
    this.view.setUint16(5, tag, true);
    return this.buf.subarray(0, this.pos);
  }
}

/** Byte length of `s` in UTF-8. */
export function utf8Length(s: string): number {
  return encoder.encode(s).length;
}
