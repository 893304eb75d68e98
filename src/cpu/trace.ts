// The per-instruction tracer hook (Hart.setTracer): which register an instruction wrote, and its
// new value. Internal to src/cpu/.
import type { Hart, HartTracer } from './hart.js';

/** Which register an instruction writes, for the tracer: -1 none, 0..31 x, 32..63 f. */
function writtenReg(insn: number): number {
  const rd = (insn >> 7) & 31;
  switch (insn & 0x7f) {
    case 0x37: case 0x17: case 0x6f: case 0x67: case 0x03: case 0x13: case 0x33: case 0x1b: case 0x3b:
    case 0x2f:
      return rd === 0 ? -1 : rd;
    case 0x73:
      return ((insn >> 12) & 7) !== 0 && rd !== 0 ? rd : -1;
    case 0x07: case 0x43: case 0x47: case 0x4b: case 0x4f:
      return 32 + rd;
    case 0x53: {
      const f5 = insn >>> 27;
      if (f5 === 0x14 || f5 === 0x18 || f5 === 0x1c) return rd === 0 ? -1 : rd; // fcmp, fcvt.int, fmv.x/fclass
      return 32 + rd;
    }
    default:
      return -1;
  }
}

/** Calls tracer for the instruction just retired at pc (pcLo, pcHi): insn expanded, raw as fetched. */
export function traceOne(h: Hart, tracer: HartTracer, pcLo: number, pcHi: number, insn: number, raw: number): void {
  const r = writtenReg(insn);
  let v = 0n;
  if (r >= 32) v = h.getF(r - 32);
  else if (r > 0) v = h.getX(r);
  tracer((BigInt(pcHi >>> 0) << 32n) | BigInt(pcLo >>> 0), raw >>> 0, r, v);
}
