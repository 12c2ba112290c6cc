// The lease as environment variables for site hooks: TARBOOT_* names of our own, plus the names
// initramfs-tools scripts already read (DEVICE, IPV4ADDR, ... from /run/net-IFACE.conf).
import type { BootConfig } from "../cmdline/types";
import type { Lease } from "../net/lease";
import { hostNames, leaseConf } from "./identity";

// initramfs-tools names worth passing on; UPTIME and the always-empty ones are left out.
const IPCONFIG_NAMES = new Set([
  "DEVICE", "PROTO", "IPV4ADDR", "IPV4BROADCAST", "IPV4NETMASK", "IPV4GATEWAY", "IPV4DNS0", "IPV4DNS1",
  "HOSTNAME", "DNSDOMAIN", "ROOTSERVER", "DHCPLEASETIME", "DOMAINSEARCH",
  "DEVICE6", "IPV6PROTO", "IPV6ADDR", "IPV6NETMASK", "IPV6DNS0", "IPV6DNS1", "IPV6DOMAINSEARCH",
]);

/** Variables absent from the lease are left unset, never set empty. `cfg` lets hostname= win. */
export function leaseEnv(lease: Lease | null, cfg: Pick<BootConfig, "hostname" | "ip" | "vlan" | "bond" | "bridge"> = { ip: { mode: "dhcp" } }): Record<string, string> {
  if (!lease) return {};
  const env: Record<string, string> = {};
  const set = (name: string, value: string | number | undefined): void => {
    if (value !== undefined && value !== "") env[name] = String(value);
  };
  const names = hostNames(lease, cfg);
  set("TARBOOT_LEASE", lease.source);
  set("TARBOOT_IFACE", lease.iface);
  set("TARBOOT_MAC", lease.mac);
  // The booted system's own network configuration has to make the same VLAN.
  set("TARBOOT_VLAN_ID", cfg.vlan?.id);
  set("TARBOOT_VLAN_PARENT", cfg.vlan?.parent);
  // And the same bond: its slaves by their initramfs names (bonding/slaves and each slave's
  // bonding_slave/perm_hwaddr in sysfs give the MACs the booted system's names match by).
  set("TARBOOT_BOND", cfg.bond?.name);
  set("TARBOOT_BOND_SLAVES", cfg.bond?.slaves.join(","));
  set("TARBOOT_BOND_OPTIONS", cfg.bond?.options.map((o) => `${o.name}=${o.value}`).join(","));
  set("TARBOOT_BRIDGE", cfg.bridge?.name);
  set("TARBOOT_BRIDGE_PORTS", cfg.bridge?.ports.join(","));
  set("TARBOOT_IP", lease.address);
  set("TARBOOT_PREFIX", lease.prefix);
  set("TARBOOT_NETMASK", lease.netmask);
  set("TARBOOT_BROADCAST", lease.broadcast);
  set("TARBOOT_GATEWAY", lease.gateway);
  set("TARBOOT_DNS", lease.dns.join(" "));
  set("TARBOOT_DOMAIN", lease.domain);
  set("TARBOOT_SEARCH", lease.search.join(" "));
  set("TARBOOT_HOSTNAME", names?.short);
  set("TARBOOT_FQDN", names?.fqdn);
  set("TARBOOT_NTP", lease.ntp.join(" "));
  set("TARBOOT_MTU", lease.mtu);
  set("TARBOOT_SERVER", lease.serverId);
  set("TARBOOT_LEASE_TIME", lease.leaseTime);
  for (const [name, value] of leaseConf(lease, cfg, 0).fields) if (IPCONFIG_NAMES.has(name)) env[name] = value;
  return env;
}
