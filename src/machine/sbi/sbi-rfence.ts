// SBI RFENCE extension (EID "RFNC", SBI v2.0 chapter 8).
import type { Hart } from '../../cpu/hart.js';
import { SbiEid, SbiError } from './sbi-constants.js';
import { forEachHartInMask, sbiArg, type SbiExtension, type SbiHost, type SbiRet } from './sbi-extension.js';

/** Function IDs of the RFENCE extension. */
export const enum SbiRfenceFid {
  REMOTE_FENCE_I = 0,
  REMOTE_SFENCE_VMA = 1,
  REMOTE_SFENCE_VMA_ASID = 2,
  REMOTE_HFENCE_GVMA_VMID = 3,
  REMOTE_HFENCE_GVMA = 4,
  REMOTE_HFENCE_VVMA_ASID = 5,
  REMOTE_HFENCE_VVMA = 6,
}

/**
 * RFENCE extension. Harts share one host thread, so a remote fence completes before the call
 * returns: FENCE.I flushes the targets' decoded-instruction caches, SFENCE.VMA their TLBs (the
 * whole TLB: ranges and ASIDs only narrow what must be flushed). The hypervisor fences (3..6)
 * need the H extension, which the board does not have: SBI_ERR_NOT_SUPPORTED.
 */
export class SbiRfence implements SbiExtension {
  readonly eid = SbiEid.RFNC;
  readonly name = 'RFNC';

  constructor(private readonly host: SbiHost) {}

  call(fid: number, hart: Hart, ret: SbiRet): void {
    const harts = this.host.harts;
    switch (fid) {
      case SbiRfenceFid.REMOTE_FENCE_I:
        ret.error = forEachHartInMask(sbiArg(hart, 0), sbiArg(hart, 1), harts.length, (h) => harts[h]!.flushIcache());
        return;
      case SbiRfenceFid.REMOTE_SFENCE_VMA:
      case SbiRfenceFid.REMOTE_SFENCE_VMA_ASID:
        ret.error = forEachHartInMask(sbiArg(hart, 0), sbiArg(hart, 1), harts.length, (h) => harts[h]!.flushTlb());
        return;
      default:
        ret.error = SbiError.SBI_ERR_NOT_SUPPORTED;
    }
  }
}
