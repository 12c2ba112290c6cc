// Which interface(s) to configure: the one BOOTIF= names (the NIC the firmware booted from), the
// one ip= names, or every wired Ethernet-like interface at once.
import { isEthernetLike, type NetInterface } from "./links";

export type Wanted =
  | { kind: "mac"; mac: string; why: string }
  | { kind: "name"; name: string; why: string }
  | { kind: "any" };

export function wantedInterface(o: { bootif?: string; device?: string; made?: { name: string; kind: string } }): Wanted {
  // ip=...:<device>: is the administrator's explicit choice, as is the interface bond=, vlan= or
  // bridge= make (the top of their stack); BOOTIF= comes from the boot loader.
  if (o.device) return { kind: "name", name: o.device, why: "ip=" };
  if (o.made) return { kind: "name", name: o.made.name, why: `${o.made.kind}=` };
  if (o.bootif) return { kind: "mac", mac: o.bootif.toLowerCase(), why: "BOOTIF=" };
  return { kind: "any" };
}

/** The interfaces to try now; empty while the wanted one has not appeared. */
export function pickCandidates(wanted: Wanted, present: NetInterface[]): NetInterface[] {
  switch (wanted.kind) {
    case "name":
      return present.filter((i) => i.name === wanted.name);
    case "mac":
      // Several interfaces may share a MAC (bond slaves, VLANs): prefer a plain Ethernet one.
      return present.filter((i) => i.mac === wanted.mac).sort((a, b) => Number(isEthernetLike(b)) - Number(isEthernetLike(a))).slice(0, 1);
    case "any":
      return present.filter(isEthernetLike);
  }
}

export function describeWanted(wanted: Wanted): string {
  switch (wanted.kind) {
    case "name":
      return `interface ${wanted.name} (from ${wanted.why})`;
    case "mac":
      return `the interface with MAC ${wanted.mac} (from ${wanted.why})`;
    case "any":
      return "an Ethernet interface";
  }
}

export function describePresent(present: NetInterface[]): string {
  if (present.length === 0) return "no network interfaces at all";
  return present.map((i) => `${i.name} (${i.mac || "no MAC"}, type ${i.type}${i.wireless ? ", wireless" : ""})`).join(", ");
}
