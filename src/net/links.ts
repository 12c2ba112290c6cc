// Network interfaces as /sys/class/net shows them: names, MACs, types, carrier. Reading sysfs
// needs no privileges and no netlink, and it is what the kernel's own ipconfig looks at too.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const SYS_CLASS_NET = "/sys/class/net";
/** ARPHRD_ETHER: Ethernet and everything that looks like it (virtio, veth, bonds, ...). */
const ARPHRD_ETHER = 1;

export interface NetInterface {
  name: string;
  ifindex: number;
  /** aa:bb:cc:dd:ee:ff */
  mac: string;
  /** ARPHRD_* from the `type` attribute. */
  type: number;
  mtu: number;
  wireless: boolean;
  /** Bridges, bonds and VLANs: made by an administrator, never a boot NIC by themselves. */
  virtualMaster: boolean;
}

function readAttr(dir: string, attr: string): string | undefined {
  try {
    return readFileSync(join(dir, attr), "utf8").trim();
  } catch {
    return undefined;
  }
}

export function readInterface(name: string, root = SYS_CLASS_NET): NetInterface | undefined {
  const dir = join(root, name);
  const ifindex = Number(readAttr(dir, "ifindex"));
  const type = Number(readAttr(dir, "type"));
  if (!Number.isInteger(ifindex) || !Number.isInteger(type)) return undefined; // vanished meanwhile
  return {
    name,
    ifindex,
    mac: (readAttr(dir, "address") ?? "").toLowerCase(),
    type,
    mtu: Number(readAttr(dir, "mtu") ?? 1500) || 1500,
    wireless: existsSync(join(dir, "wireless")) || existsSync(join(dir, "phy80211")),
    virtualMaster: existsSync(join(dir, "bridge")) || existsSync(join(dir, "bonding")) || existsSync(join(dir, "team")),
  };
}

export function listInterfaces(root = SYS_CLASS_NET): NetInterface[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  return names
    .sort()
    .map((n) => readInterface(n, root))
    .filter((i): i is NetInterface => i !== undefined);
}

/** Candidates for "any interface": wired Ethernet-like devices, not loopback, not wireless. */
export function isEthernetLike(i: NetInterface): boolean {
  return i.type === ARPHRD_ETHER && i.name !== "lo" && !i.wireless && !i.virtualMaster && i.mac !== "00:00:00:00:00:00";
}

/** True when the link reports carrier; reading `carrier` fails with EINVAL while the link is down. */
export function hasCarrier(name: string, root = SYS_CLASS_NET): boolean {
  return readAttr(join(root, name), "carrier") === "1";
}

export function operState(name: string, root = SYS_CLASS_NET): string {
  return readAttr(join(root, name), "operstate") ?? "missing";
}
