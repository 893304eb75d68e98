// SBI Debug Console extension (EID "DBCN", SBI v2.0 chapter 12).
import type { Hart } from '../../cpu/hart.js';
import { SbiEid, SbiError } from './sbi-constants.js';
import { sbiArg, type SbiExtension, type SbiHost, type SbiRet } from './sbi-extension.js';

/** Function IDs of the DBCN extension. */
export const enum SbiDbcnFid {
  CONSOLE_WRITE = 0,
  CONSOLE_READ = 1,
  CONSOLE_WRITE_BYTE = 2,
}

/** Largest transfer one call makes; the spec lets a call move fewer bytes than asked. */
export const DBCN_MAX_CHUNK_BYTES = 4096;

/**
 * Debug console. Buffers are guest-physical (base_addr_lo, base_addr_hi); on RV64 the address
 * fits in base_addr_lo, so a non-zero base_addr_hi, or a buffer not entirely in RAM, is
 * SBI_ERR_INVALID_PARAM. Transfers are capped at DBCN_MAX_CHUNK_BYTES per call.
 */
export class SbiDbcn implements SbiExtension {
  readonly eid = SbiEid.DBCN;
  readonly name = 'DBCN';
  private readonly one = new Uint8Array(1);

  constructor(private readonly host: SbiHost) {}

  /** The guest buffer as a live view, or undefined when it is not entirely in RAM. */
  private buffer(hart: Hart): Uint8Array | undefined {
    const numBytes = sbiArg(hart, 0);
    const lo = sbiArg(hart, 1);
    const hi = sbiArg(hart, 2);
    if (hi !== 0n || lo > 0xffff_ffff_ffffn) return undefined;
    const len = numBytes > BigInt(DBCN_MAX_CHUNK_BYTES) ? DBCN_MAX_CHUNK_BYTES : Number(numBytes);
    // The whole requested buffer must be valid, even if we move only the first chunk.
    if (numBytes > 0xffff_ffffn || !this.host.mem.contains(Number(lo), Number(numBytes))) return undefined;
    return this.host.mem.slice(Number(lo), len);
  }

  call(fid: number, hart: Hart, ret: SbiRet): void {
    switch (fid) {
      case SbiDbcnFid.CONSOLE_WRITE: {
        const buf = this.buffer(hart);
        if (buf === undefined) {
          ret.error = SbiError.SBI_ERR_INVALID_PARAM;
          return;
        }
        if (buf.length > 0) this.host.consoleWrite(buf);
        ret.value = BigInt(buf.length);
        return;
      }
      case SbiDbcnFid.CONSOLE_READ: {
        const buf = this.buffer(hart);
        if (buf === undefined) {
          ret.error = SbiError.SBI_ERR_INVALID_PARAM;
          return;
        }
        const n = buf.length > 0 ? this.host.consoleRead(buf) : 0;
        if (n > 0) this.host.mem.markDirty(Number(sbiArg(hart, 1)), n);
        ret.value = BigInt(n);
        return;
      }
      case SbiDbcnFid.CONSOLE_WRITE_BYTE:
        this.one[0] = Number(sbiArg(hart, 0) & 0xffn);
        this.host.consoleWrite(this.one);
        return;
      default:
        ret.error = SbiError.SBI_ERR_NOT_SUPPORTED;
    }
  }
}
