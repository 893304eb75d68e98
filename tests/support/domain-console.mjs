// A domain's console over the daemon's WebSocket (GET /v1/domains/{ref}/console on its Unix
// socket), driven like GuestSession: wait for output, type command lines and read their output.
import WebSocket from 'ws';
import { commandOutput, PROMPT } from './guest-session.mjs';
import { Waiters, waitForText } from './waiters.mjs';

/** An attached console; `output` holds everything received (the ring first, then live bytes). */
export class DomainConsole {
  constructor(socket, ref) {
    this.ref = ref;
    this.output = '';
    this.mark = 0;
    this.closed = false;
    this.waiters = new Waiters();
    this.ws = new WebSocket(`ws+unix://${socket}:/v1/domains/${encodeURIComponent(ref)}/console`);
    this.opened = new Promise((res, rej) => {
      this.ws.once('open', res);
      this.ws.once('error', rej);
    });
    this.ws.on('message', (d) => {
      this.output += Buffer.from(d).toString('latin1');
      this.poke();
    });
    this.ws.on('close', () => {
      this.closed = true;
      this.poke();
    });
  }

  poke() {
    this.waiters.notify();
  }

  /** Resolves with the text after the mark up to the first match of `re`, and moves the mark past it. */
  waitFor(re, timeoutMs = 120_000) {
    return waitForText(this, re, timeoutMs,
      () => (this.closed ? `console of ${this.ref} closed before ${re}; tail:\n${this.output.slice(-1500)}` : undefined),
      () => `timeout waiting for ${re} on ${this.ref}; tail:\n${this.output.slice(-1500)}`);
  }

  /** Types a command and returns its output (framed by markers, as GuestSession.run). */
  async run(command, timeoutMs = 120_000) {
    this.ws.send(`echo '<<'BEGIN; ${command}; echo '<<'END\n`);
    await this.waitFor(/<<BEGIN\r?\n/, timeoutMs);
    const text = await this.waitFor(/<<END\r?\n/, timeoutMs);
    await this.waitFor(PROMPT, timeoutMs);
    return commandOutput(text.replace(/<<END\r?\n$/, ''));
  }

  /** Resolves once the daemon closed the console (the domain stopped). */
  waitClosed(timeoutMs = 120_000) {
    return this.waiters.until(() => (this.closed ? { value: undefined } : undefined), timeoutMs,
      () => `console of ${this.ref} still open after ${timeoutMs} ms; tail:\n${this.output.slice(-1500)}`);
  }

  close() {
    this.ws.close();
  }
}
