// Host-side fixtures the I/O benchmarks share: a scratch disk with a fixed pattern, and TCP
// endpoints on 127.0.0.1 (a source that sends N bytes, a sink that times N bytes).
import { writeFileSync } from 'node:fs';
import net from 'node:net';

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
