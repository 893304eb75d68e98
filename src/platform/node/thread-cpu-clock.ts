// The calling thread's own CPU time. Node 20 has no per-thread CPU clock (process.cpuUsage()
// counts every thread of the process; process.threadCpuUsage() arrived in Node 23.9), so on
// Linux it is read from /proc/thread-self/schedstat: nanoseconds this thread ran on a CPU, then
// nanoseconds it waited runnable on a run queue. The file is opened once, from the thread to be
// measured (the kernel resolves thread-self to /proc/PID/task/TID at open), and re-read with
// pread at offset 0, which makes the kernel print fresh figures.
import { closeSync, openSync, readSync } from 'node:fs';

/** A thread's CPU clock (see openThreadCpuClock). */
export interface ThreadCpuClock {
  /** Milliseconds the thread has run on a host CPU since it started. */
  cpuMs(): number;
  /** Milliseconds the thread was runnable but waited for a host CPU (other threads ran). */
  runQueueMs(): number;
  /** Closes the file; the clock reads 0 afterwards. */
  close(): void;
}

const SCHEDSTAT = '/proc/thread-self/schedstat';

/**
 * The CPU clock of the calling thread, or undefined where the host does not provide one (not
 * Linux, /proc not mounted, a kernel without schedstats): callers fall back to wall time.
 */
export function openThreadCpuClock(): ThreadCpuClock | undefined {
  let fd: number;
  try {
    fd = openSync(SCHEDSTAT, 'r');
  } catch {
    return undefined;
  }
  const buf = Buffer.alloc(96);
  let open = true;
  let cpuNs = 0;
  let queueNs = 0;
  const read = (): boolean => {
    if (!open) return false;
    let n: number;
    try {
      n = readSync(fd, buf, 0, buf.length, 0);
    } catch {
      return false;
    }
    // "<run ns> <wait ns> <timeslices>\n", parsed without allocating.
    let field = 0;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const c = buf[i]!;
      if (c >= 0x30 && c <= 0x39) {
        v = v * 10 + (c - 0x30);
        continue;
      }
      if (field === 0) cpuNs = v;
      else if (field === 1) queueNs = v;
      field++;
      v = 0;
      if (field > 1) break;
    }
    return field > 1;
  };
  if (!read()) {
    closeSync(fd);
    return undefined;
  }
  return {
    cpuMs: () => (read() ? cpuNs / 1e6 : 0),
    runQueueMs: () => (read() ? queueNs / 1e6 : 0),
    close: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
