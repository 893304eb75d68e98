// ELF64 executable parser for RISC-V guest images (firmware, bare-metal test programs), per the
// System V ABI "ELF-64 Object File Format" and the RISC-V ELF psABI (EM_RISCV = 243). Reads the
// PT_LOAD segments to place in guest memory and the .symtab symbols (e.g. HTIF `tohost`).
import { BanquiseError } from '../base/errors.js';

/** One PT_LOAD segment: `fileBytes` goes at `paddr`, followed by zeros up to `memSize`. */
export interface ElfSegment {
  paddr: bigint;
  vaddr: bigint;
  /** A view into the input bytes (not a copy). */
  fileBytes: Uint8Array;
  memSize: bigint;
}

/** What the loader needs from an ELF executable. */
export interface ElfImage {
  /** e_entry. */
  entry: bigint;
  segments: ElfSegment[];
  /** Defined symbols of .symtab by name (a global symbol wins over a local one of the same name). */
  symbols: Map<string, bigint>;
}

/** e_machine of RISC-V. */
export const EM_RISCV = 243;
/** e_type of an executable. */
export const ET_EXEC = 2;
/** p_type of a loadable segment. */
export const PT_LOAD = 1;
/** sh_type of the symbol table. */
export const SHT_SYMTAB = 2;

const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const EV_CURRENT = 1;
const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const STB_GLOBAL = 1;
const SHN_UNDEF = 0;
/** Bounds far above any real image, so a corrupted count is refused before any work. */
const MAX_PHNUM = 4096;
const MAX_SHNUM = 65280; // SHN_LORESERVE: larger counts use the extended numbering we refuse
const MAX_SYMBOL_NAME = 4096;

function fail(what: string): never {
  throw new BanquiseError(`not a usable RISC-V ELF executable: ${what}`, 64);
}

/** Reads a u64 field that must be a file offset or size (a safe integer). */
function offsetField(view: DataView, at: number, what: string): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} ${v} is beyond any file`);
  return Number(v);
}

/** Parses an ELF64 little-endian RISC-V ET_EXEC file. Any malformed input throws BanquiseError (exit 64). */
export function parseElf(bytes: Uint8Array): ElfImage {
  const len = bytes.length;
  if (len < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    fail('the file does not start with the ELF magic');
  }
  if (len < EHDR_SIZE) fail(`the file is ${len} bytes, shorter than an ELF64 header`);
  if (bytes[4] !== ELFCLASS64) fail(`ELF class ${bytes[4]} is not ELFCLASS64 (a 64-bit file)`);
  if (bytes[5] !== ELFDATA2LSB) fail(`data encoding ${bytes[5]} is not little-endian`);
  if (bytes[6] !== EV_CURRENT) fail(`ELF version ${bytes[6]} is not 1`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  if (machine !== EM_RISCV) fail(`e_machine ${machine} is not EM_RISCV (243)`);
  if (type !== ET_EXEC) fail(`e_type ${type} is not ET_EXEC (an executable linked at fixed addresses)`);
  const entry = view.getBigUint64(24, true);
  const phoff = offsetField(view, 32, 'e_phoff');
  const shoff = offsetField(view, 40, 'e_shoff');
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);

  if (phnum === 0) fail('it has no program headers');
  if (phnum > MAX_PHNUM) fail(`e_phnum ${phnum} is absurd`);
  if (phentsize < PHDR_SIZE) fail(`e_phentsize ${phentsize} is smaller than an ELF64 program header`);
  if (phoff + phnum * phentsize > len) fail('the program header table runs past the end of the file');

  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize;
    if (view.getUint32(at, true) !== PT_LOAD) continue;
    const offset = offsetField(view, at + 8, `segment ${i} p_offset`);
    const vaddr = view.getBigUint64(at + 16, true);
    const paddr = view.getBigUint64(at + 24, true);
    const filesz = offsetField(view, at + 32, `segment ${i} p_filesz`);
    const memSize = view.getBigUint64(at + 40, true);
    if (offset + filesz > len) fail(`segment ${i} (${filesz} bytes at offset ${offset}) runs past the end of the file`);
    if (BigInt(filesz) > memSize) fail(`segment ${i} has p_filesz ${filesz} larger than p_memsz ${memSize}`);
    if (paddr + memSize > 1n << 64n) fail(`segment ${i} wraps around the 64-bit address space`);
    segments.push({ paddr, vaddr, fileBytes: bytes.subarray(offset, offset + filesz), memSize });
  }
  if (segments.length === 0) fail('it has no PT_LOAD segment');

  const symbols = new Map<string, bigint>();
  if (shnum !== 0 && shoff !== 0) {
    if (shnum > MAX_SHNUM) fail(`e_shnum ${shnum} is absurd`);
    if (shentsize < SHDR_SIZE) fail(`e_shentsize ${shentsize} is smaller than an ELF64 section header`);
    if (shoff + shnum * shentsize > len) fail('the section header table runs past the end of the file');
    for (let i = 0; i < shnum; i++) {
      const at = shoff + i * shentsize;
      if (view.getUint32(at + 4, true) !== SHT_SYMTAB) continue;
      readSymtab(bytes, view, at, shoff, shnum, shentsize, i, symbols);
    }
  }
  return { entry, segments, symbols };
}

/** Adds the defined symbols of the SHT_SYMTAB section whose header is at `at`. */
function readSymtab(
  bytes: Uint8Array,
  view: DataView,
  at: number,
  shoff: number,
  shnum: number,
  shentsize: number,
  index: number,
  symbols: Map<string, bigint>,
): void {
  const len = bytes.length;
  const offset = offsetField(view, at + 24, `section ${index} sh_offset`);
  const size = offsetField(view, at + 32, `section ${index} sh_size`);
  const link = view.getUint32(at + 40, true);
  const entsize = offsetField(view, at + 56, `section ${index} sh_entsize`);
  if (offset + size > len) fail(`symbol table (section ${index}) runs past the end of the file`);
  if (entsize < SYM_SIZE) fail(`symbol table entry size ${entsize} is smaller than an ELF64 symbol`);
  if (link === 0 || link >= shnum) fail(`symbol table (section ${index}) links to a missing string table ${link}`);
  const strAt = shoff + link * shentsize;
  const strOff = offsetField(view, strAt + 24, `section ${link} sh_offset`);
  const strSize = offsetField(view, strAt + 32, `section ${link} sh_size`);
  if (strOff + strSize > len) fail(`string table (section ${link}) runs past the end of the file`);
  const strtab = bytes.subarray(strOff, strOff + strSize);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const count = Math.floor(size / entsize);
  const global = new Set<string>();
  for (let s = 1; s < count; s++) {
    const sym = offset + s * entsize;
    const nameOff = view.getUint32(sym, true);
    const info = bytes[sym + 4];
    const shndx = view.getUint16(sym + 6, true);
    const value = view.getBigUint64(sym + 8, true);
    if (nameOff === 0 || shndx === SHN_UNDEF) continue;
    if (nameOff >= strtab.length) fail(`symbol ${s} has its name outside the string table`);
    let end = nameOff;
    const limit = Math.min(strtab.length, nameOff + MAX_SYMBOL_NAME);
    while (end < limit && strtab[end] !== 0) end++;
    if (end === strtab.length) fail(`symbol ${s} has an unterminated name`);
    if (end === limit) continue; // a name longer than any we look up
    const name = decoder.decode(strtab.subarray(nameOff, end));
    const isGlobal = info >> 4 === STB_GLOBAL;
    if (!symbols.has(name) || (isGlobal && !global.has(name))) {
      symbols.set(name, value);
      if (isGlobal) global.add(name);
    }
  }
}
