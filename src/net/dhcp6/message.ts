// DHCPv6 messages (RFC 8415), pure: a type, a 3-byte transaction id and TLV options. Only what a
// boot client needs: one non-temporary address (IA_NA), DNS servers and search list (RFC 3646),
// NTP servers (RFC 5908, and SNTP's RFC 4075), the host name through Client FQDN (RFC 4704).
import { ipv6Bytes } from "../../sys/socket";
import { ipv6Text } from "../ipv6";

export const Msg6 = { SOLICIT: 1, ADVERTISE: 2, REQUEST: 3, RENEW: 5, REBIND: 6, REPLY: 7, RELEASE: 8, DECLINE: 9 } as const;
export const Opt6 = {
  CLIENTID: 1,
  SERVERID: 2,
  IA_NA: 3,
  IAADDR: 5,
  ORO: 6,
  PREFERENCE: 7,
  ELAPSED_TIME: 8,
  STATUS_CODE: 13,
  DNS_SERVERS: 23,
  DOMAIN_LIST: 24,
  SNTP_SERVERS: 31,
  CLIENT_FQDN: 39,
  NTP_SERVER: 56,
} as const;
export const Status6 = { SUCCESS: 0, UNSPEC_FAIL: 1, NO_ADDRS_AVAIL: 2, NO_BINDING: 3, NOT_ON_LINK: 4, USE_MULTICAST: 5 } as const;
const STATUS_NAMES = ["Success", "UnspecFail", "NoAddrsAvail", "NoBinding", "NotOnLink", "UseMulticast"];

/** Servers and relay agents listen here (ff02::1:2, port 547); clients on port 546. */
export const ALL_SERVERS = "ff02::1:2";
export const SERVER_PORT6 = 547;
export const CLIENT_PORT6 = 546;
export const INFINITY6 = 0xffffffff;

export type Option6 = [code: number, data: Buffer];

export interface Message6 {
  type: number;
  /** 24 bits. */
  xid: number;
  options: Option6[];
}

export class Dhcp6FormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Dhcp6FormatError";
  }
}

function tlv(code: number, data: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(code, 0);
  h.writeUInt16BE(data.length, 2);
  return Buffer.concat([h, data]);
}

function readOptions(b: Buffer, what: string): Option6[] {
  const out: Option6[] = [];
  let off = 0;
  while (off < b.length) {
    if (off + 4 > b.length) throw new Dhcp6FormatError(`${what}: option header cut short`);
    const code = b.readUInt16BE(off);
    const len = b.readUInt16BE(off + 2);
    if (off + 4 + len > b.length) throw new Dhcp6FormatError(`${what}: option ${code} runs past the end`);
    out.push([code, b.subarray(off + 4, off + 4 + len)]);
    off += 4 + len;
  }
  return out;
}

export function encodeMessage6(m: Message6): Buffer {
  const head = Buffer.from([m.type, (m.xid >>> 16) & 255, (m.xid >>> 8) & 255, m.xid & 255]);
  return Buffer.concat([head, ...m.options.map(([c, d]) => tlv(c, d))]);
}

export function decodeMessage6(b: Buffer): Message6 {
  if (b.length < 4) throw new Dhcp6FormatError(`a ${b.length}-byte message`);
  return { type: b[0], xid: (b[1] << 16) | (b[2] << 8) | b[3], options: readOptions(b.subarray(4), "message") };
}

/** DUID-LL (type 3, hardware type 1): the same for the node at every boot, from its MAC. */
export function duidLl(mac: Buffer): Buffer {
  const d = Buffer.alloc(4 + mac.length);
  d.writeUInt16BE(3, 0);
  d.writeUInt16BE(1, 2);
  mac.copy(d, 4);
  return d;
}

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
};

export interface Status {
  code: number;
  message: string;
}

export function describeStatus(s: Status): string {
  return `${STATUS_NAMES[s.code] ?? `status ${s.code}`}${s.message ? `: ${s.message}` : ""}`;
}

function readStatus(d: Buffer): Status {
  if (d.length < 2) throw new Dhcp6FormatError("status code option shorter than 2 bytes");
  return { code: d.readUInt16BE(0), message: d.toString("utf8", 2) };
}

export interface IaAddress {
  address: string;
  preferred: number;
  valid: number;
  status?: Status;
}

export interface IaNa {
  iaid: number;
  t1: number;
  t2: number;
  addresses: IaAddress[];
  status?: Status;
}

export function encodeIaNa(iaid: number, addresses: { address: string; preferred?: number; valid?: number }[] = []): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt32BE(iaid >>> 0, 0);
  const addrs = addresses.map((a) => {
    const life = Buffer.alloc(8);
    life.writeUInt32BE((a.preferred ?? 0) >>> 0, 0);
    life.writeUInt32BE((a.valid ?? 0) >>> 0, 4);
    return tlv(Opt6.IAADDR, Buffer.concat([ipv6Bytes(a.address), life]));
  });
  return Buffer.concat([head, ...addrs]);
}

export function parseIaNa(d: Buffer): IaNa {
  if (d.length < 12) throw new Dhcp6FormatError("IA_NA shorter than 12 bytes");
  const ia: IaNa = { iaid: d.readUInt32BE(0), t1: d.readUInt32BE(4), t2: d.readUInt32BE(8), addresses: [] };
  for (const [code, data] of readOptions(d.subarray(12), "IA_NA")) {
    if (code === Opt6.STATUS_CODE) ia.status = readStatus(data);
    if (code !== Opt6.IAADDR) continue;
    if (data.length < 24) throw new Dhcp6FormatError("IA address shorter than 24 bytes");
    const a: IaAddress = { address: ipv6Text(data.subarray(0, 16)), preferred: data.readUInt32BE(16), valid: data.readUInt32BE(20) };
    for (const [c, x] of readOptions(data.subarray(24), "IA address")) if (c === Opt6.STATUS_CODE) a.status = readStatus(x);
    ia.addresses.push(a);
  }
  return ia;
}

/** DNS names in wire format, uncompressed (RFC 8415 10); a partial name ends without the root label. */
export function readNames(d: Buffer): string[] {
  const names: string[] = [];
  let labels: string[] = [];
  let off = 0;
  while (off < d.length) {
    const len = d[off++];
    if (len === 0) {
      if (labels.length > 0) names.push(labels.join("."));
      labels = [];
      continue;
    }
    if (len > 63 || off + len > d.length) throw new Dhcp6FormatError("a domain name runs past its option");
    labels.push(d.toString("latin1", off, off + len));
    off += len;
  }
  if (labels.length > 0) names.push(labels.join("."));
  return names;
}

function writeName(name: string, partial: boolean): Buffer {
  const labels = name.split(".").filter((l) => l !== "");
  const parts = labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "latin1")]));
  return Buffer.concat([...parts, ...(partial ? [] : [Buffer.from([0])])]);
}

function addresses(d: Buffer): string[] {
  const out: string[] = [];
  for (let off = 0; off + 16 <= d.length; off += 16) out.push(ipv6Text(d.subarray(off, off + 16)));
  return out;
}

/** What the client says about itself in every message. */
export interface Identity6 {
  duid: Buffer;
  iaid: number;
  /** Sent as a partial Client FQDN, so that the server can answer with the full name it has. */
  hostname?: string;
}

const REQUESTED = [Opt6.DNS_SERVERS, Opt6.DOMAIN_LIST, Opt6.NTP_SERVER, Opt6.SNTP_SERVERS];

/** Client FQDN with N set (no DNS updates asked of the server): a name to be completed, or none. */
function fqdnOption(hostname: string | undefined): Option6 {
  return [Opt6.CLIENT_FQDN, Buffer.concat([Buffer.from([0x04]), hostname ? writeName(hostname.split(".")[0], true) : Buffer.alloc(0)])];
}

function common(id: Identity6, elapsedCs: number): Option6[] {
  return [
    [Opt6.CLIENTID, id.duid],
    [Opt6.ELAPSED_TIME, u16(Math.min(elapsedCs, 0xffff))],
    [Opt6.ORO, Buffer.concat(REQUESTED.map(u16))],
    fqdnOption(id.hostname),
  ];
}

export function solicit(id: Identity6, xid: number, elapsedCs: number): Message6 {
  return { type: Msg6.SOLICIT, xid, options: [...common(id, elapsedCs), [Opt6.IA_NA, encodeIaNa(id.iaid)]] };
}

/** REQUEST (for an advertised address), RENEW (to the granting server) or REBIND (to any). */
export function askFor(type: number, id: Identity6, xid: number, elapsedCs: number, address: string, serverDuid?: Buffer): Message6 {
  const options = common(id, elapsedCs);
  if (serverDuid) options.splice(1, 0, [Opt6.SERVERID, serverDuid]);
  options.push([Opt6.IA_NA, encodeIaNa(id.iaid, [{ address }])]);
  return { type, xid, options };
}

/** RELEASE (the address is given back) or DECLINE (another host has it: duplicate address detection failed). */
export function giveBack(type: typeof Msg6.RELEASE | typeof Msg6.DECLINE, id: Identity6, xid: number, address: string, serverDuid: Buffer): Message6 {
  return { type, xid, options: [[Opt6.CLIENTID, id.duid], [Opt6.SERVERID, serverDuid], [Opt6.ELAPSED_TIME, u16(0)], [Opt6.IA_NA, encodeIaNa(id.iaid, [{ address }])]] };
}

/** An ADVERTISE or REPLY, read for what the client uses. */
export interface ServerMessage {
  type: number;
  xid: number;
  clientDuid?: Buffer;
  serverDuid?: Buffer;
  /** The IA_NA with our IAID, if the server sent one. */
  ia?: IaNa;
  status?: Status;
  preference: number;
  dns: string[];
  search: string[];
  ntp: string[];
  /** The name from the server's Client FQDN option, as sent (full or partial). */
  fqdn?: string;
}

export function readServerMessage(m: Message6, iaid: number): ServerMessage {
  const s: ServerMessage = { type: m.type, xid: m.xid, preference: 0, dns: [], search: [], ntp: [] };
  const sntp: string[] = [];
  for (const [code, d] of m.options) {
    switch (code) {
      case Opt6.CLIENTID:
        s.clientDuid = d;
        break;
      case Opt6.SERVERID:
        s.serverDuid = d;
        break;
      case Opt6.IA_NA: {
        const ia = parseIaNa(d);
        if (ia.iaid === iaid) s.ia = ia;
        break;
      }
      case Opt6.STATUS_CODE:
        s.status = readStatus(d);
        break;
      case Opt6.PREFERENCE:
        s.preference = d[0] ?? 0;
        break;
      case Opt6.DNS_SERVERS:
        s.dns.push(...addresses(d));
        break;
      case Opt6.DOMAIN_LIST:
        s.search.push(...readNames(d));
        break;
      case Opt6.SNTP_SERVERS:
        sntp.push(...addresses(d));
        break;
      case Opt6.NTP_SERVER:
        // Suboption 1 is a server address; multicast groups and names (2, 3) are left out.
        for (const [c, x] of readOptions(d, "NTP server")) if (c === 1 && x.length === 16) s.ntp.push(ipv6Text(x));
        break;
      case Opt6.CLIENT_FQDN:
        if (d.length > 1) s.fqdn = readNames(d.subarray(1))[0];
        break;
    }
  }
  if (s.ntp.length === 0) s.ntp = sntp;
  return s;
}

/** The address the server gives us, or why it gives none. */
export function grantedAddress(s: ServerMessage): IaAddress | { refused: Status } {
  if (s.status && s.status.code !== Status6.SUCCESS) return { refused: s.status };
  if (!s.ia) return { refused: { code: Status6.NO_ADDRS_AVAIL, message: "no address for us in the message" } };
  if (s.ia.status && s.ia.status.code !== Status6.SUCCESS) return { refused: s.ia.status };
  const a = s.ia.addresses.find((x) => x.valid > 0 && (!x.status || x.status.code === Status6.SUCCESS));
  return a ?? { refused: s.ia.addresses[0]?.status ?? { code: Status6.NO_ADDRS_AVAIL, message: "no address for us in the message" } };
}
