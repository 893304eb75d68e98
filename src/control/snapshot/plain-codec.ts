// Plain data (the `XxxState` objects of STYLE.md: objects, arrays, strings, numbers, bigints,
// booleans, null, undefined and typed arrays) as CBOR (RFC 8949), the encoding of the state
// records of the snapshot stream (docs/snapshot-format.md). Subset: definite lengths only,
// text-string map keys, bignums as tags 2/3 (§3.4.3), typed arrays as RFC 8746 tags. The
// decoder is bounded: every length is checked against the bytes left before anything is
// allocated, nesting is capped, and anything outside the subset is refused.
import { SnapshotError } from './snapshot-error.js';

/** What the codec carries. */
export type PlainData =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array
  | readonly PlainData[]
  | { readonly [key: string]: PlainData };

/** Deepest nesting of arrays and maps the decoder accepts. */
export const PLAIN_MAX_DEPTH = 32;

type TypedArrayCtor = { new (buffer: ArrayBuffer): ArrayBufferView & { length: number }; BYTES_PER_ELEMENT: number };

/** RFC 8746 §2.1 tags (little-endian forms) of the typed arrays the codec carries. */
const TYPED_TAGS: readonly (readonly [number, TypedArrayCtor])[] = [
  [64, Uint8Array],
  [69, Uint16Array],
  [70, Uint32Array],
  [71, BigUint64Array],
  [72, Int8Array],
  [77, Int16Array],
  [78, Int32Array],
  [79, BigInt64Array],
  [85, Float32Array],
  [86, Float64Array],
] as unknown as readonly (readonly [number, TypedArrayCtor])[];

const TAG_POS_BIGNUM = 2;
const TAG_NEG_BIGNUM = 3;

/** Growable output buffer. */
class Out {
  bytes = new Uint8Array(256);
  length = 0;
  private view = new DataView(this.bytes.buffer);

  reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  byte(b: number): void {
    this.reserve(1);
    this.bytes[this.length++] = b;
  }

  /** A major type with its argument (RFC 8949 §3), shortest form. */
  head(major: number, arg: number | bigint): void {
    const m = major << 5;
    if (typeof arg === 'number' && arg < 24) this.byte(m | arg);
    else if (typeof arg === 'number' && arg < 0x100) {
      this.byte(m | 24);
      this.byte(arg);
    } else if (typeof arg === 'number' && arg < 0x10000) {
      this.reserve(3);
      this.bytes[this.length] = m | 25;
      this.view.setUint16(this.length + 1, arg);
      this.length += 3;
    } else if (typeof arg === 'number' && arg < 0x100000000) {
      this.reserve(5);
      this.bytes[this.length] = m | 26;
      this.view.setUint32(this.length + 1, arg);
      this.length += 5;
    } else {
      this.reserve(9);
      this.bytes[this.length] = m | 27;
      this.view.setBigUint64(this.length + 1, BigInt(arg));
      this.length += 9;
    }
  }

  raw(b: Uint8Array): void {
    this.reserve(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }

  float64(v: number): void {
    this.reserve(9);
    this.bytes[this.length] = 0xfb;
    this.view.setFloat64(this.length + 1, v);
    this.length += 9;
  }
}

const encoder = new TextEncoder();

/** Encodes plain data as CBOR. Throws (a host bug, not bad input) on anything else. */
export function encodePlain(value: PlainData): Uint8Array {
  const out = new Out();
  encodeInto(out, value, 0);
  return out.bytes.slice(0, out.length);
}

function encodeInto(out: Out, v: PlainData, depth: number): void {
  if (depth > PLAIN_MAX_DEPTH) throw new Error(`plain data nested deeper than ${PLAIN_MAX_DEPTH}`);
  if (v === null) return out.byte(0xf6);
  if (v === undefined) return out.byte(0xf7);
  if (v === false) return out.byte(0xf4);
  if (v === true) return out.byte(0xf5);
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
      if (v >= 0) out.head(0, v);
      else out.head(1, -1 - v);
    } else {
      out.float64(v);
    }
    return;
  }
  if (typeof v === 'bigint') {
    const neg = v < 0n;
    let mag = neg ? -1n - v : v;
    const bytes: number[] = [];
    while (mag > 0n) {
      bytes.unshift(Number(mag & 0xffn));
      mag >>= 8n;
    }
    out.head(6, neg ? TAG_NEG_BIGNUM : TAG_POS_BIGNUM);
    out.head(2, bytes.length);
    out.raw(Uint8Array.from(bytes));
    return;
  }
  if (typeof v === 'string') {
    const b = encoder.encode(v);
    out.head(3, b.length);
    out.raw(b);
    return;
  }
  if (ArrayBuffer.isView(v)) {
    const entry = TYPED_TAGS.find(([, ctor]) => v.constructor === ctor);
    if (entry === undefined) throw new Error(`plain data cannot hold a ${v.constructor.name}`);
    if (entry[0] !== 64) out.head(6, entry[0]);
    out.head(2, v.byteLength);
    out.raw(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
    return;
  }
  if (Array.isArray(v)) {
    out.head(4, v.length);
    for (const item of v as readonly PlainData[]) encodeInto(out, item, depth + 1);
    return;
  }
  if (typeof v === 'object') {
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto !== Object.prototype && proto !== null) throw new Error(`plain data cannot hold a ${(v as object).constructor?.name ?? 'class instance'}`);
    const keys = Object.keys(v);
    out.head(5, keys.length);
    for (const k of keys) {
      const b = encoder.encode(k);
      out.head(3, b.length);
      out.raw(b);
      encodeInto(out, (v as Record<string, PlainData>)[k]!, depth + 1);
    }
    return;
  }
  throw new Error(`plain data cannot hold a ${typeof v}`);
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads one CBOR item from bytes; `what` names the record in errors. */
class In {
  private pos = 0;
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(why: string): never {
    throw new SnapshotError(`${this.what}: ${why} at byte ${this.pos}`);
  }

  get left(): number {
    return this.bytes.length - this.pos;
  }

  atEnd(): boolean {
    return this.pos === this.bytes.length;
  }

  need(n: number): void {
    if (n > this.left) this.fail(`${n} bytes announced, ${this.left} left`);
  }

  /** Reads an initial byte's argument as a safe number (bigger values are refused). */
  arg(info: number): number {
    if (info < 24) return info;
    if (info === 24) {
      this.need(1);
      return this.bytes[this.pos++]!;
    }
    if (info === 25) {
      this.need(2);
      const v = this.view.getUint16(this.pos);
      this.pos += 2;
      return v;
    }
    if (info === 26) {
      this.need(4);
      const v = this.view.getUint32(this.pos);
      this.pos += 4;
      return v;
    }
    if (info === 27) {
      this.need(8);
      const v = this.view.getBigUint64(this.pos);
      this.pos += 8;
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail('integer beyond 2^53');
      return Number(v);
    }
    return this.fail(`unsupported additional information ${info}`);
  }

  take(n: number): Uint8Array {
    this.need(n);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  item(depth: number): PlainData {
    if (depth > PLAIN_MAX_DEPTH) this.fail(`nested deeper than ${PLAIN_MAX_DEPTH}`);
    this.need(1);
    const ib = this.bytes[this.pos++]!;
    const major = ib >>> 5;
    const info = ib & 31;
    switch (major) {
      case 0:
        return this.arg(info);
      case 1:
        return -1 - this.arg(info);
      case 2:
        return this.take(this.arg(info)).slice();
      case 3: {
        const b = this.take(this.arg(info));
        try {
          return decoder.decode(b);
        } catch {
          return this.fail('text string is not UTF-8');
        }
      }
      case 4: {
        const n = this.arg(info);
        if (n > this.left) this.fail(`array of ${n} items in ${this.left} bytes`);
        const a: PlainData[] = [];
        for (let i = 0; i < n; i++) a.push(this.item(depth + 1));
        return a;
      }
      case 5: {
        const n = this.arg(info);
        if (2 * n > this.left) this.fail(`map of ${n} entries in ${this.left} bytes`);
        const o: Record<string, PlainData> = {};
        for (let i = 0; i < n; i++) {
          const k = this.item(depth + 1);
          if (typeof k !== 'string') this.fail('map key is not a text string');
          if (k === '__proto__' || Object.prototype.hasOwnProperty.call(o, k)) this.fail(`map key '${k}' repeated or reserved`);
          o[k] = this.item(depth + 1);
        }
        return o;
      }
      case 6:
        return this.tagged(this.arg(info));
      default:
        if (ib === 0xf4) return false;
        if (ib === 0xf5) return true;
        if (ib === 0xf6) return null;
        if (ib === 0xf7) return undefined;
        if (ib === 0xfb) {
          this.need(8);
          const v = this.view.getFloat64(this.pos);
          this.pos += 8;
          return v;
        }
        return this.fail(`unsupported simple value or float 0x${ib.toString(16)}`);
    }
  }

  private tagged(tag: number): PlainData {
    this.need(1);
    const ib = this.bytes[this.pos++]!;
    if (ib >>> 5 !== 2) this.fail(`tag ${tag} must wrap a byte string`);
    const b = this.take(this.arg(ib & 31));
    if (tag === TAG_POS_BIGNUM || tag === TAG_NEG_BIGNUM) {
      if (b.length > 64) this.fail('bignum longer than 64 bytes');
      let v = 0n;
      for (const x of b) v = (v << 8n) | BigInt(x);
      return tag === TAG_NEG_BIGNUM ? -1n - v : v;
    }
    const entry = TYPED_TAGS.find(([t]) => t === tag);
    if (entry === undefined) this.fail(`unsupported tag ${tag}`);
    const ctor = entry[1];
    if (b.length % ctor.BYTES_PER_ELEMENT !== 0) this.fail(`typed array of ${b.length} bytes is not whole elements`);
    const copy = new Uint8Array(b.length);
    copy.set(b);
    return new ctor(copy.buffer) as PlainData;
  }
}

/**
 * Decodes one CBOR item that must fill `bytes` exactly. Throws SnapshotError (naming `what`)
 * on anything malformed, truncated, trailing or outside the subset; never allocates more than a
 * small multiple of `bytes.length`.
 */
export function decodePlain(bytes: Uint8Array, what: string): PlainData {
  const input = new In(bytes, what);
  const v = input.item(0);
  if (!input.atEnd()) input.fail(`${input.left} trailing bytes`);
  return v;
}
