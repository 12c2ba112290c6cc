// Errors for bad boot parameters. Each one names the parameter, shows the value as given and says
// what would have been accepted, because the person reading it is at a serial console with only
// the boot loader's editor to fix it.
import { BootError } from "../console/errors";

/** Where a parameter came from: the kernel command line, or the defaults baked into the initramfs. */
export type ParamSource = "cmdline" | "defaults";

/** The defaults file inside the initramfs, as named in messages. */
export const DEFAULTS_FILE = "/etc/tarboot.conf";

export interface CmdlineErrorDetails {
  /** The parameter name as written (`tarboot.keep_etc`, not a normalised form). */
  param: string;
  /** The value as given after quote removal; undefined when the parameter had no `=`. */
  value: string | undefined;
  /** What is wrong, in a few words ("not a size"). */
  problem: string;
  /** What the parameter accepts, with an example. */
  accepted: string;
  source: ParamSource;
}

/** Shows `param=value` as the user would type it, quoting values the kernel would otherwise split. */
export function showParam(param: string, value: string | undefined): string {
  if (value === undefined) return param;
  return /[\s"]/.test(value) ? `${param}="${value}"` : `${param}=${value}`;
}

/** One bad boot parameter. */
export class CmdlineError extends BootError {
  readonly param: string;
  readonly value: string | undefined;
  readonly problem: string;
  readonly accepted: string;
  readonly source: ParamSource;

  constructor(d: CmdlineErrorDetails) {
    const where = d.source === "defaults" ? ` (from ${DEFAULTS_FILE} in the initramfs)` : "";
    super("cmdline", `${showParam(d.param, d.value)}${where}: ${d.problem}; accepted: ${d.accepted}`);
    this.name = "CmdlineError";
    this.param = d.param;
    this.value = d.value;
    this.problem = d.problem;
    this.accepted = d.accepted;
    this.source = d.source;
  }
}

/** Every bad boot parameter at once, so one reboot can fix them all. */
export class CmdlineErrors extends BootError {
  readonly errors: readonly CmdlineError[];

  constructor(errors: readonly CmdlineError[]) {
    // The failure path prints `message`, then each of `errors` when there are several.
    super("cmdline", errors.length === 1 ? errors[0].message : `${errors.length} problems with the boot parameters`);
    this.name = "CmdlineErrors";
    this.errors = errors;
  }
}

/**
 * Thrown by the value parsers inside this module: only the problems, since the parameter, value
 * and accepted forms are added where the parameter is known.
 */
export class Invalid extends Error {
  readonly problems: string[];

  constructor(...problems: string[]) {
    super(problems.join("; "));
    this.name = "Invalid";
    this.problems = problems;
  }
}
