// Identify data structures (NVMe 1.4 §5.15.2): the 4 KiB controller and namespace pages.

/** What the controller page says. */
export interface IdentifyControllerInfo {
  readonly serial: string;
  /** Maximum Data Transfer Size (power of two of the 4 KiB page). */
  readonly mdts: number;
}

/** What the namespace page says. */
export interface IdentifyNamespaceInfo {
  /** Size in 512-byte logical blocks. */
  readonly sectors: number;
  readonly readOnly: boolean;
}

function ascii(page: Uint8Array, offset: number, length: number, text: string): void {
  for (let i = 0; i < length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x20; // space padded (§1.5)
    page[offset + i] = c >= 0x20 && c < 0x7f ? c : 0x20;
  }
}

/** Fills `page` (4096 bytes, zeroed) with the Identify Controller data structure (CNS 01h). */
export function identifyController(page: Uint8Array, info: IdentifyControllerInfo): void {
  const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
  dv.setUint16(0x00, 0x1b36, true); // VID: Red Hat (as QEMU's nvme)
  dv.setUint16(0x02, 0x1af4, true); // SSVID
  ascii(page, 0x04, 20, info.serial); // SN
  ascii(page, 0x18, 40, 'Banquise NVMe Ctrl'); // MN
  ascii(page, 0x40, 8, '1.0'); // FR
  page[0x48] = 6; // RAB
  page[0x4d] = info.mdts; // MDTS
  dv.setUint16(0x4e, 0, true); // CNTLID
  dv.setUint32(0x50, 0x0001_0400, true); // VER 1.4
  page[0x102] = 3; // ACL: 4 Abort commands
  page[0x103] = 3; // AERL: 4 outstanding Asynchronous Event Requests
  page[0x104] = 0x02; // FRMW: one slot, slot 1 read-only not set
  page[0x105] = 0; // LPA
  page[0x200] = 0x66; // SQES: 64-byte entries
  page[0x201] = 0x44; // CQES: 16-byte entries
  dv.setUint16(0x202, 0, true); // MAXCMD (not reported)
  dv.setUint32(0x204, 1, true); // NN: one namespace
  dv.setUint16(0x208, 0, true); // ONCS: no optional NVM commands
  page[0x20d] = 1; // VWC: volatile write cache present (the host page cache): Flush matters
  dv.setUint32(0x210, 0, true); // SGLS: PRPs only
  const nqn = `nqn.2026-01.org.banquise:${info.serial}`; // SUBNQN: NUL-terminated UTF-8
  for (let i = 0; i < nqn.length && i < 255; i++) page[0x300 + i] = nqn.charCodeAt(i) & 0x7f;
  // Power state 0 (0x800): MP = 25.00 W, entry/exit latency 0.
  dv.setUint16(0x800, 2500, true);
}

/** Fills `page` (4096 bytes, zeroed) with the Identify Namespace data structure (CNS 00h). */
export function identifyNamespace(page: Uint8Array, info: IdentifyNamespaceInfo): void {
  const dv = new DataView(page.buffer, page.byteOffset, page.byteLength);
  dv.setBigUint64(0x00, BigInt(info.sectors), true); // NSZE
  dv.setBigUint64(0x08, BigInt(info.sectors), true); // NCAP
  dv.setBigUint64(0x10, BigInt(info.sectors), true); // NUSE
  page[0x19] = 0; // NLBAF: one LBA format
  page[0x1a] = 0; // FLBAS: format 0, no metadata
  page[0x63] = info.readOnly ? 1 : 0; // NSATTR: write protected
  dv.setUint32(0x80, 9 << 16, true); // LBAF0: LBADS 9 (512 bytes), no metadata, best performance
}
