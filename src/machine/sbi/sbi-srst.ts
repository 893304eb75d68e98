// SBI System Reset extension (EID "SRST", SBI v2.0 chapter 10).
import type { Hart } from '../../cpu/hart.js';
import { SbiEid, SbiError } from './sbi-constants.js';
import { sbiArg, type SbiExtension, type SbiHost, type SbiRet } from './sbi-extension.js';

/** Function IDs of the SRST extension. */
export const enum SbiSrstFid {
  SYSTEM_RESET = 0,
}

/** reset_type values (SBI v2.0 §10.1, Table 25). */
export const enum SrstResetType {
  SHUTDOWN = 0,
  COLD_REBOOT = 1,
  WARM_REBOOT = 2,
}

/** reset_reason values (SBI v2.0 §10.1, Table 26). */
export const enum SrstResetReason {
  NO_REASON = 0,
  SYSTEM_FAILURE = 1,
}

/**
 * System reset: shutdown ends the machine (a shutdown for SYSTEM_FAILURE ends it as a failure),
 * cold and warm reboot restart it. Reserved or vendor types/reasons: SBI_ERR_INVALID_PARAM.
 * On success the call does not return to the guest: the machine stops after this slice.
 */
export class SbiSrst implements SbiExtension {
  readonly eid = SbiEid.SRST;
  readonly name = 'SRST';

  constructor(private readonly host: SbiHost) {}

  call(fid: number, hart: Hart, ret: SbiRet): void {
    if (fid !== SbiSrstFid.SYSTEM_RESET) {
      ret.error = SbiError.SBI_ERR_NOT_SUPPORTED;
      return;
    }
    const type = sbiArg(hart, 0);
    const reason = sbiArg(hart, 1);
    if (type > 2n || reason > 1n) {
      ret.error = SbiError.SBI_ERR_INVALID_PARAM;
      return;
    }
    const r = Number(reason);
    if (type === BigInt(SrstResetType.SHUTDOWN)) {
      this.host.systemReset(r === SrstResetReason.SYSTEM_FAILURE ? 'failure' : 'shutdown', r);
    } else {
      this.host.systemReset('reboot', r);
    }
  }
}
