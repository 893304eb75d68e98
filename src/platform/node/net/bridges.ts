// The daemon's named bridges: one EthernetSwitch each, optionally with a user-mode NAT uplink
// (UserNet on host sockets), and domain ports that are MessageChannels to the domains' worker
// threads (FramePort at both ends).
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { EthernetSwitch, type MacEntry, type SwitchStats } from '../../../devices/net-bridge/ethernet-switch.js';
import { UserNet, userNetGuestAddress, type HostForward } from '../../../devices/net-user/user-net.js';
import { FramePort, type FramePortStats } from './frame-port.js';
import { NodeHostSockets } from './node-host-sockets.js';

/** How one bridge is declared (`banquise daemon --bridge NAME[,uplink=user[,hostfwd=...]]`). */
export interface BridgeSpec {
  readonly name: string;
  /** A user-mode NAT uplink: DHCP for the domains, NAT to the host, port forwards. */
  readonly uplink?: { readonly kind: 'user'; readonly hostForwards: readonly HostForward[]; readonly dnsServer?: string };
}

/** What `network-list` shows of a bridge. */
export interface BridgeInfo {
  readonly name: string;
  readonly uplink: 'user' | 'none';
  readonly ports: readonly { readonly id: number; readonly label: string; readonly dropped: number }[];
  readonly macs: readonly MacEntry[];
  readonly stats: SwitchStats;
}

interface Bridge {
  readonly spec: BridgeSpec;
  readonly sw: EthernetSwitch;
  readonly uplink: UserNet | undefined;
  readonly sockets: NodeHostSockets | undefined;
  readonly ends: Map<number, FramePort>;
}

/** A domain's connection to a bridge: transfer `port` to the worker, `close()` when it ends. */
export interface BridgeConnection {
  readonly port: MessagePort;
  close(): void;
}

const NAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

/**
 * Parses one `--bridge` value: `NAME[,uplink=user|none][,hostfwd=tcp:[HOST]:HPORT-[GUEST]:GPORT]...`.
 * Throws an Error saying what is wrong.
 */
export function parseBridgeSpec(text: string): BridgeSpec {
  const [name, ...rest] = text.split(',');
  if (name === undefined || !NAME_RE.test(name)) throw new Error(`--bridge ${text}: '${name ?? ''}' is not a bridge name (1 to 15 letters, digits, _ . -)`);
  let uplink: 'user' | 'none' = 'none';
  const hostForwards: HostForward[] = [];
  for (const part of rest) {
    const eq = part.indexOf('=');
    const k = eq > 0 ? part.slice(0, eq) : part;
    const v = eq > 0 ? part.slice(eq + 1) : '';
    if (k === 'uplink') {
      if (v !== 'user' && v !== 'none') throw new Error(`--bridge ${text}: uplink must be user or none`);
      uplink = v;
    } else if (k === 'hostfwd') {
      const m = /^tcp:([0-9.]*):(\d{1,5})-([0-9.]*):(\d{1,5})$/.exec(v);
      const hp = Number(m?.[2]);
      const gp = Number(m?.[4]);
      if (m === null || hp < 1 || hp > 65535 || gp < 1 || gp > 65535) throw new Error(`--bridge ${text}: hostfwd '${v}' is not tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (ports 1..65535)`);
      const guestAddr = m[3] ?? '';
      if (userNetGuestAddress(guestAddr) < 0) throw new Error(`--bridge ${text}: hostfwd guest address '${guestAddr}' is not one the uplink hands out (10.0.2.15 to 10.0.2.78; empty: 10.0.2.15)`);
      hostForwards.push({ protocol: 'tcp', hostAddr: m[1] ?? '', hostPort: hp, guestAddr, guestPort: gp });
    } else throw new Error(`--bridge ${text}: unknown setting '${k}' (uplink, hostfwd)`);
  }
  if (hostForwards.length > 0 && uplink !== 'user') throw new Error(`--bridge ${text}: hostfwd needs uplink=user`);
  return { name, ...(uplink === 'user' ? { uplink: { kind: 'user', hostForwards } } : {}) };
}

/** The bridges of one daemon. */
export class NodeBridges {
  private readonly bridges = new Map<string, Bridge>();

  /** Creates the bridges; resolves once the uplinks' forwarded ports listen. */
  static async open(specs: readonly BridgeSpec[]): Promise<NodeBridges> {
    const b = new NodeBridges();
    try {
      for (const s of specs) await b.add(s);
    } catch (err) {
      b.close();
      throw err;
    }
    return b;
  }

  /** Names of the bridges. */
  names(): string[] {
    return [...this.bridges.keys()];
  }

  /** A new port on bridge `name` for the domain `label`; undefined if there is no such bridge. */
  connect(name: string, label: string): BridgeConnection | undefined {
    const b = this.bridges.get(name);
    if (b === undefined) return undefined;
    const ch = new MessageChannel();
    const end = new FramePort(ch.port1);
    const p = b.sw.attach(label, (f) => end.send(f));
    end.onReceive((f) => p.input(f));
    b.ends.set(p.id, end);
    return {
      port: ch.port2,
      close: () => {
        p.detach();
        end.close();
        b.ends.delete(p.id);
      },
    };
  }

  /** What `network-list` shows; undefined if there is no such bridge. */
  info(name: string): BridgeInfo | undefined {
    const b = this.bridges.get(name);
    if (b === undefined) return undefined;
    return {
      name,
      uplink: b.uplink !== undefined ? 'user' : 'none',
      ports: b.sw.portList().map((p) => ({ ...p, dropped: b.ends.get(p.id)?.stats.dropped ?? 0 })),
      macs: b.sw.macTable(),
      stats: { ...b.sw.stats },
    };
  }

  /** Detaches every port and closes the uplinks. */
  close(): void {
    for (const b of this.bridges.values()) {
      for (const e of b.ends.values()) e.close();
      b.uplink?.close();
    }
    this.bridges.clear();
  }

  private async add(spec: BridgeSpec): Promise<void> {
    if (this.bridges.has(spec.name)) throw new Error(`bridge ${spec.name} is declared twice`);
    const sw = new EthernetSwitch(spec.name);
    let uplink: UserNet | undefined;
    let sockets: NodeHostSockets | undefined;
    if (spec.uplink !== undefined) {
      sockets = new NodeHostSockets();
      uplink = new UserNet(sockets, {
        hostForwards: spec.uplink.hostForwards,
        ...(spec.uplink.dnsServer !== undefined ? { dnsServer: spec.uplink.dnsServer } : {}),
      });
      const port = sw.attach('uplink', (f) => uplink!.send(f));
      uplink.onReceive((f) => port.input(f));
    }
    this.bridges.set(spec.name, { spec, sw, uplink, sockets, ends: new Map() });
    await sockets?.listening();
  }
}

/** Port stats of a FramePort, for tests. */
export type { FramePortStats };
