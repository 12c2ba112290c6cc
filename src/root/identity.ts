// The network identity the booted system starts with, as file contents: /etc/hostname,
// /etc/hosts and /etc/resolv.conf from the lease (hostname= wins), and /run/net-IFACE.conf in the
// format klibc's ipconfig leaves for initramfs-tools. Only what the lease actually provides is
// written: no DNS servers, no resolv.conf; no host name, no hostname or hosts.
import { isIP, isIPv4 } from "node:net";
import type { BootConfig } from "../cmdline/types";
import { ipv6Only, type Lease } from "../net/lease";

export interface IdentityFile {
  /** Absolute path inside the new root. */
  path: string;
  content: string;
}

export interface HostNames {
  short: string;
  fqdn?: string;
}

type NameConfig = Pick<BootConfig, "hostname" | "ip">;

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** A DNS name made of letter-digit-hyphen labels; anything else a DHCP server sends is not written anywhere. */
export function isDomainName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split(".").every((l) => LABEL.test(l));
}

const stripDot = (name: string): string => name.trim().replace(/\.$/, "");

/** The host name as configured: hostname= over the lease's (or ip='s) own. */
export function configuredHostname(lease: Lease | null, cfg: NameConfig): string | undefined {
  return cfg.hostname ?? lease?.hostname ?? (cfg.ip.mode === "static" ? cfg.ip.hostname : undefined);
}

/** Short name and FQDN: a dotted host name is the FQDN itself; a short one takes the lease's domain. */
export function hostNames(lease: Lease | null, cfg: NameConfig): HostNames | null {
  const raw = configuredHostname(lease, cfg);
  if (!raw) return null;
  const name = stripDot(raw);
  if (!isDomainName(name)) return null;
  const [short, ...rest] = name.split(".");
  if (rest.length > 0) return { short, fqdn: name };
  const domain = lease?.domain ? stripDot(lease.domain) : "";
  return isDomainName(domain) ? { short, fqdn: `${short}.${domain}` } : { short };
}

function origin(lease: Lease): string {
  if (lease.source === "static") return `ip= on ${lease.iface}`;
  if (lease.source === "auto6") return `the router advertisement on ${lease.iface}`;
  return `the ${lease.source === "dhcp6" ? "DHCPv6" : "DHCP"} lease on ${lease.iface}`;
}

/** resolv.conf in the order Debian's dhclient writes it: domain, search (domain first), nameservers. */
export function resolvConf(lease: Lease): string | null {
  // Resolvers read at most three (MAXNS); listing more only misleads whoever reads the file.
  const servers = lease.dns.filter((a) => isIP(a) !== 0).slice(0, 3);
  if (servers.length === 0) return null;
  const domain = lease.domain ? stripDot(lease.domain) : "";
  const lines = [`# Written by tarboot from ${origin(lease)}; boot with tarboot.keep-etc to keep the root's own.`];
  if (isDomainName(domain)) lines.push(`domain ${domain}`);
  const search = lease.search.map(stripDot).filter(isDomainName);
  if (search.length > 0) {
    // "search" overrides "domain": keep the domain searched, as dhclient-script does.
    if (isDomainName(domain) && !search.includes(domain)) search.unshift(domain);
    lines.push(`search ${search.join(" ")}`);
  }
  for (const s of servers) lines.push(`nameserver ${s}`);
  return lines.join("\n") + "\n";
}

/** Debian's layout: 127.0.1.1 names the host when its address may change. */
export function hostsFile(names: HostNames): string {
  const self = names.fqdn ? `${names.fqdn}\t${names.short}` : names.short;
  return [
    "127.0.0.1\tlocalhost",
    `127.0.1.1\t${self}`,
    "",
    "# The following lines are desirable for IPv6 capable hosts",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "ff02::1\tip6-allnodes",
    "ff02::2\tip6-allrouters",
    "",
  ].join("\n");
}

export function identityFiles(lease: Lease | null, cfg: Pick<BootConfig, "hostname" | "ip">): IdentityFile[] {
  const files: IdentityFile[] = [];
  const names = hostNames(lease, cfg);
  if (names) {
    // Debian keeps the short name in /etc/hostname; the FQDN comes from /etc/hosts.
    files.push({ path: "/etc/hostname", content: `${names.short}\n` });
    files.push({ path: "/etc/hosts", content: hostsFile(names) });
  }
  const resolv = lease ? resolvConf(lease) : null;
  if (resolv) files.push({ path: "/etc/resolv.conf", content: resolv });
  return files;
}

function ipv4ToInt(a: string): number {
  return a.split(".").reduce((n, o) => ((n << 8) | Number(o)) >>> 0, 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
}

export function broadcastOf(address: string, netmask: string): string {
  const mask = ipv4ToInt(netmask);
  return intToIpv4(((ipv4ToInt(address) & mask) | ~mask) >>> 0);
}

const NONE = "0.0.0.0"; // what ipconfig writes for an address it does not have

/**
 * The fields of /run/net-IFACE.conf, in ipconfig's order and with its conventions: 0.0.0.0 for a
 * missing address, '' for a missing name, search domains with a trailing dot, PROTO none when static.
 */
export function netConfFields(lease: Lease, cfg: NameConfig, uptimeSeconds: number): [string, string][] {
  const dns4 = lease.dns.filter((a) => isIPv4(a));
  const server = (cfg.ip.mode === "static" ? cfg.ip.server : undefined) ?? lease.serverId;
  return [
    ["DEVICE", lease.iface],
    ["PROTO", lease.source === "dhcp" ? "dhcp" : "none"],
    ["IPV4ADDR", lease.address],
    ["IPV4BROADCAST", lease.broadcast ?? broadcastOf(lease.address, lease.netmask)],
    ["IPV4NETMASK", lease.netmask],
    ["IPV4GATEWAY", lease.gateway ?? NONE],
    ["IPV4DNS0", dns4[0] ?? NONE],
    ["IPV4DNS1", dns4[1] ?? NONE],
    ["HOSTNAME", configuredHostname(lease, cfg) ?? ""],
    ["DNSDOMAIN", lease.domain ?? ""],
    ["NISDOMAIN", ""],
    ["ROOTSERVER", server ?? NONE],
    ["ROOTPATH", ""],
    ["filename", ""],
    ["UPTIME", String(Math.max(0, Math.floor(uptimeSeconds)))],
    ["DHCPLEASETIME", String(lease.leaseTime ?? 0)],
    ["DOMAINSEARCH", lease.search.map((d) => (d.endsWith(".") ? d : `${d}.`)).join(" ")],
  ];
}

/**
 * /run/net6-IFACE.conf for a DHCPv6 lease, with the names initramfs-tools' DHCPv6 configuration
 * writes (DEVICE6, IPV6ADDR, IPV6NETMASK as a prefix length, IPV6DNS0/1, IPV6DOMAINSEARCH).
 */
export function net6ConfFields(lease: Lease, cfg: NameConfig): [string, string][] {
  const dns6 = lease.dns.filter((a) => isIP(a) === 6);
  return [
    ["DEVICE6", lease.iface],
    ["IPV6PROTO", lease.source],
    ["IPV6ADDR", lease.address],
    ["IPV6NETMASK", String(lease.prefix)],
    ["IPV6DNS0", dns6[0] ?? ""],
    ["IPV6DNS1", dns6[1] ?? ""],
    ["IPV6DOMAINSEARCH", lease.search.join(" ")],
    ["HOSTNAME", configuredHostname(lease, cfg) ?? ""],
    ["DNSDOMAIN", lease.domain ?? ""],
    ["DHCPLEASETIME", String(lease.leaseTime ?? 0)],
  ];
}

/** The run file a lease is described in, and its fields: net-IFACE.conf, or net6-IFACE.conf for DHCPv6. */
export function leaseConf(lease: Lease, cfg: NameConfig, uptimeSeconds: number): { name: string; fields: [string, string][] } {
  return ipv6Only(lease)
    ? { name: `net6-${lease.iface}.conf`, fields: net6ConfFields(lease, cfg) }
    : { name: `net-${lease.iface}.conf`, fields: netConfFields(lease, cfg, uptimeSeconds) };
}

/** ipconfig's quoting: single quotes, with ' and ! stepped out of them ('\'' and '\!'). */
export function ipconfigQuote(value: string): string {
  return `'${value.replace(/['!]/g, (c) => `'\\${c}'`)}'`;
}

/** /run/net-IFACE.conf (or net6-) as klibc's ipconfig writes it: NAME='value' lines, sourced by shell scripts. */
export function netIfaceConf(lease: Lease, cfg: NameConfig, uptimeSeconds: number): string {
  return leaseConf(lease, cfg, uptimeSeconds)
    .fields.map(([k, v]) => `${k}=${ipconfigQuote(v)}\n`)
    .join("");
}
