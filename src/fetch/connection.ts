// How a layer's connections are made: the timeout that means "the connection is dead", the CA store
// with the operator's bundle added, and lookups through the lease's DNS servers.
import { readFileSync } from "node:fs";
import type { ClientOptions } from "./http-client";
import { leaseLookup } from "./dns";

export interface ConnectionSettings {
  timeoutMs: number;
  caFile?: string;
  dnsServers?: string[];
  /** Search domains for names without a dot (the lease's). */
  dnsSearch?: string[];
  /** Only this address family from DNS (6 on an IPv6-only network); both, A first, by default. */
  dnsFamily?: 4 | 6;
}

/** Node's default trust store (bundled Mozilla roots plus NODE_EXTRA_CA_CERTS) and the given bundle. */
export function trustStore(caFile: string): string[] {
  const pem = readFileSync(caFile, "utf8");
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new Error(`${caFile} contains no PEM certificate`);
  }
  // `ca` replaces the defaults instead of adding to them, so they are listed too.
  const tls = process.getBuiltinModule("node:tls");
  const defaults = typeof tls.getCACertificates === "function" ? tls.getCACertificates("default") : [...tls.rootCertificates];
  return [...defaults, pem];
}

/** Throws when the CA bundle cannot be used. */
export function clientOptions(o: ConnectionSettings): ClientOptions {
  return {
    timeoutMs: o.timeoutMs,
    ...(o.caFile ? { ca: trustStore(o.caFile) } : {}),
    ...(o.dnsServers?.length ? { lookup: leaseLookup(o.dnsServers, o.timeoutMs, o.dnsSearch, o.dnsFamily) } : {}),
  };
}
