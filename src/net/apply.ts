// Puts a lease into the kernel: address, broadcast, MTU, static routes, default route. Addresses
// are permanent (no kernel lifetime): after switch_root tarboot is gone, and the root's own network
// setup takes over from an address that must not vanish by itself in the meantime.
import type { Lease, Route } from "./lease";
import { SysError } from "../sys/libc";
import { addAddress, deleteAddress, deleteRoute, replaceRoute, RTPROT_BOOT, RTPROT_DHCP, setMtu } from "../sys/netdev";
import { readInterface } from "./links";
import { sameSubnet } from "./ipv4";
import { describeError } from "../console/errors";
import { warn } from "../console/log";

function ignore(codes: string[], fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof SysError && codes.includes(err.code))) throw err;
  }
}

export function applyLease(lease: Lease, ifindex: number, previous?: Lease): void {
  const name = lease.iface;
  const protocol = lease.source === "dhcp" ? RTPROT_DHCP : RTPROT_BOOT;
  if (previous && (previous.address !== lease.address || previous.prefix !== lease.prefix)) {
    // Removing the old address also removes the routes that went through it.
    ignore(["EADDRNOTAVAIL", "ENODEV"], () => deleteAddress({ ifindex, name, address: previous.address, prefix: previous.prefix }));
  }
  if (lease.mtu !== undefined && readInterface(name)?.mtu !== lease.mtu) {
    // A server's MTU the NIC cannot do (jumbo frames on a small NIC) must not stop the boot.
    try {
      setMtu(ifindex, name, lease.mtu);
    } catch (err) {
      warn(`${name}: cannot set MTU ${lease.mtu} from the lease, keeping ${readInterface(name)?.mtu ?? "the current one"}: ${describeError(err)}`);
    }
  }
  addAddress({ ifindex, name, address: lease.address, prefix: lease.prefix, broadcast: lease.broadcast });
  applyRoutes(lease, ifindex, protocol, previous);
  if (lease.gateway) {
    if (!lease.gateway.includes(":") && !sameSubnet(lease.address, lease.gateway, lease.prefix)) {
      // A router outside the subnet (a /32 lease, common in clouds) is reachable on the link itself.
      replaceRoute({ ifindex, name, dst: { address: lease.gateway, prefix: 32 }, source: lease.address, protocol });
    }
    replaceRoute({ ifindex, name, gateway: lease.gateway, protocol });
  } else if (previous?.gateway) {
    ignore(["ESRCH", "ENOENT"], () => deleteRoute({ ifindex, name, gateway: previous.gateway, protocol }));
  }
}

const sameRoute = (a: Route) => (b: Route) => a.dst === b.dst && a.prefix === b.prefix && a.gateway === b.gateway;
const viaOf = (r: Route) => (r.gateway === "0.0.0.0" ? undefined : r.gateway);
const describeRoute = (r: Route) => `${r.dst}/${r.prefix} ${viaOf(r) ? `via ${r.gateway}` : "on-link"}`;

/**
 * Option 121's routes, on-link ones first (a router may be reachable only through one). A route the
 * kernel refuses is a warning, not a failed boot: the download server may well be on another one.
 */
function applyRoutes(lease: Lease, ifindex: number, protocol: number, previous?: Lease): void {
  const name = lease.iface;
  const routes = lease.routes ?? [];
  for (const r of previous?.routes ?? []) {
    if (routes.some(sameRoute(r))) continue;
    ignore(["ESRCH", "ENOENT"], () => deleteRoute({ ifindex, name, dst: { address: r.dst, prefix: r.prefix }, gateway: viaOf(r), protocol }));
  }
  for (const r of [...routes].sort((a, b) => Number(viaOf(a) !== undefined) - Number(viaOf(b) !== undefined))) {
    try {
      replaceRoute({ ifindex, name, dst: { address: r.dst, prefix: r.prefix }, gateway: viaOf(r), protocol });
    } catch (err) {
      warn(`${name}: cannot add the route ${describeRoute(r)} from the lease: ${describeError(err)}`);
    }
  }
}

/** One console line that says everything about the configuration. */
export function describeLease(lease: Lease): string {
  let line = `${lease.iface}: ${lease.address}/${lease.prefix}`;
  if (lease.gateway) line += ` via ${lease.gateway}`;
  if (lease.routes?.length) line += `, routes ${lease.routes.map(describeRoute).join(", ")}`;
  if (lease.dns.length) line += `, dns ${lease.dns.join(" ")}`;
  if (lease.mtu) line += `, mtu ${lease.mtu}`;
  if (lease.source === "auto6") {
    line += ` (SLAAC${lease.serverId ? `, router ${lease.serverId}` : ""})`;
  } else if (lease.source !== "static") {
    const time = lease.leaseTime === undefined || lease.leaseTime === 0xffffffff ? "infinite lease" : `lease ${lease.leaseTime}s`;
    line += `, ${time}${lease.serverId ? ` from ${lease.serverId}` : ""}${lease.source === "dhcp6" ? " (DHCPv6)" : ""}`;
  } else {
    line += " (static, ip=)";
  }
  return line;
}
