// Test helpers: encode 9P2000.L T-messages and decode R-messages, and a client that sends them
// through the virtio-9p device with the mock guest driver.
import { mockHarness } from '../../dist/devices/virtio/mock-driver.js';
import { Virtio9pDevice } from '../../dist/devices/virtio/p9/virtio-9p.js';
import { P9Server } from '../../dist/devices/virtio/p9/p9-server.js';

export const T = {
  Tstatfs: 8, Tlopen: 12, Tlcreate: 14, Tsymlink: 16, Tmknod: 18, Trename: 20, Treadlink: 22, Tgetattr: 24,
  Tsetattr: 26, Txattrwalk: 30, Treaddir: 40, Tfsync: 50, Tlock: 52, Tgetlock: 54, Tlink: 70, Tmkdir: 72,
  Trenameat: 74, Tunlinkat: 76, Tversion: 100, Tattach: 104, Tflush: 108, Twalk: 110, Tread: 116,
  Twrite: 118, Tclunk: 120, Tremove: 122,
};
export const Rlerror = 7;

/** Builds a message from typed fields: ['u8', v], ['u16', v], ['u32', v], ['u64', v], ['s', str], ['b', bytes]. */
export function msg(type, tag, fields) {
  const parts = [];
  for (const [k, v] of fields) {
    if (k === 'u8') parts.push(Uint8Array.of(v));
    else if (k === 'u16') { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, true); parts.push(b); }
    else if (k === 'u32') { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); parts.push(b); }
    else if (k === 'u64') { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v), true); parts.push(b); }
    else if (k === 's') { const e = new TextEncoder().encode(v); const b = new Uint8Array(2 + e.length); new DataView(b.buffer).setUint16(0, e.length, true); b.set(e, 2); parts.push(b); }
    else if (k === 'b') parts.push(v);
  }
  const len = 7 + parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, len, true);
  out[4] = type;
  dv.setUint16(5, tag, true);
  let o = 7;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Reader over a reply. */
export class R {
  constructor(bytes) { this.b = bytes; this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length); this.p = 7; }
  get size() { return this.dv.getUint32(0, true); }
  get type() { return this.b[4]; }
  get tag() { return this.dv.getUint16(5, true); }
  u8() { return this.b[this.p++]; }
  u16() { const v = this.dv.getUint16(this.p, true); this.p += 2; return v; }
  u32() { const v = this.dv.getUint32(this.p, true); this.p += 4; return v; }
  u64() { const v = this.dv.getBigUint64(this.p, true); this.p += 8; return v; }
  s() { const n = this.u16(); const v = new TextDecoder().decode(this.b.subarray(this.p, this.p + n)); this.p += n; return v; }
  qid() { return { type: this.u8(), version: this.u32(), path: this.u64() }; }
  bytes(n) { const v = this.b.subarray(this.p, this.p + n); this.p += n; return v; }
}

/** A 9P client over virtio-9p + mock driver. */
export class P9Client {
  constructor(backend, { tag = 'share', msize = 65536, ramBytes = 16 << 20 } = {}) {
    this.server = new P9Server(backend);
    this.device = new Virtio9pDevice(this.server, tag);
    this.h = mockHarness(this.device, ramBytes);
    this.h.drv.init(~0n, [64]);
    this.msize = msize;
    this.nextTag = 1;
  }
  /** Sends raw bytes, waits for the reply (runs the scheduler and lets promises settle). */
  async raw(bytes, replyBytes = this.msize) {
    const { drv, sched } = this.h;
    drv.post(0, [{ data: bytes }, { writableBytes: replyBytes }]);
    drv.notify(0);
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      sched.run();
      const used = drv.reap(0);
      if (used.length > 0) return drv.written(used[0]).subarray(0, used[0].len);
      await new Promise((r) => setTimeout(r, 1));
    }
    throw new Error('no reply');
  }
  async rpc(type, fields, replyBytes) {
    const tag = this.nextTag++ & 0xffff;
    const reply = new R(await this.raw(msg(type, tag, fields), replyBytes));
    if (reply.tag !== tag) throw new Error(`tag mismatch ${reply.tag} != ${tag}`);
    return reply;
  }
  /** Expects success (type T+1); returns the reader. */
  async ok(type, fields, replyBytes) {
    const r = await this.rpc(type, fields, replyBytes);
    if (r.type !== type + 1) throw new Error(`T${type} failed: ${r.type === Rlerror ? 'errno ' + r.u32() : 'type ' + r.type}`);
    return r;
  }
  /** Expects Rlerror; returns the errno. */
  async err(type, fields) {
    const r = await this.rpc(type, fields);
    if (r.type !== Rlerror) throw new Error(`T${type} unexpectedly succeeded (type ${r.type})`);
    return r.u32();
  }
  async attach(fid = 0) {
    const v = await this.ok(T.Tversion, [['u32', this.msize], ['s', '9P2000.L']]);
    this.msize = v.u32();
    return (await this.ok(T.Tattach, [['u32', fid], ['u32', 0xffffffff], ['s', 'root'], ['s', ''], ['u32', 0]])).qid();
  }
  walk(fid, newfid, names) {
    return this.rpc(T.Twalk, [['u32', fid], ['u32', newfid], ['u16', names.length], ...names.map((n) => ['s', n])]);
  }
}

export const ERRNO = { EPERM: 1, ENOENT: 2, EBADF: 9, EACCES: 13, EEXIST: 17, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EROFS: 30, ELOOP: 40, ENOTEMPTY: 39, EOPNOTSUPP: 95, EPROTO: 71 };
