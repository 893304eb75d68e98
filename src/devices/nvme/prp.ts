// Physical Region Page entries and lists (NVMe 1.4 §4.3): turns a command's PRP1/PRP2 and a
// transfer length into the guest-physical segments of the data buffer, checking every entry
// the guest controls. Allocation is bounded by the transfer length, which the caller has capped.
import type { GuestMemory } from '../../memory/guest-memory.js';
import { NVME_PAGE_BYTES as PAGE, NvmeStatus } from './nvme-spec.js';

/** One contiguous piece of a data buffer, in RAM. */
export interface PrpSegment {
  readonly gpa: number;
  readonly len: number;
}

const ENTRIES_PER_PAGE = PAGE / 8;

/**
 * The segments of a `lengthBytes` transfer described by `prp1`/`prp2` (64-bit guest values as
 * numbers, possibly unsafe: checked). Returns an NvmeStatus instead when an entry is misaligned
 * (INVALID_PRP_OFFSET) or points outside RAM (DATA_TRANSFER_ERROR).
 */
export function walkPrps(mem: GuestMemory, prp1: number, prp2: number, lengthBytes: number): PrpSegment[] | NvmeStatus {
  const segs: PrpSegment[] = [];
  if (lengthBytes <= 0) return segs;
  if ((prp1 & 3) !== 0) return NvmeStatus.INVALID_PRP_OFFSET; // dword aligned (§4.3)
  const first = Math.min(lengthBytes, PAGE - (prp1 % PAGE));
  if (!mem.contains(prp1, first)) return NvmeStatus.DATA_TRANSFER_ERROR;
  segs.push({ gpa: prp1, len: first });
  let left = lengthBytes - first;
  if (left === 0) return segs;
  if (left <= PAGE) {
    if (prp2 % PAGE !== 0) return NvmeStatus.INVALID_PRP_OFFSET;
    if (!mem.contains(prp2, left)) return NvmeStatus.DATA_TRANSFER_ERROR;
    segs.push({ gpa: prp2, len: left });
    return segs;
  }
  // PRP2 is a PRP list: 8-byte entries, the list itself may start at an offset in its page;
  // the last entry of a full page points to the next list page when more data remains.
  if ((prp2 & 7) !== 0) return NvmeStatus.INVALID_PRP_OFFSET;
  let list = prp2;
  let slot = (prp2 % PAGE) / 8;
  let pages = 0;
  const maxListPages = Math.ceil(lengthBytes / PAGE / (ENTRIES_PER_PAGE - 1)) + 1;
  while (left > 0) {
    if (!mem.contains(list, 8)) return NvmeStatus.DATA_TRANSFER_ERROR;
    const raw = mem.readU64(list);
    if (raw === undefined) return NvmeStatus.DATA_TRANSFER_ERROR;
    const entry = Number(raw);
    if (slot === ENTRIES_PER_PAGE - 1 && left > PAGE) {
      // chain to the next list page (must be page aligned); bounded by the transfer size
      if (entry % PAGE !== 0) return NvmeStatus.INVALID_PRP_OFFSET;
      if (++pages > maxListPages) return NvmeStatus.DATA_TRANSFER_ERROR;
      list = entry;
      slot = 0;
      continue;
    }
    if (entry % PAGE !== 0) return NvmeStatus.INVALID_PRP_OFFSET;
    const len = Math.min(left, PAGE);
    if (!mem.contains(entry, len)) return NvmeStatus.DATA_TRANSFER_ERROR;
    const last = segs[segs.length - 1]!;
    if (last.gpa + last.len === entry) segs[segs.length - 1] = { gpa: last.gpa, len: last.len + len }; // merge runs
    else segs.push({ gpa: entry, len });
    left -= len;
    list += 8;
    slot++;
  }
  return segs;
}
