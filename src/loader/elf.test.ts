import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BanquiseError } from '../base/errors.js';
import { parseElf } from './elf.js';

interface Seg {
  type: number;
  paddr: bigint;
  vaddr: bigint;
  data: Uint8Array;
  memsz: bigint;
}

/** Writes a minimal ELF64 LE file: header, program headers, segment data, symtab, strtab, section headers. */
function buildElf(opts: {
  machine?: number;
  type?: number;
  entry: bigint;
  segs: Seg[];
  syms?: { name: string; value: bigint; global: boolean; shndx?: number }[];
}): Uint8Array {
  const out: number[] = [];
  const u8 = (v: number) => out.push(v & 0xff);
  const u16 = (v: number) => { u8(v); u8(v >> 8); };
  const u32 = (v: number) => { u16(v & 0xffff); u16(v >>> 16); };
  const u64 = (v: bigint) => { u32(Number(v & 0xffffffffn)); u32(Number(v >> 32n)); };
  const phoff = 64;
  let dataOff = phoff + 56 * opts.segs.length;
  const segOffsets = opts.segs.map((s) => {
    const o = dataOff;
    dataOff += s.data.length;
    return o;
  });
  const syms = opts.syms ?? [];
  const strtab: number[] = [0];
  const nameOffs = syms.map((s) => {
    const o = strtab.length;
    strtab.push(...new TextEncoder().encode(s.name), 0);
    return o;
  });
  const symtabOff = dataOff;
  const symtabSize = 24 * (syms.length + 1);
  const strtabOff = symtabOff + symtabSize;
  const shoff = strtabOff + strtab.length;
  const shnum = syms.length > 0 ? 3 : 0;
  // ELF header
  out.push(0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  u16(opts.type ?? 2);
  u16(opts.machine ?? 243);
  u32(1);
  u64(opts.entry);
  u64(BigInt(phoff));
  u64(shnum ? BigInt(shoff) : 0n);
  u32(0);
  u16(64);
  u16(56);
  u16(opts.segs.length);
  u16(64);
  u16(shnum);
  u16(0);
  opts.segs.forEach((s, i) => {
    u32(s.type);
    u32(7);
    u64(BigInt(segOffsets[i]));
    u64(s.vaddr);
    u64(s.paddr);
    u64(BigInt(s.data.length));
    u64(s.memsz);
    u64(8n);
  });
  for (const s of opts.segs) out.push(...s.data);
  if (shnum) {
    for (let i = 0; i < 24; i++) u8(0);
    syms.forEach((s, i) => {
      u32(nameOffs[i]);
      u8((s.global ? 1 : 0) << 4);
      u8(0);
      u16(s.shndx ?? 1);
      u64(s.value);
      u64(8n);
    });
    out.push(...strtab);
    for (let i = 0; i < 64; i++) u8(0); // SHN_UNDEF
    // [1] .symtab
    u32(0); u32(2); u64(0n); u64(0n); u64(BigInt(symtabOff)); u64(BigInt(symtabSize)); u32(2); u32(1); u64(8n); u64(24n);
    // [2] .strtab
    u32(0); u32(3); u64(0n); u64(0n); u64(BigInt(strtabOff)); u64(BigInt(strtab.length)); u32(0); u32(0); u64(1n); u64(0n);
  }
  return Uint8Array.from(out);
}

const sample = () =>
  buildElf({
    entry: 0x80000000n,
    segs: [
      { type: 1, paddr: 0x80000000n, vaddr: 0xffffffff80000000n, data: Uint8Array.of(0x13, 0, 0, 0, 0x6f, 0, 0, 0), memsz: 0x100n },
      { type: 4, paddr: 0n, vaddr: 0n, data: Uint8Array.of(1, 2, 3), memsz: 3n },
      { type: 1, paddr: 0x80001000n, vaddr: 0x80001000n, data: Uint8Array.of(9), memsz: 1n },
    ],
    syms: [
      { name: 'tohost', value: 0x80001000n, global: false },
      { name: 'tohost', value: 0x80002000n, global: true },
      { name: 'fromhost', value: 0x80001040n, global: true },
      { name: 'undefined_sym', value: 0x1234n, global: true, shndx: 0 },
    ],
  });

test('parses entry, PT_LOAD segments (only) and defined symbols', () => {
  const img = parseElf(sample());
  assert.equal(img.entry, 0x80000000n);
  assert.equal(img.segments.length, 2);
  assert.equal(img.segments[0].paddr, 0x80000000n);
  assert.equal(img.segments[0].vaddr, 0xffffffff80000000n);
  assert.deepEqual([...img.segments[0].fileBytes], [0x13, 0, 0, 0, 0x6f, 0, 0, 0]);
  assert.equal(img.segments[0].memSize, 0x100n);
  assert.equal(img.segments[1].paddr, 0x80001000n);
  assert.equal(img.symbols.get('tohost'), 0x80002000n, 'the global symbol wins');
  assert.equal(img.symbols.get('fromhost'), 0x80001040n);
  assert.equal(img.symbols.has('undefined_sym'), false);
});

function rejects(bytes: Uint8Array, re: RegExp): void {
  assert.throws(() => parseElf(bytes), (e: unknown) => e instanceof BanquiseError && e.exitCode === 64 && re.test(e.message));
}

test('wrong kinds of file are refused with a clear message', () => {
  rejects(new TextEncoder().encode('#!/bin/sh\necho hi\n'), /ELF magic/);
  const elf = sample();
  const x86 = elf.slice();
  x86[18] = 62;
  rejects(x86, /EM_RISCV/);
  const be = elf.slice();
  be[5] = 2;
  rejects(be, /little-endian/);
  const c32 = elf.slice();
  c32[4] = 1;
  rejects(c32, /ELFCLASS64/);
  const dyn = elf.slice();
  dyn[16] = 3;
  rejects(dyn, /ET_EXEC/);
  rejects(elf.subarray(0, 40), /shorter than an ELF64 header/);
  rejects(buildElf({ entry: 0n, segs: [] }), /no program headers/);
});

test('offsets and sizes past the end are refused', () => {
  const elf = sample();
  const v = new DataView(elf.buffer);
  const bigFilesz = elf.slice();
  new DataView(bigFilesz.buffer).setBigUint64(64 + 32, 1n << 40n, true);
  rejects(bigFilesz, /past the end/);
  const hugeOff = elf.slice();
  new DataView(hugeOff.buffer).setBigUint64(64 + 8, 0xffff_ffff_ffff_fff0n, true);
  rejects(hugeOff, /beyond any file/);
  const memLess = elf.slice();
  new DataView(memLess.buffer).setBigUint64(64 + 40, 1n, true);
  rejects(memLess, /larger than p_memsz/);
  const phnum = elf.slice();
  new DataView(phnum.buffer).setUint16(56, 0xffff, true);
  rejects(phnum, /absurd/);
  assert.ok(v.byteLength > 0);
});

test('fuzz: truncations and byte flips give BanquiseError or a valid image, never another exception', () => {
  const elf = sample();
  let seed = 0x9e3779b9;
  const rnd = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  let refused = 0;
  for (let i = 0; i < 3000; i++) {
    let bytes = elf.slice();
    if (i % 3 === 0) bytes = bytes.subarray(0, rnd(bytes.length));
    const flips = 1 + rnd(4);
    for (let f = 0; f < flips && bytes.length > 0; f++) bytes[rnd(bytes.length)] = rnd(256);
    try {
      const img = parseElf(bytes);
      for (const s of img.segments) assert.ok(s.fileBytes.length <= bytes.length);
    } catch (e) {
      if (!(e instanceof BanquiseError)) throw e;
      refused++;
    }
  }
  assert.ok(refused > 500, `only ${refused} refusals: the fuzzer is not reaching the checks`);
});

const OPENSBI = '/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf';

test('Debian OpenSBI fw_jump.elf matches readelf', { skip: !existsSync(OPENSBI) && `${OPENSBI} not installed (apt-get install opensbi)` }, () => {
  const img = parseElf(new Uint8Array(readFileSync(OPENSBI)));
  const r = spawnSync('readelf', ['-lW', OPENSBI], { encoding: 'utf8' });
  if (r.status !== 0) return;
  const loads = r.stdout.split('\n').filter((l) => /^\s+LOAD\s/.test(l));
  assert.equal(img.segments.length, loads.length);
  loads.forEach((l, i) => {
    const f = l.trim().split(/\s+/);
    assert.equal(img.segments[i].vaddr, BigInt(f[2]));
    assert.equal(img.segments[i].paddr, BigInt(f[3]));
    assert.equal(img.segments[i].fileBytes.length, Number(f[4]));
    assert.equal(img.segments[i].memSize, BigInt(f[5]));
  });
  const entry = /Entry point (0x[0-9a-f]+)/.exec(r.stdout);
  assert.ok(entry);
  assert.equal(img.entry, BigInt(entry[1]));
});

test('a program built by riscv64-unknown-elf-gcc: tohost symbol as nm reports it', (t) => {
  const cc = spawnSync('riscv64-unknown-elf-gcc', ['--version']);
  if (cc.status !== 0) {
    t.skip('riscv64-unknown-elf-gcc not installed (apt-get install gcc-riscv64-unknown-elf)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'banquise-elf-'));
  try {
    const src = join(dir, 'p.S');
    writeFileSync(
      src,
      '.section .text.init\n.globl _start\n_start: la t0, tohost\n li t1, 1\n sd t1, 0(t0)\n1: j 1b\n' +
        '.section .tohost,"aw"\n.align 6\n.globl tohost\ntohost: .dword 0\n.globl fromhost\nfromhost: .dword 0\n',
    );
    const out = join(dir, 'p.elf');
    execFileSync('riscv64-unknown-elf-gcc', ['-nostdlib', '-nostartfiles', '-march=rv64gc', '-mabi=lp64d', '-Wl,-Ttext=0x80000000', '-o', out, src]);
    const img = parseElf(new Uint8Array(readFileSync(out)));
    const nm = execFileSync('riscv64-unknown-elf-nm', [out], { encoding: 'utf8' });
    const want = /^([0-9a-f]+) [A-Za-z] tohost$/m.exec(nm);
    assert.ok(want);
    assert.equal(img.symbols.get('tohost'), BigInt('0x' + want[1]));
    assert.equal(img.entry, 0x80000000n);
    assert.equal(img.symbols.get('_start'), 0x80000000n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
