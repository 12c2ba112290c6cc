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
import { info, warn } from "../console/log";
import { setLinkUp, setMtu } from "../sys/netdev";
import { listInterfaces, type NetInterface, readInterface, SYS_CLASS_NET } from "./links";
import { describePresent } from "./select";

const POLL_MS = 100;
/** Once one slave is there, how long the others may take: their drivers were loaded together. */
export const SLAVE_GRACE_MS = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The bond's parameter as written, for messages. */
export function bondParam(bond: BondConfig): string {
  const options = bond.options.map((o) => `${o.name}=${o.value}`).join(",");
  return `bond=${bond.name}:${bond.slaves.join(",")}${options || bond.mtu ? `:${options}` : ""}${bond.mtu ? `:${bond.mtu}` : ""}`;
}

/** The order of enslaving: the slave with BOOTIF='s MAC first (the bond takes its first slave's MAC), else as written. */
export function enslaveOrder(slaves: NetInterface[], bootif: string | undefined): NetInterface[] {
  const booted = slaves.findIndex((s) => s.mac === bootif);
  return booted <= 0 ? slaves : [slaves[booted], ...slaves.slice(0, booted), ...slaves.slice(booted + 1)];
}

/** What is written to sysfs for one option: a list option once per address, each as `+address`. */
export function optionWrites(o: BondOption): string[] {
  return BOND_LIST_OPTIONS.has(o.name) ? o.value.split(";").map((a) => `+${a}`) : [o.value];
}

/** The slaves present, waiting for all of them until the deadline, or SLAVE_GRACE_MS after the first appeared. */
async function waitForSlaves(bond: BondConfig, param: string, o: { deadline: number; waitMs: number }): Promise<NetInterface[]> {
  let firstSeen: number | undefined;
  for (;;) {
    const found = bond.slaves.map((s) => readInterface(s)).filter((i): i is NetInterface => i !== undefined);
    if (found.length === bond.slaves.length) return found;
    const now = Date.now();
    if (found.length > 0) firstSeen ??= now;
    if (now >= o.deadline || (firstSeen !== undefined && now >= firstSeen + SLAVE_GRACE_MS)) {
      const missing = bond.slaves.filter((s) => !found.some((f) => f.name === s));
      if (found.length === 0) {
        throw new BootError(
          "network",
          `${param}: none of the slaves ${bond.slaves.join(", ")} appeared within ${Math.round(o.waitMs / 1000)}s; present: ${describePresent(listInterfaces())}` +
            " (is their NIC driver in the initramfs? see tarboot.netwait=)",
        );
      }
      warn(`${param}: ${missing.join(", ")} did not appear; the bond is made of ${found.map((f) => f.name).join(", ")} alone (present: ${describePresent(listInterfaces())})`);
      return found;
    }
    await sleep(POLL_MS);
  }
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
  const root = SYS_CLASS_NET;
  const slaves = enslaveOrder(await waitForSlaves(bond, param, o), o.bootif);
  if (o.bootif && !slaves.some((s) => s.mac === o.bootif)) warn(`${param}: BOOTIF= names ${o.bootif}, which none of the slaves has: the bond is made as bond= says`);
  const dir = join(root, bond.name, "bonding");
  if (readInterface(bond.name)) throw new BootError("network", `${param}: an interface named ${bond.name} exists already`);
  const masters = join(root, "bonding_masters");
  if (!existsSync(masters)) throw new BootError("network", `${param}: the kernel has no bonding driver (the bonding module is not loaded)`);
  write(masters, `+${bond.name}`, bond, `make ${bond.name}`);
  const options = bond.options.filter((opt) => opt.name !== "active_slave");
  for (const opt of options) for (const text of optionWrites(opt)) write(join(dir, opt.name), text, bond, `set ${opt.name}=${opt.value} on ${bond.name}`);
  for (const s of slaves) write(join(dir, "slaves"), `+${s.name}`, bond, `enslave ${s.name} (MAC ${s.mac}) to ${bond.name}`);
  const made = readInterface(bond.name);
  if (!made) throw new BootError("network", `${param}: the kernel made ${bond.name}, but it is not in ${root}`);
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
