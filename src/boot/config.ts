// Reads what the init is told: the kernel command line over the defaults baked into the initramfs.
import { readFileSync } from "node:fs";
import { parseBootConfig } from "../cmdline";
import type { BootConfig } from "../cmdline/types";

export const CMDLINE_PATH = "/proc/cmdline";
export const DEFAULTS_PATH = "/etc/tarboot.conf";

function readOptional(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** `kernelArgs`: what the kernel passed to /init itself; those are init's arguments, as it meant them.
 * latin1: the kernel splits bytes (0xA0 counts as a space), so must we. */
export function readBootConfig(kernelArgs: string[]): BootConfig {
  return parseBootConfig({ cmdline: readFileSync(CMDLINE_PATH, "latin1"), defaults: readOptional(DEFAULTS_PATH), argv: kernelArgs });
}
