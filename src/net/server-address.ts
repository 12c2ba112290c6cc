// NTP and syslog servers may be named (tarboot.ntp=ntp1, tarboot.syslog=loghost): the name is looked
// up as a layer URL's host is, through the lease's DNS servers and search domains, never through the
// initramfs' own resolver configuration.
import { isIP } from "node:net";
import { ipv6Only, type Lease, searchDomains } from "./lease";

/** An address for a server given by address or name (IPv6 with a DHCPv6 lease); rejects with the console's wording. */
export type AddressOf = (host: string) => Promise<string>;

/** Lookups through `lease`'s DNS servers, `timeoutMs` per try (two tries per server). */
export function leaseAddressOf(lease: Lease | null, timeoutMs: number): AddressOf {
  return async (host) => {
    if (isIP(host)) return host;
    if (!lease || lease.dns.length === 0) throw new Error(`cannot look up ${host}: the lease names no DNS server`);
    // Only a boot that names a server loads the resolver.
    const [{ promises: dns }, { resolveSearched }, { DnsError }, { dnsCause }] = await Promise.all([
      import("node:dns"),
      import("../fetch/dns"),
      import("../fetch/errors"),
      import("../fetch/classify"),
    ]);
    const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 2 });
    resolver.setServers(lease.dns);
    try {
      const [first] = await resolveSearched(resolver, lease.dns, host, ipv6Only(lease) ? 6 : 4, searchDomains(lease));
      return first.address;
    } catch (err) {
      throw err instanceof DnsError ? new Error(dnsCause(err)) : err;
    }
  };
}
