// A domain's console in the web console: the API's WebSocket (ring first, then live output) shown
// in xterm.js; keystrokes go back as binary frames. Guest bytes only ever reach the terminal.
import { GuestTerminal } from '../common/guest-terminal.js';
import type { ApiClient } from './api-client.js';

/** One open console; `close()` detaches (the domain keeps running). */
export class ConsoleView {
  private readonly ws: WebSocket;
  private readonly terminal: GuestTerminal;
  private closedByUser = false;

  constructor(element: HTMLElement, api: ApiClient, ref: string, onEnd: (why: string) => void) {
    element.replaceChildren();
    this.terminal = new GuestTerminal(element, (bytes) => {
      if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
    });
    this.ws = new WebSocket(api.consoleUrl(ref), api.consoleProtocols());
    this.ws.binaryType = 'arraybuffer';
    this.ws.onmessage = (ev: MessageEvent<ArrayBuffer | string>) => {
      this.terminal.write(typeof ev.data === 'string' ? new TextEncoder().encode(ev.data) : new Uint8Array(ev.data));
    };
    this.ws.onclose = (ev) => {
      if (this.closedByUser) return;
      const why = ev.code === 1000 ? 'the domain stopped' : `console connection closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`;
      this.terminal.note(why);
      onEnd(why);
    };
    this.terminal.focus();
  }

  close(): void {
    this.closedByUser = true;
    this.ws.close(1000, 'detached');
    this.terminal.term.dispose();
  }
}
