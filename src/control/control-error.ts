// Errors of the control plane, with the kind a front end maps to a status (HTTP 4xx, exit code).
import { BanquiseError } from '../base/errors.js';

/** Why the controller refused an action. */
export type ControlErrorKind = 'invalid' | 'not-found' | 'conflict' | 'limit' | 'forbidden' | 'remote';

/** A refused action; `message` says what to do instead. `remote`: another daemon refused or failed (a migration). */
export class ControlError extends BanquiseError {
  constructor(readonly kind: ControlErrorKind, message: string) {
    super(message, kind === 'not-found' ? 66 : kind === 'invalid' ? 64 : kind === 'remote' ? 69 : 75);
    this.name = 'ControlError';
  }
}
