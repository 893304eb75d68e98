// A small WebAssembly binary writer: just what the translator needs (one function importing the
// domain's memory), per the WebAssembly core specification 2.0 §5 "Binary format". Labels are
// named so that the translator never counts block depths by hand.

/** Value types (§5.3.1). */
export const enum ValType { I32 = 0x7f, I64 = 0x7e }

/** Opcodes used by the translator (§5.4). */
export const enum Op {
  Unreachable = 0x00, Block = 0x02, Loop = 0x03, If = 0x04, Else = 0x05, End = 0x0b,
  Br = 0x0c, BrIf = 0x0d, BrTable = 0x0e, Return = 0x0f, Call = 0x10, CallIndirect = 0x11, Drop = 0x1a, Select = 0x1b,
  LocalGet = 0x20, LocalSet = 0x21, LocalTee = 0x22,
  I32Load = 0x28, I64Load = 0x29,
  I64Load8S = 0x30, I64Load8U = 0x31, I64Load16S = 0x32, I64Load16U = 0x33, I64Load32S = 0x34, I64Load32U = 0x35,
  I32Store = 0x36, I64Store = 0x37, I64Store8 = 0x3c, I64Store16 = 0x3d, I64Store32 = 0x3e,
  I32Load16U = 0x2f,
  I32Const = 0x41, I64Const = 0x42,
  I32Eqz = 0x45, I32Eq = 0x46, I32Ne = 0x47, I32LtS = 0x48, I32LtU = 0x49, I32GtS = 0x4a, I32GtU = 0x4b, I32LeS = 0x4c, I32GeU = 0x4f,
  I64Eqz = 0x50, I64Eq = 0x51, I64Ne = 0x52, I64LtS = 0x53, I64LtU = 0x54, I64GeS = 0x59, I64GeU = 0x5a,
  I32Add = 0x6a, I32Sub = 0x6b, I32Mul = 0x6c, I32DivS = 0x6d, I32DivU = 0x6e, I32RemS = 0x6f, I32RemU = 0x70,
  I32And = 0x71, I32Or = 0x72, I32Xor = 0x73, I32Shl = 0x74, I32ShrS = 0x75, I32ShrU = 0x76,
  I64Add = 0x7c, I64Sub = 0x7d, I64Mul = 0x7e, I64DivS = 0x7f, I64DivU = 0x80, I64RemS = 0x81, I64RemU = 0x82,
  I64And = 0x83, I64Or = 0x84, I64Xor = 0x85, I64Shl = 0x86, I64ShrS = 0x87, I64ShrU = 0x88,
  I32WrapI64 = 0xa7, I64ExtendI32S = 0xac, I64ExtendI32U = 0xad,
}

/** Block type of a structured instruction: empty, or one result. */
export type BlockType = 'void' | ValType;

/**
 * A growable byte buffer. Function bodies are written into a shared one, one after the other:
 * growing JS arrays element by element is slow (and allocation costly) on some hosts, so the
 * translator reuses one typed buffer for every module it builds.
 */
export class ByteBuffer {
  bytes = new Uint8Array(1 << 16);
  length = 0;

  /** Appends one byte. */
  push(b: number): void {
    if (this.length === this.bytes.length) {
      const bigger = new Uint8Array(this.bytes.length * 2);
      bigger.set(this.bytes);
      this.bytes = bigger;
    }
    this.bytes[this.length++] = b;
  }
}

/** Bytes of one function body, with named labels resolved to relative depths. */
export class FuncWriter {
  private readonly out: ByteBuffer;
  private readonly start: number;
  private readonly labels: (string | undefined)[] = [];

  /** Writes at the end of `out` (a fresh buffer by default); nothing else may write there until the body is used. */
  constructor(out: ByteBuffer = new ByteBuffer()) {
    this.out = out;
    this.start = out.length;
  }

  /** The body so far (a view: it keeps these bytes even when the buffer grows later). */
  get code(): Uint8Array {
    return this.out.bytes.subarray(this.start, this.out.length);
  }

  /** Appends a raw opcode. */
  op(o: Op): this {
    this.out.push(o);
    return this;
  }

  /** Unsigned LEB128 (§5.2.2). */
  u32(v: number): this {
    let x = v >>> 0;
    do {
      let b = x & 0x7f;
      x >>>= 7;
      if (x !== 0) b |= 0x80;
      this.out.push(b);
    } while (x !== 0);
    return this;
  }

  /** Signed LEB128 of a 64-bit value. */
  s64(v: bigint): this {
    let x = BigInt.asIntN(64, v);
    for (;;) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      if ((x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0)) {
        this.out.push(b);
        return this;
      }
      this.out.push(b | 0x80);
    }
  }

  /** Signed LEB128 of a 32-bit value. */
  s32(v: number): this {
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
        this.out.push(b);
        return this;
      }
      this.out.push(b | 0x80);
    }
  }

  /** i32.const v. */
  i32(v: number): this {
    return this.op(Op.I32Const).s32(v);
  }

  /** i64.const v (a number in the safe-integer range or a bigint). */
  i64(v: number | bigint): this {
    this.op(Op.I64Const);
    if (typeof v === 'bigint') return this.s64(v);
    if ((v | 0) === v) return this.s32(v);
    let x = v; // signed LEB128 of a safe integer without BigInt
    for (;;) {
      const b = ((x % 128) + 128) % 128;
      x = (x - b) / 128;
      if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
        this.out.push(b);
        return this;
      }
      this.out.push(b | 0x80);
    }
  }

  /** i64.const of the 64-bit value hi:lo (two 32-bit halves), without BigInt. */
  i64Parts(lo: number, hi: number): this {
    this.op(Op.I64Const);
    let l = lo | 0;
    let h = hi | 0;
    for (;;) {
      const b = l & 0x7f;
      l = (l >>> 7) | (h << 25);
      h >>= 7;
      if ((l === 0 && h === 0 && (b & 0x40) === 0) || (l === -1 && h === -1 && (b & 0x40) !== 0)) {
        this.out.push(b);
        return this;
      }
      this.out.push(b | 0x80);
    }
  }

  /** local.get i. */
  get(i: number): this {
    return this.op(Op.LocalGet).u32(i);
  }

  /** local.set i. */
  set(i: number): this {
    return this.op(Op.LocalSet).u32(i);
  }

  /** local.tee i. */
  tee(i: number): this {
    return this.op(Op.LocalTee).u32(i);
  }

  /** A memory instruction with its memarg (alignment exponent, constant offset). */
  mem(o: Op, align: number, offset = 0): this {
    return this.op(o).u32(align).u32(offset);
  }

  /** Opens block/loop/if with an optional label name (for br by name). */
  open(kind: Op.Block | Op.Loop | Op.If, label?: string, type: BlockType = 'void'): this {
    this.out.push(kind);
    this.out.push(type === 'void' ? 0x40 : type);
    this.labels.push(label);
    return this;
  }

  /** else of the innermost if. */
  else(): this {
    return this.op(Op.Else);
  }

  /** Closes the innermost structured instruction. */
  end(): this {
    this.labels.pop();
    return this.op(Op.End);
  }

  /** Relative depth of a named label. */
  depth(label: string): number {
    const i = this.labels.lastIndexOf(label);
    if (i < 0) throw new Error(`wasm emitter: no label ${label}`);
    return this.labels.length - 1 - i;
  }

  /** br to a named label. */
  br(label: string): this {
    return this.op(Op.Br).u32(this.depth(label));
  }

  /** br_table over named labels with a default. */
  brTable(targets: readonly string[], dflt: string): this {
    this.op(Op.BrTable).u32(targets.length);
    const depths = new Map<string, number>();
    for (const t of targets) {
      let d = depths.get(t);
      if (d === undefined) {
        d = this.depth(t);
        depths.set(t, d);
      }
      this.u32(d);
    }
    return this.u32(this.depth(dflt));
  }
}

/** How the module imports the domain's memory. */
export interface MemoryImport {
  /** Pages (64 KiB) of the memory. */
  readonly pages: number;
  /** True for a shared memory (threads): the import must say so and give the maximum. */
  readonly shared: boolean;
}

function pushName(out: number[], s: string): void {
  out.push(s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

function pushU32(out: number[], v: number): void {
  let x = v >>> 0;
  do {
    let b = x & 0x7f;
    x >>>= 7;
    if (x !== 0) b |= 0x80;
    out.push(b);
  } while (x !== 0);
}

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  pushU32(out, body.length);
  for (let i = 0; i < body.length; i++) out.push(body[i]!);
}

/** One function of a module: its extra locals (after the parameters, by type, in order) and body. */
export interface FuncDef {
  /** Index of its signature in the module's types. */
  readonly type: number;
  readonly locals: readonly ValType[];
  /** The body without its final `end` (FuncWriter.code once the function is written). */
  readonly code: Uint8Array;
}

/** The local declarations of a function (§5.5.13: counts of runs of one type). */
function localDecls(locals: readonly ValType[]): number[] {
  const head: number[] = [];
  const groups: [number, ValType][] = [];
  for (const t of locals) {
    const last = groups[groups.length - 1];
    if (last !== undefined && last[1] === t) last[0]++;
    else groups.push([1, t]);
  }
  pushU32(head, groups.length);
  for (const [count, t] of groups) {
    pushU32(head, count);
    head.push(t);
  }
  return head;
}

/** A function signature. */
export interface FuncType {
  readonly params: readonly ValType[];
  readonly result: ValType;
}

/**
 * A module with the given signatures and functions (function i is `funcs[i]`, for `call i`),
 * importing memory `m.mem` (and, with `table` set, a funcref table `m.tab` of at least that many
 * elements), and exporting function `exportIndex` as `run`. With `ownTable` (and no `table`), the
 * module defines table 0 itself, slot i holding function `ownTable[i]` (for `call_indirect`).
 */
export function buildModule(
  types: readonly FuncType[], funcs: readonly FuncDef[], exportIndex: number, memory: MemoryImport, table?: number,
  ownTable?: readonly number[],
): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const typeSec: number[] = [];
  pushU32(typeSec, types.length);
  for (const t of types) {
    typeSec.push(0x60);
    pushU32(typeSec, t.params.length);
    typeSec.push(...t.params, 1, t.result);
  }
  section(out, 1, typeSec);
  // import section: memory (and table)
  const imports: number[] = [table === undefined ? 1 : 2];
  pushName(imports, 'm');
  pushName(imports, 'mem');
  imports.push(0x02);
  if (memory.shared) {
    imports.push(0x03);
    pushU32(imports, memory.pages);
    pushU32(imports, memory.pages);
  } else {
    imports.push(0x00);
    pushU32(imports, memory.pages);
  }
  if (table !== undefined) {
    pushName(imports, 'm');
    pushName(imports, 'tab');
    imports.push(0x01, 0x70, 0x00);
    pushU32(imports, table);
  }
  section(out, 2, imports);
  const fns: number[] = [];
  pushU32(fns, funcs.length);
  for (const f of funcs) pushU32(fns, f.type);
  section(out, 3, fns);
  if (ownTable !== undefined && table === undefined) { // §5.5.7 table section: one funcref table
    const tab: number[] = [1, 0x70, 0x00];
    pushU32(tab, ownTable.length);
    section(out, 4, tab);
  }
  const exports: number[] = [1];
  pushName(exports, 'run');
  exports.push(0x00);
  pushU32(exports, exportIndex);
  section(out, 7, exports);
  if (ownTable !== undefined && table === undefined) { // §5.5.12: one active segment at offset 0
    const elems: number[] = [1, 0x00, Op.I32Const, 0x00, Op.End];
    pushU32(elems, ownTable.length);
    for (const f of ownTable) pushU32(elems, f);
    section(out, 9, elems);
  }
  // code section: small heads here, the bodies copied once, straight into the result
  const heads: number[][] = [];
  let codeSize = 0;
  const count: number[] = [];
  pushU32(count, funcs.length);
  codeSize += count.length;
  for (const f of funcs) {
    const decls = localDecls(f.locals);
    const head: number[] = [];
    pushU32(head, decls.length + f.code.length + 1);
    head.push(...decls);
    heads.push(head);
    codeSize += head.length + f.code.length + 1;
  }
  out.push(10);
  pushU32(out, codeSize);
  out.push(...count);
  const bytes = new Uint8Array(out.length + codeSize - count.length);
  bytes.set(out, 0);
  let at = out.length;
  for (let i = 0; i < funcs.length; i++) {
    const head = heads[i]!;
    bytes.set(head, at);
    at += head.length;
    const code = funcs[i]!.code;
    bytes.set(code, at);
    at += code.length;
    bytes[at++] = Op.End;
  }
  return bytes;
}
