// The guest console on the host's stdin/stdout. On a terminal: raw mode, QEMU's escapes
// (Ctrl-A X quits, Ctrl-A Ctrl-A sends Ctrl-A, Ctrl-A H prints help, Ctrl-A C switches between
// the guest and the host monitor). From a pipe or a file: bytes pass through as they arrive,
// and the end of input never stops the guest.

/** What the console needs from the process (injected for tests). */
export interface StdioStreams {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stdout: NodeJS.WritableStream;
}

/** Ctrl-A, the escape key (as in QEMU's -nographic console). */
export const ESCAPE_BYTE = 0x01;

/** Help printed for Ctrl-A H. */
export const ESCAPE_HELP =
  '\r\nC-a x    exit the emulator\r\nC-a c    switch between the console and the monitor\r\nC-a C-a  send C-a\r\nC-a h    this help\r\n';

/** Monitor prompt on the terminal (as on the --monitor socket). */
export const CONSOLE_MONITOR_PROMPT = '(banquise) ';

/** Guest output held while the monitor has the terminal; beyond this it is dropped (counted). */
export const MONITOR_HOLD_BYTES = 1 << 20;

/** Longest monitor line typed on the terminal. */
const MONITOR_LINE_MAX = 1024;

/** Host console: buffers guest output until `flush`, forwards host input to `onInput`. */
export class StdioConsole {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private escape = false;
  private raw = false;
  /** The terminal shows the monitor (Ctrl-A C), not the guest. */
  private monitorMode = false;
  private monitorLine = '';
  private monitorLastCr = false;
  private droppedBytes = 0;
  private readonly onData = (chunk: Buffer | string): void => this.input(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);

  constructor(
    private readonly streams: StdioStreams,
    /** Receives host input for the guest. */
    private readonly onInput: (bytes: Uint8Array) => void,
    /** Called on Ctrl-A X. */
    private readonly onQuit: () => void,
    /** Runs a monitor command line (Ctrl-A C; none: no monitor); no prompt follows a quit. */
    private readonly monitor?: (line: string) => Promise<{ readonly text: string; readonly quit: boolean }>,
  ) {}

  /** Starts reading input (raw mode on a terminal). */
  start(): void {
    const { stdin } = this.streams;
    if (stdin.isTTY === true && stdin.setRawMode !== undefined) {
      stdin.setRawMode(true);
      this.raw = true;
    }
    stdin.on('data', this.onData);
    stdin.resume();
  }

  /** Stops reading input and restores the terminal. */
  stop(): void {
    const { stdin } = this.streams;
    stdin.off('data', this.onData);
    stdin.pause();
    if (this.raw) stdin.setRawMode?.(false);
    this.raw = false;
    this.monitorMode = false;
    this.flush();
  }

  /** Guest output (copied: the caller's buffer may be a live view of guest memory). */
  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.monitorMode && this.pendingBytes + bytes.length > MONITOR_HOLD_BYTES) {
      this.droppedBytes += bytes.length;
      return;
    }
    this.pending.push(Uint8Array.from(bytes));
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= 65536) this.flush();
  }

  /** Writes buffered output to stdout (held while the monitor has the terminal). */
  flush(): void {
    if (this.pendingBytes === 0 || this.monitorMode) return;
    const out = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.streams.stdout.write(out);
  }

  /** Host bytes: escapes handled on a terminal, everything else to the guest. */
  input(bytes: Uint8Array): void {
    if (!this.raw) {
      this.onInput(bytes);
      return;
    }
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (this.escape) {
        this.escape = false;
        start = i + 1;
        if (b === 0x78 || b === 0x58) {
          this.onQuit();
          return;
        }
        if (b === ESCAPE_BYTE) {
          if (this.monitorMode) this.monitorByte(b);
          else this.onInput(Uint8Array.of(ESCAPE_BYTE));
        } else if (b === 0x68 || b === 0x48) this.streams.stdout.write(ESCAPE_HELP);
        else if ((b === 0x63 || b === 0x43) && this.monitor !== undefined) this.toggleMonitor();
      } else if (b === ESCAPE_BYTE) {
        if (i > start && !this.monitorMode) this.onInput(bytes.subarray(start, i));
        this.escape = true;
        start = i + 1;
      } else if (this.monitorMode) {
        this.monitorByte(b);
        start = i + 1;
      }
    }
    if (start < bytes.length && !this.escape && !this.monitorMode) this.onInput(bytes.subarray(start));
  }

  /** Ctrl-A C: gives the terminal to the monitor, or back to the guest (with its held output). */
  private toggleMonitor(): void {
    const out = this.streams.stdout;
    if (!this.monitorMode) {
      this.flush();
      this.monitorMode = true;
      this.monitorLine = '';
      out.write(`\r\n${CONSOLE_MONITOR_PROMPT}`);
      return;
    }
    this.monitorMode = false;
    out.write('\r\n');
    this.flush();
    if (this.droppedBytes > 0) {
      out.write(`\r\n[banquise: ${this.droppedBytes} bytes of guest output dropped while in the monitor]\r\n`);
      this.droppedBytes = 0;
    }
  }

  /** Minimal line editing for the monitor: printable characters, backspace, Enter. */
  private monitorByte(b: number): void {
    const out = this.streams.stdout;
    const afterCr = this.monitorLastCr;
    this.monitorLastCr = b === 0x0d;
    if (b === 0x0a && afterCr) return; // CR LF is one Enter
    if (b === 0x0d || b === 0x0a) {
      const line = this.monitorLine;
      this.monitorLine = '';
      out.write('\r\n');
      const run = this.monitor;
      if (line.trim() === '' || run === undefined) {
        out.write(CONSOLE_MONITOR_PROMPT);
        return;
      }
      run(line).then(
        (r) => out.write(`${r.text.length > 0 ? r.text.replace(/\n/g, '\r\n') + '\r\n' : ''}${r.quit ? '' : CONSOLE_MONITOR_PROMPT}`),
        (err: unknown) => out.write(`error: ${err instanceof Error ? err.message : String(err)}\r\n${CONSOLE_MONITOR_PROMPT}`),
      );
    } else if (b === 0x7f || b === 0x08) {
      if (this.monitorLine.length > 0) {
        this.monitorLine = this.monitorLine.slice(0, -1);
        out.write('\b \b');
      }
    } else if (b >= 0x20 && b < 0x7f && this.monitorLine.length < MONITOR_LINE_MAX) {
      this.monitorLine += String.fromCharCode(b);
      out.write(String.fromCharCode(b));
    }
  }
}
