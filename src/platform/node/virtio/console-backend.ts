// ConsoleBackend over Node streams (host stdio by default).
import type { Readable, Writable } from 'node:stream';
import type { ConsoleBackend } from '../../../devices/virtio/console/console-device.js';

/** Guest console on a pair of streams; input is read only once a device registers. */
export class StreamConsoleBackend implements ConsoleBackend {
  private handler: ((data: Uint8Array) => void) | undefined;
  private readonly onData = (chunk: Buffer | string): void => {
    this.handler?.(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  };

  constructor(
    private readonly input: Readable = process.stdin,
    private readonly output: Writable = process.stdout,
  ) {}

  write(data: Uint8Array): void {
    this.output.write(Buffer.from(data)); // copy: the device reuses its buffer
  }

  onInput(handler: (data: Uint8Array) => void): void {
    this.handler = handler;
    this.input.on('data', this.onData);
  }

  /** Stops reading input (lets the process exit). */
  close(): void {
    this.input.off('data', this.onData);
    this.handler = undefined;
  }
}
