// bond=, vlan= and bridge= each make one interface over others ("lowers"): the bond over NICs, the
// VLAN over a NIC, the bond or the bridge, the bridge over NICs, the bond or the VLAN. Together
// they must stack into one interface the lease is sought on (the top), each made after what it
// sits on. dracut's combinations: a VLAN on a bond, a bridge on a bond, a bridge on a VLAN (VM
// hosts on tagged networks), a VLAN on a bridge.
import type { BootConfig } from "./types";

export type MadeKind = "bond" | "vlan" | "bridge";

export interface MadeLink {
  kind: MadeKind;
  name: string;
  /** The interfaces it is made over: the bond's slaves, the VLAN's parent, the bridge's ports. */
  lowers: string[];
}

export interface StackProblem {
  /** The parameter the problem is reported on. */
  kind: MadeKind;
  problem: string;
}

type StackConfig = Pick<BootConfig, "bond" | "vlan" | "bridge" | "ip">;

const NOUN: Record<MadeKind, string> = { bond: "bond", vlan: "VLAN", bridge: "bridge" };
const LOWER: Record<MadeKind, string> = { bond: "a slave of", vlan: "the parent of", bridge: "a port of" };

/** The made interfaces as the parameters give them, in parameter order (bond, vlan, bridge). */
export function madeLinks(cfg: Pick<BootConfig, "bond" | "vlan" | "bridge">): MadeLink[] {
  const links: MadeLink[] = [];
  if (cfg.bond) links.push({ kind: "bond", name: cfg.bond.name, lowers: cfg.bond.slaves });
  if (cfg.vlan) links.push({ kind: "vlan", name: cfg.vlan.name, lowers: [cfg.vlan.parent] });
  if (cfg.bridge) links.push({ kind: "bridge", name: cfg.bridge.name, lowers: cfg.bridge.ports });
  return links;
}

/** What each made link is to the others' parameters, for messages: "the bond bond0 (bond=)". */
const describe = (l: MadeLink) => `the ${NOUN[l.kind]} ${l.name} (${l.kind}=)`;

/** Everything wrong with how the made interfaces stack, and with ip= against them. */
export function stackProblems(cfg: StackConfig): StackProblem[] {
  const links = madeLinks(cfg);
  if (links.length === 0) return [];
  if (cfg.ip.mode === "off") return links.map((l) => ({ kind: l.kind, problem: `the ${NOUN[l.kind]} would carry the boot network, but ip= says off` }));
  const problems: StackProblem[] = [];
  const byName = new Map<string, MadeLink>();
  for (const l of links) {
    const other = byName.get(l.name);
    if (other) problems.push({ kind: l.kind, problem: `${l.name} is also the name of ${describe(other)}` });
    else byName.set(l.name, l);
  }
  const bond = links.find((l) => l.kind === "bond");
  for (const l of links) {
    if (l.kind === "bond") {
      const made = l.lowers.map((s) => byName.get(s)).find((m) => m !== undefined);
      if (made) problems.push({ kind: "bond", problem: `${describe(made)} cannot be a slave of the bond: its slaves are NICs` });
      continue;
    }
    const slave = bond && l.lowers.find((x) => bond.lowers.includes(x));
    if (bond && slave) {
      const fix = l.kind === "vlan" ? `vlan=${bond.name}.${cfg.vlan!.id}:${bond.name}` : `bridge=${l.name}:${bond.name}`;
      problems.push({ kind: l.kind, problem: `${slave} is a slave of ${describe(bond)}: the ${NOUN[l.kind]} would see no traffic on it; put it on the bond, ${fix}` });
    }
  }
  if (problems.length) return problems;
  const used = new Set(links.flatMap((l) => l.lowers));
  const tops = links.filter((l) => !used.has(l.name));
  if (tops.length === 0) {
    const [a, b] = links.filter((l) => l.kind !== "bond");
    return [{ kind: b.kind, problem: `${describe(a)} and ${describe(b)} are each made over the other` }];
  }
  if (tops.length > 1) {
    const [a, b] = tops;
    return [{ kind: b.kind, problem: `${describe(a)} and ${describe(b)} would both be made, but the lease is sought on one interface: make one over the other` }];
  }
  const top = tops[0];
  const device = cfg.ip.device;
  if (device !== undefined && device !== top.name) {
    const lowerOf = links.find((l) => l.lowers.includes(device));
    const made = byName.get(device);
    const which = lowerOf ? `${LOWER[lowerOf.kind]} ${lowerOf.name}` : made ? `${describe(made)}, under ${top.name}` : "another interface";
    problems.push({ kind: top.kind, problem: `ip= names ${device} (${which}), but the lease is sought on ${top.name}: name ${top.name} in ip= or leave its device out` });
  }
  return problems;
}

/** The made interfaces in the order they are made (each after what it sits on); the last is the top. */
export function stackOrder(cfg: Pick<BootConfig, "bond" | "vlan" | "bridge">): MadeLink[] {
  const pending = madeLinks(cfg);
  const names = new Set(pending.map((l) => l.name));
  const order: MadeLink[] = [];
  while (pending.length > 0) {
    const i = pending.findIndex((l) => l.lowers.every((x) => !names.has(x) || order.some((o) => o.name === x)));
    if (i < 0) throw new Error(`bond=, vlan= and bridge= do not stack: ${pending.map((l) => l.name).join(", ")}`); // stackProblems refused it
    order.push(...pending.splice(i, 1));
  }
  return order;
}

/** The interface the lease is sought on when bond=, vlan= or bridge= make one. */
export function stackTop(cfg: Pick<BootConfig, "bond" | "vlan" | "bridge">): MadeLink | undefined {
  return stackOrder(cfg).at(-1);
}
