#!/usr/bin/env node
// Console output speed: the default guest at its prompt prints `seq 1 N` and `dmesg`, on the
// serial console (ttyS0, 16550 UART) and on the virtio console (hvc0); the time is taken on the
// host from sending the command line to reading its end marker. Prints one table.
//
// Usage: node bench/io/console.mjs [--lines N] [--runs R]
import { parseArgs } from 'node:util';
import { GuestSession, requireGuest } from '../../tests/support/guest-session.mjs';

const { values: opts } = parseArgs({ options: { lines: { type: 'string', default: '300' }, runs: { type: 'string', default: '3' } } });
const lines = Number(opts.lines);
const runs = Number(opts.runs);
const guest = await requireGuest();

/** Median host-side milliseconds of `command` at the prompt (output read through the console). */
async function timeCommand(s, command) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await s.run(command, 600_000);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const rows = [];
for (const [name, extra] of [['serial (ttyS0)', []], ['virtio (hvc0)', ['--console', 'virtio']]]) {
  const s = new GuestSession(['run', '--kernel', guest.kernel, '--initrd', guest.initrd, ...extra]);
  try {
    await s.waitForShell();
    await s.run('true');
    const seq = await timeCommand(s, `seq 1 ${lines}`);
    const dmesg = await timeCommand(s, 'dmesg');
    rows.push({ console: name, [`seq 1 ${lines} (ms)`]: seq.toFixed(0), 'dmesg (ms)': dmesg.toFixed(0) });
    s.send('poweroff\n');
    await s.waitExit(120_000);
  } finally {
    s.kill();
  }
}
console.table(rows);
