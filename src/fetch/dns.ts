// Host name lookups through the DNS servers the DHCP lease named. The initramfs has no resolv.conf worth
// trusting (and getaddrinfo would read the build host's), so tarboot asks those servers directly.
import { promises as dns } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { DnsError } from "./errors";

type Address = { address: string; family: 4 | 6 };

function familyOf(f: number | "IPv4" | "IPv6" | undefined): 0 | 4 | 6 {
  if (f === 4 || f === "IPv4") return 4;
  if (f === 6 || f === "IPv6") return 6;
  return 0;
}

export async function resolveHost(resolver: dns.Resolver, servers: string[], hostname: string, family: 0 | 4 | 6): Promise<Address[]> {
  const v = isIP(hostname);
  if (v === 4 || v === 6) return [{ address: hostname, family: v }];
  const found: Address[] = [];
  let firstError: DnsError | undefined;
  const queries: Array<[4 | 6, () => Promise<string[]>]> = [];
  if (family !== 6) queries.push([4, () => resolver.resolve4(hostname)]);
  if (family !== 4) queries.push([6, () => resolver.resolve6(hostname)]);
  for (const [fam, query] of queries) {
    try {
      for (const address of await query()) found.push({ address, family: fam });
    } catch (err) {
      const code = (err as { code?: string }).code ?? "EUNKNOWN";
      const e = new DnsError(code, hostname, servers);
      // Only "the name exists but has no record of this type" is worth asking the other type for:
      // NXDOMAIN holds for every type, and a server that did not answer A will not answer AAAA either
      // (asking would double the wait within the attempt's timeout).
      if (code !== "ENODATA") throw e;
      firstError ??= e;
    }
    if (found.length > 0 && family === 0) break;
  }
  if (found.length === 0) throw firstError ?? new DnsError("ENODATA", hostname, servers);
  return found;
}

/**
 * The names to ask for `hostname`, in order, as glibc's resolver does with the default `ndots:1`: a
 * name without a dot is tried in each search domain first, then as it is; a name with a dot, or
 * ending in one, only as it is. `root=http://bootsrv/...` then finds bootsrv.<the lease's domain>.
 */
export function searchCandidates(hostname: string, search: string[]): string[] {
  if (hostname.endsWith(".")) return [hostname.slice(0, -1)];
  if (hostname.includes(".") || isIP(hostname) !== 0) return [hostname];
  return [...search.map((d) => `${hostname}.${d.replace(/^\.+|\.+$/g, "")}`), hostname];
}

/**
 * resolveHost over the search candidates: a name that does not exist (NXDOMAIN) or has no address
 * moves on to the next candidate; any other failure (a server not answering) ends the lookup, as in
 * glibc. When every candidate is missing, the error names the first one tried and what was tried.
 */
export async function resolveSearched(resolver: dns.Resolver, servers: string[], hostname: string, family: 0 | 4 | 6, search: string[]): Promise<Address[]> {
  const candidates = searchCandidates(hostname, search);
  let first: DnsError | undefined;
  for (const name of candidates) {
    try {
      return await resolveHost(resolver, servers, name, family);
    } catch (err) {
      if (!(err instanceof DnsError) || (err.code !== "ENOTFOUND" && err.code !== "ENODATA")) throw err;
      first ??= err;
    }
  }
  const e = first as DnsError;
  throw candidates.length > 1 ? new DnsError(e.code, `${hostname} (tried ${candidates.join(", ")})`, servers) : e;
}

/**
 * A `lookup` for net/tls.connect that asks `servers` (the lease's) instead of the system resolver,
 * with the lease's search domains for names without a dot.
 */
export function leaseLookup(servers: string[], timeoutMs: number, search: string[] = [], family?: 4 | 6): LookupFunction {
  // The connect timeout (timeoutMs) already covers the lookup; per-try timeouts well below it
  // let c-ares ask again, or ask the lease's next server, before the attempt as a whole is given up.
  const perTry = Math.max(300, Math.min(5_000, Math.floor(timeoutMs / 3)));
  const resolver = new dns.Resolver({ timeout: perTry, tries: 2 });
  resolver.setServers(servers);
  return (hostname, options, callback) => {
    resolveSearched(resolver, servers, hostname, familyOf(options.family) || family || 0, search).then(
      (addrs) => {
        if (options.all) callback(null, addrs);
        else callback(null, addrs[0].address, addrs[0].family);
      },
      (err: DnsError) => callback(err, ""),
    );
  };
}
