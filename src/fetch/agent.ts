// The undici dispatcher for one layer: timeouts that mean "the connection is dead", the CA store with
// the operator's bundle added, and lookups through the lease's DNS servers.
import { readFileSync } from "node:fs";
import * as tls from "node:tls";
import { Agent } from "undici";
import { leaseLookup } from "./dns";

export interface AgentOptions {
  timeoutMs: number;
  caFile?: string;
  dnsServers?: string[];
}

/** Node's default trust store (bundled Mozilla roots plus NODE_EXTRA_CA_CERTS) and the given bundle. */
export function trustStore(caFile: string): string[] {
  const pem = readFileSync(caFile, "utf8");
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new Error(`${caFile} contains no PEM certificate`);
  }
  // `ca` replaces the defaults instead of adding to them, so they are listed too.
  const defaults = typeof tls.getCACertificates === "function" ? tls.getCACertificates("default") : [...tls.rootCertificates];
  return [...defaults, pem];
}

export function createAgent(o: AgentOptions): Agent {
  return new Agent({
    connect: {
      timeout: o.timeoutMs,
      ...(o.caFile ? { ca: trustStore(o.caFile) } : {}),
      ...(o.dnsServers?.length ? { lookup: leaseLookup(o.dnsServers, o.timeoutMs) } : {}),
    },
    headersTimeout: o.timeoutMs,
    // undici does not count time while the body is paused by backpressure: a slow unpacker is not a dead server.
    bodyTimeout: o.timeoutMs,
    keepAliveTimeout: 4_000,
    // One HTTP/1.1 stream per layer: h2 buys nothing for a single sequential download.
    allowH2: false,
    connections: 2,
  });
}
