// How a layer's connections are made: the timeout that means "the connection is dead", the CA store
// with the operator's bundle added, and lookups through the lease's DNS servers.
import type { ClientOptions } from "./http-client";
import { leaseLookup } from "./dns";
import { trustStore } from "./trust-store";

export interface ConnectionSettings {
  timeoutMs: number;
  caFile?: string;
  dnsServers?: string[];
  /** Search domains for names without a dot (the lease's). */
  dnsSearch?: string[];
  /** Only this address family from DNS (6 on an IPv6-only network); both, A first, by default. */
  dnsFamily?: 4 | 6;
}

/** Throws when the CA bundle cannot be used. */
export function clientOptions(o: ConnectionSettings): ClientOptions {
  return {
    timeoutMs: o.timeoutMs,
    ...(o.caFile ? { ca: trustStore(o.caFile) } : {}),
    ...(o.dnsServers?.length ? { lookup: leaseLookup(o.dnsServers, o.timeoutMs, o.dnsSearch, o.dnsFamily) } : {}),
  };
}
