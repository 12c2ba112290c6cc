// A node that DHCP (option 12) and the command line leave without a name often has one in DNS:
// sites that reserve addresses by MAC name them only in their zone. As dhclient-script and
// NetworkManager do, the leased address is then looked up (PTR) through the lease's DNS servers.
import { promises as dns } from "node:dns";
import { debug } from "../console/log";
import { isDomainName } from "../root/identity";

/**
 * The name DNS gives `address`, without its final dot; null when there is none, or no answer within
 * `timeoutMs` in all (a DNS server that does not answer must not hold the boot longer).
 */
export async function reverseName(address: string, servers: string[], timeoutMs: number): Promise<string | null> {
  const resolver = new dns.Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers(servers);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      resolver.cancel();
      reject(Object.assign(new Error("no answer"), { code: `no answer in ${timeoutMs} ms` }));
    }, timeoutMs);
  });
  let names: string[];
  try {
    names = await Promise.race([resolver.reverse(address), late]);
  } catch (err) {
    debug(`no name for ${address} in DNS (${(err as { code?: string }).code ?? (err as Error).message} via ${servers.join(", ")})`);
    return null;
  } finally {
    clearTimeout(timer);
  }
  const name = names.map((n) => n.replace(/\.$/, "")).find(isDomainName);
  return name ?? null;
}

/** A name from DNS as the lease carries names: the first label, the rest as the domain when the lease has none. */
export function splitName(name: string, domain: string | undefined): { hostname: string; domain?: string } {
  const dot = name.indexOf(".");
  if (dot < 0) return { hostname: name, ...(domain ? { domain } : {}) };
  return { hostname: name.slice(0, dot), domain: domain ?? name.slice(dot + 1) };
}
