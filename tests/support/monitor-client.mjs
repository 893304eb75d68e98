// A connection to a `banquise run --monitor PATH` socket: `command(line)` resolves with the
// reply text (up to the next "(banquise) " prompt). Every wait has a timeout.
import { connect } from 'node:net';

const PROMPT = '(banquise) ';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class MonitorClient {
  /** Connects, retrying until the socket exists (the guest process may still be starting). */
  static async open(path, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const sock = await new Promise((res, rej) => {
          const s = connect(path, () => res(s));
          s.once('error', rej);
        });
        const client = new MonitorClient(sock);
        await client.reply(10_000); // greeting
        return client;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`monitor socket ${path} not available: ${err.message}`);
        await sleep(100);
      }
    }
  }

  constructor(sock) {
    this.sock = sock;
    this.buf = '';
    this.waiter = undefined;
    sock.setEncoding('utf8');
    sock.on('data', (d) => {
      this.buf += d;
      this.waiter?.();
    });
    sock.on('close', () => this.waiter?.());
    sock.on('error', () => {});
  }

  /** The text up to the next prompt (or to the end, if the connection closes after a reply). */
  reply(timeoutMs) {
    return new Promise((res, rej) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        rej(new Error(`no monitor reply within ${timeoutMs} ms; got ${JSON.stringify(this.buf)}`));
      }, timeoutMs);
      const check = () => {
        const i = this.buf.indexOf(PROMPT);
        if (i >= 0 || (this.sock.destroyed && this.buf !== '')) {
          clearTimeout(timer);
          this.waiter = undefined;
          const end = i >= 0 ? i : this.buf.length;
          const text = this.buf.slice(0, end).replace(/\n$/, '');
          this.buf = this.buf.slice(i >= 0 ? i + PROMPT.length : end);
          res(text);
        } else if (this.sock.destroyed) {
          clearTimeout(timer);
          rej(new Error('monitor connection closed'));
        }
      };
      this.waiter = check;
      check();
    });
  }

  command(line, timeoutMs = 60_000) {
    this.sock.write(`${line}\n`);
    return this.reply(timeoutMs);
  }

  close() {
    this.sock.destroy();
  }
}
