// Reads what the init is told: the kernel command line over the defaults baked into the initramfs.
import { readFileSync } from "node:fs";
import { parseBootConfig, tokenizeCmdline, tokenizeDefaults } from "../cmdline";
import type { BootConfig } from "../cmdline/types";
import { BootError } from "../console/errors";

export const CMDLINE_PATH = "/proc/cmdline";
export const DEFAULTS_PATH = "/etc/tarboot.conf";

/** The file's text; "" when there is none. One that exists but cannot be read is an error: its defaults were meant. */
export function readOptional(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw new BootError("cmdline", `${path}: cannot read the baked-in parameters: ${(err as Error).message}`);
  }
}

function readInputs(): { cmdline: string; defaults: string } {
  return { cmdline: readFileSync(CMDLINE_PATH, "latin1"), defaults: readOptional(DEFAULTS_PATH) };
}

/**
 * `panic=` alone, for when the rest of the command line does not parse: the operator's choice of
 * how a failed boot ends must hold for that failure too. Parsed by the same grammar; undefined
 * when it is absent or itself malformed.
 */
export function salvagePanic(input: { cmdline: string; defaults?: string }): number | undefined {
  const given = [...tokenizeDefaults(input.defaults ?? "").params, ...tokenizeCmdline(input.cmdline).params].filter((p) => p.name === "panic");
  const last = given.at(-1);
  if (last?.value === undefined) return undefined;
  try {
    return parseBootConfig({ cmdline: `panic=${last.value}`, argv: [] }).panic;
  } catch {
    return undefined;
  }
}

export function readPanicOnly(): number | undefined {
  try {
    return salvagePanic(readInputs());
  } catch {
    return undefined;
  }
}

/** `kernelArgs`: what the kernel passed to /init itself; those are init's arguments, as it meant them.
 * latin1: the kernel splits bytes (0xA0 counts as a space), so must we. */
export function readBootConfig(kernelArgs: string[]): BootConfig {
  return parseBootConfig({ ...readInputs(), argv: kernelArgs });
}
