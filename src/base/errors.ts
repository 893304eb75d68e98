/**
 * An error meant for a user: its message says what went wrong and what to do. Front ends print
 * `message` alone (no stack trace) and exit with `exitCode`.
 */
export class BanquiseError extends Error {
  constructor(
    message: string,
    /** Process exit status a command-line front end should use (64 = usage/data error, as sysexits). */
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'BanquiseError';
  }
}
