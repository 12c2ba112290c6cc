// bond=: the boot network runs over a bond of NICs. The bond is made through the bonding driver's
// sysfs files (bonding_masters, bonding/<option>, bonding/slaves), the interface ifenslave and
// dracut use, so every driver option is set by its own name and refused by the driver with its
// own check. The slaves are enslaved while still down (nothing else brought them up), the one the
// firmware booted from first, so that the bond has the MAC the DHCP server saw at PXE time.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BOND_LIST_OPTIONS, bondMode } from "../cmdline/bond";
import type { BondConfig, BondOption } from "../cmdline/types";
import { BootError, describeError } from "../console/errors";
import { recentKernelLines } from "../console/kmsg";
import { info } from "../console/log";
import { setLinkUp, setMtu } from "../sys/netdev";
import { type NetInterface, readInterface, SYS_CLASS_NET } from "./links";
import { waitForLowers } from "./lowers";
import { madeInterface } from "./made";

/** The bond's parameter as written, for messages. */
export function bondParam(bond: BondConfig): string {
  const options = bond.options.map((o) => `${o.name}=${o.value}`).join(",");
  return `bond=${bond.name}:${bond.slaves.join(",")}${options || bond.mtu ? `:${options}` : ""}${bond.mtu ? `:${bond.mtu}` : ""}`;
}

/** What is written to sysfs for one option: a list option once per address, each as `+address`. */
export function optionWrites(o: BondOption): string[] {
  return BOND_LIST_OPTIONS.has(o.name) ? o.value.split(";").map((a) => `+${a}`) : [o.value];
}

/**
 * Writes one sysfs file of the bonding driver; a refusal names the parameter, what was refused
 * and, for EINVAL, the driver's reason from the kernel log.
 */
function write(file: string, text: string, bond: BondConfig, what: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    let why = describeError(err);
    if ((err as NodeJS.ErrnoException).code === "EINVAL") {
      const said = recentKernelLines((t) => t.includes(`${bond.name}: `), 1);
      why = `the bonding driver refused it${said.length ? `: "${said[0]}"` : " (the kernel log says why)"}`;
    }
    throw new BootError("network", `${bondParam(bond)}: cannot ${what}: ${why}`, { cause: err });
  }
}

/** Makes the bond over its slaves and brings it up; returns it with the MAC it took. */
export async function makeBond(bond: BondConfig, o: { deadline: number; waitMs: number; bootif?: string }): Promise<NetInterface> {
  const param = bondParam(bond);
  const slaves = await waitForLowers(bond.slaves, { param, what: "slaves", made: "the bond", ...o });
  const dir = join(SYS_CLASS_NET, bond.name, "bonding");
  if (readInterface(bond.name)) throw new BootError("network", `${param}: an interface named ${bond.name} exists already`);
  const masters = join(SYS_CLASS_NET, "bonding_masters");
  if (!existsSync(masters)) throw new BootError("network", `${param}: the kernel has no bonding driver (the bonding module is not loaded)`);
  write(masters, `+${bond.name}`, bond, `make ${bond.name}`);
  const options = bond.options.filter((opt) => opt.name !== "active_slave");
  for (const opt of options) for (const text of optionWrites(opt)) write(join(dir, opt.name), text, bond, `set ${opt.name}=${opt.value} on ${bond.name}`);
  for (const s of slaves) write(join(dir, "slaves"), `+${s.name}`, bond, `enslave ${s.name} (MAC ${s.mac}) to ${bond.name}`);
  const made = madeInterface(param, bond.name);
  try {
    if (bond.mtu) setMtu(made.ifindex, bond.name, bond.mtu);
    setLinkUp(made.ifindex, bond.name);
  } catch (err) {
    throw new BootError("network", `${param}: cannot ${bond.mtu ? `set MTU ${bond.mtu} on and ` : ""}bring up ${bond.name}: ${describeError(err)}`, { cause: err });
  }
  const active = bond.options.find((opt) => opt.name === "active_slave");
  if (active) write(join(dir, "active_slave"), active.value, bond, `make ${active.value} the active slave of ${bond.name}`);
  const up = readInterface(bond.name) ?? made;
  info(`${bond.name}: bond (${bondMode(bond)}) of ${slaves.map((s) => s.name).join(", ")} (MAC ${up.mac}${bond.mtu ? `, MTU ${bond.mtu}` : ""})`);
  return up;
}
