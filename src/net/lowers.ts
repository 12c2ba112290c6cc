// The interfaces a bond or a bridge is made over: waited for together, since their drivers were
// loaded together; one that has not appeared a grace time after the first is left out, loudly,
// so that a node with one dead NIC still boots. They come back BOOTIF='s first: a bond or bridge
// takes its first lower's MAC, and the DHCP server knows the node by the one it booted from.
import { BootError } from "../console/errors";
import { warn } from "../console/log";
import { listInterfaces, type NetInterface, readInterface } from "./links";
import { describePresent } from "./select";

const POLL_MS = 100;
/** Once one lower interface is there, how long the others may take. */
export const LOWER_GRACE_MS = 3000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LowersWait {
  /** The parameter as written, for messages. */
  param: string;
  /** "slaves" or "ports". */
  what: string;
  /** "the bond", "the bridge". */
  made: string;
  deadline: number;
  waitMs: number;
  bootif?: string;
}

/** The named interfaces present (all of them, or those there at the deadline or the grace time after the first), BOOTIF='s first. */
export async function waitForLowers(names: string[], o: LowersWait): Promise<NetInterface[]> {
  const present = await presentLowers(names, o);
  if (o.bootif && !present.some((l) => l.mac === o.bootif)) {
    warn(`${o.param}: BOOTIF= names ${o.bootif}, which none of the ${o.what} has: ${o.made} takes ${present[0].name}'s MAC`);
  }
  return bootifFirst(present, o.bootif);
}

async function presentLowers(names: string[], o: LowersWait): Promise<NetInterface[]> {
  let firstSeen: number | undefined;
  for (;;) {
    const found = names.map((s) => readInterface(s)).filter((i): i is NetInterface => i !== undefined);
    if (found.length === names.length) return found;
    const now = Date.now();
    if (found.length > 0) firstSeen ??= now;
    if (now >= o.deadline || (firstSeen !== undefined && now >= firstSeen + LOWER_GRACE_MS)) {
      if (found.length === 0) {
        throw new BootError(
          "network",
          `${o.param}: none of the ${o.what} ${names.join(", ")} appeared within ${Math.round(o.waitMs / 1000)}s; present: ${describePresent(listInterfaces())}` +
            " (is their NIC driver in the initramfs? see tarboot.netwait=)",
        );
      }
      const missing = names.filter((s) => !found.some((f) => f.name === s));
      warn(`${o.param}: ${missing.join(", ")} did not appear; ${o.made} is made of ${found.map((f) => f.name).join(", ")} alone (present: ${describePresent(listInterfaces())})`);
      return found;
    }
    await sleep(POLL_MS);
  }
}

/** The order of enslaving: the one with BOOTIF='s MAC first (a bond or bridge takes its MAC), else as written. */
export function bootifFirst(lowers: NetInterface[], bootif: string | undefined): NetInterface[] {
  const booted = lowers.findIndex((s) => s.mac === bootif);
  return booted <= 0 ? lowers : [lowers[booted], ...lowers.slice(0, booted), ...lowers.slice(booted + 1)];
}
