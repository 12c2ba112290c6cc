// Site hooks, as initramfs-tools has them: executables in /scripts/tarboot-STAGE/ of the
// initramfs, run in C-locale order at that stage with the lease in their environment. A hook
// that fails stops the boot: the site's expectations of the machine are not met.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { runProgram } from "../boot/spawn";
import { BootError, describeError } from "../console/errors";
import { debug, info } from "../console/log";

export { leaseEnv } from "./lease-env";

export type HookStage = "top" | "premount" | "bottom";

export const HOOKS_DIR = "/scripts";

/** Byte order, as `LC_ALL=C ls` sorts: 10-a before 9-b, Z before a. */
export function cLocaleSort(names: string[]): string[] {
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** Editor backups and dotfiles are never hooks, executable or not. */
export function isHookName(name: string): boolean {
  return !name.startsWith(".") && !name.endsWith("~") && !/\.dpkg-(old|new|dist|tmp)$/.test(name);
}

/** The hooks of a directory, in run order; a missing directory has none. */
export function listHooks(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const hooks: string[] = [];
  for (const name of cLocaleSort(names)) {
    const path = join(dir, name);
    if (!isHookName(name)) {
      debug(`hooks: ${path} skipped (not a hook name)`);
      continue;
    }
    let st;
    try {
      st = statSync(path);
    } catch {
      debug(`hooks: ${path} skipped (dangling link)`);
      continue;
    }
    if (!st.isFile()) debug(`hooks: ${path} skipped (not a file)`);
    else if ((st.mode & 0o111) === 0) debug(`hooks: ${path} skipped (not executable)`);
    else hooks.push(path);
  }
  return hooks;
}

/** Runs the stage's hooks one after the other; returns how many ran. */
/** `env` may be a function: it is then asked only when there are hooks to run (it may wait for the host name). */
export async function runHooks(
  stage: HookStage,
  env: Record<string, string> | (() => Promise<Record<string, string>>),
  dir = HOOKS_DIR,
): Promise<number> {
  const hooks = listHooks(join(dir, `tarboot-${stage}`));
  if (hooks.length === 0) return 0;
  const childEnv = { ...process.env, ...(typeof env === "function" ? await env() : env), TARBOOT_STAGE: stage };
  for (const hook of hooks) {
    info(`hook ${stage}: ${hook}`);
    let code: number;
    try {
      code = await runProgram(hook, [], { env: childEnv, cwd: "/" });
    } catch (err) {
      throw new BootError(stage, `site hook ${hook} could not be started: ${describeError(err)}`, { cause: err });
    }
    if (code !== 0) throw new BootError(stage, `site hook ${hook} failed with exit status ${code}`);
  }
  return hooks.length;
}
