import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHartRig, RAM_BASE } from '../test-support/hart-rig.js';
import { rv, li32 } from '../test-support/rv-asm.js';
import { StopReason } from './hart.js';

const B = BigInt(RAM_BASE);

test('integer arithmetic, loop and branch', () => {
  const r = makeHartRig();
  // x1 = 0; x2 = 10; loop: x1 += x2; x2 -= 1; bne x2, x0, loop; ebreak
  r.load([rv.addi(1, 0, 0), rv.addi(2, 0, 10), rv.add(1, 1, 2), rv.addi(2, 2, -1), rv.bne(2, 0, -8), rv.wfi()]);
  const reason = r.hart.run(1000);
  assert.equal(reason, StopReason.Wfi);
  assert.equal(r.hart.getX(1), 55n);
  assert.equal(r.hart.instret, 2 + 30 + 1);
});

test('64-bit add carry, shifts, slt, lui sign extension', () => {
  const r = makeHartRig();
  r.hart.setX(1, 0xffff_ffffn);
  r.hart.setX(2, 1n);
  r.hart.setX(3, 0x8000_0000_0000_0000n);
  r.load([
    rv.add(4, 1, 2), // 0x1_0000_0000
    rv.sub(5, 0, 2), // -1
    rv.srai(6, 3, 63), // -1
    rv.srli(7, 3, 63), // 1
    rv.slli(8, 1, 36), // 0xffff_fff0_0000_0000
    rv.slt(9, 3, 2), // 1
    rv.sltu(10, 3, 2), // 0
    rv.lui(11, 0x80000), // 0xffff_ffff_8000_0000
    rv.addiw(12, 1, 1), // 0 (wraps in 32 bits)
    rv.sra(13, 3, 2), // 0xc000...
    rv.sltiu(14, 2, -1), // 1 (1 < 2^64-1)
    rv.wfi(),
  ]);
  r.hart.run(100);
  const x = (i: number) => r.hart.getX(i);
  assert.equal(x(4), 0x1_0000_0000n);
  assert.equal(x(5), 0xffff_ffff_ffff_ffffn);
  assert.equal(x(6), 0xffff_ffff_ffff_ffffn);
  assert.equal(x(7), 1n);
  assert.equal(x(8), 0xffff_fff0_0000_0000n);
  assert.equal(x(9), 1n);
  assert.equal(x(10), 0n);
  assert.equal(x(11), 0xffff_ffff_8000_0000n);
  assert.equal(x(12), 0n);
  assert.equal(x(13), 0xc000_0000_0000_0000n);
  assert.equal(x(14), 1n);
});

test('M extension matches BigInt reference on edge values', () => {
  const vals = [0n, 1n, 2n, 3n, 7n, 0xffff_ffffn, 0x1_0000_0000n, 0x7fff_ffff_ffff_ffffn, 0x8000_0000_0000_0000n,
    0xffff_ffff_ffff_ffffn, 0xffff_ffff_ffff_fffen, 0x1234_5678_9abc_def0n, 0xfedc_ba98_7654_3210n, 1n << 53n, (1n << 53n) + 1n];
  const M = (1n << 64n) - 1n;
  const s = (v: bigint) => BigInt.asIntN(64, v);
  const u = (v: bigint) => BigInt.asUintN(64, v);
  const ref: Record<string, (a: bigint, b: bigint) => bigint> = {
    mul: (a, b) => u(a * b),
    mulh: (a, b) => u((s(a) * s(b)) >> 64n),
    mulhsu: (a, b) => u((s(a) * b) >> 64n),
    mulhu: (a, b) => u((a * b) >> 64n),
    div: (a, b) => (b === 0n ? M : s(a) === -(1n << 63n) && s(b) === -1n ? a : u(s(a) / s(b))),
    divu: (a, b) => (b === 0n ? M : a / b),
    rem: (a, b) => (b === 0n ? a : s(a) === -(1n << 63n) && s(b) === -1n ? 0n : u(s(a) % s(b))),
    remu: (a, b) => (b === 0n ? a : a % b),
    mulw: (a, b) => u(BigInt.asIntN(32, a * b)),
    divw: (a, b) => {
      const x = BigInt.asIntN(32, a), y = BigInt.asIntN(32, b);
      return u(y === 0n ? -1n : x === -(1n << 31n) && y === -1n ? x : BigInt.asIntN(32, x / y));
    },
    remuw: (a, b) => {
      const x = BigInt.asUintN(32, a), y = BigInt.asUintN(32, b);
      return u(BigInt.asIntN(32, y === 0n ? x : x % y));
    },
  };
  const r = makeHartRig();
  for (const [name, f] of Object.entries(ref)) {
    const enc = (rv as unknown as Record<string, (d: number, a: number, b: number) => number>)[name]!;
    for (const a of vals) {
      for (const b of vals) {
        r.hart.reset(B);
        r.load([enc(3, 1, 2), rv.wfi()]);
        r.hart.setX(1, a);
        r.hart.setX(2, b);
        r.hart.run(10);
        assert.equal(r.hart.getX(3), f(a, b), `${name}(${a.toString(16)}, ${b.toString(16)})`);
      }
    }
  }
});

test('loads and stores: widths, sign extension, misaligned within and across pages', () => {
  const r = makeHartRig();
  const base = RAM_BASE + 0x2000;
  r.hart.setX(1, BigInt(base));
  r.hart.setX(2, 0x8899_aabb_ccdd_eeffn);
  r.load([
    rv.sd(2, 1, 0),
    rv.lb(3, 1, 0), rv.lbu(4, 1, 0), rv.lh(5, 1, 1), rv.lwu(6, 1, 4), rv.lw(7, 1, 4),
    rv.sd(2, 1, -3), // crosses the page boundary at base
    rv.ld(8, 1, -3),
    rv.ld(9, 1, 3), // misaligned within the page
    rv.wfi(),
  ]);
  r.hart.run(100);
  assert.equal(r.hart.getX(3), 0xffff_ffff_ffff_ffffn);
  assert.equal(r.hart.getX(4), 0xffn);
  assert.equal(r.hart.getX(5), 0xffff_ffff_ffff_ddeen);
  assert.equal(r.hart.getX(6), 0x8899_aabbn);
  assert.equal(r.hart.getX(7), 0xffff_ffff_8899_aabbn);
  assert.equal(r.hart.getX(8), 0x8899_aabb_ccdd_eeffn);
  assert.equal(r.mem.readU64(base - 3), 0x8899_aabb_ccdd_eeffn);
  assert.equal(r.hart.getX(9) & 0xff_ffffn, 0xaa_8899n); // bytes 99 88 aa after the overlapping stores
  assert.equal(r.hart.readCsr(0x342), 0n); // no trap
});

test('MMIO: 8-byte access splits into two 4-byte accesses, low word first; unmapped faults', () => {
  const r = makeHartRig();
  const log: string[] = [];
  r.bus.map('dev', 0x1000_0000, 0x100, {
    read: (o, s) => { log.push(`r${o}/${s}`); return o === 0 ? 0x1111_2222 : 0x3333_4444; },
    write: (o, s, v) => { log.push(`w${o}/${s}=${v.toString(16)}`); },
  });
  r.hart.setX(1, 0x1000_0000n);
  r.hart.setX(2, 0xaaaa_bbbb_cccc_ddddn);
  r.hart.setX(5, 0x2000_0000n);
  r.hart.writeCsr(0x305, B + 0x400n); // mtvec
  r.load([rv.ld(3, 1, 0), rv.sd(2, 1, 8), rv.lw(4, 5, 0), rv.wfi()]);
  r.load([rv.wfi()], RAM_BASE + 0x400);
  r.hart.run(100);
  assert.deepEqual(log, ['r0/4', 'r4/4', 'w8/4=ccccdddd', 'w12/4=aaaabbbb']);
  assert.equal(r.hart.getX(3), 0x3333_4444_1111_2222n);
  assert.equal(r.hart.readCsr(0x342), 5n); // load access fault
  assert.equal(r.hart.readCsr(0x343), 0x2000_0000n);
  assert.equal(r.hart.readCsr(0x341), B + 8n);
});

test('li32 helper and jal/jalr link registers', () => {
  const r = makeHartRig();
  r.load([...li32(1, 0x1234_5678), rv.jal(2, 8), rv.nop(), rv.auipc(3, 0), rv.jalr(4, 3, 12), rv.nop(), rv.nop(), rv.wfi()]);
  r.hart.run(100);
  assert.equal(r.hart.getX(1), 0x1234_5678n);
  assert.equal(r.hart.getX(2), B + 12n);
  assert.equal(r.hart.getX(3), B + 16n);
  assert.equal(r.hart.getX(4), B + 24n);
  assert.equal(r.hart.getPc(), B + 36n);
  assert.equal(r.hart.instret, 7);
});

test('a trap loop (mtvec pointing at nothing) still returns when the budget is spent', () => {
  const r = makeHartRig();
  r.hart.setPc(0x10n); // unmapped: instruction access fault, mtvec = 0 faults again
  assert.equal(r.hart.run(1000), StopReason.Budget);
  assert.equal(r.hart.readCsr(0x342), 1n);
  assert.equal(r.hart.instret, 0);
});

test('tracer sees every retired instruction with the register it wrote; trapped ones are not reported', () => {
  const r = makeHartRig();
  r.hart.writeCsr(0x300, 1n << 13n); // FS on
  r.hart.writeCsr(0x305, B + 0x100n);
  r.load([rv.addi(5, 0, 7), rv.sd(5, 0, 0), rv.fmvDX(3, 5), rv.wfi()]);
  r.load16([0x4515], RAM_BASE + 0x100); // c.li a0,5 in the handler
  r.load([rv.wfi()], RAM_BASE + 0x102);
  const seen: [bigint, number, number, bigint][] = [];
  r.hart.setTracer((pc, insn, rd, v) => seen.push([pc, insn, rd, v]));
  r.hart.run(100); // sd to address 0 faults (access fault) and goes to the handler
  assert.deepEqual(seen, [
    [B, rv.addi(5, 0, 7), 5, 7n],
    [B + 0x100n, 0x4515, 10, 5n],
    [B + 0x102n, rv.wfi(), -1, 0n],
  ]);
  r.hart.setTracer(undefined);
  r.hart.reset(B);
  r.hart.writeCsr(0x300, 1n << 13n);
  r.hart.setX(5, 9n);
  r.load([rv.fmvDX(3, 5), rv.wfi()]);
  r.hart.setTracer((pc, insn, rd, v) => seen.push([pc, insn, rd, v]));
  r.hart.run(10);
  assert.deepEqual(seen.slice(3), [[B, rv.fmvDX(3, 5), 32 + 3, 9n], [B + 4n, rv.wfi(), -1, 0n]]);
});

test('save/restore round-trips the architectural state into another hart', () => {
  const a = makeHartRig();
  a.hart.writeCsr(0x3b0, (1n << 54n) - 1n);
  a.hart.writeCsr(0x3a0, 0x1fn);
  a.hart.writeCsr(0x340, 0x1234_5678_9abc_def0n);
  a.load([rv.addi(5, 0, 3), rv.addi(5, 5, 1), rv.jal(0, -4)]);
  a.hart.priv = 1;
  a.hart.run(10);
  const snap = JSON.parse(JSON.stringify(a.hart.save())) as ReturnType<typeof a.hart.save>;
  const b = makeHartRig();
  b.load([rv.addi(5, 0, 3), rv.addi(5, 5, 1), rv.jal(0, -4)]);
  b.hart.restore(snap);
  assert.equal(b.hart.getX(5), a.hart.getX(5));
  assert.equal(b.hart.getPc(), a.hart.getPc());
  assert.equal(b.hart.priv, 1);
  assert.equal(b.hart.instret, a.hart.instret);
  assert.equal(b.hart.readCsr(0x340), 0x1234_5678_9abc_def0n);
  a.hart.run(7);
  b.hart.run(7); // S-mode fetch works only if the PMP ranges were rebuilt
  assert.equal(b.hart.getX(5), a.hart.getX(5));
  assert.equal(b.hart.readCsr(0x342), 0n);
  assert.throws(() => b.hart.restore({ ...snap, slots: [1, 2, 3] }), RangeError);
});

test('64-bit division agrees with BigInt on random operands of every magnitude', () => {
  const r = makeHartRig();
  let seed = 0x9e3779b9;
  const rnd32 = () => {
    seed ^= seed << 13; seed >>>= 0; seed ^= seed >>> 17; seed ^= seed << 5; seed >>>= 0;
    return BigInt(seed);
  };
  const rnd64 = () => {
    const v = (rnd32() << 32n) | rnd32();
    return v >> BigInt(Number(rnd32() % 64n)); // spread magnitudes
  };
  const s = (v: bigint) => BigInt.asIntN(64, v);
  const u = (v: bigint) => BigInt.asUintN(64, v);
  r.load([rv.div(3, 1, 2), rv.divu(4, 1, 2), rv.rem(5, 1, 2), rv.remu(6, 1, 2), rv.jal(0, 0)]);
  for (let i = 0; i < 3000; i++) {
    const a = i % 3 === 0 ? u(-rnd64()) : rnd64();
    const b = i % 5 === 0 ? u(-rnd64()) : rnd64();
    if (b === 0n) continue;
    r.hart.setX(1, a);
    r.hart.setX(2, b);
    r.hart.setPc(B);
    r.hart.run(4);
    const msg = `${a.toString(16)} / ${b.toString(16)}`;
    const sq = s(a) === -(1n << 63n) && s(b) === -1n ? a : u(s(a) / s(b));
    const sr = s(a) === -(1n << 63n) && s(b) === -1n ? 0n : u(s(a) % s(b));
    assert.equal(r.hart.getX(3), sq, `div ${msg}`);
    assert.equal(r.hart.getX(4), a / b, `divu ${msg}`);
    assert.equal(r.hart.getX(5), sr, `rem ${msg}`);
    assert.equal(r.hart.getX(6), a % b, `remu ${msg}`);
  }
});

test('fetch from an MMIO ROM (reset vector), including a 32-bit instruction from two 16-bit reads', () => {
  const r = makeHartRig({ isExecutable: (gpa) => gpa >= 0x1000 && gpa < 0x1100 });
  const rom = new Uint8Array(0x100);
  const dv = new DataView(rom.buffer);
  // auipc t0,0 ; c.li a0,5 ; addi a1,x0,9 (at 0x1006: halfword aligned) ; jalr x0, 0(t1)
  dv.setUint32(0, rv.auipc(5, 0), true);
  dv.setUint16(4, 0x4515, true);
  dv.setUint32(6, rv.addi(11, 0, 9), true);
  dv.setUint32(10, rv.jalr(0, 6, 0), true);
  const reads: number[] = [];
  r.bus.map('rom', 0x1000, 0x100, {
    read: (o, s) => { reads.push(s); return s === 4 ? dv.getUint32(o, true) : s === 2 ? dv.getUint16(o, true) : rom[o]!; },
    write: () => {},
  });
  r.load([rv.wfi()]);
  r.hart.reset(0x1000n);
  r.hart.setX(6, B);
  assert.equal(r.hart.run(100), StopReason.Wfi);
  assert.equal(r.hart.getX(5), 0x1000n);
  assert.equal(r.hart.getX(10), 5n);
  assert.equal(r.hart.getX(11), 9n);
  assert.ok(reads.every((s) => s === 2));
  // other device windows are not executable: instruction access fault
  r.bus.map('dev', 0x1000_0000, 0x100, { read: () => 0x13, write: () => {} });
  r.hart.reset(0x1000_0000n);
  r.hart.writeCsr(0x305, B + 0x40n);
  r.load([rv.wfi()], RAM_BASE + 0x40);
  r.hart.run(10);
  assert.equal(r.hart.readCsr(0x342), 1n);
  assert.equal(r.hart.readCsr(0x343), 0x1000_0000n);
});

test('MMIO: misaligned access raises address-misaligned; AMO and LR/SC reach the device', () => {
  const r = makeHartRig();
  const regs = new Uint32Array(4);
  r.bus.map('dev', 0x1000_0000, 0x10, {
    read: (o) => regs[o >> 2]!,
    write: (o, _s, v) => { regs[o >> 2] = v; },
  });
  r.hart.writeCsr(0x305, B + 0x100n);
  r.load([rv.wfi()], RAM_BASE + 0x100);
  r.hart.setX(1, 0x1000_0002n);
  r.load([rv.lw(2, 1, 0)]);
  r.hart.run(1);
  assert.equal(r.hart.readCsr(0x342), 4n);
  assert.equal(r.hart.readCsr(0x343), 0x1000_0002n);
  r.hart.setPc(B);
  r.load([rv.sw(2, 1, 0)]);
  r.hart.run(1);
  assert.equal(r.hart.readCsr(0x342), 6n);
  regs[1] = 40;
  r.hart.setX(1, 0x1000_0004n);
  r.hart.setX(2, 2n);
  r.hart.setPc(B);
  r.load([rv.amo(0, false, 3, 1, 2), rv.jal(0, 0)]);
  r.hart.run(2);
  assert.equal(r.hart.getX(3), 40n);
  assert.equal(regs[1], 42);
  r.hart.setX(1, 0x2000_0000n); // no device: AMO access fault (7)
  r.hart.setPc(B);
  r.hart.writeCsr(0x342, 0n);
  r.hart.run(1);
  assert.equal(r.hart.readCsr(0x342), 7n);
});

test('PAUSE ends the slice early (the machine then runs another hart)', () => {
  const r = makeHartRig();
  r.load([rv.nop(), 0x0100000f, rv.nop(), rv.jal(0, -12)]);
  assert.equal(r.hart.run(1000), StopReason.Budget);
  assert.equal(r.hart.instret, 2);
  assert.equal(r.hart.getPc(), B + 8n);
});

test('2 GiB of RAM: loads, stores and fetches in the top page (buffer offsets past 2^31)', () => {
  const r = makeHartRig({ ramSizeBytes: 2 ** 31 });
  const top = RAM_BASE + 2 ** 31 - 4096; // 0xffff_f000: its buffer offset is above 2^31
  // At the top page: x3 = [x1 + 8]; x3 again (now through the TLB); wfi.
  r.load([rv.ld(3, 1, 8), rv.ld(4, 1, 8), rv.sd(3, 1, 16), rv.ld(5, 1, 16), rv.wfi()], top + 0x100);
  // At RAM_BASE: x1 = top; [x1 + 8] = x2 (stored twice: the second store hits the TLB); jump to top + 0x100.
  r.hart.setX(1, BigInt(top));
  r.hart.setX(2, 0x1122_3344_5566_7788n);
  r.hart.setX(6, BigInt(top + 0x100));
  r.load([rv.sd(2, 1, 8), rv.sd(2, 1, 8), rv.jalr(0, 6, 0)]);
  assert.equal(r.hart.run(100), StopReason.Wfi);
  assert.equal(r.hart.getX(3), 0x1122_3344_5566_7788n);
  assert.equal(r.hart.getX(4), 0x1122_3344_5566_7788n);
  assert.equal(r.hart.getX(5), 0x1122_3344_5566_7788n);
  assert.equal(r.mem.readU64(top + 8), 0x1122_3344_5566_7788n);
});
