// Numbers from the NVM Express Base Specification 1.4 (and the NVM command set in it), spelled as
// the specification spells them.

/** Controller registers (§3.1), offsets in BAR0. */
export const enum NvmeReg {
  CAP = 0x00, VS = 0x08, INTMS = 0x0c, INTMC = 0x10, CC = 0x14, CSTS = 0x1c, NSSR = 0x20,
  AQA = 0x24, ASQ = 0x28, ACQ = 0x30,
  /** First doorbell (§3.1.24): SQyTDBL at 0x1000 + (2y) * 4, CQyHDBL at 0x1000 + (2y + 1) * 4 (DSTRD 0). */
  DOORBELL = 0x1000,
}

/** CC fields (§3.1.5). */
export const enum NvmeCc {
  EN = 1 << 0,
  SHN_SHIFT = 14,
}

/** CSTS fields (§3.1.6). */
export const enum NvmeCsts {
  RDY = 1 << 0,
  CFS = 1 << 1,
  /** SHST = 10b: shutdown processing complete. */
  SHST_COMPLETE = 2 << 2,
}

/** Admin command opcodes (§5). */
export const enum NvmeAdmin {
  DELETE_IO_SQ = 0x00, CREATE_IO_SQ = 0x01, GET_LOG_PAGE = 0x02, DELETE_IO_CQ = 0x04,
  CREATE_IO_CQ = 0x05, IDENTIFY = 0x06, ABORT = 0x08, SET_FEATURES = 0x09, GET_FEATURES = 0x0a,
  ASYNC_EVENT_REQUEST = 0x0c,
}

/** NVM command set opcodes (§6). */
export const enum NvmeIo {
  FLUSH = 0x00, WRITE = 0x01, READ = 0x02,
}

/** Identify CNS values (§5.15). */
export const enum NvmeCns {
  NAMESPACE = 0x00, CONTROLLER = 0x01, ACTIVE_NAMESPACES = 0x02, NS_ID_DESCRIPTORS = 0x03,
}

/** Feature identifiers (§5.21.1). */
export const enum NvmeFeature {
  ARBITRATION = 0x01, POWER_MANAGEMENT = 0x02, TEMPERATURE_THRESHOLD = 0x04, ERROR_RECOVERY = 0x05,
  VOLATILE_WRITE_CACHE = 0x06, NUMBER_OF_QUEUES = 0x07, INTERRUPT_COALESCING = 0x08,
  INTERRUPT_VECTOR_CONFIG = 0x09, WRITE_ATOMICITY = 0x0a, ASYNC_EVENT_CONFIG = 0x0b,
}

/**
 * Completion status (§4.6.1.2): Status Code Type << 8 | Status Code. Generic (SCT 0) and
 * command-specific (SCT 1) codes used by this controller.
 */
export const enum NvmeStatus {
  SUCCESS = 0x000,
  INVALID_OPCODE = 0x001,
  INVALID_FIELD = 0x002,
  DATA_TRANSFER_ERROR = 0x004,
  INTERNAL_ERROR = 0x006,
  ABORTED_SQ_DELETION = 0x008,
  INVALID_NAMESPACE = 0x00b,
  INVALID_PRP_OFFSET = 0x013,
  NAMESPACE_WRITE_PROTECTED = 0x020,
  LBA_OUT_OF_RANGE = 0x080,
  COMPLETION_QUEUE_INVALID = 0x100,
  INVALID_QUEUE_IDENTIFIER = 0x101,
  INVALID_QUEUE_SIZE = 0x102,
  ASYNC_EVENT_LIMIT_EXCEEDED = 0x105,
  INVALID_INTERRUPT_VECTOR = 0x108,
  INVALID_LOG_PAGE = 0x109,
  INVALID_QUEUE_DELETION = 0x10c,
  /** Do Not Retry (bit 14 of the status field). */
  DNR = 0x4000,
}

/** Submission queue entry size (SQES 6: 64 bytes) and completion queue entry size (CQES 4: 16 bytes). */
export const SQE_BYTES = 64;
export const CQE_BYTES = 16;
/** The only memory page size supported (CAP.MPSMIN = CAP.MPSMAX = 0: 4 KiB). */
export const NVME_PAGE_BYTES = 4096;
