// An HTTP proxy for the downloads (`tarboot.proxy=`): http:// URLs are asked of it in absolute form,
// https:// ones go through a CONNECT tunnel, so TLS still ends at the server. `tarboot.no-proxy=`
// lists the hosts reached directly, as curl and wget read no_proxy.
import { BlockList, isIP } from "node:net";
import { basicAuthorization } from "./basic-auth";

export interface Proxy {
  /** As given, without credentials: for messages. */
  url: string;
  host: string;
  port: number;
  /** `Proxy-Authorization` value, from user:password in the URL. */
  authorization?: string;
}

/** Throws with the problem when `text` is not `http://[user:password@]host[:port][/]`. */
export function parseProxyUrl(text: string): Proxy {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`not a URL: ${text}`);
  }
  if (u.protocol !== "http:") throw new Error(`the proxy is spoken to in plain HTTP (http://host:port), not ${u.protocol}`);
  if ((u.pathname !== "/" && u.pathname !== "") || u.search || u.hash) throw new Error("a proxy URL has no path, query or fragment");
  if (!u.hostname) throw new Error("no host");
  const port = Number(u.port) || 80;
  const shown = `http://${u.host}`;
  if (!u.username && !u.password) return { url: shown, host: unbracketed(u.hostname), port };
  return { url: shown, host: unbracketed(u.hostname), port, authorization: basicAuthorization(u) };
}

/** A URL's hostname as sockets take it: an IPv6 literal without its brackets. */
export function unbracketed(hostname: string): string {
  return hostname.replace(/^\[(.*)\]$/, "$1");
}

/**
 * True when `host` is to be reached without the proxy: `*`, the host itself, the same IP address
 * (however an IPv6 one is written), an address inside a listed range (`10.0.0.0/8`, `fd00::/8`),
 * or a domain (`.cluster.example` or `cluster.example`) the host is in.
 */
export function bypassesProxy(host: string, noProxy: readonly string[]): boolean {
  const h = unbracketed(host).toLowerCase().replace(/\.$/, "");
  for (const raw of noProxy) {
    const entry = raw.trim().toLowerCase().replace(/\.$/, "");
    if (entry === "") continue;
    if (entry === "*") return true;
    if (entry.includes("/")) {
      if (inRange(h, entry)) return true;
      continue;
    }
    if (isIP(entry) !== 0) {
      if (inRange(h, `${entry}/${isIP(entry) === 4 ? 32 : 128}`)) return true;
      continue;
    }
    const domain = entry.startsWith(".") ? entry.slice(1) : entry;
    if (h === domain || (isIP(h) === 0 && h.endsWith(`.${domain}`))) return true;
  }
  return false;
}

/** `address` is an IP address of the range's family inside `net/prefix`. */
function inRange(address: string, range: string): boolean {
  const slash = range.lastIndexOf("/");
  const net = range.slice(0, slash);
  const prefix = Number(range.slice(slash + 1));
  const family = isIP(net);
  if (family === 0 || isIP(address) !== family || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) return false;
  const type = family === 4 ? "ipv4" : "ipv6";
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return list.check(address, type);
}

/** The proxy a request for `url` goes through, or undefined when it goes directly. */
export function proxyFor(url: URL, proxy: Proxy | undefined, noProxy: readonly string[] = []): Proxy | undefined {
  if (!proxy || bypassesProxy(url.hostname, noProxy)) return undefined;
  return proxy;
}

const PROXY_ENV = ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"];

/**
 * What to say when the environment (the kernel passes unknown `name=value` words on to the init)
 * names a proxy that tarboot does not use: its proxy is `tarboot.proxy=` alone.
 */
export function unusedProxyEnv(env: NodeJS.ProcessEnv, configured: Proxy | undefined): string | undefined {
  const name = PROXY_ENV.find((k) => env[k]);
  if (!name) return undefined;
  const what = configured ? `the downloads use tarboot.proxy=${configured.url}` : "downloading directly";
  return `${name}=${env[name]} is not read (tarboot's proxy is tarboot.proxy=): ${what}`;
}
