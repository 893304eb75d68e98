// Numbers from the RISC-V Supervisor Binary Interface specification v2.0, spelled as the spec
// spells them (chapter 3 "Binary Encoding" for errors, each extension's chapter for its EID).

/** Standard SBI return error codes (SBI v2.0 §3.2, Table 1). */
export const enum SbiError {
  SBI_SUCCESS = 0,
  SBI_ERR_FAILED = -1,
  SBI_ERR_NOT_SUPPORTED = -2,
  SBI_ERR_INVALID_PARAM = -3,
  SBI_ERR_DENIED = -4,
  SBI_ERR_INVALID_ADDRESS = -5,
  SBI_ERR_ALREADY_AVAILABLE = -6,
  SBI_ERR_ALREADY_STARTED = -7,
  SBI_ERR_ALREADY_STOPPED = -8,
  SBI_ERR_NO_SHMEM = -9,
}

/** Extension IDs (SBI v2.0, one per chapter). Legacy extensions are 0x00..0x0F. */
export const enum SbiEid {
  LEGACY_SET_TIMER = 0x00,
  LEGACY_CONSOLE_PUTCHAR = 0x01,
  LEGACY_CONSOLE_GETCHAR = 0x02,
  BASE = 0x10,
  TIME = 0x54494d45,
  IPI = 0x735049,
  RFNC = 0x52464e43,
  HSM = 0x48534d,
  SRST = 0x53525354,
  PMU = 0x504d55,
  DBCN = 0x4442434e,
  SUSP = 0x53555350,
}

/** HSM hart states (SBI v2.0 §9, Table 22). */
export const enum HsmState {
  STARTED = 0,
  STOPPED = 1,
  START_PENDING = 2,
  STOP_PENDING = 3,
  SUSPENDED = 4,
  SUSPEND_PENDING = 5,
  RESUME_PENDING = 6,
}

/** SBI specification version implemented: 2.0 (major in bits 30:24, minor in 23:0). */
export const SBI_SPEC_VERSION = (2 << 24) | 0;

/**
 * SBI implementation ID of Banquise's built-in SBI. IDs 0..13 are assigned by the SBI
 * specification (BBL, OpenSBI, Xvisor, KVM, RustSBI, …); 0x42414e51 is ASCII "BANQ", far from
 * the assigned range. Documented in docs/sbi.md.
 */
export const SBI_IMPL_ID_BANQUISE = 0x42414e51;

/** Implementation version: 0.1 (major << 16 | minor, as OpenSBI encodes it). */
export const SBI_IMPL_VERSION = (0 << 16) | 1;

/** CSR numbers the SBI layer and the pv boot touch (privileged spec 1.12). */
export const enum Csr {
  sstatus = 0x100,
  sie = 0x104,
  sip = 0x144,
  scounteren = 0x106,
  satp = 0x180,
  stimecmp = 0x14d,
  mstatus = 0x300,
  misa = 0x301,
  medeleg = 0x302,
  mideleg = 0x303,
  mie = 0x304,
  mtvec = 0x305,
  mcounteren = 0x306,
  menvcfg = 0x30a,
  mip = 0x344,
  mvendorid = 0xf11,
  marchid = 0xf12,
  mimpid = 0xf13,
  mhartid = 0xf14,
}
