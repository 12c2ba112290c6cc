// bond=<name>[:<slaves>[:<options>[:<mtu>]]], as dracut reads it: the slaves a comma list (eth0,eth1
// when left out), the options a comma list of the bonding driver's own key=value names (the ones
// `modinfo bonding` and /sys/class/net/BOND/bonding/ use), arp_ip_target's addresses joined by `;`.
// Option names and the mode are checked here, so that a typo fails before anything is waited for;
// the driver judges the rest of the values when they are written.
import { isIPv4, isIPv6 } from "node:net";
import { Invalid } from "./errors";
import type { BondConfig, BondOption } from "./types";
import { parseInterfaceName, requireValue } from "./values";

/** The modes by name, in the driver's numbering (a number is accepted as well). */
export const BOND_MODES = ["balance-rr", "active-backup", "balance-xor", "broadcast", "802.3ad", "balance-tlb", "balance-alb"] as const;

const COUNT = "a whole number";
/** The writable bonding attributes a boot may set, and what each value must be (null: the driver judges). */
const OPTIONS: Record<string, typeof COUNT | "ipv4 list" | "ipv6 list" | null> = {
  mode: null,
  miimon: COUNT,
  updelay: COUNT,
  downdelay: COUNT,
  peer_notif_delay: COUNT,
  use_carrier: COUNT,
  arp_interval: COUNT,
  arp_ip_target: "ipv4 list",
  ns_ip6_target: "ipv6 list",
  arp_validate: null,
  arp_all_targets: null,
  arp_missed_max: COUNT,
  fail_over_mac: null,
  primary: null,
  primary_reselect: null,
  active_slave: null,
  xmit_hash_policy: null,
  lacp_rate: null,
  lacp_active: null,
  ad_select: null,
  ad_actor_sys_prio: COUNT,
  ad_actor_system: null,
  ad_user_port_key: COUNT,
  min_links: COUNT,
  num_grat_arp: COUNT,
  num_unsol_na: COUNT,
  resend_igmp: COUNT,
  all_slaves_active: COUNT,
  lp_interval: COUNT,
  packets_per_slave: COUNT,
  tlb_dynamic_lb: COUNT,
};

export const BOND_OPTION_NAMES: readonly string[] = Object.keys(OPTIONS);

/** The options that list several values, each written to the driver as `+value`. */
export const BOND_LIST_OPTIONS: ReadonlySet<string> = new Set(["arp_ip_target", "ns_ip6_target"]);

function parseMode(value: string): string {
  if ((BOND_MODES as readonly string[]).includes(value)) return value;
  if (/^[0-6]$/.test(value)) return BOND_MODES[Number(value)];
  throw new Invalid(`mode "${value}" is not one of ${BOND_MODES.join(", ")} (or 0-6)`);
}

function parseOption(text: string): BondOption {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new Invalid(`option "${text}" is not key=value`);
  // initscripts' BONDING_OPTS spell some names with dashes; the driver's own are with underscores.
  const name = text.slice(0, eq).replaceAll("-", "_");
  const value = text.slice(eq + 1);
  if (!Object.hasOwn(OPTIONS, name)) throw new Invalid(`"${name}" is not a bonding option (see modinfo bonding)`);
  if (value === "") throw new Invalid(`option ${name} has no value`);
  const kind = OPTIONS[name];
  if (name === "mode") return { name, value: parseMode(value) };
  if (kind === COUNT && !/^\d{1,9}$/.test(value)) throw new Invalid(`option ${name}=${value}: not ${COUNT}`);
  if (kind === "ipv4 list" || kind === "ipv6 list") {
    const v4 = kind === "ipv4 list";
    const bad = value.split(";").filter((a) => !(v4 ? isIPv4(a) : isIPv6(a)));
    if (bad.length) throw new Invalid(`option ${name}: ${bad.map((a) => `"${a}"`).join(", ")} not an ${v4 ? "IPv4" : "IPv6"} address (several are separated by ;)`);
  }
  return { name, value };
}

export function parseBond(value: string | undefined): BondConfig {
  const parts = requireValue(value).split(":");
  if (parts.length > 4) throw new Invalid("more than <name>:<slaves>:<options>:<mtu>");
  const [nameText, slavesText = "eth0,eth1", optionsText = "", mtuText = ""] = parts;
  const name = parseInterfaceName(nameText);
  const slaves = (slavesText === "" ? "eth0,eth1" : slavesText).split(",").map(parseInterfaceName);
  const twice = slaves.filter((s, i) => slaves.indexOf(s) !== i);
  if (twice.length) throw new Invalid(`slave ${twice[0]} is listed twice`);
  if (slaves.includes(name)) throw new Invalid(`the bond ${name} cannot be its own slave`);
  const options = optionsText === "" ? [] : optionsText.split(",").map(parseOption);
  const seen = new Set<string>();
  for (const o of options) {
    if (seen.has(o.name)) throw new Invalid(`option ${o.name} is given twice`);
    seen.add(o.name);
  }
  // The driver changes the mode only while the bond has no slaves and is down.
  options.sort((a, b) => Number(b.name === "mode") - Number(a.name === "mode"));
  const bond: BondConfig = { name, slaves, options };
  if (mtuText !== "") {
    if (!/^\d{1,5}$/.test(mtuText) || Number(mtuText) < 68 || Number(mtuText) > 65535) throw new Invalid(`MTU "${mtuText}" is not a whole number from 68 to 65535`);
    bond.mtu = Number(mtuText);
  }
  return bond;
}

/** `mode`, as the driver will run it (balance-rr when not given). */
export function bondMode(bond: BondConfig): string {
  return bond.options.find((o) => o.name === "mode")?.value ?? "balance-rr";
}
