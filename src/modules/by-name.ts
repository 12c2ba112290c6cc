// A module the boot asks for by name, with its dependencies: 8021q for vlan= is no device's
// driver, so coldplug never loads it, and the kernel's own request (RTM_NEWLINK of kind "vlan"
// asks for "rtnl-link-vlan") would run /sbin/modprobe, which the initramfs does not have.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BootError, describeError } from "../console/errors";
import { debug, info } from "../console/log";
import { loadedModules, readOptional } from "./coldplug";
import { loadOrder, parseModulesBuiltin, parseModulesDep, parseModulesSoftdep } from "./deps";
import { type LoadResult, loadModuleFile } from "./load";

export interface NamedModuleOptions {
  /** /lib/modules/$(uname -r) */
  modulesDir: string;
  /** Default "/proc/modules". */
  procModules?: string;
  /** Parameters for the named module itself (not its dependencies), e.g. "max_bonds=0". */
  params?: string;
  /** Loads one module file; default finit_module. */
  loadModule?: (file: string, name: string, params: string) => Promise<LoadResult>;
}

/**
 * Loads `name` and what it needs unless the kernel has it already (built in or loaded); returns
 * the modules loaded now. `why` names the parameter that needs it, for the messages. Fails with a
 * BootError naming the missing or failing module: the step that needs it cannot work without it.
 */
export async function loadModuleByName(name: string, why: string, opts: NamedModuleOptions): Promise<string[]> {
  const { modulesDir } = opts;
  const builtin = parseModulesBuiltin(readOptional(join(modulesDir, "modules.builtin")));
  const inKernel = loadedModules(opts.procModules ?? "/proc/modules");
  if (builtin.has(name) || inKernel.has(name)) {
    debug(`${name} (for ${why}): ${builtin.has(name) ? "built into the kernel" : "already loaded"}`);
    return [];
  }
  const deps = parseModulesDep(readOptional(join(modulesDir, "modules.dep")));
  const soft = parseModulesSoftdep(readOptional(join(modulesDir, "modules.softdep")));
  const loadModule = opts.loadModule ?? loadModuleFile;
  const loaded: string[] = [];
  for (const m of loadOrder(name, deps, soft)) {
    if (builtin.has(m) || inKernel.has(m)) continue;
    const needed = m === name ? "" : ` (needed by ${name})`;
    const file = deps.get(m)?.path;
    if (!file || !existsSync(join(modulesDir, file))) {
      throw new BootError(
        "network",
        `${why} needs the kernel module ${m}${needed}, which the initramfs does not carry (${modulesDir}); ` +
          `build it with tarboot mkinitramfs --net-drivers default,${name}`,
      );
    }
    try {
      await loadModule(join(modulesDir, file), m, m === name ? (opts.params ?? "") : "");
    } catch (err) {
      throw new BootError("network", `${why}: cannot load the kernel module ${m}${needed}: ${describeError(err)}`, { cause: err });
    }
    loaded.push(m);
  }
  const others = loaded.filter((m) => m !== name);
  info(`loaded ${name}${others.length > 0 ? ` (and ${others.join(", ")})` : ""} for ${why}`);
  return loaded;
}
