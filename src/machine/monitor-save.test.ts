import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Monitor } from './monitor.js';

function monitor(save?: (path: string) => Promise<string>): Monitor {
  return new Monitor({ ramSizeBytes: 1 << 24, machine: () => undefined, ...(save !== undefined ? { save } : {}) });
}

test('save FILE saves and ends the domain; save -c FILE is a checkpoint that keeps it running', async () => {
  const saved: string[] = [];
  const m = monitor(async (p) => {
    saved.push(p);
    return `saved to ${p}`;
  });
  assert.deepEqual(await m.execute('save /tmp/a b.bqs'), { text: 'saved to /tmp/a b.bqs\nstopping the domain', quit: true });
  assert.deepEqual(await m.execute('save -c /tmp/c.bqs'), { text: 'saved to /tmp/c.bqs', quit: false });
  assert.deepEqual(saved, ['/tmp/a b.bqs', '/tmp/c.bqs']);
});

test('save errors are replies and the domain keeps running', async () => {
  const m = monitor(async () => {
    throw new Error('cannot write save file /nope/x: ENOENT');
  });
  assert.deepEqual(await m.execute('save /nope/x'), { text: 'error: cannot write save file /nope/x: ENOENT', quit: false });
  assert.equal((await m.execute('save')).text, 'error: usage: save [-c] <file>');
  assert.equal((await m.execute('save -c')).text, 'error: usage: save [-c] <file>');
  assert.equal((await monitor().execute('save /tmp/x')).text, 'error: this domain cannot be saved from the monitor');
  assert.match((await monitor().execute('help')).text, /save \[-c\] <file>/);
});
