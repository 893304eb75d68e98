import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IrqLine } from '../../memory/irq-line.js';
import {
  ALARM_HIGH, ALARM_LOW, ALARM_STATUS, CLEAR_ALARM, CLEAR_INTERRUPT, GoldfishRtc, IRQ_ENABLED, TIME_HIGH, TIME_LOW,
} from './goldfish-rtc.js';

class Line implements IrqLine {
  level = false;
  set(level: boolean): void {
    this.level = level;
  }
}

const START = 1_700_000_000_123_456_789n; // an instant in 2023, in ns

function make() {
  const host = { ns: START };
  const irq = new Line();
  const rtc = new GoldfishRtc(irq, () => host.ns);
  /** Linux's goldfish_rtc_read_time: TIME_LOW then TIME_HIGH. */
  const readTime = () => {
    const lo = rtc.read(TIME_LOW, 4);
    const hi = rtc.read(TIME_HIGH, 4);
    return (BigInt(hi) << 32n) | BigInt(lo);
  };
  /** Linux's goldfish_rtc_set_time: TIME_HIGH then TIME_LOW. */
  const setTime = (ns: bigint) => {
    rtc.write(TIME_HIGH, 4, Number(ns >> 32n));
    rtc.write(TIME_LOW, 4, Number(ns & 0xffffffffn));
  };
  /** Linux's goldfish_rtc_set_alarm with enabled = 1. */
  const setAlarm = (ns: bigint) => {
    rtc.write(ALARM_HIGH, 4, Number(ns >> 32n));
    rtc.write(ALARM_LOW, 4, Number(ns & 0xffffffffn));
    rtc.write(IRQ_ENABLED, 4, 1);
  };
  return { host, irq, rtc, readTime, setTime, setAlarm };
}

test('time reads the host wall clock, low half latching the high half', () => {
  const { host, readTime, rtc } = make();
  assert.equal(readTime(), START);
  host.ns += 5_000_000_000n;
  assert.equal(readTime(), START + 5_000_000_000n);
  const lo = rtc.read(TIME_LOW, 4);
  host.ns += 1n << 33n; // the high half moves on, the latch does not
  assert.equal(rtc.read(TIME_HIGH, 4), Number((START + 5_000_000_000n) >> 32n));
  assert.equal(lo, Number((START + 5_000_000_000n) & 0xffffffffn));
});

test('setting the time stores an offset that keeps running with the host clock', () => {
  const { host, readTime, setTime } = make();
  const guest = 946_684_800_000_000_000n; // 2000-01-01
  setTime(guest);
  assert.equal(readTime(), guest);
  host.ns += 1234n;
  assert.equal(readTime(), guest + 1234n);
});

test('setting the time is exact even when the low half wraps between the two writes', () => {
  const { host, rtc, readTime } = make();
  const wanted = 0x1234_5678_0000_0010n;
  rtc.write(TIME_HIGH, 4, 0x1234_5678);
  host.ns += 1n << 32n; // more than a low-half period passes
  rtc.write(TIME_LOW, 4, 0x10);
  assert.equal(readTime(), wanted);
  // a TIME_LOW write alone keeps the current high half
  rtc.write(TIME_LOW, 4, 0x20);
  assert.equal(readTime(), 0x1234_5678_0000_0020n);
});

test('alarm fires through update(), raises the line when enabled, and is acknowledged', () => {
  const { host, irq, rtc, readTime, setAlarm } = make();
  const now = readTime();
  setAlarm(now + 1_000_000_000n);
  assert.equal(rtc.read(ALARM_STATUS, 4), 1);
  assert.equal(rtc.read(IRQ_ENABLED, 4), 1);
  assert.equal(rtc.read(ALARM_LOW, 4), Number((now + 1_000_000_000n) & 0xffffffffn));
  assert.equal(rtc.read(ALARM_HIGH, 4), Number((now + 1_000_000_000n) >> 32n));
  assert.equal(rtc.nextDeadlineNs(), Number(START + 1_000_000_000n));
  host.ns += 999_999_999n;
  rtc.update();
  assert.equal(irq.level, false);
  host.ns += 1n;
  rtc.update();
  assert.equal(irq.level, true);
  assert.equal(rtc.read(ALARM_STATUS, 4), 0);
  assert.equal(rtc.nextDeadlineNs(), Infinity);
  rtc.write(CLEAR_INTERRUPT, 4, 1);
  assert.equal(irq.level, false);
});

test('alarm in the past fires at once; IRQ_ENABLED gates the line; CLEAR_ALARM disarms', () => {
  const { host, irq, rtc, readTime } = make();
  rtc.write(ALARM_HIGH, 4, 0);
  rtc.write(ALARM_LOW, 4, 5);
  assert.equal(rtc.read(ALARM_STATUS, 4), 0, 'fired already');
  assert.equal(irq.level, false, 'interrupt not enabled');
  rtc.write(IRQ_ENABLED, 4, 1);
  assert.equal(irq.level, true);
  rtc.write(IRQ_ENABLED, 4, 0);
  assert.equal(irq.level, false);
  rtc.write(CLEAR_INTERRUPT, 4, 0);
  rtc.write(IRQ_ENABLED, 4, 1);
  assert.equal(irq.level, false);
  const t = readTime() + 100n;
  rtc.write(ALARM_HIGH, 4, Number(t >> 32n));
  rtc.write(ALARM_LOW, 4, Number(t & 0xffffffffn));
  rtc.write(CLEAR_ALARM, 4, 1);
  assert.equal(rtc.read(ALARM_STATUS, 4), 0);
  host.ns += 1000n;
  rtc.update();
  assert.equal(irq.level, false);
});

test('alarm follows the guest clock, not the host clock, after the guest sets the time', () => {
  const { host, irq, rtc, setTime, setAlarm } = make();
  setTime(1_000_000_000n);
  setAlarm(1_000_000_500n);
  assert.equal(rtc.nextDeadlineNs(), Number(START + 500n));
  host.ns += 499n;
  rtc.update();
  assert.equal(irq.level, false);
  host.ns += 1n;
  rtc.update();
  assert.equal(irq.level, true);
});

test('hostile accesses never throw', () => {
  const { rtc, host } = make();
  for (const off of [-4, 1, 2, 0x20, 0xffc, 0x1000, NaN, 2 ** 40]) {
    for (const size of [1, 2, 4] as const) {
      for (const v of [0, -1, NaN, 2 ** 40, 0xffffffff]) {
        rtc.write(off, size, v);
        assert.equal(rtc.read(off, size), 0);
      }
    }
  }
  for (let off = 0; off < 0x20; off += 4) {
    for (const v of [0, -1, NaN, 2 ** 40, 0xffffffff]) {
      rtc.write(off, 4, v);
      const r = rtc.read(off, 4);
      assert.ok(Number.isInteger(r) && r >= 0 && r <= 0xffffffff);
      rtc.update();
      assert.ok(!Number.isNaN(rtc.nextDeadlineNs()));
    }
  }
  host.ns = 0n;
  rtc.update();
});

test('save/restore through JSON keeps the offset and a pending alarm', () => {
  const a = make();
  a.setTime(42_000_000_000n);
  a.setAlarm(43_000_000_000n);
  const s = JSON.parse(JSON.stringify(a.rtc.save()));
  const b = make();
  b.host.ns = START + 10n; // a different host, 10 ns later
  b.rtc.restore(s);
  assert.equal(b.readTime(), 42_000_000_010n);
  assert.equal(b.rtc.read(ALARM_STATUS, 4), 1);
  b.host.ns += 1_000_000_000n;
  b.rtc.update();
  assert.equal(b.irq.level, true);
  assert.throws(() => b.rtc.restore({ ...s, offsetNs: 'x' }), /malformed/);
});

test('fuzz: random traffic never throws and the line is high only with IRQ_ENABLED', () => {
  const { rtc, host, irq } = make();
  let seed = 31337;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 5) % n;
  };
  for (let i = 0; i < 5000; i++) {
    const off = rnd(10) * 4;
    if (rnd(2) === 0) rtc.write(off, 4, rnd(3) === 0 ? rnd(4) : rnd(0x100000000));
    else {
      const r = rtc.read(off, 4);
      assert.ok(Number.isInteger(r) && r >= 0 && r <= 0xffffffff);
    }
    if (rnd(3) === 0) host.ns += BigInt(rnd(1 << 30));
    rtc.update();
    const d = rtc.nextDeadlineNs();
    assert.ok(d === Infinity || Number.isFinite(d));
    if (irq.level) assert.equal(rtc.read(IRQ_ENABLED, 4), 1);
  }
});
