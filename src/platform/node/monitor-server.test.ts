import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MONITOR_MAX_LINE } from '../../machine/monitor.js';
import { MonitorServer, MONITOR_GREETING, MONITOR_PROMPT } from './monitor-server.js';

/** A client that collects everything the server sends. */
function client(path: string): Promise<{ sock: Socket; text: () => string; until: (n: number) => Promise<string> }> {
  return new Promise((res, rej) => {
    let buf = '';
    const waiters: (() => void)[] = [];
    const sock = connect(path, () =>
      res({
        sock,
        text: () => buf,
        // Resolves once `n` prompts have arrived (or rejects after 5 s).
        until: (n) =>
          new Promise((ok, fail) => {
            const t = setTimeout(() => fail(new Error(`timeout; got ${JSON.stringify(buf)}`)), 5000);
            const check = (): void => {
              if (buf.split(MONITOR_PROMPT).length - 1 >= n) {
                clearTimeout(t);
                ok(buf);
              } else waiters.push(check);
            };
            check();
          }),
      }),
    );
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      for (const w of waiters.splice(0)) w();
    });
    sock.on('error', rej);
  });
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'banquise-monitor-'));
}

test('greeting, then each line gets its reply and a prompt, in order, even when lines arrive together', async () => {
  const dir = tmp();
  const path = join(dir, 'm.sock');
  const seen: string[] = [];
  const server = await MonitorServer.listen(path, async (line) => {
    seen.push(line);
    // A slow first command must not let the second overtake it.
    if (line === 'slow') await new Promise((r) => setTimeout(r, 30));
    return { text: line === '' ? '' : `echo ${line}`, quit: false };
  });
  try {
    const c = await client(path);
    await c.until(1);
    assert.equal(c.text(), `${MONITOR_GREETING}\n${MONITOR_PROMPT}`);
    c.sock.write('slow\r\nfast\n\npart');
    c.sock.write('ial\n');
    const all = await c.until(5);
    assert.equal(all.slice(MONITOR_GREETING.length + 1), `${MONITOR_PROMPT}echo slow\n${MONITOR_PROMPT}echo fast\n${MONITOR_PROMPT}${MONITOR_PROMPT}echo partial\n${MONITOR_PROMPT}`);
    assert.deepEqual(seen, ['slow', 'fast', '', 'partial']);
    c.sock.destroy();
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(!existsSync(path), 'socket file removed on close');
});

test('quit ends the connection; an exception becomes an error reply; an endless line is refused', async () => {
  const dir = tmp();
  const path = join(dir, 'm.sock');
  const server = await MonitorServer.listen(path, async (line) => {
    if (line === 'boom') throw new Error('kaput');
    return { text: 'bye', quit: line === 'quit' };
  });
  try {
    const c = await client(path);
    c.sock.write('boom\n');
    assert.match(await c.until(2), /error: kaput\n\(banquise\) $/);
    c.sock.write('x'.repeat(MONITOR_MAX_LINE + 10));
    assert.match(await c.until(3), /error: command line longer than 1024 characters\n\(banquise\) $/);
    const closed = new Promise((r) => c.sock.on('end', r));
    c.sock.write('quit\n');
    await closed;
    assert.match(c.text(), /bye\n\(banquise\) $/);
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a stale socket file is replaced; a live socket or any other file is an error', async () => {
  const dir = tmp();
  try {
    const stale = join(dir, 'stale.sock');
    // A crashed run: a process listening on the socket is killed, the file stays.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((r) => child.stdout.once('data', r));
    const live = await MonitorServer.listen(stale, async () => ({ text: '', quit: false })).catch((e: Error) => e);
    assert.match(String(live), /another process listens on this socket/);
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    assert.ok(existsSync(stale), 'the killed process left its socket file');
    const s1 = await MonitorServer.listen(stale, async () => ({ text: 'new', quit: false }));
    const c = await client(stale);
    c.sock.write('x\n');
    assert.match(await c.until(2), /new\n/);
    c.sock.destroy();
    s1.close();
    const plain = join(dir, 'plain');
    writeFileSync(plain, 'keep me');
    await assert.rejects(MonitorServer.listen(plain, async () => ({ text: '', quit: false })), /--monitor .*plain: the file exists and is not a socket/);
    assert.ok(existsSync(plain));
    const missing = join(dir, 'missing', 'm.sock');
    await assert.rejects(MonitorServer.listen(missing, async () => ({ text: '', quit: false })), (e: Error) =>
      e.name === 'BanquiseError' && /--monitor .*m\.sock: the folder .*missing does not exist/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
