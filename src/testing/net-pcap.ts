// Reads UDP datagrams out of a classic pcap file (Ethernet link type), as written by tcpdump
// and by QEMU's filter-dump: DHCP fixtures are kept as the captures themselves.
import { readFileSync } from "node:fs";

export interface CapturedUdp {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

const ip = (b: Buffer, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

export function readPcapUdp(file: string): CapturedUdp[] {
  const buf = readFileSync(file);
  const magic = buf.readUInt32LE(0);
  let le: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) le = true;
  else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) le = false;
  else throw new Error(`${file}: not a classic pcap file`);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linktype = u32(20);
  if (linktype !== 1) throw new Error(`${file}: link type ${linktype}, expected Ethernet (1)`);
  const out: CapturedUdp[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const caplen = u32(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    let l3 = 14;
    let ethertype = frame.readUInt16BE(12);
    if (ethertype === 0x8100) {
      ethertype = frame.readUInt16BE(16);
      l3 = 18;
    }
    if (ethertype !== 0x0800) continue;
    const ihl = (frame[l3] & 0x0f) * 4;
    if (frame[l3 + 9] !== 17) continue;
    const totalLen = frame.readUInt16BE(l3 + 2);
    const udp = l3 + ihl;
    const udpLen = frame.readUInt16BE(udp + 4);
    out.push({
      src: ip(frame, l3 + 12),
      dst: ip(frame, l3 + 16),
      srcPort: frame.readUInt16BE(udp),
      dstPort: frame.readUInt16BE(udp + 2),
      payload: Buffer.from(frame.subarray(udp + 8, Math.min(udp + udpLen, l3 + totalLen))),
    });
  }
  return out;
}

export function dhcpPayloads(file: string): CapturedUdp[] {
  return readPcapUdp(file).filter((p) => [67, 68].includes(p.srcPort) && [67, 68].includes(p.dstPort));
}
