/** DHCP message types (RFC 2132 §9.6). */
const DHCPDISCOVER = 1;
const DHCPOFFER = 2;
const DHCPREQUEST = 3;
const DHCPACK = 5;
const DHCPNAK = 6;
const DHCPINFORM = 8;
const MAGIC_COOKIE = 0x63825363;
/** Fixed part of a BOOTP message (RFC 951) before the options' magic cookie. */
const BOOTP_FIXED = 236;
const LEASE_SECONDS = 86400;

/**
 * The DHCP server of the user-mode network (RFC 2131): one address per client hardware address,
 * the first client gets `firstClientIp`, the next ones the addresses after it (at most
 * `maxClients`, then DISCOVERs go unanswered; a bridge with several domains needs this). Answers
 * DISCOVER with OFFER and REQUEST with ACK (or NAK for an address that is not that client's),
 * offering subnet mask, router, lease time and, when configured, a DNS server.
 */
export class DhcpServer {
  private readonly reply = new Uint8Array(300 + 64);
  private readonly view = new DataView(this.reply.buffer);
  /** Client MAC (12 hex digits) → its address. */
  private readonly leases = new Map<string, number>();
  /** DISCOVERs not answered because every address was leased. */
  poolExhausted = 0;

  constructor(
    private readonly serverIp: number,
    private readonly firstClientIp: number,
    private readonly netmask: number,
    private readonly dnsIp: number | undefined,
    private readonly maxClients = 1,
  ) {}

  /** The address leased to the client whose MAC is at `chaddr[0..6)`, leasing one if `create`. */
  private leaseOf(chaddr: Uint8Array, create: boolean): number | undefined {
    let key = '';
    for (let i = 0; i < 6; i++) key += chaddr[i]!.toString(16).padStart(2, '0');
    const have = this.leases.get(key);
    if (have !== undefined || !create) return have;
    if (this.leases.size >= this.maxClients) {
      this.poolExhausted++;
      return undefined;
    }
    const ip = (this.firstClientIp + this.leases.size) >>> 0;
    this.leases.set(key, ip);
    return ip;
  }

  /**
   * Handles one BOOTP payload from a client. Returns the reply payload (valid until the next
   * call), an empty array when no reply is due, or undefined if the message is malformed.
   */
  handle(msg: Uint8Array): Uint8Array | undefined {
    if (msg.length < BOOTP_FIXED + 4) return undefined;
    const mv = new DataView(msg.buffer, msg.byteOffset, msg.length);
    if (msg[0] !== 1 || msg[1] !== 1 || msg[2] !== 6 || mv.getUint32(BOOTP_FIXED) !== MAGIC_COOKIE) return undefined;
    let type = 0;
    let requested = -1;
    let serverId = -1;
    let i = BOOTP_FIXED + 4;
    while (i < msg.length) {
      const code = msg[i]!;
      if (code === 255) break;
      if (code === 0) {
        i++;
        continue;
      }
      if (i + 1 >= msg.length) return undefined;
      const len = msg[i + 1]!;
      if (i + 2 + len > msg.length) return undefined;
      if (code === 53 && len === 1) type = msg[i + 2]!;
      else if (code === 50 && len === 4) requested = mv.getUint32(i + 2);
      else if (code === 54 && len === 4) serverId = mv.getUint32(i + 2);
      i += 2 + len;
    }
    const ciaddr = mv.getUint32(12);
    const chaddr = msg.subarray(28, 34);
    switch (type) {
      case DHCPDISCOVER: {
        const ip = this.leaseOf(chaddr, true);
        return ip === undefined ? EMPTY : this.build(msg, DHCPOFFER, ip);
      }
      case DHCPREQUEST: {
        if (serverId >= 0 && serverId !== this.serverIp) return EMPTY; // the client chose another server
        const want = requested >= 0 ? requested : ciaddr;
        const ip = this.leaseOf(chaddr, true);
        if (ip === undefined || want !== ip) return this.build(msg, DHCPNAK, 0);
        return this.build(msg, DHCPACK, ip);
      }
      case DHCPINFORM:
        return this.build(msg, DHCPACK, 0);
      case 0:
        return undefined;
      default:
        return EMPTY; // DECLINE, RELEASE: nothing to answer
    }
  }

  private build(req: Uint8Array, type: number, yiaddr: number): Uint8Array {
    const r = this.reply;
    const v = this.view;
    r.fill(0);
    r[0] = 2; // BOOTREPLY
    r[1] = 1;
    r[2] = 6;
    r.set(req.subarray(4, 8), 4); // xid
    r.set(req.subarray(10, 12), 10); // flags
    if (type === DHCPACK && yiaddr === 0) r.set(req.subarray(12, 16), 12); // INFORM: ciaddr back
    v.setUint32(16, yiaddr);
    if (type !== DHCPNAK) v.setUint32(20, this.serverIp);
    r.set(req.subarray(28, 44), 28); // chaddr
    v.setUint32(BOOTP_FIXED, MAGIC_COOKIE);
    let o = BOOTP_FIXED + 4;
    const opt = (code: number, len: number): void => {
      r[o] = code;
      r[o + 1] = len;
      o += 2;
    };
    opt(53, 1);
    r[o++] = type;
    opt(54, 4);
    v.setUint32(o, this.serverIp);
    o += 4;
    if (type !== DHCPNAK) {
      if (yiaddr !== 0) {
        opt(51, 4);
        v.setUint32(o, LEASE_SECONDS);
        o += 4;
      }
      opt(1, 4);
      v.setUint32(o, this.netmask);
      o += 4;
      opt(3, 4);
      v.setUint32(o, this.serverIp);
      o += 4;
      if (this.dnsIp !== undefined) {
        opt(6, 4);
        v.setUint32(o, this.dnsIp);
        o += 4;
      }
    }
    r[o++] = 255;
    return r.subarray(0, Math.max(o, 300));
  }
}

const EMPTY = new Uint8Array(0);
