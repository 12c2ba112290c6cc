// The client's messages (RFC 2131 table 5), built as packets; which fields and options each
// state sets is decided here and nowhere else.
import { BOOTREQUEST, BROADCAST_FLAG, type DhcpPacket } from "./packet";
import { ipBytes, MessageType, Opt, REQUESTED_PARAMETERS, u16Bytes } from "./options";

export interface ClientIdentity {
  /** 6-byte Ethernet address. */
  mac: Buffer;
  /** Option 61; by default type 1 (Ethernet) followed by the MAC. */
  clientId: Buffer;
  /** Option 12, sent when the host name is already known (from the command line). */
  hostname?: string;
  /** Option 60. */
  vendorClass: string;
  /** Option 57: the largest DHCP message we accept, from the interface MTU. */
  maxMessageSize: number;
}

export function defaultClientId(mac: Buffer): Buffer {
  return Buffer.concat([Buffer.from([1]), mac]);
}

export function macToString(mac: Buffer): string {
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

export function parseMac(text: string): Buffer {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new Error(`not a MAC address: ${text}`);
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}

function base(id: ClientIdentity, type: MessageType, xid: number, secs: number, ciaddr = "0.0.0.0"): DhcpPacket {
  const options = new Map<number, Buffer>();
  options.set(Opt.MESSAGE_TYPE, Buffer.from([type]));
  return {
    op: BOOTREQUEST,
    htype: 1,
    hlen: 6,
    hops: 0,
    xid,
    secs,
    // Without an address the client cannot receive unicast; once it has one, the server must
    // answer to it directly (RFC 2131 4.1).
    flags: ciaddr === "0.0.0.0" ? BROADCAST_FLAG : 0,
    ciaddr,
    yiaddr: "0.0.0.0",
    siaddr: "0.0.0.0",
    giaddr: "0.0.0.0",
    chaddr: id.mac,
    sname: "",
    file: "",
    options,
  };
}

function addCommon(p: DhcpPacket, id: ClientIdentity, withParams: boolean): DhcpPacket {
  p.options.set(Opt.CLIENT_ID, id.clientId);
  if (withParams) {
    p.options.set(Opt.MAX_MESSAGE_SIZE, u16Bytes(Math.max(576, Math.min(id.maxMessageSize, 0xffff))));
    p.options.set(Opt.PARAMETER_LIST, Buffer.from(REQUESTED_PARAMETERS));
    p.options.set(Opt.VENDOR_CLASS, Buffer.from(id.vendorClass, "latin1"));
    if (id.hostname) p.options.set(Opt.HOSTNAME, Buffer.from(id.hostname, "latin1"));
  }
  return p;
}

/** DHCPDISCOVER; `requestedIp` hints at an address held before (after an expired lease). */
export function discover(id: ClientIdentity, xid: number, secs: number, requestedIp?: string): DhcpPacket {
  const p = base(id, MessageType.DISCOVER, xid, secs);
  if (requestedIp) p.options.set(Opt.REQUESTED_IP, ipBytes(requestedIp));
  return addCommon(p, id, true);
}

/** DHCPREQUEST in SELECTING state: accepts one server's offer. */
export function requestSelecting(id: ClientIdentity, xid: number, secs: number, offered: string, serverId: string): DhcpPacket {
  const p = base(id, MessageType.REQUEST, xid, secs);
  p.options.set(Opt.REQUESTED_IP, ipBytes(offered));
  p.options.set(Opt.SERVER_ID, ipBytes(serverId));
  return addCommon(p, id, true);
}

/** DHCPREQUEST in RENEWING (unicast) or REBINDING (broadcast) state: same packet, ciaddr set. */
export function requestExtend(id: ClientIdentity, xid: number, secs: number, address: string): DhcpPacket {
  return addCommon(base(id, MessageType.REQUEST, xid, secs, address), id, true);
}

/** DHCPDECLINE: the acknowledged address is in use by another host (found by ARP). */
export function decline(id: ClientIdentity, xid: number, address: string, serverId: string, reason: string): DhcpPacket {
  // Broadcast and with ciaddr 0: the client has no address (RFC 2131 4.4.1).
  const p = base(id, MessageType.DECLINE, xid, 0);
  p.options.set(Opt.REQUESTED_IP, ipBytes(address));
  p.options.set(Opt.SERVER_ID, ipBytes(serverId));
  p.options.set(Opt.MESSAGE, Buffer.from(reason, "latin1"));
  return addCommon(p, id, false);
}

/** DHCPRELEASE: hands back an address the client will not use (a losing interface's lease). */
export function release(id: ClientIdentity, xid: number, address: string, serverId: string): DhcpPacket {
  const p = base(id, MessageType.RELEASE, xid, 0, address);
  p.options.set(Opt.SERVER_ID, ipBytes(serverId));
  return addCommon(p, id, false);
}
