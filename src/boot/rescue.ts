// The rescue shell: busybox from the initramfs, when `tarboot mkinitramfs --busybox` put one there.
import { accessSync, constants } from "node:fs";
import { describeError } from "../console/errors";
import { error, info } from "../console/log";
import { runProgram } from "./spawn";

const BUSYBOX = "/bin/busybox";
const SH = "/bin/sh";

export function hasRescueShell(): boolean {
  try {
    accessSync(SH, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs an interactive shell on the console and resolves when it exits. */
export async function rescueShell(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let hasBusybox = true;
  try {
    accessSync(BUSYBOX, constants.X_OK);
  } catch {
    hasBusybox = false;
  }
  // /dev/console cannot be a controlling tty; cttyhack finds the real one (ttyS0, tty1) so ^C works.
  if (hasBusybox) return runProgram(BUSYBOX, ["setsid", "cttyhack", SH], { env: { ...env, PS1: "(tarboot) # " } });
  return runProgram(SH, [], { env: { ...env, PS1: "(tarboot) # " } });
}

/** Says `intro` on the console and runs the shell; a shell that cannot start is reported, not thrown. */
export async function offerRescueShell(intro: string): Promise<void> {
  info(intro);
  try {
    await rescueShell();
  } catch (e) {
    error(`rescue shell: ${describeError(e)}`);
  }
}
