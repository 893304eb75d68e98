// Numbers from the PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's Manual
// (Intel 8254x, rev. 4.0; the 82540EM is one of them), spelled as the manual spells them.

/** Register offsets in BAR0 (§13.1, table 13-2). */
export const enum E1000Reg {
  CTRL = 0x0000, STATUS = 0x0008, EECD = 0x0010, EERD = 0x0014, CTRL_EXT = 0x0018, MDIC = 0x0020,
  ICR = 0x00c0, ITR = 0x00c4, ICS = 0x00c8, IMS = 0x00d0, IMC = 0x00d8,
  RCTL = 0x0100, TCTL = 0x0400, TIPG = 0x0410,
  RDBAL = 0x2800, RDBAH = 0x2804, RDLEN = 0x2808, RDH = 0x2810, RDT = 0x2818, RDTR = 0x2820,
  TDBAL = 0x3800, TDBAH = 0x3804, TDLEN = 0x3808, TDH = 0x3810, TDT = 0x3818, TIDV = 0x3820,
  /** Statistics (0x4000..0x40ff), clear on read. */
  STATS_FIRST = 0x4000, STATS_LAST = 0x40fc,
  MTA = 0x5200, RAL0 = 0x5400, RAH0 = 0x5404,
}

/** CTRL bits (§13.4.1). */
export const enum E1000Ctrl {
  SLU = 1 << 6, RST = 1 << 26, PHY_RST = 1 << 31,
}

/** STATUS bits (§13.4.2): full duplex, link up, 1000 Mb/s. */
export const enum E1000Status {
  FD = 1 << 0, LU = 1 << 1, SPEED_1000 = 2 << 6,
}

/** EECD bits (§13.4.3): Microwire bit-banging and the access handshake. */
export const enum E1000Eecd {
  SK = 1 << 0, CS = 1 << 1, DI = 1 << 2, DO = 1 << 3, REQ = 1 << 6, GNT = 1 << 7, PRES = 1 << 8,
}

/** EERD bits (§13.4.4): START, DONE, address at 15:8, data at 31:16. */
export const enum E1000Eerd {
  START = 1 << 0, DONE = 1 << 4,
}

/** MDIC fields (§13.4.5). */
export const enum E1000Mdic {
  OP_WRITE = 1 << 26, OP_READ = 2 << 26, READY = 1 << 28, ERROR = 1 << 30,
}

/** Interrupt causes, ICR/ICS/IMS/IMC bits (§13.4.17). */
export const enum E1000Icr {
  TXDW = 1 << 0, TXQE = 1 << 1, LSC = 1 << 2, RXDMT0 = 1 << 4, RXO = 1 << 6, RXT0 = 1 << 7,
}

/** RCTL bits (§13.4.22). */
export const enum E1000Rctl {
  EN = 1 << 1, UPE = 1 << 3, MPE = 1 << 4, LPE = 1 << 5, BAM = 1 << 15, BSEX = 1 << 25, SECRC = 1 << 26,
}

/** TCTL bits (§13.4.33). */
export const enum E1000Tctl {
  EN = 1 << 1,
}

/** Receive descriptor status bits (§3.2.3.1). */
export const enum E1000RxStatus {
  DD = 1 << 0, EOP = 1 << 1, IXSM = 1 << 2,
}

/** Transmit descriptor command bits, legacy and extended (§3.3.3, §3.3.6, §3.3.7). */
export const enum E1000TxCmd {
  EOP = 1 << 0, IFCS = 1 << 1, TSE = 1 << 2, RS = 1 << 3, DEXT = 1 << 5, IDE = 1 << 7,
}

/** Extended descriptor types (DTYP, bits 23:20 of the second quadword). */
export const enum E1000Dtyp {
  CONTEXT = 0, DATA = 1,
}

/** POPTS of a data descriptor: insert IP / TCP-UDP checksums. */
export const enum E1000Popts {
  IXSM = 1 << 0, TXSM = 1 << 1,
}

/** Descriptor size, receive and transmit. */
export const E1000_DESC_BYTES = 16;
/** The 82540EM's PCI ids. */
export const E1000_VENDOR_ID = 0x8086;
export const E1000_DEV_ID_82540EM = 0x100e;
/** Words of the Microwire EEPROM (93C46: 64 words, 6 address bits) and its checksum target (§5.6). */
export const EEPROM_WORDS = 64;
export const EEPROM_ADDRESS_BITS = 6;
export const EEPROM_CHECKSUM = 0xbaba;
/** Microwire READ opcode (110b). */
export const EEPROM_READ_OPCODE = 0b110;
/** PHY address the MAC's internal PHY answers on, and the M88E1011 PHY identifier. */
export const PHY_ADDRESS = 1;
export const M88E1011_PHY_ID1 = 0x0141;
export const M88E1011_PHY_ID2 = 0x0c20;
