// Router advertisement options the kernel does not act on itself: RFC 8106's DNS servers (RDNSS)
// and search list (DNSSL). It hands them to user space as RTM_NEWNDUSEROPT notifications on the
// RTNLGRP_ND_USEROPT group, the ND options as they arrived plus the router's address.
import { readNames } from "./dhcp6/message";
import { ipv6Text } from "./ipv6";

export const RTNLGRP_ND_USEROPT = 20;
const RTM_NEWNDUSEROPT = 68;
const ND_OPT_RDNSS = 25;
const ND_OPT_DNSSL = 31;
const NDUSEROPT_SRCADDR = 1;
const NLMSG_HDR = 16;
const NDUSEROPT_HDR = 16;

export interface RaDns {
  ifindex: number;
  /** The advertising router's address. */
  router?: string;
  /** DNS servers with a lifetime left (a lifetime of 0 withdraws them). */
  servers: string[];
  search: string[];
}

/** Every RTM_NEWNDUSEROPT in one netlink datagram, read for DNS; others are skipped. */
export function parseNdUserOpts(datagram: Buffer): RaDns[] {
  const out: RaDns[] = [];
  for (let off = 0; off + NLMSG_HDR <= datagram.length; ) {
    const len = datagram.readUInt32LE(off);
    if (len < NLMSG_HDR || off + len > datagram.length) break;
    if (datagram.readUInt16LE(off + 4) === RTM_NEWNDUSEROPT && len >= NLMSG_HDR + NDUSEROPT_HDR) {
      out.push(readUserOpt(datagram.subarray(off + NLMSG_HDR, off + len)));
    }
    off += (len + 3) & ~3;
  }
  return out;
}

function readUserOpt(m: Buffer): RaDns {
  const optsLen = m.readUInt16LE(2);
  const r: RaDns = { ifindex: m.readInt32LE(4), servers: [], search: [] };
  const opts = m.subarray(NDUSEROPT_HDR, Math.min(m.length, NDUSEROPT_HDR + optsLen));
  for (let off = 0; off + 2 <= opts.length; ) {
    const type = opts[off];
    const size = opts[off + 1] * 8;
    if (size === 0 || off + size > opts.length) break;
    const body = opts.subarray(off, off + size);
    const lifetime = size >= 8 ? body.readUInt32BE(4) : 0;
    if (type === ND_OPT_RDNSS && lifetime > 0) {
      for (let a = 8; a + 16 <= size; a += 16) r.servers.push(ipv6Text(body.subarray(a, a + 16)));
    } else if (type === ND_OPT_DNSSL && lifetime > 0) {
      r.search.push(...readNames(body.subarray(8)));
    }
    off += size;
  }
  // Attributes follow the options, 4-byte aligned: NDUSEROPT_SRCADDR holds the router's address.
  for (let off = (NDUSEROPT_HDR + optsLen + 3) & ~3; off + 4 <= m.length; ) {
    const alen = m.readUInt16LE(off);
    if (alen < 4 || off + alen > m.length) break;
    if (m.readUInt16LE(off + 2) === NDUSEROPT_SRCADDR && alen === 20) r.router = ipv6Text(m.subarray(off + 4, off + 20));
    off += (alen + 3) & ~3;
  }
  return r;
}
