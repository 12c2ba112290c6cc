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

/** `kernelArgs`: what the kernel passed to /init itself; those are init's arguments, as it meant them. */
export function readBootConfig(kernelArgs: string[]): BootConfig {
  return parseBootConfig({ cmdline: readFileSync(CMDLINE_PATH, "utf8"), defaults: readOptional(DEFAULTS_PATH), argv: kernelArgs });
}
