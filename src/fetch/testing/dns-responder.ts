// A tiny authoritative DNS server on 127.0.0.1 (UDP, random port) for lookup tests: answers A queries for
// the names it knows (PTR for those under in-addr.arpa), NODATA for other types of those names,
// NXDOMAIN for everything else.
import { createSocket } from "node:dgram";

export interface DnsResponder {
  /** "127.0.0.1:PORT", as dns.Resolver#setServers takes it. */
  server: string;
  queries: string[];
  close(): Promise<void>;
}

function readName(msg: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let i = offset;
  while (msg[i] !== 0) {
    const len = msg[i];
    labels.push(msg.subarray(i + 1, i + 1 + len).toString("latin1"));
    i += 1 + len;
  }
  return { name: labels.join("."), next: i + 1 };
}

export async function startDnsResponder(records: Record<string, string>): Promise<DnsResponder> {
  const sock = createSocket("udp4");
  const queries: string[] = [];
  sock.on("message", (msg, rinfo) => {
    if (msg.length < 17) return;
    const { name, next } = readName(msg, 12);
    const qtype = msg.readUInt16BE(next);
    const question = msg.subarray(12, next + 4);
    queries.push(`${name}/${qtype}`);
    const address = records[name.toLowerCase()];
    // Names under in-addr.arpa map to a host name (PTR); the others to an IPv4 address (A).
    const ptr = name.toLowerCase().endsWith(".in-addr.arpa");
    const answer = address !== undefined && qtype === (ptr ? 12 : 1);
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2); // id
    const rd = msg[2] & 0x01;
    header[2] = 0x84 | rd; // QR, AA, RD echoed
    header[3] = 0x80 | (address === undefined ? 3 : 0); // RA, rcode NXDOMAIN or NOERROR
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answer ? 1 : 0, 6);
    const parts = [header, question];
    if (answer && ptr) {
      const target = Buffer.concat([...address.split(".").map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, "latin1")])), Buffer.from([0])]);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(12, 2); // PTR
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(target.length, 10);
      parts.push(rr, target);
    } else if (answer) {
      const rr = Buffer.alloc(16);
      rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question
      rr.writeUInt16BE(1, 2); // A
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(4, 10);
      address.split(".").forEach((o, k) => (rr[12 + k] = Number(o)));
      parts.push(rr);
    }
    sock.send(Buffer.concat(parts), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  return {
    server: `127.0.0.1:${sock.address().port}`,
    queries,
    close: () => new Promise<void>((r) => sock.close(() => r())),
  };
}
