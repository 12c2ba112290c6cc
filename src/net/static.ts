// ip=<client>:<server>:<gw>:<netmask>:<hostname>:<device>:off:<dns0>:<dns1> as a Lease, so that
// static and DHCP configurations are applied and reported the same way.
import type { StaticIp } from "../cmdline/types";
import type { Lease } from "./lease";
import { broadcastOf, classfulPrefix, isIpv4, maskFromPrefix, prefixFromMask } from "./ipv4";

export function staticLease(ip: StaticIp, iface: string, mac: string): Lease {
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
  let hostname = ip.hostname || undefined;
  let domain: string | undefined;
  if (hostname?.includes(".")) {
    domain = hostname.slice(hostname.indexOf(".") + 1);
    hostname = hostname.slice(0, hostname.indexOf("."));
  }
  return {
    source: "static",
    iface,
    mac,
    address: ip.client,
    prefix,
    netmask: maskFromPrefix(prefix),
    broadcast: broadcastOf(ip.client, prefix),
    gateway: ip.gateway || undefined,
    dns: [...ip.dns],
    domain,
    search: [],
    hostname,
    ntp: ip.ntp ? [ip.ntp] : [],
    boundAt: Date.now(),
  };
}
