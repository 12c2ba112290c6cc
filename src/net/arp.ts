// ARP packets for address conflict detection (RFC 5227): the probe that asks "who has this
// address?" without claiming it, and the rule for which answers mean it is taken.
import { ipv4Bytes } from "../sys/socket";

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
/** Ethernet over IPv4: htype(2) ptype(2) hlen(1) plen(1) oper(2) sha(6) spa(4) tha(6) tpa(4). */
export const ARP_SIZE = 28;

export interface ArpPacket {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

const mac = (b: Buffer, off: number) => [...b.subarray(off, off + 6)].map((x) => x.toString(16).padStart(2, "0")).join(":");
const ip = (b: Buffer, off: number) => `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;

/** An ARP probe (RFC 5227 2.1.1): a request from `ourMac` with sender address 0.0.0.0, so no cache learns anything from it. */
export function encodeProbe(ourMac: Buffer, address: string): Buffer {
  const b = Buffer.alloc(ARP_SIZE);
  b.writeUInt16BE(1, 0); // Ethernet
  b.writeUInt16BE(0x0800, 2); // IPv4
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(ARP_REQUEST, 6);
  ourMac.copy(b, 8);
  // spa 0.0.0.0, tha 00:00:00:00:00:00: already zero.
  ipv4Bytes(address).copy(b, 24);
  return b;
}

/** Ethernet/IPv4 ARP, or null for anything else. */
export function decodeArp(b: Buffer): ArpPacket | null {
  if (b.length < ARP_SIZE || b.readUInt16BE(0) !== 1 || b.readUInt16BE(2) !== 0x0800 || b[4] !== 6 || b[5] !== 4) return null;
  return { op: b.readUInt16BE(6), senderMac: mac(b, 8), senderIp: ip(b, 14), targetMac: mac(b, 18), targetIp: ip(b, 24) };
}

/**
 * The MAC of another host that holds or is claiming `address` by this packet, or null. RFC 5227
 * 2.1.1: any ARP packet (request or reply) whose sender address is the probed one, and another
 * host's probe for the same address. Our own packets (seen on the socket too) never count.
 */
export function conflictingHost(p: ArpPacket, address: string, ourMac: string): string | null {
  if (p.senderMac === ourMac.toLowerCase()) return null;
  if (p.senderIp === address) return p.senderMac;
  if (p.op === ARP_REQUEST && p.senderIp === "0.0.0.0" && p.targetIp === address) return p.senderMac;
  return null;
}
