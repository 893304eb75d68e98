// A learning Ethernet switch (IEEE 802.1D transparent bridging, without spanning tree): the
// daemon's named bridges. Platform-free; ports are whatever delivers a frame to one side.
import { NET_MAX_FRAME_BYTES, NET_MIN_FRAME_BYTES } from '../virtio/net/net-backend.js';

/** Counters of one switch. */
export interface SwitchStats {
  /** Frames received from ports. */
  framesIn: number;
  /** Frames sent to one port (a known unicast destination). */
  forwarded: number;
  /** Frames sent to every other port (broadcast, multicast, unknown unicast). */
  flooded: number;
  /** Frames dropped: shorter than an Ethernet header, longer than the largest frame, or a multicast source. */
  malformed: number;
  /** Frames dropped: the destination was learned on the port they came from. */
  filtered: number;
  /** Times the MAC table was full and the oldest entry was forgotten. */
  tableEvictions: number;
}

/** One attachment of a switch. */
export interface SwitchPort {
  /** Port number, unique in its switch. */
  readonly id: number;
  /** Who is attached (a domain name, "uplink"). */
  readonly label: string;
  /** Hands one frame coming from this port's far end to the switch. */
  input(frame: Uint8Array): void;
  /** Detaches the port; its learned MACs are forgotten. */
  detach(): void;
}

/** One row of the MAC table. */
export interface MacEntry {
  readonly mac: string;
  readonly port: number;
}

/** Default largest number of learned MAC addresses. */
export const DEFAULT_MAC_TABLE_SIZE = 1024;

interface Attached {
  readonly label: string;
  readonly deliver: (frame: Uint8Array) => void;
}

function macKey(frame: Uint8Array, offset: number): number {
  // 48 bits fit a JS number exactly.
  return (frame[offset]! * 2 ** 40) + (frame[offset + 1]! * 2 ** 32) + (((frame[offset + 2]! << 24) | (frame[offset + 3]! << 16) | (frame[offset + 4]! << 8) | frame[offset + 5]!) >>> 0);
}

function macText(key: number): string {
  const parts: string[] = [];
  for (let i = 5; i >= 0; i--) parts.push((Math.floor(key / 2 ** (8 * i)) % 256).toString(16).padStart(2, '0'));
  return parts.join(':');
}

/**
 * A switch: learns which port each source MAC is behind (bounded table, oldest forgotten first,
 * counted), forwards known unicast to that port, floods broadcast, multicast and unknown
 * unicast to every other port, and never sends a frame back to the port it came from.
 */
export class EthernetSwitch {
  /** What the switch did with frames. */
  readonly stats: SwitchStats = { framesIn: 0, forwarded: 0, flooded: 0, malformed: 0, filtered: 0, tableEvictions: 0 };
  private readonly ports = new Map<number, Attached>();
  /** MAC → port; Map iteration order is insertion order, so the first key is the oldest. */
  private readonly table = new Map<number, number>();
  private nextPort = 1;

  constructor(readonly name: string, private readonly tableSize = DEFAULT_MAC_TABLE_SIZE) {}

  /** Attaches a port whose far end receives frames through `deliver` (valid during the call only). */
  attach(label: string, deliver: (frame: Uint8Array) => void): SwitchPort {
    const id = this.nextPort++;
    this.ports.set(id, { label, deliver });
    return {
      id,
      label,
      input: (frame) => this.input(id, frame),
      detach: () => {
        this.ports.delete(id);
        for (const [mac, port] of this.table) if (port === id) this.table.delete(mac);
      },
    };
  }

  /** The attached ports (number and label). */
  portList(): { id: number; label: string }[] {
    return [...this.ports].map(([id, p]) => ({ id, label: p.label }));
  }

  /** The learned MAC addresses and their ports. */
  macTable(): MacEntry[] {
    return [...this.table].map(([mac, port]) => ({ mac: macText(mac), port }));
  }

  private input(from: number, frame: Uint8Array): void {
    if (!this.ports.has(from)) return;
    this.stats.framesIn++;
    if (frame.length < NET_MIN_FRAME_BYTES || frame.length > NET_MAX_FRAME_BYTES || (frame[6]! & 1) !== 0) {
      this.stats.malformed++;
      return;
    }
    const src = macKey(frame, 6);
    if (this.table.get(src) !== from) {
      this.table.delete(src);
      if (this.table.size >= this.tableSize) {
        const oldest = this.table.keys().next().value as number;
        this.table.delete(oldest);
        this.stats.tableEvictions++;
      }
      this.table.set(src, from);
    }
    const dst = (frame[0]! & 1) === 0 ? this.table.get(macKey(frame, 0)) : undefined;
    if (dst !== undefined) {
      if (dst === from) {
        this.stats.filtered++;
        return;
      }
      const p = this.ports.get(dst);
      if (p !== undefined) {
        this.stats.forwarded++;
        p.deliver(frame);
        return;
      }
    }
    this.stats.flooded++;
    for (const [id, p] of this.ports) if (id !== from) p.deliver(frame);
  }
}
