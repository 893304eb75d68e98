import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Hart } from '../../cpu/hart.js';
import { GuestMemory } from '../../memory/guest-memory.js';
import { Sbi } from './sbi.js';
import { MAX_KEYS_PER_EXTENSION, OTHER_KEY } from './sbi-stats.js';
import { HsmState, SbiEid, SbiError, SBI_IMPL_ID_BANQUISE } from './sbi-constants.js';
import type { SbiHost, SbiResetKind } from './sbi-extension.js';

const RAM = 0x8000_0000;
const M64 = (1n << 64n) - 1n;

/** The parts of a hart the SBI layer touches. */
class FakeHart {
  readonly x = new Array<bigint>(32).fill(0n);
  readonly csr = new Map<number, bigint>();
  readonly pending = new Map<number, boolean>();
  tlbFlushes = 0;
  icacheFlushes = 0;
  stops = 0;
  priv = 1;
  constructor(readonly hartId: number) {}
  getX(r: number): bigint { return this.x[r]!; }
  setX(r: number, v: bigint): void { if (r !== 0) this.x[r] = BigInt.asUintN(64, v); }
  readCsr(c: number): bigint { return this.csr.get(c) ?? 0n; }
  writeCsr(c: number, v: bigint): void { this.csr.set(c, v); }
  setPending(bit: number, level: boolean): void { this.pending.set(bit, level); }
  flushTlb(): void { this.tlbFlushes++; }
  flushIcache(): void { this.icacheFlushes++; }
  requestStop(): void { this.stops++; }
}

class FakeHost implements SbiHost {
  readonly harts: Hart[];
  readonly fakes: FakeHart[];
  readonly mem = new GuestMemory({ ramBaseGpa: RAM, ramSizeBytes: 1 << 20, stateSizeBytes: 0 });
  readonly states: number[];
  readonly out: number[] = [];
  input: number[] = [];
  resets: [SbiResetKind, number][] = [];
  started: [number, bigint, bigint][] = [];
  suspended: [number, boolean, bigint, bigint][] = [];
  constructor(n: number) {
    this.fakes = Array.from({ length: n }, (_, i) => new FakeHart(i));
    this.harts = this.fakes as unknown as Hart[];
    this.states = Array.from({ length: n }, (_, i) => (i === 0 ? HsmState.STARTED : HsmState.STOPPED));
  }
  now(): number { return 0; }
  hartState(id: number): number { return this.states[id]!; }
  startHart(id: number, addr: bigint, opaque: bigint): void { this.started.push([id, addr, opaque]); this.states[id] = HsmState.START_PENDING; }
  stopHart(id: number): void { this.states[id] = HsmState.STOPPED; }
  suspendHart(id: number, nr: boolean, addr: bigint, opaque: bigint): void { this.suspended.push([id, nr, addr, opaque]); this.states[id] = HsmState.SUSPENDED; }
  consoleWrite(bytes: Uint8Array): void { this.out.push(...bytes); }
  consoleRead(into: Uint8Array): number {
    let n = 0;
    while (n < into.length && this.input.length > 0) into[n++] = this.input.shift()!;
    return n;
  }
  systemReset(kind: SbiResetKind, reason: number): void { this.resets.push([kind, reason]); }
}

/** Makes an SBI call on `hart`; returns [a0 as signed, a1]. */
function call(sbi: Sbi, hart: FakeHart, eid: number, fid: number, ...args: bigint[]): [number, bigint] {
  hart.x[17] = BigInt(eid);
  hart.x[16] = BigInt(fid);
  for (let i = 0; i < 6; i++) hart.x[10 + i] = BigInt.asUintN(64, args[i] ?? 0n);
  assert.equal(sbi.handle(hart as unknown as Hart), true);
  return [Number(BigInt.asIntN(64, hart.x[10]!)), hart.x[11]!];
}

function setup(n = 2): { host: FakeHost; sbi: Sbi; h0: FakeHart } {
  const host = new FakeHost(n);
  return { host, sbi: new Sbi(host), h0: host.fakes[0]! };
}

test('BASE: versions, implementation id, probe, machine ids', () => {
  const { sbi, h0 } = setup();
  assert.deepEqual(call(sbi, h0, SbiEid.BASE, 0), [0, 0x2000000n]);
  assert.deepEqual(call(sbi, h0, SbiEid.BASE, 1), [0, BigInt(SBI_IMPL_ID_BANQUISE)]);
  for (const eid of [SbiEid.BASE, SbiEid.TIME, SbiEid.IPI, SbiEid.RFNC, SbiEid.HSM, SbiEid.SRST, SbiEid.DBCN, 0, 1, 2]) {
    assert.deepEqual(call(sbi, h0, SbiEid.BASE, 3, BigInt(eid)), [0, 1n], `probe 0x${eid.toString(16)}`);
  }
  for (const eid of [SbiEid.PMU, SbiEid.SUSP, 3, 8, 0x12345678]) {
    assert.deepEqual(call(sbi, h0, SbiEid.BASE, 3, BigInt(eid)), [0, 0n]);
  }
  assert.deepEqual(call(sbi, h0, SbiEid.BASE, 3, 1n << 40n), [0, 0n], 'EIDs are 32-bit');
  h0.csr.set(0xf11, 0x5a5an);
  assert.deepEqual(call(sbi, h0, SbiEid.BASE, 4), [0, 0x5a5an]);
  assert.equal(call(sbi, h0, SbiEid.BASE, 7)[0], SbiError.SBI_ERR_NOT_SUPPORTED);
});

test('unknown extensions and functions are SBI_ERR_NOT_SUPPORTED and counted', () => {
  const { sbi, h0 } = setup();
  assert.equal(call(sbi, h0, 0x0bad_cafe, 0)[0], SbiError.SBI_ERR_NOT_SUPPORTED);
  assert.equal(call(sbi, h0, 0x08, 0)[0], SbiError.SBI_ERR_NOT_SUPPORTED, 'legacy shutdown is not offered');
  h0.x[17] = M64;
  h0.x[16] = M64;
  sbi.handle(h0 as unknown as Hart);
  assert.equal(BigInt.asIntN(64, h0.x[10]!), -2n);
  assert.equal(call(sbi, h0, SbiEid.TIME, 1)[0], SbiError.SBI_ERR_NOT_SUPPORTED);
  h0.x[17] = BigInt(SbiEid.TIME);
  h0.x[16] = 1n << 33n;
  sbi.handle(h0 as unknown as Hart);
  assert.equal(BigInt.asIntN(64, h0.x[10]!), -2n, 'FIDs are 32-bit');
  assert.equal(sbi.sbiStats.total('unknown'), 3);
  assert.equal(sbi.sbiStats.get('TIME', 1), 1);
});

test('a guest calling thousands of distinct IDs cannot grow the host\'s counters without bound', () => {
  const { sbi, h0 } = setup();
  for (let i = 0; i < 5000; i++) {
    call(sbi, h0, 0x4000_0000 + i, 0);
    call(sbi, h0, SbiEid.TIME, 1000 + i);
  }
  assert.equal(sbi.sbiStats.total('unknown'), 5000, 'every call is still counted');
  assert.equal(sbi.sbiStats.total('TIME'), 5000);
  assert.ok(sbi.sbiStats.keys('unknown') <= MAX_KEYS_PER_EXTENSION + 1, `${sbi.sbiStats.keys('unknown')} counters`);
  assert.ok(sbi.sbiStats.keys('TIME') <= MAX_KEYS_PER_EXTENSION + 1, `${sbi.sbiStats.keys('TIME')} counters`);
  assert.ok(sbi.sbiStats.get('unknown', OTHER_KEY) > 0);
});

test('TIME and legacy set_timer program stimecmp', () => {
  const { sbi, h0 } = setup();
  assert.deepEqual(call(sbi, h0, SbiEid.TIME, 0, 123456n), [0, 0n]);
  assert.equal(h0.csr.get(0x14d), 123456n);
  call(sbi, h0, 0x00, 0, M64, 77n);
  assert.equal(h0.csr.get(0x14d), M64);
  assert.equal(h0.x[10], 0n, 'legacy returns 0 in a0');
  assert.equal(h0.x[11], 77n, 'legacy leaves a1');
});

test('IPI: hart masks select targets (sip.SSIP, which the guest can clear); invalid masks change nothing', () => {
  const { host, sbi, h0 } = setup(4);
  assert.deepEqual(call(sbi, h0, SbiEid.IPI, 0, 0b1010n, 0n), [0, 0n]);
  assert.deepEqual(host.fakes.map((f) => ((f.csr.get(0x144) ?? 0n) & 2n) !== 0n), [false, true, false, true]);
  for (const f of host.fakes) f.csr.delete(0x144);
  call(sbi, h0, SbiEid.IPI, 0, 0b1n, 2n);
  assert.deepEqual(host.fakes.map((f) => ((f.csr.get(0x144) ?? 0n) & 2n) !== 0n), [false, false, true, false]);
  for (const f of host.fakes) f.csr.delete(0x144);
  call(sbi, h0, SbiEid.IPI, 0, 0n, M64);
  assert.deepEqual(host.fakes.map((f) => ((f.csr.get(0x144) ?? 0n) & 2n) !== 0n), [true, true, true, true], 'base -1: all harts');
  for (const f of host.fakes) f.csr.delete(0x144);
  assert.equal(call(sbi, h0, SbiEid.IPI, 0, 0b10001n, 0n)[0], SbiError.SBI_ERR_INVALID_PARAM, 'hart 4 does not exist');
  assert.equal(call(sbi, h0, SbiEid.IPI, 0, 1n, 4n)[0], SbiError.SBI_ERR_INVALID_PARAM);
  assert.equal(call(sbi, h0, SbiEid.IPI, 0, 1n, 1n << 63n)[0], SbiError.SBI_ERR_INVALID_PARAM);
  assert.equal(call(sbi, h0, SbiEid.IPI, 0, M64, 1n)[0], SbiError.SBI_ERR_INVALID_PARAM);
  assert.deepEqual(host.fakes.map((f) => f.csr.has(0x144)), [false, false, false, false], 'nothing applied on error');
});

test('RFENCE: fence.i and sfence.vma reach the targets; hfence is not supported', () => {
  const { host, sbi, h0 } = setup(3);
  assert.equal(call(sbi, h0, SbiEid.RFNC, 0, 0b110n, 0n)[0], 0);
  assert.deepEqual(host.fakes.map((f) => f.icacheFlushes), [0, 1, 1]);
  assert.equal(call(sbi, h0, SbiEid.RFNC, 1, 1n, 0n, 0x1000n, 0x2000n)[0], 0);
  assert.equal(call(sbi, h0, SbiEid.RFNC, 2, 0n, M64, 0n, M64, 5n)[0], 0);
  assert.deepEqual(host.fakes.map((f) => f.tlbFlushes), [2, 1, 1]);
  assert.equal(call(sbi, h0, SbiEid.RFNC, 0, 0b1000n, 0n)[0], SbiError.SBI_ERR_INVALID_PARAM);
  for (let fid = 3; fid <= 6; fid++) assert.equal(call(sbi, h0, SbiEid.RFNC, fid, 1n, 0n)[0], SbiError.SBI_ERR_NOT_SUPPORTED);
});

test('HSM: start, status, stop, suspend with the spec errors', () => {
  const { host, sbi, h0 } = setup(2);
  assert.deepEqual(call(sbi, h0, SbiEid.HSM, 2, 1n), [0, BigInt(HsmState.STOPPED)]);
  assert.deepEqual(call(sbi, h0, SbiEid.HSM, 2, 0n), [0, BigInt(HsmState.STARTED)]);
  assert.equal(call(sbi, h0, SbiEid.HSM, 2, 2n)[0], SbiError.SBI_ERR_INVALID_PARAM);
  assert.equal(call(sbi, h0, SbiEid.HSM, 2, M64)[0], SbiError.SBI_ERR_INVALID_PARAM);
  assert.equal(call(sbi, h0, SbiEid.HSM, 0, 5n, 0x8000_0000n, 0n)[0], SbiError.SBI_ERR_INVALID_PARAM);
  assert.equal(call(sbi, h0, SbiEid.HSM, 0, 1n, 0x1000n, 0n)[0], SbiError.SBI_ERR_INVALID_ADDRESS, 'not RAM');
  assert.equal(call(sbi, h0, SbiEid.HSM, 0, 1n, M64, 0n)[0], SbiError.SBI_ERR_INVALID_ADDRESS);
  assert.deepEqual(host.started, []);
  assert.equal(call(sbi, h0, SbiEid.HSM, 0, 1n, 0x8000_2000n, 0xabcn)[0], 0);
  assert.deepEqual(host.started, [[1, 0x8000_2000n, 0xabcn]]);
  assert.equal(call(sbi, h0, SbiEid.HSM, 0, 1n, 0x8000_2000n, 0n)[0], SbiError.SBI_ERR_ALREADY_AVAILABLE);
  assert.equal(call(sbi, h0, SbiEid.HSM, 0, 0n, 0x8000_2000n, 0n)[0], SbiError.SBI_ERR_ALREADY_AVAILABLE, 'self');

  assert.equal(call(sbi, h0, SbiEid.HSM, 3, 1n, 0n, 0n)[0], SbiError.SBI_ERR_INVALID_PARAM, 'reserved type');
  assert.equal(call(sbi, h0, SbiEid.HSM, 3, 0x1000_0000n, 0n, 0n)[0], SbiError.SBI_ERR_INVALID_PARAM, 'platform type');
  assert.equal(call(sbi, h0, SbiEid.HSM, 3, 1n << 32n, 0n, 0n)[0], SbiError.SBI_ERR_INVALID_PARAM);
  assert.equal(call(sbi, h0, SbiEid.HSM, 3, 0x8000_0000n, 0x10n, 0n)[0], SbiError.SBI_ERR_INVALID_ADDRESS);
  assert.deepEqual(host.suspended, []);
  assert.equal(call(sbi, h0, SbiEid.HSM, 3, 0x8000_0000n, 0x8000_0100n, 7n)[0], 0);
  assert.deepEqual(host.suspended, [[0, true, 0x8000_0100n, 7n]]);
  host.states[0] = HsmState.STARTED;
  assert.equal(call(sbi, h0, SbiEid.HSM, 3, 0n, 0n, 0n)[0], 0);
  assert.deepEqual(host.suspended[1], [0, false, 0n, 0n]);
  host.states[0] = HsmState.STARTED;
  assert.equal(call(sbi, h0, SbiEid.HSM, 1)[0], 0);
  assert.equal(host.states[0], HsmState.STOPPED);
  assert.equal(call(sbi, h0, SbiEid.HSM, 9)[0], SbiError.SBI_ERR_NOT_SUPPORTED);
});

test('SRST: shutdown, reboots, failure, reserved values', () => {
  const { host, sbi, h0 } = setup(1);
  assert.equal(call(sbi, h0, SbiEid.SRST, 0, 3n, 0n)[0], SbiError.SBI_ERR_INVALID_PARAM);
  assert.equal(call(sbi, h0, SbiEid.SRST, 0, 0xf000_0000n, 0n)[0], SbiError.SBI_ERR_INVALID_PARAM);
  assert.equal(call(sbi, h0, SbiEid.SRST, 0, 0n, 2n)[0], SbiError.SBI_ERR_INVALID_PARAM);
  assert.equal(call(sbi, h0, SbiEid.SRST, 0, M64, M64)[0], SbiError.SBI_ERR_INVALID_PARAM);
  assert.equal(call(sbi, h0, SbiEid.SRST, 1, 0n, 0n)[0], SbiError.SBI_ERR_NOT_SUPPORTED);
  assert.deepEqual(host.resets, []);
  call(sbi, h0, SbiEid.SRST, 0, 0n, 0n);
  call(sbi, h0, SbiEid.SRST, 0, 1n, 0n);
  call(sbi, h0, SbiEid.SRST, 0, 2n, 0n);
  call(sbi, h0, SbiEid.SRST, 0, 0n, 1n);
  assert.deepEqual(host.resets, [['shutdown', 0], ['reboot', 0], ['reboot', 0], ['failure', 1]]);
});

test('DBCN: reads and writes guest RAM, rejects buffers outside it', () => {
  const { host, sbi, h0 } = setup(1);
  const text = new TextEncoder().encode('hello, world');
  host.mem.write(RAM + 0x100, text);
  assert.deepEqual(call(sbi, h0, SbiEid.DBCN, 0, BigInt(text.length), BigInt(RAM + 0x100), 0n), [0, BigInt(text.length)]);
  assert.equal(new TextDecoder().decode(Uint8Array.from(host.out)), 'hello, world');
  host.out.length = 0;
  const bad: [bigint, bigint, bigint][] = [
    [16n, 0x1000n, 0n], // below RAM
    [16n, BigInt(RAM + (1 << 20) - 8), 0n], // runs past the end of RAM
    [16n, BigInt(RAM), 1n], // base_addr_hi set
    [M64, BigInt(RAM), 0n], // absurd length
    [1n << 32n, BigInt(RAM), 0n],
    [1n, M64, 0n],
  ];
  for (const [n, lo, hi] of bad) {
    assert.equal(call(sbi, h0, SbiEid.DBCN, 0, n, lo, hi)[0], SbiError.SBI_ERR_INVALID_PARAM, `write ${n} @ ${lo}/${hi}`);
    assert.equal(call(sbi, h0, SbiEid.DBCN, 1, n, lo, hi)[0], SbiError.SBI_ERR_INVALID_PARAM, `read ${n} @ ${lo}/${hi}`);
  }
  assert.deepEqual(host.out, []);
  // A long write is valid but moves at most one chunk per call.
  const [err, written] = call(sbi, h0, SbiEid.DBCN, 0, 100_000n, BigInt(RAM), 0n);
  assert.equal(err, 0);
  assert.equal(written, 4096n);
  host.input = [0x61, 0x62, 0x63];
  assert.deepEqual(call(sbi, h0, SbiEid.DBCN, 1, 2n, BigInt(RAM + 0x200), 0n), [0, 2n]);
  assert.deepEqual(Array.from(host.mem.slice(RAM + 0x200, 3)!), [0x61, 0x62, 0]);
  host.out.length = 0;
  assert.deepEqual(call(sbi, h0, SbiEid.DBCN, 2, 0x17an), [0, 0n]);
  assert.deepEqual(host.out, [0x7a]);
  assert.equal(call(sbi, h0, SbiEid.DBCN, 3)[0], SbiError.SBI_ERR_NOT_SUPPORTED);
});

test('legacy console putchar and getchar', () => {
  const { host, sbi, h0 } = setup(1);
  call(sbi, h0, 0x01, 0, 0x141n);
  assert.deepEqual(host.out, [0x41]);
  assert.equal(call(sbi, h0, 0x02, 0)[0], -1);
  host.input = [0x0d];
  assert.equal(call(sbi, h0, 0x02, 0)[0], 0x0d);
  assert.equal(sbi.sbiStats.get('LEGACY_CONSOLE_GETCHAR', 0), 2);
});

test('hostile arguments never throw', () => {
  const { sbi, h0 } = setup(2);
  const values = [0n, 1n, 2n, 3n, 0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, 1n << 32n, 1n << 63n, M64, BigInt(RAM)];
  const eids = [0, 1, 2, 3, SbiEid.BASE, SbiEid.TIME, SbiEid.IPI, SbiEid.RFNC, SbiEid.HSM, SbiEid.DBCN, SbiEid.PMU];
  let seed = 12345;
  const pick = (): bigint => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return values[seed % values.length]!;
  };
  for (const eid of eids) {
    for (let fid = 0; fid < 8; fid++) {
      for (let i = 0; i < 20; i++) call(sbi, h0, eid, fid, pick(), pick(), pick(), pick(), pick(), pick());
    }
  }
});

test('fuzz: random calls never throw and always return a spec error code', () => {
  const { host, sbi, h0 } = setup(4);
  let seed = 0x9e3779b9;
  const rnd32 = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const rnd64 = (): bigint => {
    switch (rnd32() % 4) {
      case 0: return BigInt(rnd32() % 8);
      case 1: return BigInt(RAM + (rnd32() % (2 << 20)));
      case 2: return (BigInt(rnd32()) << 32n) | BigInt(rnd32());
      default: return M64 - BigInt(rnd32() % 4);
    }
  };
  const eids = [SbiEid.BASE, SbiEid.TIME, SbiEid.IPI, SbiEid.RFNC, SbiEid.HSM, SbiEid.SRST, SbiEid.DBCN, 0, 1, 2, 8];
  for (let i = 0; i < 20_000; i++) {
    const eid = rnd32() % 5 === 0 ? rnd32() : eids[rnd32() % eids.length]!;
    const fid = rnd32() % 3 === 0 ? rnd32() : rnd32() % 8;
    const [err] = call(sbi, h0, eid, fid, rnd64(), rnd64(), rnd64(), rnd64(), rnd64(), rnd64());
    if (eid > 2) assert.ok(err <= 0 && err >= -9, `eid 0x${eid.toString(16)} fid ${fid}: error ${err}`);
    host.states[0] = HsmState.STARTED;
  }
  assert.ok(sbi.sbiStats.total('unknown') > 0);
});
