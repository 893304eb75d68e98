// The few host globals that exist identically in browsers and in Node.js. Core layers compile
// with `lib: ES2022` and no `@types/node` or DOM, so a core file that reaches for `node:*`, the
// DOM or `process` fails to compile; these declarations are the whole of what they may use.

declare namespace WebAssembly {
  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer;
    grow(delta: number): number;
  }
  class Module {
    constructor(bytes: BufferSource);
  }
  class Instance {
    constructor(module: Module, importObject?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
  type BufferSource = ArrayBufferView | ArrayBuffer;
  /** Compiles a module off the calling thread's hot path (the JIT's async compiles). */
  function compile(bytes: BufferSource): Promise<Module>;
  interface TableDescriptor {
    element: 'anyfunc';
    initial: number;
    maximum?: number;
  }
  /** A function table (the JIT's cross-page chaining table). */
  class Table {
    constructor(descriptor: TableDescriptor, value?: unknown);
    get(index: number): unknown;
    set(index: number, value?: unknown): void;
    readonly length: number;
  }
}

/** High-resolution milliseconds (the JIT's compile-time counter). */
declare const performance: { now(): number };

declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: ArrayBufferView | ArrayBuffer, options?: { stream?: boolean }): string;
}

declare function queueMicrotask(callback: () => void): void;
