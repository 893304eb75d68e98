import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { CONSOLE_MONITOR_PROMPT, ESCAPE_HELP, MONITOR_HOLD_BYTES, StdioConsole } from './stdio-console.js';

function setup(tty = true) {
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  if (tty) {
    stdin.isTTY = true;
    stdin.setRawMode = () => {};
  }
  const out = new PassThrough();
  let shown = '';
  out.on('data', (d: Buffer) => (shown += d.toString('latin1')));
  const got: number[] = [];
  const lines: string[] = [];
  const c = new StdioConsole(
    { stdin, stdout: out },
    (b) => got.push(...b),
    () => {},
    async (line) => {
      lines.push(line);
      return { text: `reply to ${line}\nsecond line`, quit: line === 'quit' };
    },
  );
  c.start();
  const key = (s: string): void => c.input(Buffer.from(s, 'latin1'));
  // PassThrough delivers 'data' asynchronously; replies come from a promise.
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 5));
  return { c, got, lines, key, settle, shown: () => shown };
}

test('Ctrl-A C opens the monitor: typed lines go to it, not to the guest; Ctrl-A C returns', async () => {
  const { c, got, lines, key, settle, shown } = setup();
  key('ab\x01c');
  assert.deepEqual(got, [0x61, 0x62]);
  key('info xy\x7f\x7fcpus\r');
  await settle();
  assert.deepEqual(lines, ['info cpus']);
  assert.deepEqual(got, [0x61, 0x62], 'nothing typed in the monitor reaches the guest');
  assert.equal(shown(), `\r\n${CONSOLE_MONITOR_PROMPT}info xy\b \b\b \bcpus\r\nreply to info cpus\r\nsecond line\r\n${CONSOLE_MONITOR_PROMPT}`);
  key('\r');
  await settle();
  assert.equal(lines.length, 1, 'an empty line runs nothing');
  assert.ok(shown().endsWith(`\r\n${CONSOLE_MONITOR_PROMPT}`));
  key('help\r\n');
  await settle();
  assert.deepEqual(lines, ['info cpus', 'help'], 'CR LF is one Enter');
  assert.ok(shown().endsWith(`second line\r\n${CONSOLE_MONITOR_PROMPT}`));
  key('\x01Cz');
  assert.deepEqual(got, [0x61, 0x62, 0x7a]);
  c.stop();
});

test('no prompt after quit', async () => {
  const { c, key, settle, shown } = setup();
  key('\x01cquit\r');
  await settle();
  assert.ok(shown().endsWith('reply to quit\r\nsecond line\r\n'), JSON.stringify(shown()));
  c.stop();
});

test('guest output is held while the monitor has the terminal, shown on return, bounded', async () => {
  const { c, key, settle, shown } = setup();
  c.write(Buffer.from('before '));
  key('\x01c');
  c.write(Buffer.from('during'));
  c.flush();
  await settle();
  assert.ok(!shown().includes('during'));
  c.write(new Uint8Array(MONITOR_HOLD_BYTES));
  key('\x01c');
  await settle();
  assert.match(shown(), /^before \r\n\(banquise\) \r\nduring\r\n\[banquise: 1048576 bytes of guest output dropped while in the monitor\]\r\n$/);
  c.stop();
});

test('Ctrl-A H lists Ctrl-A C; on a pipe Ctrl-A C is just bytes for the guest', async () => {
  assert.match(ESCAPE_HELP, /C-a c {4}switch between the console and the monitor/);
  const { c, got, lines, key, settle } = setup(false);
  key('\x01cinfo cpus\r');
  await settle();
  assert.equal(lines.length, 0);
  assert.equal(Buffer.from(got).toString('latin1'), '\x01cinfo cpus\r');
  c.stop();
});
