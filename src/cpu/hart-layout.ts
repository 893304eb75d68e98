// Fixed layout of one hart's state inside the domain's WebAssembly.Memory. The interpreter reads
// it through an Int32Array view starting at the hart's stateOffset; generated code (the JIT) will
// address the same bytes. Indices below are int32 slots; 64-bit values are two slots, low first.

/** Number of entries in each software TLB (fetch, load, store); a power of two. */
export const TLB_ENTRIES = 256;

/**
 * TLB banks, one per translation context, so that privilege changes and Linux's SUM toggling
 * (every copy_from_user) switch banks instead of flushing: 0 = U, 1 = S with SUM = 0,
 * 2 = S with SUM = 1, 3 = M (bare, or PMP-locked checks).
 */
export const TLB_BANKS = 4;

/** int32 slot indices of the hart state (byte offset = 4 × slot). */
export const enum HartSlot {
  /** x0..x31: x[i] low half at X + 2i, high half at X + 2i + 1. x0 is always 0. */
  X = 0,
  /** f0..f31 raw 64-bit patterns (binary32 values NaN-boxed), same pairing as X. */
  F = 64,
  PC = 128,
  PRIV = 130,
  WAITING = 131,
  MSTATUS = 132,
  MEPC = 134,
  SEPC = 136,
  MTVEC = 138,
  STVEC = 140,
  MCAUSE = 142,
  SCAUSE = 144,
  MTVAL = 146,
  STVAL = 148,
  MSCRATCH = 150,
  SSCRATCH = 152,
  MIE = 154,
  /** Software-writable mip bits (SSIP, STIP, SEIP) as written through the CSR. */
  MIP_SW = 155,
  /** Hardware-driven mip bits (setPending). */
  MIP_HW = 156,
  MIDELEG = 157,
  MEDELEG = 158,
  MCOUNTEREN = 159,
  SCOUNTEREN = 160,
  MCOUNTINHIBIT = 161,
  MENVCFG = 162,
  SENVCFG = 164,
  SATP = 166,
  STIMECMP = 168,
  /** fcsr: fflags in bits 4:0, frm in bits 7:5. */
  FCSR = 170,
  /** LR reservation: valid flag and physical address (as a float64 in two slots). */
  RESERVATION_VALID = 171,
  RESERVATION_ADDR = 172,
  /** minstret/mcycle minus retired count (float64 in two slots each). */
  INSTRET_OFFSET = 174,
  CYCLE_OFFSET = 176,
  /** Value loaded by the LR that made the reservation (SC compares it, as QEMU does). */
  RESERVATION_VALUE = 178,
  /** pmpcfg bytes for entries 0..63: 16 slots of 4 bytes. */
  PMPCFG = 180,
  /** pmpaddr0..63, two slots each. */
  PMPADDR = 196,
  /** Software TLBs: per bank (TLB_BANKS), per type (0 fetch, 1 load, 2 store): TLB_ENTRIES tags
   *  low, TLB_ENTRIES tags high, TLB_ENTRIES buffer offsets of the RAM page. */
  TLB = 324,
  /** Total number of slots. */
  END = 324 + 4 * 3 * 3 * 256,
}

/** Bytes of hart state; the area at stateOffset must be this long and 8-byte aligned. */
export const HART_STATE_BYTES = HartSlot.END * 4;
