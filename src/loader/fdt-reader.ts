// Flattened device tree reader (Devicetree Specification v0.4 ch. 5): turns a DTB into a tree
// of nodes and raw properties. Used by tests to check generated trees and to read QEMU's.
import { BanquiseError } from '../base/errors.js';
import { FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_MAGIC, FDT_NOP, FDT_PROP } from './fdt-builder.js';

/** A node of a parsed device tree, with typed accessors for its properties. */
export class FdtNode {
  /** Properties by name, raw big-endian bytes. */
  readonly props = new Map<string, Uint8Array>();
  readonly children: FdtNode[] = [];
  constructor(
    /** "node-name@unit-address"; "" for the root. */
    readonly name: string,
  ) {}

  /** The direct child with this exact name, or the only child whose name before '@' matches. */
  child(name: string): FdtNode | undefined {
    const exact = this.children.find((c) => c.name === name);
    if (exact !== undefined || name.includes('@')) return exact;
    const base = this.children.filter((c) => c.name.split('@')[0] === name);
    return base.length === 1 ? base[0] : undefined;
  }

  /** The node at a path relative to this one ("/soc/serial@10000000" from the root). */
  find(path: string): FdtNode | undefined {
    let n: FdtNode | undefined = this;
    for (const part of path.split('/')) {
      if (part === '') continue;
      n = n.child(part);
      if (n === undefined) return undefined;
    }
    return n;
  }

  /** Every node below this one (depth first) whose `compatible` list contains `compat`. */
  findCompatible(compat: string): FdtNode[] {
    const out: FdtNode[] = [];
    const walk = (n: FdtNode) => {
      if (n.strings('compatible')?.includes(compat)) out.push(n);
      for (const c of n.children) walk(c);
    };
    walk(this);
    return out;
  }

  /** The property as 32-bit cells, or undefined if absent or not a multiple of 4 bytes. */
  cells(prop: string): number[] | undefined {
    const b = this.props.get(prop);
    if (b === undefined || b.length % 4 !== 0) return undefined;
    const v = new DataView(b.buffer, b.byteOffset, b.length);
    const out: number[] = [];
    for (let i = 0; i < b.length; i += 4) out.push(v.getUint32(i));
    return out;
  }

  /** A one-cell property. */
  u32(prop: string): number | undefined {
    const c = this.cells(prop);
    return c !== undefined && c.length === 1 ? c[0] : undefined;
  }

  /** A two-cell property as a 64-bit value. */
  u64(prop: string): bigint | undefined {
    const c = this.cells(prop);
    return c !== undefined && c.length === 2 ? (BigInt(c[0]) << 32n) | BigInt(c[1]) : undefined;
  }

  /** A string-list property (a single string is a list of one). */
  strings(prop: string): string[] | undefined {
    const b = this.props.get(prop);
    if (b === undefined || b.length === 0 || b[b.length - 1] !== 0) return undefined;
    return new TextDecoder().decode(b.subarray(0, b.length - 1)).split('\0');
  }

  /** A single-string property. */
  string(prop: string): string | undefined {
    const s = this.strings(prop);
    return s !== undefined && s.length === 1 ? s[0] : undefined;
  }
}

/** A parsed DTB. */
export interface FdtTree {
  root: FdtNode;
  /** Memory reservation block entries (without the terminating zero entry). */
  memReserve: { address: bigint; size: bigint }[];
  version: number;
  bootCpuidPhys: number;
}

function bad(what: string): never {
  throw new BanquiseError(`malformed device tree blob: ${what}`, 64);
}

/** Parses a DTB (version 16 or 17). Malformed input throws BanquiseError (exit 64). */
export function readFdt(blob: Uint8Array): FdtTree {
  if (blob.length < 40) bad(`${blob.length} bytes is shorter than the header`);
  const v = new DataView(blob.buffer, blob.byteOffset, blob.length);
  if (v.getUint32(0) !== FDT_MAGIC) bad('no 0xd00dfeed magic');
  const total = v.getUint32(4);
  const offStruct = v.getUint32(8);
  const offStrings = v.getUint32(12);
  const offRsv = v.getUint32(16);
  const version = v.getUint32(20);
  const lastComp = v.getUint32(24);
  const bootCpuidPhys = v.getUint32(28);
  const sizeStrings = v.getUint32(32);
  const sizeStruct = v.getUint32(36);
  if (lastComp > 17 || version < 16) bad(`version ${version} (compatible with ${lastComp}) is not supported`);
  if (total > blob.length) bad(`totalsize ${total} is larger than the ${blob.length} bytes given`);
  if (offStruct + sizeStruct > total || offStrings + sizeStrings > total) bad('a block runs past totalsize');
  if ((offStruct & 3) !== 0 || (offRsv & 7) !== 0) bad('misaligned block');

  const memReserve: { address: bigint; size: bigint }[] = [];
  for (let at = offRsv; ; at += 16) {
    if (at + 16 > total) bad('the memory reservation block is not terminated');
    const address = v.getBigUint64(at);
    const size = v.getBigUint64(at + 8);
    if (address === 0n && size === 0n) break;
    memReserve.push({ address, size });
  }

  const decoder = new TextDecoder();
  const cString = (from: number, end: number, what: string): [string, number] => {
    let i = from;
    while (i < end && blob[i] !== 0) i++;
    if (i >= end) bad(`unterminated ${what}`);
    return [decoder.decode(blob.subarray(from, i)), i + 1];
  };

  const end = offStruct + sizeStruct;
  const stack: FdtNode[] = [];
  let root: FdtNode | undefined;
  let at = offStruct;
  for (;;) {
    if (at + 4 > end) bad('the structure block ends without FDT_END');
    const token = v.getUint32(at);
    at += 4;
    if (token === FDT_BEGIN_NODE) {
      const [name, next] = cString(at, end, 'node name');
      at = next + ((4 - (next & 3)) & 3);
      const node = new FdtNode(name);
      if (stack.length === 0) {
        if (root !== undefined) bad('more than one root node');
        root = node;
      } else stack[stack.length - 1].children.push(node);
      stack.push(node);
    } else if (token === FDT_END_NODE) {
      if (stack.length === 0) bad('FDT_END_NODE without a node');
      stack.pop();
    } else if (token === FDT_PROP) {
      if (stack.length === 0) bad('property outside any node');
      if (at + 8 > end) bad('truncated property');
      const len = v.getUint32(at);
      const nameOff = v.getUint32(at + 4);
      at += 8;
      if (at + len > end) bad('property value runs past the structure block');
      if (nameOff >= sizeStrings) bad('property name outside the strings block');
      const [name] = cString(offStrings + nameOff, offStrings + sizeStrings, 'property name');
      stack[stack.length - 1].props.set(name, blob.slice(at, at + len));
      at += len + ((4 - (len & 3)) & 3);
    } else if (token === FDT_NOP) {
      continue;
    } else if (token === FDT_END) {
      break;
    } else {
      bad(`unknown token 0x${token.toString(16)} at offset ${at - 4}`);
    }
  }
  if (root === undefined) bad('no root node');
  if (stack.length !== 0) bad('unclosed node at FDT_END');
  return { root, memReserve, version, bootCpuidPhys };
}
