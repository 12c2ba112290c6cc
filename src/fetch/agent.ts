// The undici dispatcher for one layer: timeouts that mean "the connection is dead", the CA store with
// the operator's bundle added, and lookups through the lease's DNS servers.
import { readFileSync } from "node:fs";
import * as tls from "node:tls";
import type { Agent, Dispatcher } from "undici";
// undici's index also evaluates fetch, WebSocket, the mock agents, caches and interceptors: ~0.9 s of
// the boot under emulation (40 ms natively). The download needs the Agent and the stream() API only.
import UndiciAgent from "undici/lib/dispatcher/agent.js";
import apiStream from "undici/lib/api/api-stream.js";
import { leaseLookup } from "./dns";

export interface AgentOptions {
  timeoutMs: number;
  caFile?: string;
  dnsServers?: string[];
  /** Search domains for names without a dot (the lease's). */
  dnsSearch?: string[];
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

/** undici's `dispatcher.stream()`, which its index would have added to every dispatcher's prototype. */
export function streamResponse(agent: Agent, options: Dispatcher.RequestOptions, factory: Dispatcher.StreamFactory): Promise<Dispatcher.StreamData> {
  return apiStream.call(agent, options, factory);
}

export function createAgent(o: AgentOptions): Agent {
  return new UndiciAgent({
    connect: {
      timeout: o.timeoutMs,
      ...(o.caFile ? { ca: trustStore(o.caFile) } : {}),
      ...(o.dnsServers?.length ? { lookup: leaseLookup(o.dnsServers, o.timeoutMs, o.dnsSearch) } : {}),
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
