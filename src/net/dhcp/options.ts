// DHCP option numbers (RFC 2132 and later) and the value formats tarboot reads and writes.
import type { Route } from "../lease";

export const Opt = {
  PAD: 0,
  SUBNET_MASK: 1,
  ROUTER: 3,
  DNS: 6,
  LOG_SERVER: 7,
  HOSTNAME: 12,
  DOMAIN_NAME: 15,
  ROOT_PATH: 17,
  MTU: 26,
  BROADCAST: 28,
  NTP: 42,
  REQUESTED_IP: 50,
  LEASE_TIME: 51,
  OVERLOAD: 52,
  MESSAGE_TYPE: 53,
  SERVER_ID: 54,
  PARAMETER_LIST: 55,
  MESSAGE: 56,
  MAX_MESSAGE_SIZE: 57,
  RENEWAL_TIME: 58,
  REBINDING_TIME: 59,
  VENDOR_CLASS: 60,
  CLIENT_ID: 61,
  DOMAIN_SEARCH: 119,
  CLASSLESS_ROUTES: 121,
  END: 255,
} as const;

export enum MessageType {
  DISCOVER = 1,
  OFFER = 2,
  REQUEST = 3,
  DECLINE = 4,
  ACK = 5,
  NAK = 6,
  RELEASE = 7,
  INFORM = 8,
}

export function messageTypeName(t: number): string {
  return MessageType[t] ?? `type ${t}`;
}

/**
 * What tarboot asks the server for (option 55), in the order the issue lists them; classless
 * routes (121) before the router option, as RFC 3442 asks of clients that take both.
 */
export const REQUESTED_PARAMETERS = [
  Opt.SUBNET_MASK,
  Opt.CLASSLESS_ROUTES,
  Opt.ROUTER,
  Opt.DNS,
  Opt.HOSTNAME,
  Opt.DOMAIN_NAME,
  Opt.DOMAIN_SEARCH,
  Opt.MTU,
  Opt.BROADCAST,
  Opt.NTP,
  Opt.LOG_SERVER,
  Opt.ROOT_PATH,
  Opt.LEASE_TIME,
  Opt.RENEWAL_TIME,
  Opt.REBINDING_TIME,
];

export class OptionError extends Error {
  constructor(option: number, message: string) {
    super(`DHCP option ${option}: ${message}`);
    this.name = "OptionError";
  }
}

export function ipToString(b: Buffer, offset = 0): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

export function readIp(option: number, data: Buffer): string {
  if (data.length !== 4) throw new OptionError(option, `expected 4 bytes, got ${data.length}`);
  return ipToString(data);
}

export function readIpList(option: number, data: Buffer): string[] {
  if (data.length === 0 || data.length % 4 !== 0) throw new OptionError(option, `expected a multiple of 4 bytes, got ${data.length}`);
  const out: string[] = [];
  for (let i = 0; i < data.length; i += 4) out.push(ipToString(data, i));
  return out;
}

export function readU32(option: number, data: Buffer): number {
  if (data.length !== 4) throw new OptionError(option, `expected 4 bytes, got ${data.length}`);
  return data.readUInt32BE(0);
}

export function readU16(option: number, data: Buffer): number {
  if (data.length !== 2) throw new OptionError(option, `expected 2 bytes, got ${data.length}`);
  return data.readUInt16BE(0);
}

/** NVT ASCII; servers sometimes count a trailing NUL into the length. */
export function readString(data: Buffer): string {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return data.subarray(0, end).toString("latin1");
}

/**
 * Option 119 (RFC 3397): a list of domain names in DNS wire format, where compression pointers
 * are offsets into the option's data (after RFC 3396 concatenation).
 */
export function readDomainSearch(data: Buffer): string[] {
  const names: string[] = [];
  let pos = 0;
  while (pos < data.length) {
    const labels: string[] = [];
    let p = pos;
    let next = -1; // where the next name starts, fixed by the first pointer followed
    let jumps = 0;
    for (;;) {
      if (p >= data.length) throw new OptionError(Opt.DOMAIN_SEARCH, "name runs past the end of the option");
      const len = data[p];
      if (len === 0) {
        if (next < 0) next = p + 1;
        break;
      }
      if ((len & 0xc0) === 0xc0) {
        if (p + 1 >= data.length) throw new OptionError(Opt.DOMAIN_SEARCH, "truncated compression pointer");
        if (next < 0) next = p + 2;
        const target = ((len & 0x3f) << 8) | data[p + 1];
        if (++jumps > 64 || target >= data.length) throw new OptionError(Opt.DOMAIN_SEARCH, "bad compression pointer");
        p = target;
        continue;
      }
      if ((len & 0xc0) !== 0) throw new OptionError(Opt.DOMAIN_SEARCH, `bad label length byte 0x${len.toString(16)}`);
      if (p + 1 + len > data.length) throw new OptionError(Opt.DOMAIN_SEARCH, "label runs past the end of the option");
      labels.push(data.subarray(p + 1, p + 1 + len).toString("latin1"));
      p += 1 + len;
    }
    if (labels.length > 0) names.push(labels.join("."));
    pos = next;
  }
  return names;
}

/**
 * Option 121 (RFC 3442): per route a prefix length, only the significant octets of the
 * destination, then the router. Bits beyond the prefix are cleared, as the kernel requires.
 */
export function readClasslessRoutes(data: Buffer): Route[] {
  const routes: Route[] = [];
  let pos = 0;
  while (pos < data.length) {
    const prefix = data[pos];
    if (prefix > 32) throw new OptionError(Opt.CLASSLESS_ROUTES, `prefix length ${prefix} (at most 32)`);
    const octets = Math.ceil(prefix / 8);
    if (pos + 1 + octets + 4 > data.length) throw new OptionError(Opt.CLASSLESS_ROUTES, "route runs past the end of the option");
    const dst = Buffer.alloc(4);
    data.copy(dst, 0, pos + 1, pos + 1 + octets);
    if (prefix % 8 !== 0) dst[octets - 1] &= (0xff << (8 - (prefix % 8))) & 0xff;
    routes.push({ dst: ipToString(dst), prefix, gateway: ipToString(data, pos + 1 + octets) });
    pos += 1 + octets + 4;
  }
  return routes;
}

export function encodeClasslessRoutes(routes: readonly Route[]): Buffer {
  return Buffer.concat(routes.map((r) => Buffer.concat([Buffer.from([r.prefix]), ipBytes(r.dst).subarray(0, Math.ceil(r.prefix / 8)), ipBytes(r.gateway)])));
}

/** Encodes names without compression (RFC 3397 allows either). */
export function encodeDomainSearch(names: string[]): Buffer {
  const parts: Buffer[] = [];
  for (const name of names) {
    for (const label of name.split(".").filter((l) => l.length > 0)) {
      if (label.length > 63) throw new OptionError(Opt.DOMAIN_SEARCH, `label too long in ${name}`);
      parts.push(Buffer.from([label.length]), Buffer.from(label, "latin1"));
    }
    parts.push(Buffer.from([0]));
  }
  return Buffer.concat(parts);
}

export function ipBytes(address: string): Buffer {
  const parts = address.split(".").map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  if (parts.length !== 4 || parts.some((n) => !(n >= 0 && n <= 255))) throw new Error(`not an IPv4 address: ${address}`);
  return Buffer.from(parts);
}

export function u32Bytes(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

export function u16Bytes(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}
