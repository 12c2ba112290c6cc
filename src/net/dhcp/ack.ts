// Turns a server's OFFER/ACK into the Lease later stages use, validating what would otherwise
// end up in the kernel, a resolv.conf or the host name.
import type { Lease } from "../lease";
import { broadcastOf, classfulPrefix, maskFromPrefix, prefixFromMask } from "../ipv4";
import type { DhcpPacket } from "./packet";
import { Opt, OptionError, readClasslessRoutes, readDomainSearch, readIp, readIpList, readString, readU16, readU32 } from "./options";

/** 0xffffffff in option 51. */
export const INFINITE_LEASE = 0xffffffff;

export interface ParsedAck {
  lease: Lease;
  /** Options that were present but unusable, for a debug line; the lease is still good. */
  problems: string[];
}

const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

export function isValidHostname(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split(".").every((l) => LABEL.test(l));
}

function optional<T>(p: DhcpPacket, code: number, read: (data: Buffer) => T, problems: string[]): T | undefined {
  const data = p.options.get(code);
  if (!data) return undefined;
  try {
    return read(data);
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
    return undefined;
  }
}

export function leaseFromAck(p: DhcpPacket, iface: string, mac: string, boundAt: number, sourceAddress?: string): ParsedAck {
  const problems: string[] = [];
  const address = p.yiaddr;
  if (address === "0.0.0.0") throw new OptionError(0, "server offered no address (yiaddr 0.0.0.0)");

  const mask = optional(p, Opt.SUBNET_MASK, (d) => readIp(Opt.SUBNET_MASK, d), problems);
  let prefix: number;
  try {
    prefix = mask !== undefined ? prefixFromMask(mask) : classfulPrefix(address);
  } catch (err) {
    problems.push(`option 1: ${(err as Error).message}`);
    prefix = classfulPrefix(address);
  }
  const broadcast = optional(p, Opt.BROADCAST, (d) => readIp(Opt.BROADCAST, d), problems) ?? broadcastOf(address, prefix);
  const routers = optional(p, Opt.ROUTER, (d) => readIpList(Opt.ROUTER, d), problems) ?? [];
  // RFC 3442: a client that gets classless routes ignores the router option; the default route,
  // if any, is among them (an on-link one, router 0.0.0.0, stays a route: there is no gateway).
  // A malformed option 121 is reported and the router option used.
  const classless = optional(p, Opt.CLASSLESS_ROUTES, readClasslessRoutes, problems);
  const viaRouter = (r: { prefix: number; gateway: string }) => r.prefix === 0 && r.gateway !== "0.0.0.0";
  const gateway = classless ? classless.find(viaRouter)?.gateway : routers[0];
  const routes = classless?.filter((r) => !viaRouter(r));
  const dns = optional(p, Opt.DNS, (d) => readIpList(Opt.DNS, d), problems) ?? [];
  const ntp = optional(p, Opt.NTP, (d) => readIpList(Opt.NTP, d), problems) ?? [];
  const logServers = optional(p, Opt.LOG_SERVER, (d) => readIpList(Opt.LOG_SERVER, d), problems) ?? [];
  const search = optional(p, Opt.DOMAIN_SEARCH, readDomainSearch, problems) ?? [];
  const badSearch = search.filter((s) => !isValidHostname(s));
  if (badSearch.length) problems.push(`option 119: ignoring invalid domains ${badSearch.join(", ")}`);

  let hostname = optional(p, Opt.HOSTNAME, readString, problems);
  let domain = optional(p, Opt.DOMAIN_NAME, readString, problems);
  if (domain !== undefined) {
    domain = domain.replace(/\.$/, "");
    if (!isValidHostname(domain)) {
      problems.push(`option 15: ignoring invalid domain name ${JSON.stringify(domain)}`);
      domain = undefined;
    }
  }
  if (hostname !== undefined) {
    hostname = hostname.replace(/\.$/, "");
    if (!isValidHostname(hostname)) {
      problems.push(`option 12: ignoring invalid host name ${JSON.stringify(hostname)}`);
      hostname = undefined;
    } else if (hostname.includes(".")) {
      // A fully qualified name in option 12: the short name is the host name, the rest its domain.
      const dot = hostname.indexOf(".");
      domain ??= hostname.slice(dot + 1);
      hostname = hostname.slice(0, dot);
    }
  }

  const rootPath = optional(p, Opt.ROOT_PATH, readString, problems)?.trim() || undefined;

  let mtu = optional(p, Opt.MTU, (d) => readU16(Opt.MTU, d), problems);
  if (mtu !== undefined && mtu < 68) {
    problems.push(`option 26: ignoring MTU ${mtu} (below 68)`);
    mtu = undefined;
  }

  const serverId = optional(p, Opt.SERVER_ID, (d) => readIp(Opt.SERVER_ID, d), problems) ?? sourceAddress;
  const leaseTime = optional(p, Opt.LEASE_TIME, (d) => readU32(Opt.LEASE_TIME, d), problems) ?? INFINITE_LEASE;
  let renewalTime = optional(p, Opt.RENEWAL_TIME, (d) => readU32(Opt.RENEWAL_TIME, d), problems);
  let rebindTime = optional(p, Opt.REBINDING_TIME, (d) => readU32(Opt.REBINDING_TIME, d), problems);
  if (leaseTime !== INFINITE_LEASE) {
    // RFC 2131 4.4.5 defaults, and T1 <= T2 <= lease whatever the server sent.
    if (rebindTime === undefined || rebindTime > leaseTime) rebindTime = Math.floor(leaseTime * 0.875);
    if (renewalTime === undefined || renewalTime > rebindTime) renewalTime = Math.min(Math.floor(leaseTime * 0.5), rebindTime);
  }

  const lease: Lease = {
    source: "dhcp",
    iface,
    mac,
    address,
    prefix,
    netmask: maskFromPrefix(prefix),
    broadcast,
    gateway,
    ...(routes && routes.length > 0 ? { routes } : {}),
    dns,
    domain,
    search: search.filter(isValidHostname),
    hostname,
    ntp,
    ...(logServers.length > 0 ? { logServers } : {}),
    ...(rootPath !== undefined ? { rootPath } : {}),
    mtu,
    serverId,
    leaseTime,
    renewalTime,
    rebindTime,
    boundAt,
  };
  return { lease, problems };
}
