// Name resolution for the downloads. glibc's getaddrinfo (which Node's dns.lookup and so fetch
// use) reads /etc/resolv.conf; Node's own resolver (dns.resolve*) is pointed at the servers too.
import { setServers } from "node:dns";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { type Lease, searchDomains } from "./lease";

export function resolvConf(lease: Lease): string {
  const lines = [`# written by tarboot from the ${lease.source === "static" ? "ip= configuration" : lease.source === "auto6" ? "router advertisement" : lease.source === "dhcp6" ? "DHCPv6 lease" : "DHCP lease"} on ${lease.iface}`];
  const search = searchDomains(lease);
  if (search.length > 0) lines.push(`search ${search.join(" ")}`);
  for (const ns of lease.dns) lines.push(`nameserver ${ns}`);
  return `${lines.join("\n")}\n`;
}

export function writeResolvConf(path: string, lease: Lease): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tarboot-tmp`;
  writeFileSync(tmp, resolvConf(lease), { mode: 0o644 });
  renameSync(tmp, path);
}

export function useNameservers(servers: string[]): void {
  if (servers.length > 0) setServers(servers);
}
