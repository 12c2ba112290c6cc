// The BOOTP/DHCP message (RFC 2131 section 2): a fixed 236-byte header, the magic cookie, then
// options. Decoding follows option overload (52) into `file` and `sname`, and concatenates
// repeated options (RFC 3396) so long values such as domain search lists arrive whole.
import { ipBytes, ipToString, Opt } from "./options";

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const BROADCAST_FLAG = 0x8000;
export const SERVER_PORT = 67;
export const CLIENT_PORT = 68;
const MAGIC = 0x63825363;
const HEADER = 236;
/** RFC 1542: relays and old servers may drop BOOTP messages shorter than this. */
const MIN_LENGTH = 300;

export interface DhcpPacket {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** The hardware address, `hlen` bytes. */
  chaddr: Buffer;
  sname: string;
  file: string;
  /** Option code -> value; for decoded packets, repeated instances already concatenated. */
  options: Map<number, Buffer>;
}

export class PacketError extends Error {
  constructor(message: string) {
    super(`malformed DHCP packet: ${message}`);
    this.name = "PacketError";
  }
}

function cString(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString("latin1");
}

/** Reads options from `buf` into `into`, keeping every instance so repeats can be concatenated. */
function readOptions(buf: Buffer, into: Map<number, Buffer[]>, where: string): void {
  let i = 0;
  while (i < buf.length) {
    const code = buf[i];
    if (code === Opt.PAD) {
      i++;
      continue;
    }
    if (code === Opt.END) return;
    if (i + 1 >= buf.length) throw new PacketError(`option ${code} in ${where} has no length byte`);
    const len = buf[i + 1];
    if (i + 2 + len > buf.length) throw new PacketError(`option ${code} in ${where} runs past the end (${len} bytes)`);
    const list = into.get(code) ?? [];
    list.push(buf.subarray(i + 2, i + 2 + len));
    into.set(code, list);
    i += 2 + len;
  }
  // A missing END is common enough (and harmless) in the overloaded fields; tolerate it everywhere.
}

export function decodePacket(buf: Buffer): DhcpPacket {
  if (buf.length < HEADER + 4) throw new PacketError(`${buf.length} bytes, shorter than the ${HEADER + 4}-byte minimum`);
  if (buf.readUInt32BE(HEADER) !== MAGIC) throw new PacketError("no DHCP magic cookie (plain BOOTP?)");
  const hlen = buf[2];
  if (hlen > 16) throw new PacketError(`hardware address length ${hlen} exceeds 16`);
  const parts = new Map<number, Buffer[]>();
  readOptions(buf.subarray(HEADER + 4), parts, "options");
  const overload = parts.get(Opt.OVERLOAD)?.[0]?.[0] ?? 0;
  const fileField = buf.subarray(108, 236);
  const snameField = buf.subarray(44, 108);
  // RFC 2131 4.1: options area first, then `file`, then `sname`.
  if (overload & 1) readOptions(fileField, parts, "file field");
  if (overload & 2) readOptions(snameField, parts, "sname field");
  const options = new Map<number, Buffer>();
  for (const [code, list] of parts) options.set(code, list.length === 1 ? Buffer.from(list[0]) : Buffer.concat(list));
  return {
    op: buf[0],
    htype: buf[1],
    hlen,
    hops: buf[3],
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: ipToString(buf, 12),
    yiaddr: ipToString(buf, 16),
    siaddr: ipToString(buf, 20),
    giaddr: ipToString(buf, 24),
    chaddr: Buffer.from(buf.subarray(28, 28 + hlen)),
    sname: overload & 2 ? "" : cString(snameField),
    file: overload & 1 ? "" : cString(fileField),
    options,
  };
}

export function encodePacket(p: DhcpPacket): Buffer {
  const head = Buffer.alloc(HEADER + 4);
  head[0] = p.op;
  head[1] = p.htype;
  head[2] = p.hlen;
  head[3] = p.hops;
  head.writeUInt32BE(p.xid >>> 0, 4);
  head.writeUInt16BE(Math.min(p.secs, 0xffff), 8);
  head.writeUInt16BE(p.flags, 10);
  ipBytes(p.ciaddr).copy(head, 12);
  ipBytes(p.yiaddr).copy(head, 16);
  ipBytes(p.siaddr).copy(head, 20);
  ipBytes(p.giaddr).copy(head, 24);
  p.chaddr.copy(head, 28, 0, Math.min(16, p.chaddr.length));
  Buffer.from(p.sname, "latin1").copy(head, 44, 0, 63);
  Buffer.from(p.file, "latin1").copy(head, 108, 0, 127);
  head.writeUInt32BE(MAGIC, HEADER);
  const opts: Buffer[] = [];
  // Message type first: some servers only look for it there.
  const ordered = [...p.options].sort(([a], [b]) => (a === Opt.MESSAGE_TYPE ? -1 : b === Opt.MESSAGE_TYPE ? 1 : 0));
  for (const [code, value] of ordered) {
    if (value.length === 0) {
      opts.push(Buffer.from([code, 0]));
      continue;
    }
    // RFC 3396: values over 255 bytes are split into consecutive instances.
    for (let i = 0; i < value.length; i += 255) {
      const chunk = value.subarray(i, i + 255);
      opts.push(Buffer.from([code, chunk.length]), chunk);
    }
  }
  opts.push(Buffer.from([Opt.END]));
  const out = Buffer.concat([head, ...opts]);
  return out.length >= MIN_LENGTH ? out : Buffer.concat([out, Buffer.alloc(MIN_LENGTH - out.length)]);
}

export function messageType(p: DhcpPacket): number | undefined {
  const v = p.options.get(Opt.MESSAGE_TYPE);
  return v && v.length === 1 ? v[0] : undefined;
}
