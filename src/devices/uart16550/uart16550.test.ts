import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IrqLine } from '../../memory/irq-line.js';
import {
  Uart16550, UART_FIFO_SIZE, UART_HOST_QUEUE_BYTES, UART_IER, UART_IIR, UART_LCR, UART_LSR, UART_MCR, UART_MSR,
  UART_RBR, UART_SCR,
} from './uart16550.js';

class Line implements IrqLine {
  level = false;
  set(level: boolean): void {
    this.level = level;
  }
}

function make() {
  const irq = new Line();
  const out: number[] = [];
  const uart = new Uart16550(irq, { write: (b) => out.push(...b) });
  const rd = (r: number) => uart.read(r, 1);
  const wr = (r: number, v: number) => uart.write(r, 1, v);
  return { irq, out, uart, rd, wr };
}

const enc = (s: string) => new TextEncoder().encode(s);

test('reset values as in the datasheet', () => {
  const { rd, irq } = make();
  assert.equal(rd(UART_IER), 0);
  assert.equal(rd(UART_IIR), 0x01);
  assert.equal(rd(UART_LCR), 0);
  assert.equal(rd(UART_MCR), 0);
  assert.equal(rd(UART_LSR), 0x60);
  assert.equal(rd(UART_MSR) & 0xf0, 0xb0, 'CTS, DSR, DCD asserted by the host side');
  assert.equal(irq.level, false);
});

test('THR bytes reach the backend; DLAB switches offsets 0/1 to the divisor latch', () => {
  const { wr, rd, out } = make();
  wr(UART_LCR, 0x83);
  wr(UART_RBR, 0x01);
  wr(UART_IER, 0x00);
  assert.equal(rd(UART_RBR), 0x01);
  assert.equal(rd(UART_IER), 0x00);
  assert.deepEqual(out, [], 'divisor writes are not transmitted');
  wr(UART_LCR, 0x03);
  for (const b of enc('hi\n')) wr(UART_RBR, b);
  assert.deepEqual(out, [...enc('hi\n')]);
  assert.equal(rd(UART_LSR) & 0x60, 0x60, 'THRE and TEMT: transmission is instantaneous');
  wr(UART_SCR, 0x5a);
  assert.equal(rd(UART_SCR), 0x5a);
});

test('RX without FIFO: one byte at a time, DR, RDI interrupt, host queue refills', () => {
  const { uart, rd, wr, irq } = make();
  uart.receive(enc('ab'));
  assert.equal(rd(UART_LSR) & 1, 1);
  assert.equal(irq.level, false, 'ERBFI off');
  wr(UART_IER, 0x01);
  assert.equal(irq.level, true);
  assert.equal(rd(UART_IIR), 0x04);
  assert.equal(rd(UART_RBR), 0x61);
  assert.equal(irq.level, true, 'next byte moved from the host queue');
  assert.equal(rd(UART_RBR), 0x62);
  assert.equal(rd(UART_LSR) & 1, 0);
  assert.equal(irq.level, false);
  assert.equal(rd(UART_IIR), 0x01);
  assert.equal(rd(UART_LSR) & 2, 0, 'host input never overruns');
});

test('FIFO mode: IIR FIFO bits, trigger level versus character timeout', () => {
  const { uart, rd, wr, irq } = make();
  wr(UART_IIR, 0x81); // enable FIFO, trigger 8
  wr(UART_IER, 0x01);
  assert.equal(rd(UART_IIR), 0xc1);
  uart.receive(enc('12345'));
  assert.equal(irq.level, true);
  assert.equal(rd(UART_IIR), 0xcc, 'below the trigger: character timeout');
  uart.receive(enc('678'));
  assert.equal(rd(UART_IIR), 0xc4, 'at the trigger: received data available');
  let got = '';
  while (rd(UART_LSR) & 1) got += String.fromCharCode(rd(UART_RBR));
  assert.equal(got, '12345678');
  assert.equal(irq.level, false);
  wr(UART_IIR, 0x00);
  assert.equal(rd(UART_IIR), 0x01, 'FIFO disabled: bits 7:6 clear');
});

test('FCR clears the receiver FIFO; bits other than enable need FCR0 = 1', () => {
  const { uart, rd, wr } = make();
  wr(UART_IIR, 0x01);
  uart.receive(new Uint8Array(20).fill(0x41));
  wr(UART_IIR, 0x03);
  // FIFO cleared, then refilled from the 4 bytes still on the host side
  let n = 0;
  while (rd(UART_LSR) & 1) {
    rd(UART_RBR);
    n++;
  }
  assert.equal(n, 4);
  uart.receive(enc('x'));
  wr(UART_IIR, 0xc2); // FCR0 = 0: disables FIFOs, trigger not programmed
  assert.equal(rd(UART_IIR) & 0xc0, 0);
});

test('THRE interrupt: raised by enabling ETBEI, cleared by reading IIR, re-raised by transmission', () => {
  const { rd, wr, irq, out } = make();
  wr(UART_IER, 0x02);
  assert.equal(irq.level, true);
  assert.equal(rd(UART_IIR), 0x02);
  assert.equal(irq.level, false, 'reading IIR with THRE as the source clears it');
  assert.equal(rd(UART_IIR), 0x01);
  wr(UART_RBR, 0x41);
  assert.equal(irq.level, true, 'THR empties again at once');
  wr(UART_IER, 0x00);
  assert.equal(irq.level, false);
  // Linux's 8250 startup test: IER=THRI, IIR, IER=0, IER=THRI, IIR must show THRI again.
  wr(UART_IER, 0x02);
  const iir1 = rd(UART_IIR);
  wr(UART_IER, 0);
  wr(UART_IER, 0x02);
  const iir2 = rd(UART_IIR);
  assert.equal(iir1 & 1, 0);
  assert.equal(iir2 & 1, 0);
  assert.deepEqual(out, [0x41]);
});

test('interrupt priority: line status > RX data > THRE > modem status', () => {
  const { uart, rd, wr } = make();
  wr(UART_MCR, 0x10); // loopback, to make an overrun and modem changes
  wr(UART_IER, 0x0f);
  for (let i = 0; i < 3; i++) wr(UART_RBR, 0x30 + i); // 16450 mode: second byte overruns
  wr(UART_MCR, 0x13); // RTS, DTR: modem deltas
  assert.equal(rd(UART_IIR), 0x06, 'overrun first');
  const lsr = rd(UART_LSR);
  assert.equal(lsr & 0x03, 0x03, 'DR and OE');
  assert.equal(rd(UART_LSR) & 0x02, 0, 'OE cleared by reading LSR');
  assert.equal(rd(UART_IIR), 0x04);
  assert.equal(rd(UART_RBR), 0x32, 'non-FIFO overrun overwrites RBR');
  assert.equal(rd(UART_IIR), 0x02);
  assert.equal(rd(UART_IIR), 0x00, 'modem status last');
  const msr = rd(UART_MSR);
  assert.equal(msr, 0x30 | 0x0b, 'CTS, DSR with their deltas; DCD fell when loopback began');
  assert.equal(rd(UART_IIR), 0x01);
});

test('loopback: transmit returns to the receiver, MSR mirrors MCR, host input waits', () => {
  const { uart, rd, wr, out } = make();
  uart.receive(enc('H'));
  assert.equal(rd(UART_RBR), 0x48);
  wr(UART_IIR, 0x07);
  wr(UART_MCR, 0x1a); // Linux autoconfig test: LOOP | OUT2 | RTS
  assert.equal(rd(UART_MSR) & 0xf0, 0x90);
  uart.receive(enc('Z'));
  assert.equal(rd(UART_LSR) & 1, 0, 'serial input disconnected in loopback');
  for (const b of enc('loop')) wr(UART_RBR, b);
  assert.deepEqual(out, [], 'nothing reaches the backend');
  let got = '';
  while (rd(UART_LSR) & 1) got += String.fromCharCode(rd(UART_RBR));
  assert.equal(got, 'loop');
  for (let i = 0; i < UART_FIFO_SIZE + 2; i++) wr(UART_RBR, 0x61 + i);
  assert.equal(rd(UART_LSR) & 0x02, 0x02, 'FIFO overrun');
  let n = 0;
  while (rd(UART_LSR) & 1) {
    assert.equal(rd(UART_RBR), 0x61 + n, 'overrun byte lost, FIFO kept');
    n++;
  }
  assert.equal(n, UART_FIFO_SIZE);
  wr(UART_MCR, 0x04);
  rd(UART_MSR);
  wr(UART_MCR, 0x14); // RI on
  wr(UART_MCR, 0x10); // RI off: trailing edge
  assert.equal(rd(UART_MSR) & 0x04, 0x04, 'TERI');
  wr(UART_MCR, 0x00);
  assert.equal(rd(UART_RBR), 0x5a, 'host input delivered after loopback ends');
});

test('host queue is bounded and counts drops', () => {
  const { uart, rd } = make();
  uart.receive(new Uint8Array(UART_HOST_QUEUE_BYTES + 100));
  assert.equal(uart.droppedBytes, 99, 'one byte sits in the RBR, the queue holds the rest');
  uart.receive(new Uint8Array(10));
  assert.equal(uart.droppedBytes, 109);
  rd(UART_RBR);
  uart.receive(new Uint8Array(2));
  assert.equal(uart.droppedBytes, 110);
});

test('hostile offsets, sizes and values never throw', () => {
  const { uart } = make();
  for (const off of [-1, 8, 0xff, 0x100, NaN, 1.5, 2 ** 40]) {
    for (const size of [1, 2, 4] as const) {
      uart.write(off, size, 0xffffffff);
      assert.equal(uart.read(off, size), 0);
    }
  }
  for (let r = 0; r < 8; r++) {
    for (const v of [-1, NaN, 2 ** 40, 0x1ff]) {
      uart.write(r, 4, v);
      const x = uart.read(r, 4);
      assert.ok(Number.isInteger(x) && x >= 0 && x <= 0xff);
    }
  }
});

test('save/restore round-trips through JSON', () => {
  const a = make();
  a.wr(UART_IIR, 0x41);
  a.wr(UART_IER, 0x01);
  a.wr(UART_LCR, 0x03);
  a.wr(UART_SCR, 9);
  a.uart.receive(new Uint8Array(40).map((_, i) => i));
  a.rd(UART_RBR);
  const s = JSON.parse(JSON.stringify(a.uart.save()));
  const b = make();
  b.uart.restore(s);
  assert.equal(b.irq.level, true);
  assert.equal(b.rd(UART_IIR), 0xc4);
  assert.equal(b.rd(UART_SCR), 9);
  const got: number[] = [];
  while (b.rd(UART_LSR) & 1) got.push(b.rd(UART_RBR));
  assert.deepEqual(got, Array.from({ length: 39 }, (_, i) => i + 1));
  assert.deepEqual(a.uart.save(), s);
});

test('fuzz: random register traffic keeps the line equal to what IIR reports', () => {
  const { uart, irq } = make();
  let seed = 2024;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 7) % n;
  };
  for (let i = 0; i < 20000; i++) {
    const op = rnd(10);
    const reg = rnd(9);
    if (op < 4) uart.write(reg, 1, rnd(256));
    else if (op < 8) {
      const r = uart.read(reg, 1);
      assert.ok(r >= 0 && r <= 0xff);
    } else if (op === 8) uart.receive(new Uint8Array(rnd(40)).fill(rnd(256)));
    else {
      const level = irq.level;
      const iir = uart.read(UART_IIR, 1);
      assert.equal(level, (iir & 1) === 0, `step ${i}: line ${level} but IIR 0x${iir.toString(16)}`);
    }
  }
});
