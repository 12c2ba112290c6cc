// Puts a lease into the kernel: address, broadcast, MTU, default route. Addresses are permanent
// (no kernel lifetime): after switch_root tarboot is gone, and the root's own network setup takes
// over from an address that must not vanish by itself in the meantime.
import type { Lease } from "./lease";
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
  if (lease.gateway) {
    if (!sameSubnet(lease.address, lease.gateway, lease.prefix)) {
      // A router outside the subnet (a /32 lease, common in clouds) is reachable on the link itself.
      replaceRoute({ ifindex, name, dst: { address: lease.gateway, prefix: 32 }, source: lease.address, protocol });
    }
    replaceRoute({ ifindex, name, gateway: lease.gateway, protocol });
  } else if (previous?.gateway) {
    ignore(["ESRCH", "ENOENT"], () => deleteRoute({ ifindex, name, gateway: previous.gateway, protocol }));
  }
}

/** One console line that says everything about the configuration. */
export function describeLease(lease: Lease): string {
  let line = `${lease.iface}: ${lease.address}/${lease.prefix}`;
  if (lease.gateway) line += ` via ${lease.gateway}`;
  if (lease.dns.length) line += `, dns ${lease.dns.join(" ")}`;
  if (lease.mtu) line += `, mtu ${lease.mtu}`;
  if (lease.source === "dhcp") {
    const time = lease.leaseTime === undefined || lease.leaseTime === 0xffffffff ? "infinite lease" : `lease ${lease.leaseTime}s`;
    line += `, ${time}${lease.serverId ? ` from ${lease.serverId}` : ""}`;
  } else {
    line += " (static, ip=)";
  }
  return line;
}
