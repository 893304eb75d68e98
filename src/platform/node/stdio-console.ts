// The guest console on the host's stdin/stdout. On a terminal: raw mode, QEMU's escapes
// (Ctrl-A X quits, Ctrl-A Ctrl-A sends Ctrl-A, Ctrl-A H prints help). From a pipe or a file:
// bytes pass through as they arrive, and the end of input never stops the guest.

/** What the console needs from the process (injected for tests). */
export interface StdioStreams {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stdout: NodeJS.WritableStream;
}

/** Ctrl-A, the escape key (as in QEMU's -nographic console). */
export const ESCAPE_BYTE = 0x01;

/** Help printed for Ctrl-A H. */
export const ESCAPE_HELP = '\r\nC-a x    exit the emulator\r\nC-a C-a  send C-a\r\nC-a h    this help\r\n';

/** Host console: buffers guest output until `flush`, forwards host input to `onInput`. */
export class StdioConsole {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private escape = false;
  private raw = false;
  private readonly onData = (chunk: Buffer | string): void => this.input(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);

  constructor(
    private readonly streams: StdioStreams,
    /** Receives host input for the guest. */
    private readonly onInput: (bytes: Uint8Array) => void,
    /** Called on Ctrl-A X. */
    private readonly onQuit: () => void,
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
    this.flush();
  }

  /** Guest output (copied: the caller's buffer may be a live view of guest memory). */
  write(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pending.push(Uint8Array.from(bytes));
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= 65536) this.flush();
  }

  /** Writes buffered output to stdout. */
  flush(): void {
    if (this.pendingBytes === 0) return;
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
        if (b === ESCAPE_BYTE) this.onInput(Uint8Array.of(ESCAPE_BYTE));
        else if (b === 0x68 || b === 0x48) this.streams.stdout.write(ESCAPE_HELP);
      } else if (b === ESCAPE_BYTE) {
        if (i > start) this.onInput(bytes.subarray(start, i));
        this.escape = true;
        start = i + 1;
      }
    }
    if (start < bytes.length && !this.escape) this.onInput(bytes.subarray(start));
  }
}
