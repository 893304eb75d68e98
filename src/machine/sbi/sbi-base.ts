// SBI Base extension (EID 0x10, SBI v2.0 chapter 4).
import type { Hart } from '../../cpu/hart.js';
import { Csr, SbiEid, SbiError, SBI_IMPL_ID_BANQUISE, SBI_IMPL_VERSION, SBI_SPEC_VERSION } from './sbi-constants.js';
import { sbiArg, type SbiExtension, type SbiRet } from './sbi-extension.js';

/** Function IDs of the Base extension. */
export const enum SbiBaseFid {
  GET_SPEC_VERSION = 0,
  GET_IMPL_ID = 1,
  GET_IMPL_VERSION = 2,
  PROBE_EXTENSION = 3,
  GET_MVENDORID = 4,
  GET_MARCHID = 5,
  GET_MIMPID = 6,
}

/** Base extension: versions, probing, and the hart's virtual machine identity. */
export class SbiBase implements SbiExtension {
  readonly eid = SbiEid.BASE;
  readonly name = 'BASE';

  /** `isAvailable(eid)` answers probe_extension for every other extension. */
  constructor(private readonly isAvailable: (eid: number) => boolean) {}

  call(fid: number, hart: Hart, ret: SbiRet): void {
    switch (fid) {
      case SbiBaseFid.GET_SPEC_VERSION:
        ret.value = BigInt(SBI_SPEC_VERSION);
        return;
      case SbiBaseFid.GET_IMPL_ID:
        ret.value = BigInt(SBI_IMPL_ID_BANQUISE);
        return;
      case SbiBaseFid.GET_IMPL_VERSION:
        ret.value = BigInt(SBI_IMPL_VERSION);
        return;
      case SbiBaseFid.PROBE_EXTENSION: {
        const eid = sbiArg(hart, 0);
        ret.value = eid <= 0xffffffffn && this.isAvailable(Number(eid)) ? 1n : 0n;
        return;
      }
      case SbiBaseFid.GET_MVENDORID:
        ret.value = BigInt.asUintN(64, hart.readCsr(Csr.mvendorid));
        return;
      case SbiBaseFid.GET_MARCHID:
        ret.value = BigInt.asUintN(64, hart.readCsr(Csr.marchid));
        return;
      case SbiBaseFid.GET_MIMPID:
        ret.value = BigInt.asUintN(64, hart.readCsr(Csr.mimpid));
        return;
      default:
        ret.error = SbiError.SBI_ERR_NOT_SUPPORTED;
    }
  }
}
