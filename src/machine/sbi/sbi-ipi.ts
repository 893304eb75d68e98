// SBI IPI extension (EID "sPI", SBI v2.0 chapter 7).
import type { Hart } from '../../cpu/hart.js';
import { Csr, SbiEid, SbiError } from './sbi-constants.js';
import { forEachHartInMask, sbiArg, type SbiExtension, type SbiHost, type SbiRet } from './sbi-extension.js';

/** Function IDs of the IPI extension. */
export const enum SbiIpiFid {
  SEND_IPI = 0,
}

/** sip.SSIP: the supervisor software interrupt pending bit. */
const SIP_SSIP = 1n << 1n;

/**
 * Raises a supervisor software interrupt on `hart` the way firmware does after its M-mode IPI:
 * by setting the software-writable sip.SSIP, which the kernel then clears itself.
 */
export function raiseSupervisorSoftwareInterrupt(hart: Hart): void {
  hart.writeCsr(Csr.sip, hart.readCsr(Csr.sip) | SIP_SSIP);
}

/** IPI extension: sbi_send_ipi(hart_mask, hart_mask_base) raises SSIP on every target hart. */
export class SbiIpi implements SbiExtension {
  readonly eid = SbiEid.IPI;
  readonly name = 'IPI';

  constructor(private readonly host: SbiHost) {}

  call(fid: number, hart: Hart, ret: SbiRet): void {
    if (fid !== SbiIpiFid.SEND_IPI) {
      ret.error = SbiError.SBI_ERR_NOT_SUPPORTED;
      return;
    }
    const harts = this.host.harts;
    ret.error = forEachHartInMask(sbiArg(hart, 0), sbiArg(hart, 1), harts.length, (h) => {
      raiseSupervisorSoftwareInterrupt(harts[h]!);
    });
  }
}
