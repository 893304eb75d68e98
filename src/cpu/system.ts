// The SYSTEM opcode (privileged spec 1.12 §3.3, §4.2.1; Zicsr): ECALL (with the pv SBI hook),
// EBREAK, SRET/MRET, WFI, SFENCE.VMA, and the CSR instructions, whose CSR reads and writes are in
// csr.ts. Internal to src/cpu/: free functions over a Hart.
import type { Hart } from './hart.js';
import { HartSlot as S } from './hart-layout.js';
import { Mstatus } from './csr-bits.js';
import { csrAccessible, csrRead, csrWrite } from './csr.js';
import { Flow } from './flow.js';
import { flushTlb, flushTlbPage, selectBanks } from './mmu.js';
import { illegal, mipValue, raise, updateSstc } from './trap.js';

/** Executes a SYSTEM instruction at pc (pcLo, pcHi); the run loop has stored pc and runCount. */
export function execSystem(h: Hart, insn: number, raw: number, pcLo: number, pcHi: number): Flow {
  const st = h.st;
  const f3 = (insn >> 12) & 7;
  const priv = st[S.PRIV]!;
  if (f3 === 0) {
    const rd = (insn >> 7) & 31;
    const rs1 = (insn >> 15) & 31;
    const f12 = insn >>> 20;
    const f7 = insn >>> 25;
    if (f7 === 0x09) { // SFENCE.VMA
      if (rd !== 0 || priv === 0 || (priv === 1 && (st[S.MSTATUS]! & Mstatus.TVM) !== 0)) return illegal(h, raw, pcLo, pcHi);
      if (rs1 === 0) flushTlb(h);
      else flushTlbPage(h, st[2 * rs1]!, st[2 * rs1 + 1]!); // one address (any ASID)
      return Flow.NextCheck;
    }
    if (rd !== 0 || rs1 !== 0) return illegal(h, raw, pcLo, pcHi);
    switch (f12) {
      case 0x000: { // ECALL
        if (priv === 1 && h.env.sbi !== undefined) {
          if (h.env.sbi(h)) {
            // the hook may have moved this hart (reset, hart stop): then its pc wins over pc + 4
            if (st[S.PC] !== pcLo || st[S.PC + 1] !== pcHi) return Flow.Redirect;
            return Flow.NextCheck;
          }
        }
        return raise(h, 8 + priv, 0, 0, pcLo, pcHi);
      }
      case 0x001: // EBREAK
        return raise(h, 3, pcLo, pcHi, pcLo, pcHi);
      case 0x102: // SRET
        if (priv === 0 || (priv === 1 && (st[S.MSTATUS]! & Mstatus.TSR) !== 0)) return illegal(h, raw, pcLo, pcHi);
        return xret(h, false);
      case 0x302: // MRET
        if (priv !== 3) return illegal(h, raw, pcLo, pcHi);
        return xret(h, true);
      case 0x105: { // WFI
        if (priv === 0 || (priv === 1 && (st[S.MSTATUS]! & Mstatus.TW) !== 0)) return illegal(h, raw, pcLo, pcHi);
        updateSstc(h);
        if ((mipValue(h) & st[S.MIE]!) === 0) st[S.WAITING] = 1;
        return Flow.NextCheck;
      }
      default:
        return illegal(h, raw, pcLo, pcHi);
    }
  }
  if (f3 === 4) return illegal(h, raw, pcLo, pcHi);
  // Zicsr
  const csr = insn >>> 20;
  const rd2 = (insn >> 6) & 62;
  const rs1 = (insn >> 15) & 31;
  const op = f3 & 3;
  const writes = op === 1 || rs1 !== 0;
  if (((csr >> 8) & 3) > priv) return illegal(h, raw, pcLo, pcHi);
  if (writes && (csr >>> 10) === 3) return illegal(h, raw, pcLo, pcHi);
  if (!csrAccessible(h, csr, priv)) return illegal(h, raw, pcLo, pcHi);
  if (!csrRead(h, csr)) return illegal(h, raw, pcLo, pcHi);
  const oldLo = h.rLo;
  const oldHi = h.rHi;
  if (writes) {
    let sLo: number;
    let sHi: number;
    if (f3 >= 4) {
      sLo = rs1;
      sHi = 0;
    } else {
      sLo = st[2 * rs1]!;
      sHi = st[2 * rs1 + 1]!;
    }
    let nLo = sLo;
    let nHi = sHi;
    // read-modify-write of mip/sip works on the software-writable bits only: a pending external
    // line (SEIP from the PLIC) must not be latched into the software SEIP bit (priv. 1.12 §3.1.9)
    const baseLo = csr === 0x344 || csr === 0x144 ? st[S.MIP_SW]! : oldLo;
    if (op === 2) { nLo = baseLo | sLo; nHi = oldHi | sHi; } else if (op === 3) { nLo = baseLo & ~sLo; nHi = oldHi & ~sHi; }
    csrWrite(h, csr, nLo, nHi);
    // the writing instruction itself retires after the write and must not count
    if (csr === 0xb00) h.st64[S.CYCLE_OFFSET / 2] -= 1;
    else if (csr === 0xb02) h.st64[S.INSTRET_OFFSET / 2] -= 1;
  }
  if (rd2 !== 0) {
    st[rd2] = oldLo;
    st[rd2 + 1] = oldHi;
  }
  return Flow.NextCheck;
}

/**
 * SRET / MRET (privileged spec §3.3.2): xIE = xPIE, xPIE = 1, privilege = xPP (SPP/MPP), xPP =
 * least privileged; leaving M-mode clears MPRV; the reservation is dropped; pc = xepc.
 */
function xret(h: Hart, fromM: boolean): Flow {
  const st = h.st;
  let mst = st[S.MSTATUS]!;
  let target: number;
  if (fromM) {
    target = (mst >> 11) & 3;
    mst = (mst & ~(Mstatus.MIE | Mstatus.MPP)) | ((mst & Mstatus.MPIE) >> 4) | Mstatus.MPIE;
  } else {
    target = (mst >> 8) & 1;
    mst = (mst & ~(Mstatus.SIE | Mstatus.SPP)) | ((mst & Mstatus.SPIE) >> 4) | Mstatus.SPIE;
  }
  if (target !== 3) mst &= ~Mstatus.MPRV;
  st[S.MSTATUS] = mst;
  st[S.PRIV] = target;
  st[S.RESERVATION_VALID] = 0;
  const epc = fromM ? S.MEPC : S.SEPC;
  st[S.PC] = st[epc]!;
  st[S.PC + 1] = st[epc + 1]!;
  selectBanks(h);
  return Flow.Redirect;
}
