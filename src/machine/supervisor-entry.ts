// What the pv mode's missing firmware would have done before handing a hart to the kernel: the
// M-mode configuration OpenSBI leaves behind, then a jump to S-mode (SBI v2.0 §9.1 entry state).
import type { Hart } from '../cpu/hart.js';
import { Csr } from './sbi/sbi-constants.js';

/** Exceptions delegated to S-mode: everything an S-mode kernel handles itself (mcause numbers). */
export const PV_MEDELEG =
  (1 << 0) | // instruction address misaligned
  (1 << 1) | // instruction access fault
  (1 << 2) | // illegal instruction (no firmware to emulate anything)
  (1 << 3) | // breakpoint
  (1 << 4) | // load address misaligned
  (1 << 5) | // load access fault
  (1 << 6) | // store/AMO address misaligned
  (1 << 7) | // store/AMO access fault
  (1 << 8) | // environment call from U-mode
  (1 << 12) | // instruction page fault
  (1 << 13) | // load page fault
  (1 << 15); // store/AMO page fault

/** Interrupts delegated to S-mode: SSIP, STIP, SEIP (as OpenSBI does). */
export const PV_MIDELEG = (1 << 1) | (1 << 5) | (1 << 9);

/** menvcfg.STCE (bit 63): Sstc's `stimecmp` is enabled for S-mode. */
export const MENVCFG_STCE = 1n << 63n;

const PMPCFG0 = 0x3a0;
const PMPADDR0 = 0x3b0;
/** pmpcfg entry: R | W | X | A=NAPOT. */
const PMP_RWX_NAPOT = 0x1f;

/**
 * Configures `hart`'s M-mode state the way OpenSBI leaves it (delegations, Sstc, counters, one
 * PMP entry opening the whole physical address space to S/U) and enters S-mode at `pc` with
 * a0 = `a0`, a1 = `a1`, satp = 0 and interrupts disabled.
 */
export function enterSupervisor(hart: Hart, pc: bigint, a0: bigint, a1: bigint): void {
  hart.writeCsr(Csr.medeleg, BigInt(PV_MEDELEG));
  hart.writeCsr(Csr.mideleg, BigInt(PV_MIDELEG));
  hart.writeCsr(Csr.menvcfg, MENVCFG_STCE);
  hart.writeCsr(Csr.mcounteren, 0xffff_ffffn);
  // OpenSBI also lets U-mode read cycle, time and instret (scounteren = CY | TM | IR).
  hart.writeCsr(Csr.scounteren, 7n);
  hart.writeCsr(PMPADDR0, (1n << 54n) - 1n);
  hart.writeCsr(PMPCFG0, BigInt(PMP_RWX_NAPOT));
  hart.writeCsr(Csr.satp, 0n);
  hart.writeCsr(Csr.stimecmp, (1n << 64n) - 1n);
  // sstatus: SIE = 0, SPP = 0, FS = Off (the kernel turns the FPU on when it wants it).
  const SSTATUS_SIE = 1n << 1n;
  const MSTATUS_FS = 3n << 13n;
  hart.writeCsr(Csr.mstatus, hart.readCsr(Csr.mstatus) & ~(SSTATUS_SIE | MSTATUS_FS));
  hart.writeCsr(Csr.sie, 0n);
  hart.setX(10, a0);
  hart.setX(11, a1);
  hart.setPc(pc);
  hart.priv = 1;
  hart.flushTlb();
  hart.flushIcache();
}
