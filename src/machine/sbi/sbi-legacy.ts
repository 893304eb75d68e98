// SBI v0.1 legacy extensions still used by early boot code (SBI v2.0 chapter 5).
import type { Hart } from '../../cpu/hart.js';
import { SbiEid } from './sbi-constants.js';
import { sbiArg, type SbiExtension, type SbiHost, type SbiRet } from './sbi-extension.js';
import { setSupervisorTimer } from './sbi-time.js';

/** Legacy sbi_set_timer (EID 0x00): same effect as TIME set_timer; returns 0 in a0. */
export class SbiLegacySetTimer implements SbiExtension {
  readonly eid = SbiEid.LEGACY_SET_TIMER;
  readonly name = 'LEGACY_SET_TIMER';
  readonly legacy = true;

  call(_fid: number, hart: Hart, ret: SbiRet): void {
    setSupervisorTimer(hart, sbiArg(hart, 0));
    ret.value = 0n;
  }
}

/** Legacy sbi_console_putchar (EID 0x01): writes the low byte of a0; returns 0 in a0. */
export class SbiLegacyPutchar implements SbiExtension {
  readonly eid = SbiEid.LEGACY_CONSOLE_PUTCHAR;
  readonly name = 'LEGACY_CONSOLE_PUTCHAR';
  readonly legacy = true;
  private readonly one = new Uint8Array(1);

  constructor(private readonly host: SbiHost) {}

  call(_fid: number, hart: Hart, ret: SbiRet): void {
    this.one[0] = Number(sbiArg(hart, 0) & 0xffn);
    this.host.consoleWrite(this.one);
    ret.value = 0n;
  }
}

/** Legacy sbi_console_getchar (EID 0x02): the next input byte in a0, or -1 if none. */
export class SbiLegacyGetchar implements SbiExtension {
  readonly eid = SbiEid.LEGACY_CONSOLE_GETCHAR;
  readonly name = 'LEGACY_CONSOLE_GETCHAR';
  readonly legacy = true;
  private readonly one = new Uint8Array(1);

  constructor(private readonly host: SbiHost) {}

  call(_fid: number, _hart: Hart, ret: SbiRet): void {
    ret.value = this.host.consoleRead(this.one) === 1 ? BigInt(this.one[0]!) : -1n;
  }
}
