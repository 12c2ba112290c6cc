// Interface configuration over rtnetlink: link up, MTU, IPv4 address and routes. Netlink message
// layouts are fixed-size little structs (no pointers), so they are built here as plain bytes and
// the kernel's answer is checked for every request.
import { SysError } from "./libc";
import { ipBytes, ipv4Bytes, NetlinkSocket } from "./socket";

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_ACK = 0x4;
const NLM_F_REPLACE = 0x100;
const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;

const RTM_NEWLINK = 16;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;

const AF_UNSPEC = 0;
const AF_INET = 2;
const AF_INET6 = 10;
const IFF_UP = 0x1;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_LINK = 5;
const IFLA_MASTER = 10;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const IFLA_VLAN_ID = 1;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_BROADCAST = 4;
const IFA_CACHEINFO = 6;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PREFSRC = 7;
const RT_TABLE_MAIN = 254;
/** Marks routes as set up by a DHCP client, as `ip route` shows them ("proto dhcp"). */
export const RTPROT_DHCP = 16;
/** Routes from static boot configuration ("proto boot"). */
export const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RTN_UNICAST = 1;

export interface Attr {
  type: number;
  data: Buffer;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0, 0);
  return b;
}

const align4 = (n: number) => (n + 3) & ~3;

export function encodeAttrs(attrs: Attr[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) {
    const len = 4 + a.data.length;
    const head = Buffer.alloc(4);
    head.writeUInt16LE(len, 0);
    head.writeUInt16LE(a.type, 2);
    parts.push(head, a.data, Buffer.alloc(align4(len) - len));
  }
  return Buffer.concat(parts);
}

/** nlmsghdr + fixed family header + attributes, as one request. */
export function encodeMessage(type: number, flags: number, seq: number, header: Buffer, attrs: Attr[]): Buffer {
  const body = Buffer.concat([header, Buffer.alloc(align4(header.length) - header.length), encodeAttrs(attrs)]);
  const hdr = Buffer.alloc(16);
  hdr.writeUInt32LE(16 + body.length, 0);
  hdr.writeUInt16LE(type, 4);
  hdr.writeUInt16LE(flags, 6);
  hdr.writeUInt32LE(seq, 8);
  hdr.writeUInt32LE(0, 12);
  return Buffer.concat([hdr, body]);
}

/** struct ifinfomsg */
export function ifinfomsg(index: number, flags: number, change: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(AF_UNSPEC, 0);
  b.writeUInt16LE(0, 2);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

/** struct ifaddrmsg; `family` 6 for an IPv6 address. */
export function ifaddrmsg(index: number, prefix: number, scope = RT_SCOPE_UNIVERSE, family: 4 | 6 = 4): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(family === 6 ? AF_INET6 : AF_INET, 0);
  b.writeUInt8(prefix, 1);
  b.writeUInt8(0, 2);
  b.writeUInt8(scope, 3);
  b.writeUInt32LE(index, 4);
  return b;
}

/** struct rtmsg */
export function rtmsg(dstLen: number, protocol: number, scope: number, family: 4 | 6 = 4): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(family === 6 ? AF_INET6 : AF_INET, 0);
  b.writeUInt8(dstLen, 1);
  b.writeUInt8(0, 2); // src_len
  b.writeUInt8(0, 3); // tos
  b.writeUInt8(RT_TABLE_MAIN, 4);
  b.writeUInt8(protocol, 5);
  b.writeUInt8(scope, 6);
  b.writeUInt8(RTN_UNICAST, 7);
  b.writeUInt32LE(0, 8);
  return b;
}

/** Reads the NLMSG_ERROR answer to request `seq`: 0 for an acknowledgement, else -errno. */
export function parseAck(reply: Buffer, seq: number): number | null {
  let off = 0;
  while (off + 16 <= reply.length) {
    const len = reply.readUInt32LE(off);
    const type = reply.readUInt16LE(off + 4);
    const rseq = reply.readUInt32LE(off + 8);
    if (len < 16 || off + len > reply.length) break;
    if (rseq === seq && type === NLMSG_ERROR && len >= 20) return reply.readInt32LE(off + 16);
    if (rseq === seq && type === NLMSG_DONE) return 0;
    off += align4(len);
  }
  return null;
}

let seqCounter = Math.floor(Date.now() / 1000) & 0x7fffffff;

function request(type: number, flags: number, header: Buffer, attrs: Attr[], what: string, syscall: string): void {
  const seq = ++seqCounter;
  const msg = encodeMessage(type, flags | NLM_F_REQUEST | NLM_F_ACK, seq, header, attrs);
  const sock = new NetlinkSocket();
  try {
    sock.send(msg, what);
    for (;;) {
      const reply = sock.receive(what);
      if (reply === null) throw new Error(`${syscall} (${what}): no answer from the kernel`);
      const err = parseAck(reply, seq);
      if (err === null) continue;
      if (err < 0) throw new SysError(syscall, -err, what);
      return;
    }
  } finally {
    sock.close();
  }
}

export function setLinkUp(ifindex: number, name: string): void {
  request(RTM_NEWLINK, 0, ifinfomsg(ifindex, IFF_UP, IFF_UP), [], name, "RTM_NEWLINK up");
}

export function setMtu(ifindex: number, name: string, mtu: number): void {
  request(RTM_NEWLINK, 0, ifinfomsg(ifindex, 0, 0), [{ type: IFLA_MTU, data: u32(mtu) }], `${name} mtu ${mtu}`, "RTM_NEWLINK mtu");
}

/** RTM_NEWLINK's body for `ip link add link PARENT name NAME type vlan id ID`, as iproute2 nests it. */
export function vlanLinkAttrs(parentIndex: number, name: string, id: number): Attr[] {
  const vid = Buffer.alloc(2);
  vid.writeUInt16LE(id, 0);
  const info = encodeAttrs([
    { type: IFLA_INFO_KIND, data: Buffer.from("vlan") },
    { type: IFLA_INFO_DATA, data: encodeAttrs([{ type: IFLA_VLAN_ID, data: vid }]) },
  ]);
  return [
    { type: IFLA_LINK, data: u32(parentIndex) },
    { type: IFLA_IFNAME, data: Buffer.from(`${name}\0`) },
    { type: IFLA_LINKINFO, data: info },
  ];
}

/** Creates an 802.1Q interface (the 8021q module must be loaded: the kernel cannot ask for it here). */
export function addVlan(parentIndex: number, name: string, id: number): void {
  request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifinfomsg(0, 0, 0), vlanLinkAttrs(parentIndex, name, id), `${name} (VLAN ${id})`, "RTM_NEWLINK vlan");
}

/** RTM_NEWLINK's body for `ip link add name NAME address MAC type bridge`, in iproute2's order. */
export function bridgeLinkAttrs(name: string, mac: string): Attr[] {
  return [
    { type: IFLA_ADDRESS, data: Buffer.from(mac.split(":").map((h) => parseInt(h, 16))) },
    { type: IFLA_IFNAME, data: Buffer.from(`${name}\0`) },
    { type: IFLA_LINKINFO, data: encodeAttrs([{ type: IFLA_INFO_KIND, data: Buffer.from("bridge") }]) },
  ];
}

/**
 * Creates a bridge with a MAC of its own choosing (a port's): without one, the kernel gives it the
 * lowest of its ports' MACs, which changes when a virtual machine's tap joins.
 */
export function addBridge(name: string, mac: string): void {
  request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifinfomsg(0, 0, 0), bridgeLinkAttrs(name, mac), `${name} (bridge)`, "RTM_NEWLINK bridge");
}

/** `ip link set NAME master MASTER`: makes the interface a port of a bridge (or a slave of a bond). */
export function setMaster(ifindex: number, name: string, masterIndex: number): void {
  request(RTM_NEWLINK, 0, ifinfomsg(ifindex, 0, 0), [{ type: IFLA_MASTER, data: u32(masterIndex) }], name, "RTM_NEWLINK master");
}

export interface AddressSpec {
  ifindex: number;
  name: string;
  address: string;
  prefix: number;
  broadcast?: string;
  /** Seconds; both lifetimes are left permanent when absent. */
  validLifetime?: number;
  preferredLifetime?: number;
}

const familyOf = (address: string): 4 | 6 => (address.includes(":") ? 6 : 4);

export function addressAttrs(spec: AddressSpec): Attr[] {
  const attrs: Attr[] = [
    { type: IFA_LOCAL, data: ipBytes(spec.address) },
    { type: IFA_ADDRESS, data: ipBytes(spec.address) },
  ];
  if (spec.broadcast) attrs.push({ type: IFA_BROADCAST, data: ipv4Bytes(spec.broadcast) });
  if (spec.validLifetime !== undefined) {
    const ci = Buffer.alloc(16);
    ci.writeUInt32LE(spec.preferredLifetime ?? spec.validLifetime, 0);
    ci.writeUInt32LE(spec.validLifetime, 4);
    attrs.push({ type: IFA_CACHEINFO, data: ci });
  }
  return attrs;
}

/** Adds the address, or refreshes it (broadcast, lifetimes) when it is already there. */
export function addAddress(spec: AddressSpec): void {
  const what = `${spec.name} ${spec.address}/${spec.prefix}`;
  request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, ifaddrmsg(spec.ifindex, spec.prefix, RT_SCOPE_UNIVERSE, familyOf(spec.address)), addressAttrs(spec), what, "RTM_NEWADDR");
}

export function deleteAddress(spec: AddressSpec): void {
  const what = `${spec.name} ${spec.address}/${spec.prefix}`;
  const attrs: Attr[] = [{ type: IFA_LOCAL, data: ipBytes(spec.address) }];
  request(RTM_DELADDR, 0, ifaddrmsg(spec.ifindex, spec.prefix, RT_SCOPE_UNIVERSE, familyOf(spec.address)), attrs, what, "RTM_DELADDR");
}

export interface RouteSpec {
  ifindex: number;
  name: string;
  /** Destination network; absent for the default route. */
  dst?: { address: string; prefix: number };
  gateway?: string;
  source?: string;
  protocol: number;
}

export function routeAttrs(spec: RouteSpec): { header: Buffer; attrs: Attr[] } {
  const attrs: Attr[] = [];
  const dstLen = spec.dst?.prefix ?? 0;
  const family = familyOf(spec.dst?.address ?? spec.gateway ?? spec.source ?? "0.0.0.0");
  if (spec.dst) attrs.push({ type: RTA_DST, data: ipBytes(spec.dst.address) });
  if (spec.gateway) attrs.push({ type: RTA_GATEWAY, data: ipBytes(spec.gateway) });
  if (spec.source) attrs.push({ type: RTA_PREFSRC, data: ipBytes(spec.source) });
  attrs.push({ type: RTA_OIF, data: u32(spec.ifindex) });
  // IPv6 routes are all of universe scope; an IPv4 route without a router is the link's.
  const scope = spec.gateway || family === 6 ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  return { header: rtmsg(dstLen, spec.protocol, scope, family), attrs };
}

function describeRoute(spec: RouteSpec): string {
  const dst = spec.dst ? `${spec.dst.address}/${spec.dst.prefix}` : "default";
  return `${dst}${spec.gateway ? ` via ${spec.gateway}` : ""} dev ${spec.name}`;
}

/** Adds or replaces a route in the main table. */
export function replaceRoute(spec: RouteSpec): void {
  const { header, attrs } = routeAttrs(spec);
  request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, header, attrs, describeRoute(spec), "RTM_NEWROUTE");
}

/** Adds a route, failing with EEXIST if one is there already. */
export function addRoute(spec: RouteSpec): void {
  const { header, attrs } = routeAttrs(spec);
  request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, header, attrs, describeRoute(spec), "RTM_NEWROUTE");
}

export function deleteRoute(spec: RouteSpec): void {
  const { header, attrs } = routeAttrs(spec);
  request(RTM_DELROUTE, 0, header, attrs, describeRoute(spec), "RTM_DELROUTE");
}
