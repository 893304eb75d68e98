import type { NetBackend } from '../virtio/net/net-backend.js';
import { NET_MAX_FRAME_BYTES, NET_MIN_FRAME_BYTES } from '../virtio/net/net-backend.js';
import { inetChecksum, pseudoHeaderSum } from '../net-offload/inet-sum.js';
import type { HostListener, HostSockets, HostTcpEvents, HostTcpSocket, HostUdpSocket } from './host-sockets.js';
import { TCP_OUR_MSS, TcpConnection, TcpFlag, type TcpConnectionOwner, type TcpSegment } from './tcp-connection.js';
import { DhcpServer } from './dhcp-server.js';

/** A host port forwarded into the guest: host `hostAddr:hostPort` → guest `guestAddr:guestPort`. */
export interface HostForward {
  readonly protocol: 'tcp';
  /** Host address to listen on; '' means 127.0.0.1. */
  readonly hostAddr: string;
  readonly hostPort: number;
  /**
   * Guest address, one the DHCP server hands out (see `userNetGuestAddress`); '' or absent: the
   * first, 10.0.2.15. Behind a bridge's uplink each domain has its own.
   */
  readonly guestAddr?: string;
  readonly guestPort: number;
}

/** Validated settings of a user-mode network. */
export interface UserNetConfig {
  /** Host forwards (`hostfwd=tcp::H-:G`). */
  readonly hostForwards: readonly HostForward[];
  /** Host DNS server (IPv4) that 10.0.2.3:53 relays to; undefined: no DNS offered. */
  readonly dnsServer?: string;
}

/** Counters of a user-mode network (what it did with the guest's frames). */
export interface UserNetStats {
  framesFromGuest: number;
  framesToGuest: number;
  /** Frames dropped because a length, version, checksum or header field was wrong. */
  malformed: number;
  /** Well-formed frames for something the stack does not do (IPv6, fragments, other hosts' ARP …). */
  unsupported: number;
  arpReplies: number;
  /** ARP requests sent to find a guest's MAC (a forwarded connection to a guest not yet heard from). */
  arpRequests: number;
  dhcpReplies: number;
  icmpEchoReplies: number;
  tcpConnections: number;
  tcpResets: number;
  udpDatagramsOut: number;
  udpDatagramsIn: number;
  /** Dropped because a table (connections, UDP sessions) was full. */
  tableFull: number;
}

const ETH_P_IP = 0x0800;
const ETH_P_ARP = 0x0806;
const IPPROTO_ICMP = 1;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const MAX_TCP_CONNECTIONS = 512;
const MAX_UDP_SESSIONS = 128;
const UDP_IDLE_MS = 60_000;
const MAX_UDP_PAYLOAD_TO_GUEST = 1500 - 20 - 8;
/** Guests one user network serves (several when it is a bridge's uplink): 10.0.2.15 upward. */
export const USER_NET_MAX_GUESTS = 64;

/** 10.0.2.2: the virtual gateway (and the host's 127.0.0.1 as the guest sees it). */
export const USER_NET_GATEWAY_IP = 0x0a000202;
/** 10.0.2.3: the DNS relay address. */
export const USER_NET_DNS_IP = 0x0a000203;
/** 10.0.2.15: the address the (first) guest gets by DHCP; further guests get .16, .17, ... */
export const USER_NET_GUEST_IP = 0x0a00020f;
/**
 * The address `s` names if it is one the DHCP server can hand out (10.0.2.15 up to
 * 10.0.2.78; '' means 10.0.2.15), else -1.
 */
export function userNetGuestAddress(s: string): number {
  if (s === '') return USER_NET_GUEST_IP;
  const ip = parseIpv4(s);
  return ip >= USER_NET_GUEST_IP && ip < USER_NET_GUEST_IP + USER_NET_MAX_GUESTS ? ip : -1;
}

/** 255.255.255.0 */
export const USER_NET_NETMASK = 0xffffff00;
/** The gateway's MAC address 52:55:0a:00:02:02. */
export const USER_NET_GATEWAY_MAC: readonly number[] = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];

/** Dotted-quad text of an IPv4 address held in a number. */
export function ipToString(ip: number): string {
  return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
}

/** The IPv4 address in dotted-quad `s`, or -1 if it is not one. */
export function parseIpv4(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m === null) return -1;
  let ip = 0;
  for (let i = 1; i <= 4; i++) {
    const b = Number(m[i]);
    if (b > 255) return -1;
    ip = ip * 256 + b;
  }
  return ip;
}

interface UdpSession {
  /** (guest address's last byte << 16) | guest port. */
  key: number;
  guestIp: number;
  guestPort: number;
  socket: HostUdpSocket;
  /** Value of the activity counter at the last datagram. */
  lastUseMs: number;
}

/**
 * A user-mode network (in the spirit of QEMU's slirp): the guest sees a gateway 10.0.2.2 that
 * answers ARP, DHCP (guest 10.0.2.15) and ping, and relays TCP and UDP to host sockets — the
 * guest's 10.0.2.2 is the host's 127.0.0.1, any other address is NATed to itself. Host port
 * forwards open TCP connections into the guest. Every frame from the guest is validated;
 * malformed ones are dropped and counted in `stats`.
 */
export class UserNet implements NetBackend, TcpConnectionOwner {
  /** What the stack did; read by tests and monitors. */
  readonly stats: UserNetStats = {
    framesFromGuest: 0, framesToGuest: 0, malformed: 0, unsupported: 0, arpReplies: 0, arpRequests: 0, dhcpReplies: 0,
    icmpEchoReplies: 0, tcpConnections: 0, tcpResets: 0, udpDatagramsOut: 0, udpDatagramsIn: 0, tableFull: 0,
  };
  private deliver: ((frame: Uint8Array) => void) | undefined;
  private readonly out = new Uint8Array(NET_MAX_FRAME_BYTES);
  private readonly outView = new DataView(this.out.buffer);
  /** Guest address → its MAC (learned from its frames; at most USER_NET_MAX_GUESTS). */
  private readonly guestMacs = new Map<number, Uint8Array>();
  /** remote IP → tcpKey(guestIp, remotePort, guestPort) → connection. */
  private readonly tcp = new Map<number, Map<number, TcpConnection>>();
  private tcpCount = 0;
  private readonly udp = new Map<number, UdpSession>();
  private readonly listeners: HostListener[] = [];
  private readonly dhcp: DhcpServer;
  private readonly dnsIp: number;
  private ipId = 0;
  private issCounter = 0x1f2e3d4c;
  private nextForwardPort = 49152;
  /** Counts UDP traffic so idle sessions can be told apart from busy ones. */
  private activity = 0;
  private closed = false;
  /** The segment being processed (reused: connections use it only during `onSegment`). */
  private readonly seg: TcpSegment = { seq: 0, ack: 0, flags: 0, window: 0, mss: 0, frame: new Uint8Array(0), payloadStart: 0, payloadLength: 0 };

  constructor(readonly sockets: HostSockets, private readonly config: UserNetConfig) {
    const dns = config.dnsServer !== undefined ? parseIpv4(config.dnsServer) : -1;
    this.dnsIp = dns >= 0 ? USER_NET_DNS_IP : -1;
    this.dhcp = new DhcpServer(USER_NET_GATEWAY_IP, USER_NET_GUEST_IP, USER_NET_NETMASK, this.dnsIp >= 0 ? this.dnsIp : undefined, USER_NET_MAX_GUESTS);
    for (const fwd of config.hostForwards) {
      const host = fwd.hostAddr === '' ? '127.0.0.1' : fwd.hostAddr;
      const guestIp = userNetGuestAddress(fwd.guestAddr ?? '');
      if (guestIp < 0) throw new Error(`hostfwd guest address ${fwd.guestAddr} is not one this network hands out (10.0.2.15 to 10.0.2.${15 + USER_NET_MAX_GUESTS - 1})`);
      this.listeners.push(sockets.listenTcp(host, fwd.hostPort, (attach) => this.acceptForward(guestIp, fwd.guestPort, attach)));
    }
  }

  /** @inheritdoc */
  onReceive(cb: (frame: Uint8Array) => void): void {
    this.deliver = cb;
  }

  /** @inheritdoc */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.listeners) l.close();
    for (const m of [...this.tcp.values()]) for (const c of [...m.values()]) c.abort(false);
    for (const s of this.udp.values()) s.socket.close();
    this.udp.clear();
  }

  /** Number of live TCP connections. */
  tcpConnectionCount(): number {
    return this.tcpCount;
  }

  /** Takes one frame from the guest. Never throws for any content. */
  send(frame: Uint8Array): void {
    if (this.closed) return;
    this.stats.framesFromGuest++;
    if (frame.length < NET_MIN_FRAME_BYTES || frame.length > NET_MAX_FRAME_BYTES) {
      this.stats.malformed++;
      return;
    }
    if ((frame[0]! & 1) === 0 && !USER_NET_GATEWAY_MAC.every((b, i) => frame[i] === b)) {
      this.stats.unsupported++; // unicast for another station (a bridge floods what it has not learned)
      return;
    }
    const type = be16(frame, 12);
    if (type === ETH_P_ARP) this.onArp(frame);
    else if (type === ETH_P_IP) this.onIpv4(frame);
    else this.stats.unsupported++;
  }

  // ---- ARP (RFC 826) ----

  private onArp(frame: Uint8Array): void {
    if (frame.length < 14 + 28) {
      this.stats.malformed++;
      return;
    }
    if (be16(frame, 14) !== 1 || be16(frame, 16) !== ETH_P_IP || frame[18] !== 6 || frame[19] !== 4) {
      this.stats.malformed++;
      return;
    }
    const op = be16(frame, 20);
    const senderIp = be32(frame, 28);
    const targetIp = be32(frame, 38);
    if (isGuestIp(senderIp)) this.learnMac(frame, 22, senderIp);
    if (op !== 1 || (targetIp !== USER_NET_GATEWAY_IP && targetIp !== this.dnsIp) || senderIp === targetIp) {
      this.stats.unsupported++;
      return;
    }
    const o = this.out;
    this.writeEth(frame.subarray(22, 28), ETH_P_ARP);
    this.outView.setUint16(14, 1);
    this.outView.setUint16(16, ETH_P_IP);
    o[18] = 6;
    o[19] = 4;
    this.outView.setUint16(20, 2);
    o.set(USER_NET_GATEWAY_MAC, 22);
    this.outView.setUint32(28, targetIp);
    o.set(frame.subarray(22, 28), 32);
    this.outView.setUint32(38, senderIp);
    this.stats.arpReplies++;
    this.emit(42);
  }

  /** Broadcasts "who has `ip`?": its reply (learned in `onArp`) gives the MAC to deliver to. */
  private arpRequest(ip: number): void {
    const o = this.out;
    this.writeEth(BROADCAST_MAC, ETH_P_ARP);
    this.outView.setUint16(14, 1);
    this.outView.setUint16(16, ETH_P_IP);
    o[18] = 6;
    o[19] = 4;
    this.outView.setUint16(20, 1);
    o.set(USER_NET_GATEWAY_MAC, 22);
    this.outView.setUint32(28, USER_NET_GATEWAY_IP);
    o.fill(0, 32, 38);
    this.outView.setUint32(38, ip);
    this.stats.arpRequests++;
    this.emit(42);
  }

  private learnMac(frame: Uint8Array, offset: number, ip: number): void {
    if ((frame[offset]! & 1) !== 0) return; // multicast source: not a station
    let mac = this.guestMacs.get(ip);
    if (mac === undefined) {
      if (this.guestMacs.size >= USER_NET_MAX_GUESTS) {
        this.stats.tableFull++;
        return;
      }
      mac = new Uint8Array(6);
      this.guestMacs.set(ip, mac);
    }
    mac.set(frame.subarray(offset, offset + 6));
  }

  // ---- IPv4 (RFC 791) ----

  private onIpv4(frame: Uint8Array): void {
    if (frame.length < 14 + 20) {
      this.stats.malformed++;
      return;
    }
    const vihl = frame[14]!;
    const ihl = (vihl & 15) * 4;
    const totalLen = be16(frame, 16);
    if (vihl >> 4 !== 4 || ihl < 20 || totalLen < ihl || 14 + totalLen > frame.length) {
      this.stats.malformed++;
      return;
    }
    if (inetChecksum(frame, 14, 14 + ihl) !== 0) {
      this.stats.malformed++;
      return;
    }
    const fragment = be16(frame, 20);
    if ((fragment & 0x3fff) !== 0) {
      this.stats.unsupported++; // MF set or a non-zero offset: no reassembly
      return;
    }
    const proto = frame[23]!;
    const src = be32(frame, 26);
    const dst = be32(frame, 30);
    const l4 = 14 + ihl;
    const l4End = 14 + totalLen;
    if (proto === IPPROTO_UDP) {
      this.onUdp(frame, src, dst, l4, l4End);
      return;
    }
    if (!isGuestIp(src)) {
      this.stats.unsupported++;
      return;
    }
    this.learnMac(frame, 6, src);
    if (proto === IPPROTO_TCP) this.onTcp(frame, src, dst, l4, l4End);
    else if (proto === IPPROTO_ICMP) this.onIcmp(frame, src, dst, l4, l4End);
    else this.stats.unsupported++;
  }

  /** Writes the Ethernet header (gateway as source) into `out`. */
  private writeEth(dstMac: Uint8Array, type: number): void {
    this.out.set(dstMac, 0);
    this.out.set(USER_NET_GATEWAY_MAC, 6);
    this.outView.setUint16(12, type);
  }

  /** Writes Ethernet + a 20-byte IPv4 header for `payloadLen` bytes of `proto` into `out`. */
  private writeIpHeader(proto: number, src: number, dst: number, payloadLen: number, dstMac: Uint8Array): void {
    const v = this.outView;
    this.writeEth(dstMac, ETH_P_IP);
    v.setUint8(14, 0x45);
    v.setUint8(15, 0);
    v.setUint16(16, 20 + payloadLen);
    v.setUint16(18, this.ipId++ & 0xffff);
    v.setUint16(20, 0x4000); // DF
    v.setUint8(22, 64);
    v.setUint8(23, proto);
    v.setUint16(24, 0);
    v.setUint32(26, src);
    v.setUint32(30, dst);
    v.setUint16(24, inetChecksum(this.out, 14, 34));
  }

  private emit(len: number): void {
    this.stats.framesToGuest++;
    this.deliver?.(this.out.subarray(0, len));
  }

  // ---- ICMP (RFC 792) ----

  private onIcmp(frame: Uint8Array, src: number, dst: number, l4: number, end: number): void {
    if (end - l4 < 8 || inetChecksum(frame, l4, end) !== 0) {
      this.stats.malformed++;
      return;
    }
    if (frame[l4] !== 8 || frame[l4 + 1] !== 0 || (dst !== USER_NET_GATEWAY_IP && dst !== this.dnsIp)) {
      this.stats.unsupported++;
      return;
    }
    const len = end - l4;
    this.writeIpHeader(IPPROTO_ICMP, dst, src, len, frame.subarray(6, 12));
    this.out.set(frame.subarray(l4, end), 34);
    this.out[34] = 0; // echo reply
    this.outView.setUint16(36, 0);
    this.outView.setUint16(36, inetChecksum(this.out, 34, 34 + len));
    this.stats.icmpEchoReplies++;
    this.emit(34 + len);
  }

  // ---- UDP (RFC 768), DHCP, relay ----

  private onUdp(frame: Uint8Array, src: number, dst: number, l4: number, end: number): void {
    if (end - l4 < 8) {
      this.stats.malformed++;
      return;
    }
    const udpLen = be16(frame, l4 + 4);
    if (udpLen < 8 || l4 + udpLen > end) {
      this.stats.malformed++;
      return;
    }
    const sum = be16(frame, l4 + 6);
    if (sum !== 0 && inetChecksum(frame, l4, l4 + udpLen, pseudoHeaderSum(src, dst, IPPROTO_UDP, udpLen)) !== 0) {
      this.stats.malformed++;
      return;
    }
    const srcPort = be16(frame, l4);
    const dstPort = be16(frame, l4 + 2);
    const payload = frame.subarray(l4 + 8, l4 + udpLen);
    if (dstPort === 67 && srcPort === 68 && (dst === 0xffffffff || dst === USER_NET_GATEWAY_IP)) {
      this.onDhcp(frame, payload);
      return;
    }
    if (!isGuestIp(src) || srcPort === 0 || dstPort === 0) {
      this.stats.unsupported++;
      return;
    }
    this.learnMac(frame, 6, src);
    let host: string;
    if (dst === USER_NET_GATEWAY_IP) host = '127.0.0.1';
    else if (dst === this.dnsIp && dstPort === 53 && this.config.dnsServer !== undefined) host = this.config.dnsServer;
    else if ((dst >>> 28) >= 14 || (dst & ~USER_NET_NETMASK) === (~USER_NET_NETMASK >>> 0) || dst === 0) {
      this.stats.unsupported++; // multicast, broadcast, reserved
      return;
    } else host = ipToString(dst);
    const session = this.udpSession(src, srcPort);
    if (session === undefined) return;
    session.lastUseMs = ++this.activity;
    this.stats.udpDatagramsOut++;
    session.socket.send(payload, host, dstPort);
  }

  private udpSession(guestIp: number, guestPort: number): UdpSession | undefined {
    const key = ((guestIp & 255) << 16) | guestPort;
    const existing = this.udp.get(key);
    if (existing !== undefined) return existing;
    if (this.udp.size >= MAX_UDP_SESSIONS) {
      this.stats.tableFull++;
      return undefined;
    }
    const socket = this.sockets.openUdp((data, host, port) => this.onUdpReply(key, data, host, port));
    const s: UdpSession = { key, guestIp, guestPort, socket, lastUseMs: this.activity };
    this.udp.set(key, s);
    this.armUdpIdle(s);
    return s;
  }

  private armUdpIdle(s: UdpSession): void {
    const used = s.lastUseMs;
    this.sockets.setTimer(UDP_IDLE_MS, () => {
      if (this.udp.get(s.key) !== s) return;
      if (s.lastUseMs !== used) {
        this.armUdpIdle(s);
        return;
      }
      s.socket.close();
      this.udp.delete(s.key);
    });
  }

  private onUdpReply(key: number, data: Uint8Array, host: string, port: number): void {
    const s = this.udp.get(key);
    if (s === undefined || this.closed) return;
    s.lastUseMs = ++this.activity;
    let srcIp = parseIpv4(host);
    if (srcIp < 0) return; // IPv6 peers are not visible to an IPv4 guest
    if (srcIp === 0x7f000001) srcIp = USER_NET_GATEWAY_IP;
    else if (this.config.dnsServer !== undefined && host === this.config.dnsServer && port === 53) srcIp = USER_NET_DNS_IP;
    const mac = this.guestMacs.get(s.guestIp);
    if (data.length > MAX_UDP_PAYLOAD_TO_GUEST || mac === undefined) {
      this.stats.unsupported++;
      return;
    }
    this.sendUdpToGuest(srcIp, port, s.guestIp, s.guestPort, data, mac);
    this.stats.udpDatagramsIn++;
  }

  private sendUdpToGuest(srcIp: number, srcPort: number, dstIp: number, dstPort: number, data: Uint8Array, dstMac: Uint8Array): void {
    const udpLen = 8 + data.length;
    this.writeIpHeader(IPPROTO_UDP, srcIp, dstIp, udpLen, dstMac);
    const v = this.outView;
    v.setUint16(34, srcPort);
    v.setUint16(36, dstPort);
    v.setUint16(38, udpLen);
    v.setUint16(40, 0);
    this.out.set(data, 42);
    const sum = inetChecksum(this.out, 34, 34 + udpLen, pseudoHeaderSum(srcIp, dstIp, IPPROTO_UDP, udpLen));
    v.setUint16(40, sum === 0 ? 0xffff : sum);
    this.emit(34 + udpLen);
  }

  private onDhcp(frame: Uint8Array, payload: Uint8Array): void {
    const reply = this.dhcp.handle(payload);
    if (reply === undefined) {
      this.stats.malformed++;
      return;
    }
    if (reply.length === 0) return; // nothing to say (RELEASE, DECLINE, another server chosen)
    this.stats.dhcpReplies++;
    this.sendUdpToGuest(USER_NET_GATEWAY_IP, 67, 0xffffffff, 68, reply, BROADCAST_MAC);
  }

  // ---- TCP (RFC 793) ----

  private onTcp(frame: Uint8Array, src: number, dst: number, l4: number, end: number): void {
    const len = end - l4;
    if (len < 20) {
      this.stats.malformed++;
      return;
    }
    const dataOff = (frame[l4 + 12]! >> 4) * 4;
    if (dataOff < 20 || dataOff > len || inetChecksum(frame, l4, end, pseudoHeaderSum(src, dst, IPPROTO_TCP, len)) !== 0) {
      this.stats.malformed++;
      return;
    }
    const srcPort = be16(frame, l4);
    const dstPort = be16(frame, l4 + 2);
    const flags = frame[l4 + 13]! & 0x3f;
    if (srcPort === 0 || dstPort === 0 || (flags & (TcpFlag.SYN | TcpFlag.FIN)) === (TcpFlag.SYN | TcpFlag.FIN) ||
        (flags & (TcpFlag.SYN | TcpFlag.RST)) === (TcpFlag.SYN | TcpFlag.RST)) {
      this.stats.malformed++;
      return;
    }
    const seg = this.seg;
    seg.seq = be32(frame, l4 + 4);
    seg.ack = be32(frame, l4 + 8);
    seg.flags = flags;
    seg.window = be16(frame, l4 + 14);
    seg.mss = 0;
    seg.frame = frame;
    seg.payloadStart = l4 + dataOff;
    seg.payloadLength = end - (l4 + dataOff);
    if (flags & TcpFlag.SYN) seg.mss = parseMss(frame, l4 + 20, l4 + dataOff);
    const conn = this.tcp.get(dst)?.get(tcpKey(src, dstPort, srcPort));
    if (conn !== undefined) {
      conn.onSegment(seg);
      return;
    }
    if ((flags & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.SYN) {
      this.openFromGuest(frame, src, srcPort, dst, dstPort, seg);
      return;
    }
    if (!(flags & TcpFlag.RST)) this.resetUnknown(frame, src, srcPort, dst, dstPort, seg);
  }

  private openFromGuest(frame: Uint8Array, src: number, srcPort: number, dst: number, dstPort: number, seg: TcpSegment): void {
    const unusable = dst === 0 || (dst >>> 28) >= 14 || isGuestIp(dst) ||
      ((dst & USER_NET_NETMASK) === (USER_NET_GATEWAY_IP & USER_NET_NETMASK) && dst !== USER_NET_GATEWAY_IP);
    if (unusable || this.tcpCount >= MAX_TCP_CONNECTIONS) {
      if (!unusable) this.stats.tableFull++;
      this.resetUnknown(frame, src, srcPort, dst, dstPort, seg);
      return;
    }
    const conn = new TcpConnection(this, src, srcPort, dst, dstPort, this.nextIss());
    this.addConn(conn);
    this.stats.tcpConnections++;
    const host = dst === USER_NET_GATEWAY_IP ? '127.0.0.1' : ipToString(dst);
    conn.openFromGuest(seg, host, dstPort);
  }

  private acceptForward(guestIp: number, guestPort: number, attach: (events: HostTcpEvents) => HostTcpSocket): void {
    if (this.closed || this.tcpCount >= MAX_TCP_CONNECTIONS) {
      this.stats.tableFull++;
      attach(NO_EVENTS).destroy();
      return;
    }
    let port = 0;
    const byPort = this.tcp.get(USER_NET_GATEWAY_IP);
    for (let i = 0; i < 16384; i++) {
      const p = this.nextForwardPort;
      this.nextForwardPort = p >= 65535 ? 49152 : p + 1;
      if (byPort?.get(tcpKey(guestIp, p, guestPort)) === undefined) {
        port = p;
        break;
      }
    }
    if (port === 0) {
      this.stats.tableFull++;
      attach(NO_EVENTS).destroy();
      return;
    }
    const conn = new TcpConnection(this, guestIp, guestPort, USER_NET_GATEWAY_IP, port, this.nextIss());
    this.addConn(conn);
    this.stats.tcpConnections++;
    conn.openToGuest(attach);
  }

  private nextIss(): number {
    this.issCounter = (this.issCounter + 0x01000193 * 64000) >>> 0;
    return this.issCounter;
  }

  private addConn(conn: TcpConnection): void {
    let m = this.tcp.get(conn.remoteIp);
    if (m === undefined) {
      m = new Map();
      this.tcp.set(conn.remoteIp, m);
    }
    m.set(tcpKey(conn.guestIp, conn.remotePort, conn.guestPort), conn);
    this.tcpCount++;
  }

  /** @inheritdoc */
  forget(conn: TcpConnection): void {
    const m = this.tcp.get(conn.remoteIp);
    const key = tcpKey(conn.guestIp, conn.remotePort, conn.guestPort);
    if (m?.get(key) !== conn) return;
    m.delete(key);
    if (m.size === 0) this.tcp.delete(conn.remoteIp);
    this.tcpCount--;
  }

  /** RST for a segment that belongs to no connection (RFC 793 §3.4 "Reset Generation"). */
  private resetUnknown(frame: Uint8Array, src: number, srcPort: number, dst: number, dstPort: number, seg: TcpSegment): void {
    let seq = 0;
    let ack = 0;
    let flags = TcpFlag.RST;
    if (seg.flags & TcpFlag.ACK) seq = seg.ack;
    else {
      flags |= TcpFlag.ACK;
      ack = (seg.seq + seg.payloadLength + (seg.flags & TcpFlag.SYN ? 1 : 0) + (seg.flags & TcpFlag.FIN ? 1 : 0)) >>> 0;
    }
    this.stats.tcpResets++;
    this.writeTcp(frame.subarray(6, 12), dst, dstPort, src, srcPort, flags, seq, ack, 0, undefined, 0, 0);
  }

  /** @inheritdoc */
  emitSegment(conn: TcpConnection, flags: number, seq: number, dataOffset: number, dataLen: number): void {
    const mac = this.guestMacs.get(conn.guestIp);
    if (mac === undefined) {
      // A forward to a guest not heard from yet: ask for its MAC; the retransmit timer retries.
      this.arpRequest(conn.guestIp);
      return;
    }
    if (flags & TcpFlag.RST) this.stats.tcpResets++;
    const window = flags & TcpFlag.RST ? 0 : conn.receiveWindow();
    const ack = flags & TcpFlag.ACK ? conn.rcvNxt : 0;
    this.writeTcp(mac, conn.remoteIp, conn.remotePort, conn.guestIp, conn.guestPort, flags, seq, ack, window,
      dataLen > 0 ? conn : undefined, dataOffset, dataLen);
  }

  private writeTcp(dstMac: Uint8Array, srcIp: number, srcPort: number, dstIp: number, dstPort: number, flags: number,
    seq: number, ack: number, window: number, dataFrom: TcpConnection | undefined, dataOffset: number, dataLen: number): void {
    const hdr = flags & TcpFlag.SYN ? 24 : 20;
    const tcpLen = hdr + dataLen;
    this.writeIpHeader(IPPROTO_TCP, srcIp, dstIp, tcpLen, dstMac);
    const v = this.outView;
    v.setUint16(34, srcPort);
    v.setUint16(36, dstPort);
    v.setUint32(38, seq >>> 0);
    v.setUint32(42, ack >>> 0);
    v.setUint8(46, (hdr / 4) << 4);
    v.setUint8(47, flags);
    v.setUint16(48, window);
    v.setUint16(50, 0);
    v.setUint16(52, 0);
    if (hdr === 24) v.setUint32(54, 0x02040000 | TCP_OUR_MSS);
    if (dataFrom !== undefined) dataFrom.sendQueue.copyOut(dataOffset, dataLen, this.out, 34 + hdr);
    v.setUint16(50, inetChecksum(this.out, 34, 34 + tcpLen, pseudoHeaderSum(srcIp, dstIp, IPPROTO_TCP, tcpLen)));
    this.emit(34 + tcpLen);
  }
}

/** True if `ip` is a guest's address on the user network: 10.0.2.4 to 10.0.2.254. */
function isGuestIp(ip: number): boolean {
  const host = ip & ~USER_NET_NETMASK;
  return (ip & USER_NET_NETMASK) === ((USER_NET_GATEWAY_IP & USER_NET_NETMASK) >>> 0) && host >= 4 && host <= 254;
}

/** Key of a TCP connection among those to one remote address (a guest's last byte, both ports). */
function tcpKey(guestIp: number, remotePort: number, guestPort: number): number {
  return (guestIp & 255) * 2 ** 32 + remotePort * 65536 + guestPort;
}

const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

const NO_EVENTS: HostTcpEvents = {
  onConnect() {},
  onData() {},
  onEnd() {},
  onDrain() {},
  onClose() {},
};

/** The MSS option (kind 2, RFC 879) among TCP options in [start, end), or 0. */
function parseMss(frame: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const kind = frame[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    if (i + 1 >= end) break;
    const len = frame[i + 1]!;
    if (len < 2 || i + len > end) break;
    if (kind === 2 && len === 4) return be16(frame, i + 2);
    i += len;
  }
  return 0;
}

/** Big-endian u16 at `off` (network byte order). */
function be16(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}

/** Big-endian u32 at `off`. */
function be32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}
