// ip=<client>:<server>:<gw>:<netmask>:<hostname>:<device>:off:<dns0>:<dns1> as a Lease, so that
// static and DHCP configurations are applied and reported the same way; IPv6 ones too.
import { isIPv6 } from "node:net";
import type { StaticIp } from "../cmdline/types";
import type { Lease } from "./lease";
import { broadcastOf, classfulPrefix, isIpv4, maskFromPrefix, prefixFromMask } from "./ipv4";

/** The host name field split into the name and, after its first dot, the domain. */
function splitHostname(text: string | undefined): { hostname?: string; domain?: string } {
  if (!text) return {};
  const dot = text.indexOf(".");
  return dot < 0 ? { hostname: text } : { hostname: text.slice(0, dot), domain: text.slice(dot + 1) };
}

/** What ip= gives either family's lease; the netmask (and broadcast) are the family's own. */
function fromParameter(ip: StaticIp, iface: string, mac: string, prefix: number): Omit<Lease, "netmask"> {
  return {
    source: "static",
    iface,
    mac,
    address: ip.client,
    prefix,
    gateway: ip.gateway || undefined,
    dns: [...ip.dns],
    search: [],
    ...splitHostname(ip.hostname),
    ntp: ip.ntp ? [ip.ntp] : [],
    boundAt: Date.now(),
  };
}

/**
 * A static IPv6 configuration: the address with its prefix (the on-link route comes with it), a
 * default route when a gateway is given (a router's link-local address, usually), DNS servers.
 */
function staticLease6(ip: StaticIp, iface: string, mac: string): Lease {
  const prefix = Number(ip.netmask);
  if (!isIPv6(ip.client)) throw new Error(`ip=: client address ${JSON.stringify(ip.client)} is not an IPv6 address`);
  if (!Number.isInteger(prefix) || prefix < 1 || prefix > 128) throw new Error(`ip=: prefix length ${JSON.stringify(ip.netmask)} is not 1 to 128`);
  for (const v of [ip.gateway, ip.server, ...ip.dns]) if (v !== undefined && v !== "" && !isIPv6(v)) throw new Error(`ip=: ${JSON.stringify(v)} is not an IPv6 address`);
  return { ...fromParameter(ip, iface, mac, prefix), netmask: "" };
}

export function staticLease(ip: StaticIp, iface: string, mac: string): Lease {
  if (ip.family === 6) return staticLease6(ip, iface, mac);
  if (!isIpv4(ip.client)) throw new Error(`ip=: client address ${JSON.stringify(ip.client)} is not an IPv4 address`);
  let prefix: number;
  if (ip.netmask === "") prefix = classfulPrefix(ip.client);
  else if (/^\d{1,2}$/.test(ip.netmask)) prefix = Number(ip.netmask);
  else if (isIpv4(ip.netmask)) {
    try {
      prefix = prefixFromMask(ip.netmask);
    } catch (err) {
      throw new Error(`ip=: ${(err as Error).message}`);
    }
  } else throw new Error(`ip=: netmask ${JSON.stringify(ip.netmask)} is neither a dotted mask nor a prefix length`);
  if (prefix > 32) throw new Error(`ip=: prefix length ${prefix} is over 32`);
  for (const [what, v] of [["gateway", ip.gateway], ["server", ip.server]] as const) {
    if (v !== undefined && v !== "" && !isIpv4(v)) throw new Error(`ip=: ${what} ${JSON.stringify(v)} is not an IPv4 address`);
  }
  const bad = ip.dns.filter((d) => !isIpv4(d));
  if (bad.length) throw new Error(`ip=: DNS server ${JSON.stringify(bad[0])} is not an IPv4 address`);
  return { ...fromParameter(ip, iface, mac, prefix), netmask: maskFromPrefix(prefix), broadcast: broadcastOf(ip.client, prefix) };
}
