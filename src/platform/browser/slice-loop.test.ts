import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startSliceLoop } from './slice-loop.js';

test('runs busy steps back to back and resolves with the result', async () => {
  let n = 0;
  const loop = startSliceLoop(() => (++n === 5 ? { done: 'end', sleepMs: 0 } : { sleepMs: 0 }));
  assert.equal(await loop.done, 'end');
  assert.equal(n, 5);
});

test('lets other queued messages run between busy steps (a busy guest still gets its input)', async () => {
  const other = new MessageChannel();
  let delivered = false;
  other.port1.on('message', () => {
    delivered = true;
  });
  let n = 0;
  const loop = startSliceLoop(() => {
    if (n++ === 0) other.port2.postMessage('keystroke');
    if (delivered) return { done: n, sleepMs: 0 };
    return n === 100_000 ? { done: -1, sleepMs: 0 } : { sleepMs: 0 };
  });
  const steps = await loop.done;
  other.port1.close();
  assert.ok(steps > 1, `the message arrived while the loop was busy (after ${steps} steps)`);
});

test('an idle step sleeps until woken', async () => {
  let n = 0;
  let slept!: () => void;
  const asleep = new Promise<void>((r) => (slept = r));
  const loop = startSliceLoop(() => {
    n++;
    if (n === 1) {
      slept();
      return { sleepMs: 60_000 };
    }
    return { done: n, sleepMs: 0 };
  });
  await asleep;
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(n, 1, 'no step while asleep');
  loop.wake();
  assert.equal(await loop.done, 2);
});

test('a throwing step rejects done; abort rejects with the reason', async () => {
  const failing = startSliceLoop(() => {
    throw new Error('host bug');
  });
  await assert.rejects(failing.done, /host bug/);
  const idle = startSliceLoop(() => ({ sleepMs: 60_000 }));
  idle.abort(new Error('stopped'));
  await assert.rejects(idle.done, /stopped/);
});
