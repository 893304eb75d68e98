// Flattened device tree writer, per the Devicetree Specification v0.4 chapter 5 "Flattened
// Devicetree (DTB) Format": a 40-byte header, an (empty) memory reservation block, the
// structure block (FDT_BEGIN_NODE / FDT_PROP / FDT_END_NODE / FDT_END tokens, big-endian,
// 4-byte aligned) and the strings block (property names, deduplicated).

/** fdt_header.magic. */
export const FDT_MAGIC = 0xd00dfeed;
/** Structure token: start of a node, followed by its NUL-terminated name. */
export const FDT_BEGIN_NODE = 0x1;
/** Structure token: end of a node. */
export const FDT_END_NODE = 0x2;
/** Structure token: a property (len, nameoff, value). */
export const FDT_PROP = 0x3;
/** Structure token: ignored. */
export const FDT_NOP = 0x4;
/** Structure token: end of the structure block. */
export const FDT_END = 0x9;
/** Version this builder writes. */
export const FDT_VERSION = 17;
/** Oldest version the written blob is compatible with. */
export const FDT_LAST_COMP_VERSION = 16;
/** Size of struct fdt_header. */
export const FDT_HEADER_SIZE = 40;

const encoder = new TextEncoder();

/** A growable big-endian byte buffer. */
class ByteSink {
  bytes = new Uint8Array(4096);
  length = 0;
  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let cap = this.bytes.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }
  u32(v: number): void {
    this.reserve(4);
    const b = this.bytes;
    const i = this.length;
    b[i] = v >>> 24;
    b[i + 1] = v >>> 16;
    b[i + 2] = v >>> 8;
    b[i + 3] = v;
    this.length += 4;
  }
  raw(data: Uint8Array): void {
    this.reserve(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }
  /** Pads with zeros to a multiple of 4. */
  align4(): void {
    const pad = (4 - (this.length & 3)) & 3;
    this.reserve(pad);
    for (let i = 0; i < pad; i++) this.bytes[this.length++] = 0;
  }
}

/**
 * Builds a DTB. Nodes nest with beginNode/endNode (the first node is the root, named "");
 * properties belong to the innermost open node. Misuse (a property outside a node, unbalanced
 * nodes, a NUL in a name) is a host bug and throws Error.
 */
export class FdtBuilder {
  private readonly struct = new ByteSink();
  private readonly strings = new ByteSink();
  private readonly stringOffsets = new Map<string, number>();
  private depth = 0;
  private rootDone = false;
  private nextPhandle = 1;

  /** Opens a node; `name` is "node-name@unit-address" ("" for the root). */
  beginNode(name: string): void {
    if (this.rootDone) throw new Error('FDT: the root node is already closed');
    if (this.depth === 0 && name !== '') throw new Error('FDT: the first node must be the root ("")');
    if (this.depth > 0 && name === '') throw new Error('FDT: only the root node has an empty name');
    if (name.includes('\0') || name.includes('/')) throw new Error(`FDT: bad node name ${JSON.stringify(name)}`);
    this.struct.u32(FDT_BEGIN_NODE);
    this.struct.raw(encoder.encode(name));
    this.struct.raw(Uint8Array.of(0));
    this.struct.align4();
    this.depth++;
  }

  /** Closes the innermost open node. */
  endNode(): void {
    if (this.depth === 0) throw new Error('FDT: endNode without an open node');
    this.struct.u32(FDT_END_NODE);
    this.depth--;
    if (this.depth === 0) this.rootDone = true;
  }

  private nameOffset(name: string): number {
    let off = this.stringOffsets.get(name);
    if (off === undefined) {
      if (name === '' || name.includes('\0')) throw new Error(`FDT: bad property name ${JSON.stringify(name)}`);
      off = this.strings.length;
      this.strings.raw(encoder.encode(name));
      this.strings.raw(Uint8Array.of(0));
      this.stringOffsets.set(name, off);
    }
    return off;
  }

  private propHeader(name: string, len: number): void {
    if (this.depth === 0) throw new Error(`FDT: property ${name} outside any node`);
    this.struct.u32(FDT_PROP);
    this.struct.u32(len);
    this.struct.u32(this.nameOffset(name));
  }

  /** A property holding raw bytes. */
  propBytes(name: string, bytes: Uint8Array): void {
    this.propHeader(name, bytes.length);
    this.struct.raw(bytes);
    this.struct.align4();
  }

  /** An empty property (a boolean such as `interrupt-controller`). */
  propEmpty(name: string): void {
    this.propHeader(name, 0);
  }

  /** One 32-bit cell. */
  propU32(name: string, v: number): void {
    this.propCells(name, [v]);
  }

  /** A 64-bit value as two cells, high first. */
  propU64(name: string, v: bigint | number): void {
    const b = BigInt.asUintN(64, BigInt(v));
    this.propCells(name, [Number(b >> 32n), Number(b & 0xffffffffn)]);
  }

  /** A list of 32-bit cells (a `<...>` value); each must be an integer in -2^31 .. 2^32-1. */
  propCells(name: string, cells: readonly number[]): void {
    for (const c of cells) {
      if (!Number.isInteger(c) || c < -0x80000000 || c > 0xffffffff) throw new Error(`FDT: cell ${c} of ${name} is not 32-bit`);
    }
    this.propHeader(name, cells.length * 4);
    for (const c of cells) this.struct.u32(c >>> 0);
  }

  /** A NUL-terminated string. */
  propString(name: string, s: string): void {
    this.propStrings(name, [s]);
  }

  /** A string list: each string NUL-terminated, back to back. */
  propStrings(name: string, list: readonly string[]): void {
    const parts = list.map((s) => {
      if (s.includes('\0')) throw new Error(`FDT: string in ${name} contains NUL`);
      return encoder.encode(s);
    });
    const len = parts.reduce((n, p) => n + p.length + 1, 0);
    this.propHeader(name, len);
    for (const p of parts) {
      this.struct.raw(p);
      this.struct.raw(Uint8Array.of(0));
    }
    this.struct.align4();
  }

  /** A fresh phandle (1, 2, ...), to put in a node's `phandle` property and reference from others. */
  allocPhandle(): number {
    return this.nextPhandle++;
  }

  /** The finished blob: header, empty reservation map, structure block, strings block. */
  finish(): Uint8Array {
    if (!this.rootDone || this.depth !== 0) throw new Error('FDT: finish with the root node still open (or never opened)');
    const offMemRsvmap = FDT_HEADER_SIZE; // 8-byte aligned
    const rsvmapSize = 16; // the terminating {0, 0} entry
    const offStruct = offMemRsvmap + rsvmapSize;
    const sizeStruct = this.struct.length + 4; // + FDT_END
    const offStrings = offStruct + sizeStruct;
    const sizeStrings = this.strings.length;
    const total = (offStrings + sizeStrings + 3) & ~3;
    const out = new Uint8Array(total);
    const v = new DataView(out.buffer);
    v.setUint32(0, FDT_MAGIC);
    v.setUint32(4, total);
    v.setUint32(8, offStruct);
    v.setUint32(12, offStrings);
    v.setUint32(16, offMemRsvmap);
    v.setUint32(20, FDT_VERSION);
    v.setUint32(24, FDT_LAST_COMP_VERSION);
    v.setUint32(28, 0); // boot_cpuid_phys
    v.setUint32(32, sizeStrings);
    v.setUint32(36, sizeStruct);
    out.set(this.struct.bytes.subarray(0, this.struct.length), offStruct);
    v.setUint32(offStruct + this.struct.length, FDT_END);
    out.set(this.strings.bytes.subarray(0, sizeStrings), offStrings);
    return out;
  }
}
