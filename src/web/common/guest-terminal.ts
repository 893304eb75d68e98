// The guest console in the page: xterm.js, sized to its container by the fit addon.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';

/** A terminal bound to a DOM element. */
export class GuestTerminal {
  readonly term: Terminal;
  private readonly fit = new FitAddon();
  private readonly encoder = new TextEncoder();

  /** `onInput` receives the user's keystrokes as UTF-8 bytes. */
  constructor(element: HTMLElement, onInput: (bytes: Uint8Array) => void) {
    this.term = new Terminal({
      convertEol: false,
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, monospace',
      fontSize: 14,
      scrollback: 5000,
      theme: { background: '#0b1620', foreground: '#d8e6f0' },
    });
    this.term.loadAddon(this.fit);
    this.term.open(element);
    this.fitNow();
    new ResizeObserver(() => this.fitNow()).observe(element);
    this.term.onData((data) => onInput(this.encoder.encode(data)));
    this.term.onBinary((data) => onInput(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
  }

  /** Guest output (raw bytes: xterm.js decodes UTF-8 and escape sequences itself). */
  write(bytes: Uint8Array): void {
    this.term.write(bytes);
  }

  /** A line from the page itself (not the guest), dimmed. */
  note(text: string): void {
    const plain = text.replace(/[\x00-\x1f\x7f-\x9f]/g, ' ');
    this.term.write(`\r\n\x1b[2m[${plain}]\x1b[0m\r\n`);
  }

  focus(): void {
    this.term.focus();
  }

  private fitNow(): void {
    try {
      this.fit.fit();
    } catch {
      // not laid out yet (hidden element): the next resize fits it
    }
  }
}
