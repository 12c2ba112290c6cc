// vlan=: the boot network is a tagged VLAN. Its interface is made on the parent NIC once that
// appears (the parent brought up, as the VLAN's carrier follows it) and is then the interface DHCP
// or ip= configures; the kernel tags and untags every frame, the DHCP client included.
import type { VlanConfig } from "../cmdline/types";
import { BootError } from "../console/errors";
import { info, warn } from "../console/log";
import { addVlan, setLinkUp } from "../sys/netdev";
import { listInterfaces, type NetInterface, readInterface } from "./links";
import { linkRefusal, madeInterface } from "./made";
import { describePresent } from "./select";

const POLL_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Makes the VLAN interface and returns it; `deadline` bounds the wait for its parent. */
export async function makeVlan(vlan: VlanConfig, o: { deadline: number; waitMs: number; bootif?: string }): Promise<NetInterface> {
  const param = `vlan=${vlan.name}:${vlan.parent}`;
  let parent: NetInterface | undefined;
  while (!(parent = readInterface(vlan.parent))) {
    if (Date.now() >= o.deadline) {
      throw new BootError(
        "network",
        `${param}: the parent interface ${vlan.parent} did not appear within ${Math.round(o.waitMs / 1000)}s; present: ${describePresent(listInterfaces())}` +
          " (is its NIC driver in the initramfs? see tarboot.netwait=)",
      );
    }
    await sleep(POLL_MS);
  }
  if (o.bootif && parent.mac !== o.bootif) warn(`${param}: BOOTIF= names ${o.bootif}, but ${vlan.parent} has ${parent.mac}: the VLAN is made on ${vlan.parent} as vlan= says`);
  try {
    setLinkUp(parent.ifindex, parent.name);
    addVlan(parent.ifindex, vlan.name, vlan.id);
  } catch (err) {
    throw new BootError("network", `${param}: cannot make VLAN ${vlan.id} on ${vlan.parent}: ${linkRefusal(err, vlan.name, "802.1Q support (8021q is not loaded)")}`, { cause: err });
  }
  const made = madeInterface(param, vlan.name);
  info(`${vlan.name}: VLAN ${vlan.id} on ${vlan.parent} (MAC ${made.mac})`);
  return made;
}
