// The default host end of the virtio console on Node: output to a stream (stdout), input pushed
// by the session (the keystrokes it routes to hvc0).
import type { Writable } from 'node:stream';
import type { ConsoleBackend } from '../../../devices/virtio/console/console-device.js';

/** A virtio console backend writing to `out`, fed by `input()`; the last device to register gets the input. */
export class ConsoleTap implements ConsoleBackend {
  private handler: ((data: Uint8Array) => void) | undefined;

  constructor(private readonly out: Writable = process.stdout) {}

  write(data: Uint8Array): void {
    this.out.write(Buffer.from(data)); // copy: the device reuses its buffer
  }

  onInput(handler: (data: Uint8Array) => void): void {
    this.handler = handler;
  }

  /** Host input for the guest's hvc0 (buffered by the device until the driver reads it). */
  input(bytes: Uint8Array): void {
    this.handler?.(bytes);
  }
}
