// ip=auto6: a network of router advertisements only, no DHCP of either kind. The kernel takes the
// address (SLAAC) and the routes from the advertisement; its DNS servers and search list (RFC
// 8106) the kernel hands to user space, and tarboot listens for them from before the link comes
// up, so that the answer to the link's first router solicitation is not missed.
import { BootError } from "../console/errors";
import { debug } from "../console/log";
import { NetlinkListener } from "../sys/socket";
import type { Lease } from "./lease";
import type { NetInterface } from "./links";
import { pollIfInet6, usableGlobalAddresses } from "./ipv6";
import { parseNdUserOpts, type RaDns, RTNLGRP_ND_USEROPT } from "./ra-options";

/** The DNS options come in the advertisement that brings the prefix, well before DAD ends; a little slack. */
const DNS_GRACE_MS = 500;

export class RaWatch {
  private readonly seen = new Map<number, RaDns>();
  private listener: NetlinkListener | null;

  private constructor() {
    this.listener = NetlinkListener.open([RTNLGRP_ND_USEROPT], (data) => {
      // The kernel passes each option of an advertisement in a message of its own.
      for (const r of parseNdUserOpts(data)) {
        const known = this.seen.get(r.ifindex) ?? { ifindex: r.ifindex, servers: [], search: [] };
        known.router = r.router ?? known.router;
        known.servers = [...new Set([...known.servers, ...r.servers])];
        known.search = [...new Set([...known.search, ...r.search])];
        this.seen.set(r.ifindex, known);
        if (r.servers.length + r.search.length > 0) debug(`router advertisement on interface ${r.ifindex}${r.router ? ` from ${r.router}` : ""}: dns ${r.servers.join(" ") || "-"}, search ${r.search.join(" ") || "-"}`);
      }
    });
  }

  /** Listens from now on; call before the links come up. */
  static start(): RaWatch {
    return new RaWatch();
  }

  dnsFor(ifindex: number): RaDns | undefined {
    return this.seen.get(ifindex);
  }

  stop(): void {
    this.listener?.close();
    this.listener = null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first candidate to get a usable SLAAC address, as a lease with the advertisement's DNS. */
export async function slaacLease(cands: NetInterface[], watch: RaWatch, timeoutMs: number): Promise<Lease> {
  const names = new Set(cands.map((c) => c.name));
  const found = await pollIfInet6((text) => usableGlobalAddresses(text).find((a) => names.has(a.iface)) ?? null, Date.now() + timeoutMs);
  if (!found) {
    throw new BootError(
      "network",
      `no IPv6 address from a router advertisement on ${[...names].join(", ")} after ${Math.round(timeoutMs / 1000)}s ` +
        "(no router, or its prefix is not for SLAAC: with the M flag, DHCPv6 gives the address: ip=dhcp6)",
    );
  }
  const iface = cands.find((c) => c.name === found.iface)!;
  for (let waited = 0; !watch.dnsFor(iface.ifindex)?.servers.length && waited < DNS_GRACE_MS; waited += 50) await sleep(50);
  const ra = watch.dnsFor(iface.ifindex);
  return {
    source: "auto6",
    iface: iface.name,
    mac: iface.mac,
    address: found.address,
    prefix: found.prefix,
    netmask: "",
    dns: ra?.servers ?? [],
    search: ra?.search ?? [],
    ntp: [],
    ...(ra?.router && { serverId: ra.router }),
  };
}
