// The one way a boot ends badly. PID 1 must never exit (the kernel would panic): it says what
// went wrong, offers the rescue shell when there is one, otherwise waits `panic=` seconds and reboots.
import { BootError, describeError } from "../console/errors";
import { error, flushLogSinks, info } from "../console/log";
import { RB_AUTOBOOT, reboot } from "../sys/proc";
import { hasRescueShell, offerRescueShell } from "./rescue";

export const DEFAULT_PANIC_SECONDS = 30;

let failing = false;

export function failureLines(err: unknown): string[] {
  const stage = err instanceof BootError ? err.stage : "init";
  const lines = [`boot failed (stage ${stage}): ${describeError(err)}`];
  const many = (err as { errors?: unknown[] }).errors;
  if (Array.isArray(many) && many.length > 1) for (const e of many) lines.push(`  ${describeError(e)}`);
  return lines;
}

export async function failBoot(err: unknown, panicSeconds = DEFAULT_PANIC_SECONDS): Promise<never> {
  for (const line of failureLines(err)) error(line);
  if (process.env.TARBOOT_DEBUG_STACK && err instanceof Error && err.stack) error(err.stack);
  if (process.pid !== 1) process.exit(1);
  if (failing) return new Promise<never>(() => {}); // a second fault while handling the first: stay put
  failing = true;

  if (hasRescueShell()) {
    await offerRescueShell("starting the rescue shell; leave it with 'exit' to reboot");
    rebootNow();
  }
  if (panicSeconds === 0) {
    info("no rescue shell in the initramfs; waiting forever (panic=0)");
    return new Promise<never>(() => {});
  }
  if (panicSeconds < 0) {
    // As the kernel reads panic=-1: reboot at once.
    rebootNow();
    return new Promise<never>(() => {});
  }
  info(`no rescue shell in the initramfs; rebooting in ${panicSeconds}s (panic=${panicSeconds})`);
  await new Promise((r) => setTimeout(r, panicSeconds * 1000));
  rebootNow();
  return new Promise<never>(() => {});
}

function rebootNow(): void {
  info("rebooting");
  // The remote syslog's last lines (this one included) must have left before the machine resets.
  flushLogSinks();
  try {
    reboot(RB_AUTOBOOT);
  } catch (e) {
    error(`reboot failed: ${describeError(e)}; waiting forever`);
  }
}
