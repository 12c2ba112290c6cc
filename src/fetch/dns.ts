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

/** c-ares error codes whose meaning is "this name has no such record" rather than "no answer". */
const NO_RECORD = new Set(["ENODATA", "ENOTFOUND"]);

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
      // NXDOMAIN answers for every type: asking for AAAA after it would only double the wait.
      if (code === "ENOTFOUND") throw e;
      // Keep the more telling error: a timeout on A says more than "no AAAA record".
      if (!firstError || (NO_RECORD.has(firstError.code) && !NO_RECORD.has(code))) firstError = e;
    }
    if (found.length > 0 && family === 0) break;
  }
  if (found.length === 0) throw firstError ?? new DnsError("ENODATA", hostname, servers);
  return found;
}

/** A `lookup` for net/tls.connect that asks `servers` (the lease's) instead of the system resolver. */
export function leaseLookup(servers: string[], timeoutMs: number): LookupFunction {
  // c-ares retries each server `tries` times with this per-try timeout; keep the total within the
  // attempt's own timeout so that a dead DNS server fails the attempt, not the whole boot.
  const perTry = Math.max(300, Math.min(5_000, Math.floor(timeoutMs / 3)));
  const resolver = new dns.Resolver({ timeout: perTry, tries: 2 });
  resolver.setServers(servers);
  return (hostname, options, callback) => {
    resolveHost(resolver, servers, hostname, familyOf(options.family)).then(
      (addrs) => {
        if (options.all) callback(null, addrs);
        else callback(null, addrs[0].address, addrs[0].family);
      },
      (err: DnsError) => callback(err, ""),
    );
  };
}
