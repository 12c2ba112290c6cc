// bridge=: the boot network runs over a Linux bridge, for nodes whose virtual machines or
// containers share the NIC. The bridge gets its first port's MAC (BOOTIF='s port first) set
// explicitly: left to itself the kernel takes the lowest MAC among its ports, so the node's address
// (and the DHCP server's idea of it) would change when a VM's tap with a lower MAC joins. Spanning
// tree stays off, as the kernel makes it, so ports forward as soon as they have carrier.
import type { BridgeConfig } from "../cmdline/types";
import { BootError, describeError } from "../console/errors";
import { info, warn } from "../console/log";
import { SysError } from "../sys/libc";
import { addBridge, setLinkUp, setMaster } from "../sys/netdev";
import { type NetInterface, readInterface } from "./links";
import { bootifFirst, waitForLowers } from "./lowers";

export function bridgeParam(bridge: BridgeConfig): string {
  return `bridge=${bridge.name}:${bridge.ports.join(",")}`;
}

function refusal(err: unknown, bridge: BridgeConfig): string {
  if (err instanceof SysError && err.code === "EEXIST") return `an interface named ${bridge.name} exists already`;
  if (err instanceof SysError && err.code === "EOPNOTSUPP") return "the kernel has no bridge support (the bridge module is not loaded)";
  return describeError(err);
}

/** Makes the bridge over its ports and brings all of them up; returns the bridge. */
export async function makeBridge(bridge: BridgeConfig, o: { deadline: number; waitMs: number; bootif?: string }): Promise<NetInterface> {
  const param = bridgeParam(bridge);
  const ports = bootifFirst(await waitForLowers(bridge.ports, { param, what: "ports", made: "the bridge", ...o }), o.bootif);
  if (o.bootif && !ports.some((p) => p.mac === o.bootif)) warn(`${param}: BOOTIF= names ${o.bootif}, which none of the ports has: the bridge takes ${ports[0].name}'s MAC`);
  try {
    addBridge(bridge.name, ports[0].mac);
  } catch (err) {
    throw new BootError("network", `${param}: cannot make the bridge ${bridge.name}: ${refusal(err, bridge)}`, { cause: err });
  }
  const made = readInterface(bridge.name);
  if (!made) throw new BootError("network", `${param}: the kernel made ${bridge.name}, but it is not in /sys/class/net`);
  for (const p of ports) {
    try {
      setMaster(p.ifindex, p.name, made.ifindex);
      setLinkUp(p.ifindex, p.name);
    } catch (err) {
      throw new BootError("network", `${param}: cannot make ${p.name} a port of ${bridge.name}: ${describeError(err)}`, { cause: err });
    }
  }
  try {
    setLinkUp(made.ifindex, made.name);
  } catch (err) {
    throw new BootError("network", `${param}: cannot bring up ${bridge.name}: ${describeError(err)}`, { cause: err });
  }
  info(`${bridge.name}: bridge of ${ports.map((p) => p.name).join(", ")} (MAC ${made.mac})`);
  return made;
}
