// SBI IPI extension (EID "sPI", SBI v2.0 chapter 7).
import { Irq, type Hart } from '../../cpu/hart.js';
import { SbiEid, SbiError } from './sbi-constants.js';
import { forEachHartInMask, sbiArg, type SbiExtension, type SbiHost, type SbiRet } from './sbi-extension.js';

/** Function IDs of the IPI extension. */
export const enum SbiIpiFid {
  SEND_IPI = 0,
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
      harts[h]!.setPending(Irq.SSIP, true);
    });
  }
}
