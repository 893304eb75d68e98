// Bit fields of mstatus/sstatus and mip/mie and the write masks of the trap CSRs, as the
// privileged spec 1.12 names them (§3.1.6 mstatus, §3.1.9 mip/mie, §3.1.8 medeleg/mideleg).
// Shared by the files that implement the hart; internal to src/cpu/. They are const enums on
// purpose: tsc inlines the numbers, where an imported `const` would be a binding V8 loads (and
// cannot type) inside the hot paths.

/** mstatus bits (low word) and the masks of its WARL views. */
export const enum Mstatus {
  SIE = 1 << 1,
  MIE = 1 << 3,
  SPIE = 1 << 5,
  MPIE = 1 << 7,
  SPP = 1 << 8,
  /** Bits 12:11. */
  MPP = 3 << 11,
  /** Bits 14:13. */
  FS = 3 << 13,
  MPRV = 1 << 17,
  SUM = 1 << 18,
  MXR = 1 << 19,
  TVM = 1 << 20,
  TW = 1 << 21,
  TSR = 1 << 22,
  /** Writable bits of mstatus. */
  WMASK = SIE | MIE | SPIE | MPIE | SPP | MPP | FS | MPRV | SUM | MXR | TVM | TW | TSR,
  /** Bits visible through sstatus (XS, bits 16:15, reads as 0). */
  SSTATUS_MASK = SIE | SPIE | SPP | FS | (3 << 15) | SUM | MXR,
  /** Bits writable through sstatus. */
  SSTATUS_WMASK = SIE | SPIE | SPP | FS | SUM | MXR,
}

/** mstatus high word (bits 63:32). */
export const enum MstatusHi {
  /** UXL = SXL = 2 (64-bit), fixed. */
  FIXED = 0xa,
  /** SD, bit 63. */
  SD = 1 << 31,
}

/** mip/mie bits. */
export const enum Mip {
  SSIP = 1 << 1,
  MSIP = 1 << 3,
  STIP = 1 << 5,
  MTIP = 1 << 7,
  SEIP = 1 << 9,
  MEIP = 1 << 11,
}

/** Writable bits of the interrupt and delegation CSRs. */
export const enum CsrWmask {
  /** mie: the six standard interrupt enables. */
  MIE = 0xaaa,
  /** mideleg: the S-level interrupts. */
  MIDELEG = Mip.SSIP | Mip.STIP | Mip.SEIP,
  /** medeleg: causes 0..9, 12, 13, 15 (not ECALL from M, cause 11). */
  MEDELEG = 0xb3ff,
}
