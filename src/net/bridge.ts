// bridge=: the boot network runs over a Linux bridge, for nodes whose virtual machines or
// containers share the NIC. The bridge gets its first port's MAC (BOOTIF='s port first) set
// explicitly: left to itself the kernel takes the lowest MAC among its ports, so the node's address
// (and the DHCP server's idea of it) would change when a VM's tap with a lower MAC joins. Spanning
// tree stays off, as the kernel makes it, so ports forward as soon as they have carrier.
import type { BridgeConfig } from "../cmdline/types";
import { BootError, describeError } from "../console/errors";
import { info } from "../console/log";
import { addBridge, setLinkUp, setMaster } from "../sys/netdev";
import type { NetInterface } from "./links";
import { waitForLowers } from "./lowers";
import { linkRefusal, madeInterface } from "./made";

export function bridgeParam(bridge: BridgeConfig): string {
  return `bridge=${bridge.name}:${bridge.ports.join(",")}`;
}

/** Makes the bridge over its ports and brings all of them up; returns the bridge. */
export async function makeBridge(bridge: BridgeConfig, o: { deadline: number; waitMs: number; bootif?: string }): Promise<NetInterface> {
  const param = bridgeParam(bridge);
  const ports = await waitForLowers(bridge.ports, { param, what: "ports", made: "the bridge", ...o });
  try {
    addBridge(bridge.name, ports[0].mac);
  } catch (err) {
    throw new BootError("network", `${param}: cannot make the bridge ${bridge.name}: ${linkRefusal(err, bridge.name, "bridge support (the bridge module is not loaded)")}`, { cause: err });
  }
  const made = madeInterface(param, bridge.name);
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
