// The network result handed to later stages (URL templates, identity files, hooks, boot.json).

/** A static route (DHCP option 121); gateway 0.0.0.0: the destination is on the link itself. */
export interface Route {
  dst: string;
  prefix: number;
  gateway: string;
}

export interface Lease {
  /**
   * dhcp6: an IPv6 address (prefix 128, no netmask, broadcast or gateway: routes come from router
   * advertisements); auto6: the kernel's SLAAC address, DNS from the advertisement, no lease times.
   */
  source: "dhcp" | "static" | "dhcp6" | "auto6";
  iface: string;
  /** aa:bb:cc:dd:ee:ff */
  mac: string;
  address: string;
  prefix: number;
  netmask: string;
  broadcast?: string;
  /** The default route's router: option 3, or the 0.0.0.0/0 route of option 121 when it is present. */
  gateway?: string;
  /** Option 121's other routes, installed after the address. */
  routes?: Route[];
  dns: string[];
  domain?: string;
  search: string[];
  hostname?: string;
  /** The host name (and the domain, when the server sent none) came from the address's PTR record. */
  hostnameFromDns?: boolean;
  ntp: string[];
  /** Option 7, log servers: syslog (UDP) when tarboot.syslog= names none. */
  logServers?: string[];
  /** Option 17, root path: the layers for root=dhcp. */
  rootPath?: string;
  mtu?: number;
  /** DHCP server identifier (option 54); for DHCPv6 the address the server answered from. */
  serverId?: string;
  /** DHCPv6: the server's DUID, hex, for RENEW. */
  serverDuid?: string;
  /** Seconds, as the server gave them. */
  leaseTime?: number;
  renewalTime?: number;
  rebindTime?: number;
  /** When the lease was bound, ms since the epoch. */
  boundAt?: number;
}

/** A lease on a network without IPv4 (DHCPv6, SLAAC, a static IPv6 ip=): names are looked up for AAAA records only. */
export function ipv6Only(lease: Lease): boolean {
  return lease.source === "dhcp6" || lease.source === "auto6" || (lease.source === "static" && lease.address.includes(":"));
}

/** The search domains a resolver uses with this lease: its search list (option 119), else its domain (option 15). */
export function searchDomains(lease: Lease): string[] {
  return lease.search.length > 0 ? lease.search : lease.domain ? [lease.domain] : [];
}
