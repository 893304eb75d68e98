// SBI Hart State Management extension (EID "HSM", SBI v2.0 chapter 9).
import type { Hart } from '../../cpu/hart.js';
import { HsmState, SbiEid, SbiError } from './sbi-constants.js';
import { sbiArg, type SbiExtension, type SbiHost, type SbiRet } from './sbi-extension.js';

/** Function IDs of the HSM extension. */
export const enum SbiHsmFid {
  HART_START = 0,
  HART_STOP = 1,
  HART_GET_STATUS = 2,
  HART_SUSPEND = 3,
}

/** hart_suspend types the board implements (SBI v2.0 §9.4, Table 23). */
export const enum HsmSuspendType {
  DEFAULT_RETENTIVE = 0x0000_0000,
  DEFAULT_NON_RETENTIVE = 0x8000_0000,
}

/**
 * HSM: start a stopped hart at an S-mode address, stop the calling hart, read a hart's state,
 * suspend the calling hart until an interrupt. Start and resume addresses must be in RAM.
 */
export class SbiHsm implements SbiExtension {
  readonly eid = SbiEid.HSM;
  readonly name = 'HSM';

  constructor(private readonly host: SbiHost) {}

  private hartIdArg(hart: Hart): number {
    const id = sbiArg(hart, 0);
    return id < BigInt(this.host.harts.length) ? Number(id) : -1;
  }

  private executableRam(addr: bigint): boolean {
    return addr <= 0xffff_ffff_ffffn && this.host.mem.contains(Number(addr), 2);
  }

  call(fid: number, hart: Hart, ret: SbiRet): void {
    const host = this.host;
    switch (fid) {
      case SbiHsmFid.HART_START: {
        const id = this.hartIdArg(hart);
        if (id < 0) {
          ret.error = SbiError.SBI_ERR_INVALID_PARAM;
        } else if (host.hartState(id) !== HsmState.STOPPED) {
          ret.error = SbiError.SBI_ERR_ALREADY_AVAILABLE;
        } else if (!this.executableRam(sbiArg(hart, 1))) {
          ret.error = SbiError.SBI_ERR_INVALID_ADDRESS;
        } else {
          host.startHart(id, sbiArg(hart, 1), sbiArg(hart, 2));
        }
        return;
      }
      case SbiHsmFid.HART_STOP:
        if (host.hartState(hart.hartId) !== HsmState.STARTED) {
          ret.error = SbiError.SBI_ERR_FAILED;
          return;
        }
        host.stopHart(hart.hartId);
        return;
      case SbiHsmFid.HART_GET_STATUS: {
        const id = this.hartIdArg(hart);
        if (id < 0) ret.error = SbiError.SBI_ERR_INVALID_PARAM;
        else ret.value = BigInt(host.hartState(id));
        return;
      }
      case SbiHsmFid.HART_SUSPEND: {
        const type = sbiArg(hart, 0);
        if (type === BigInt(HsmSuspendType.DEFAULT_RETENTIVE)) {
          host.suspendHart(hart.hartId, false, 0n, 0n);
        } else if (type === BigInt(HsmSuspendType.DEFAULT_NON_RETENTIVE)) {
          if (!this.executableRam(sbiArg(hart, 1))) {
            ret.error = SbiError.SBI_ERR_INVALID_ADDRESS;
            return;
          }
          host.suspendHart(hart.hartId, true, sbiArg(hart, 1), sbiArg(hart, 2));
        } else {
          // Reserved types and platform-specific types the board does not implement.
          ret.error = SbiError.SBI_ERR_INVALID_PARAM;
        }
        return;
      }
      default:
        ret.error = SbiError.SBI_ERR_NOT_SUPPORTED;
    }
  }
}
