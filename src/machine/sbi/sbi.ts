// The SBI dispatcher: pv mode's hypercall entry point (DESIGN.md §1). The hart calls `handle`
// on every ECALL from S-mode; it never throws and never traps to a firmware.
import type { Hart } from '../../cpu/hart.js';
import { SbiBase } from './sbi-base.js';
import { SbiError } from './sbi-constants.js';
import { SbiDbcn } from './sbi-dbcn.js';
import type { SbiExtension, SbiHost, SbiRet } from './sbi-extension.js';
import { SbiHsm } from './sbi-hsm.js';
import { SbiIpi } from './sbi-ipi.js';
import { SbiLegacyGetchar, SbiLegacyPutchar, SbiLegacySetTimer } from './sbi-legacy.js';
import { SbiRfence } from './sbi-rfence.js';
import { SbiSrst } from './sbi-srst.js';
import { SbiStats } from './sbi-stats.js';
import { SbiTime } from './sbi-time.js';

/** Implements SBI v2.0 (BASE, TIME, IPI, RFENCE, HSM, SRST, DBCN, legacy 0x00–0x02) for one machine. */
export class Sbi {
  /** Calls per extension and function, for reports and tests. */
  readonly sbiStats = new SbiStats();
  private readonly extensions = new Map<number, SbiExtension>();
  private readonly ret: SbiRet = { error: 0, value: 0n };

  constructor(host: SbiHost) {
    const all: SbiExtension[] = [
      new SbiBase((eid) => this.extensions.has(eid)),
      new SbiTime(),
      new SbiIpi(host),
      new SbiRfence(host),
      new SbiHsm(host),
      new SbiSrst(host),
      new SbiDbcn(host),
      new SbiLegacySetTimer(),
      new SbiLegacyPutchar(host),
      new SbiLegacyGetchar(host),
    ];
    for (const e of all) this.extensions.set(e.eid, e);
  }

  /** Handles the ECALL of `hart` (a7 = EID, a6 = FID, a0..a5 = arguments); always returns true. */
  handle(hart: Hart): boolean {
    const eid = BigInt.asUintN(64, hart.getX(17));
    const fidRaw = BigInt.asUintN(64, hart.getX(16));
    const ext = eid <= 0xffffffffn ? this.extensions.get(Number(eid)) : undefined;
    const fid = fidRaw <= 0xffffffffn ? Number(fidRaw) : -1;
    const ret = this.ret;
    ret.error = SbiError.SBI_SUCCESS;
    ret.value = 0n;
    if (ext === undefined) {
      this.sbiStats.count('unknown', Number(eid & 0xffffffffn));
      hart.setX(10, BigInt(SbiError.SBI_ERR_NOT_SUPPORTED));
      return true;
    }
    this.sbiStats.count(ext.name, fid);
    if (fid < 0) ret.error = SbiError.SBI_ERR_NOT_SUPPORTED;
    else ext.call(fid, hart, ret);
    if (ext.legacy) {
      hart.setX(10, ret.value);
    } else {
      hart.setX(10, BigInt(ret.error));
      hart.setX(11, ret.value);
    }
    return true;
  }
}
