// SBI Timer extension (EID "TIME", SBI v2.0 chapter 6).
import type { Hart } from '../../cpu/hart.js';
import { Csr, SbiEid, SbiError } from './sbi-constants.js';
import { sbiArg, type SbiExtension, type SbiRet } from './sbi-extension.js';

/** Function IDs of the Timer extension. */
export const enum SbiTimeFid {
  SET_TIMER = 0,
}

/**
 * sbi_set_timer(stime_value): programs the calling hart's next supervisor timer event. The
 * board implements Sstc, so this is exactly a write of `stimecmp`: the pending STIP clears when
 * the new value lies in the future and rises when `time` reaches it. All ones = never.
 */
export function setSupervisorTimer(hart: Hart, stimeValue: bigint): void {
  hart.writeCsr(Csr.stimecmp, BigInt.asUintN(64, stimeValue));
}

/** Timer extension. */
export class SbiTime implements SbiExtension {
  readonly eid = SbiEid.TIME;
  readonly name = 'TIME';

  call(fid: number, hart: Hart, ret: SbiRet): void {
    if (fid !== SbiTimeFid.SET_TIMER) {
      ret.error = SbiError.SBI_ERR_NOT_SUPPORTED;
      return;
    }
    setSupervisorTimer(hart, sbiArg(hart, 0));
  }
}
