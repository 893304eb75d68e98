// Host-side fixtures the I/O benchmarks share: the guest's initramfs with /bin/bq-io, a scratch
// disk with a fixed pattern, and TCP endpoints on 127.0.0.1 (a source that sends N bytes, a sink
// that times N bytes).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { cpio } from '../../tests/support/cpio.mjs';
import { REPO } from '../../tests/support/guest-session.mjs';

/**
 * Compiles /bin/bq-io (bench/io/bq-io.c) into `cacheDir` and writes `cacheDir/name`: the initramfs
 * at `baseInitrdPath` followed by a cpio archive with bq-io and the `extra` [path, mode, bytes]
 * entries (the kernel unpacks both). Returns its path.
 */
export function initrdWithBqIo(baseInitrdPath, cacheDir, name, extra = []) {
  mkdirSync(cacheDir, { recursive: true });
  const exe = join(cacheDir, 'bq-io');
  const cc = spawnSync('riscv64-linux-gnu-gcc', ['-static', '-O2', '-Wall', '-o', exe, join(REPO, 'bench', 'io', 'bq-io.c')], { encoding: 'utf8' });
  if (cc.error) throw new Error(`riscv64-linux-gnu-gcc: ${cc.error.message} (Debian gcc-riscv64-linux-gnu)`);
  if (cc.status !== 0) throw new Error(`building bq-io failed:\n${cc.stderr}`);
  const base = readFileSync(baseInitrdPath);
  const overlay = cpio([['bin/bq-io', 0o100755, readFileSync(exe)], ...extra]);
  const path = join(cacheDir, name);
  writeFileSync(path, Buffer.concat([base, Buffer.alloc((4 - (base.length % 4)) % 4), overlay]));
  return path;
}

/** Writes a raw image of `bytes` at `path` whose contents are the same for every emulator (a fixed pattern). */
export function writeScratchImage(path, bytes) {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < b.length; i += 4) b.writeUInt32LE((i * 2654435761) >>> 0, i);
  writeFileSync(path, b);
  return path;
}

/** Host TCP endpoints: a source that sends N bytes to each client, a sink that times N bytes. */
export async function hostServers(bytes) {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  const source = net.createServer((s) => {
    let sent = 0;
    s.on('error', () => {});
    s.on('data', () => {});
    const pump = () => {
      while (sent < bytes) {
        const n = Math.min(chunk.length, bytes - sent);
        sent += n;
        if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void s.once('drain', pump);
      }
      s.end();
    };
    pump();
  });
  let sinkDone;
  const sink = net.createServer((s) => {
    const t0 = process.hrtime.bigint();
    let got = 0;
    s.on('error', () => {});
    s.on('data', (d) => {
      got += d.length;
      if (got >= bytes) {
        sinkDone?.({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, bytes: got });
        sinkDone = undefined;
        s.end();
      }
    });
  });
  await new Promise((r) => source.listen(0, '127.0.0.1', r));
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  return {
    sourcePort: source.address().port,
    sinkPort: sink.address().port,
    /** Resolves when the next sink connection has received `bytes` (seconds from accept). */
    nextSink: (timeoutMs) => new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error('TCP sink: timeout')), timeoutMs);
      sinkDone = (r) => { clearTimeout(timer); res(r); };
    }),
    close: () => { source.close(); sink.close(); },
  };
}
