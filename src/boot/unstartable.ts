// When the init's own code cannot even be loaded as PID 1 (its native addon missing or broken, the
// initramfs's /tmp full): the boot stages, and with them reboot() and mount(), are unavailable, so
// this module uses nothing but Node itself. It says why on the console, offers the rescue shell
// when the initramfs has one, and then waits for a power cycle: PID 1 exiting would panic the kernel.
import { describeError } from "../console/errors";
import { hasRescueShell, rescueShell } from "./rescue";

const say = (line: string) => process.stderr.write(`tarboot: ${line}\n`);

export async function cannotStart(err: unknown): Promise<void> {
  process.on("uncaughtException", (e) => say(`error: ${describeError(e)}`));
  process.on("unhandledRejection", (e) => say(`error: ${describeError(e)}`));
  // Keeps the event loop, and so PID 1, alive whatever happens below.
  setInterval(() => {}, 3_600_000);
  say(`cannot start the init: ${describeError(err)}`);
  if (process.env.TARBOOT_DEBUG_STACK && err instanceof Error && err.stack) say(err.stack);
  if (hasRescueShell()) {
    say("starting the rescue shell (without /proc, /sys or /dev mounted); leave it with 'exit'");
    try {
      await rescueShell();
    } catch (e) {
      say(`rescue shell: ${describeError(e)}`);
    }
  }
  say("the init cannot reboot without its native addon: waiting for a power cycle");
}
