// When the init's own code cannot even be loaded as PID 1 (its native addon missing or broken, the
// initramfs's /tmp full): the boot stages, and with them reboot() and mount(), are unavailable, so
// this module uses nothing but Node itself. It says why on the console, offers the rescue shell
// when the initramfs has one, and then waits for a power cycle: PID 1 exiting would panic the kernel.
import { describeError } from "../console/errors";
import { error, info } from "../console/log";
import { hasRescueShell, offerRescueShell } from "./rescue";

export async function cannotStart(err: unknown): Promise<void> {
  process.on("uncaughtException", (e) => error(describeError(e)));
  process.on("unhandledRejection", (e) => error(describeError(e)));
  // Keeps the event loop, and so PID 1, alive whatever happens below.
  setInterval(() => {}, 3_600_000);
  info(`cannot start the init: ${describeError(err)}`);
  if (process.env.TARBOOT_DEBUG_STACK && err instanceof Error && err.stack) info(err.stack);
  if (hasRescueShell()) await offerRescueShell("starting the rescue shell (without /proc, /sys or /dev mounted); leave it with 'exit'");
  info("the init cannot reboot without its native addon: waiting for a power cycle");
}
