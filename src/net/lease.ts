// The network result handed to later stages (URL templates, identity files, hooks, boot.json).

export interface Lease {
  source: "dhcp" | "static";
  iface: string;
  /** aa:bb:cc:dd:ee:ff */
  mac: string;
  address: string;
  prefix: number;
  netmask: string;
  broadcast?: string;
  gateway?: string;
  dns: string[];
  domain?: string;
  search: string[];
  hostname?: string;
  ntp: string[];
  mtu?: number;
  /** DHCP server identifier (option 54). */
  serverId?: string;
  /** Seconds, as the server gave them. */
  leaseTime?: number;
  renewalTime?: number;
  rebindTime?: number;
  /** When the lease was bound, ms since the epoch. */
  boundAt?: number;
}

/** The search domains a resolver uses with this lease: its search list (option 119), else its domain (option 15). */
export function searchDomains(lease: Lease): string[] {
  return lease.search.length > 0 ? lease.search : lease.domain ? [lease.domain] : [];
}
