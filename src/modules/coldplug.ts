// Driver coldplug for the boot NIC: match every driverless device's modalias against the
// modules the initramfs carries, load the matches (dependencies first), and repeat while loading
// makes new devices appear (virtio_pci first, then virtio_net for the virtio device it creates).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describeError } from "../console/errors";
import { debug, info, warn } from "../console/log";
import { AliasIndex, normalizeModuleName, parseModulesAlias } from "./alias";
import { loadOrder, parseModulesBuiltin, parseModulesDep, parseModulesSoftdep, type ModuleInfo } from "./deps";
import { describeDevice, scanDevices } from "./devices";
import { type LoadResult, loadModuleFile } from "./load";

export interface LoadedDriver {
  module: string;
  device: string;
}

export interface ColdplugOptions {
  /** /lib/modules/$(uname -r) */
  modulesDir: string;
  /** Default "/sys". */
  sysRoot?: string;
  /** Default "/proc/modules". */
  procModules?: string;
  /**
   * How long to keep looking for devices that appear after a load, default 500 ms. The wait ends
   * sooner once every PCI network controller seen has its interface in /sys/class/net.
   */
  settleMs?: number;
  /** Pause between looks at /sys while nothing is loaded, default 100 ms. */
  pollMs?: number;
  /** Loads one module file; default finit_module (tests drive the loop with their own). */
  loadModule?: (file: string, name: string) => Promise<LoadResult>;
}

/** A PCI network controller (base class 02): a NIC whose interface the network stage will want. */
export function isPciNic(modalias: string): boolean {
  return /^pci:.*bc02/.test(modalias);
}

/** Network interfaces other than loopback under `${sysRoot}/class/net`. */
export function countInterfaces(sysRoot: string): number {
  try {
    return readdirSync(join(sysRoot, "class/net")).filter((n) => n !== "lo").length;
  } catch {
    return 0;
  }
}

/** A file's text, or "" when it cannot be read (index files the image may not carry). */
export function readOptional(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Normalized names of the modules in the kernel now. */
export function loadedModules(procModules: string): Set<string> {
  const names = readOptional(procModules)
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter(Boolean);
  return new Set(names.map(normalizeModuleName));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function loadNetworkDrivers(opts: ColdplugOptions): Promise<LoadedDriver[]> {
  const { modulesDir } = opts;
  const sysRoot = opts.sysRoot ?? "/sys";
  const settleMs = opts.settleMs ?? 500;
  const pollMs = opts.pollMs ?? 100;
  const loadModule = opts.loadModule ?? loadModuleFile;
  if (!existsSync(join(modulesDir, "modules.alias")) || !existsSync(join(modulesDir, "modules.dep"))) {
    debug(`${modulesDir}: no modules.alias/modules.dep, no driver modules to load (built-in drivers need none)`);
    return [];
  }
  const started = Date.now();
  const deps = parseModulesDep(readOptional(join(modulesDir, "modules.dep")));
  const soft = parseModulesSoftdep(readOptional(join(modulesDir, "modules.softdep")));
  const builtin = parseModulesBuiltin(readOptional(join(modulesDir, "modules.builtin")));
  // Only modules the initramfs actually carries count: the index files may be the full kernel's.
  // Asked when a device matches, once per module: tarboot's own image lists only what it carries,
  // and walking the module tree up front cost ~0.15 s of the boot under emulation.
  const present = new Map<string, boolean>();
  const carried = (m: ModuleInfo) => {
    let p = present.get(m.path);
    if (p === undefined) present.set(m.path, (p = existsSync(join(modulesDir, m.path))));
    return p;
  };
  const index = new AliasIndex(
    parseModulesAlias(readOptional(join(modulesDir, "modules.alias")), (module) => deps.has(module) && !builtin.has(module)),
  );

  debug(`${modulesDir}: module index read in ${Date.now() - started} ms`);
  const inKernel = loadedModules(opts.procModules ?? "/proc/modules");
  const failed = new Set<string>();
  const handled = new Set<string>();
  const results: LoadedDriver[] = [];

  const ensure = async (module: string, device: string): Promise<boolean> => {
    for (const m of loadOrder(module, deps, soft)) {
      if (inKernel.has(m) || builtin.has(m)) continue;
      if (failed.has(m)) return false;
      const info = deps.get(m);
      if (!info || !carried(info)) {
        warn(`cannot load ${module} for ${device}: it needs ${m}, which the initramfs does not carry`);
        failed.add(m);
        return false;
      }
      try {
        const t = Date.now();
        const r = await loadModule(join(modulesDir, info.path), m);
        debug(`${m}: ${r === "loaded" ? `loaded in ${Date.now() - t} ms` : "was already loaded"}${m === module ? "" : ` (needed by ${module})`}`);
      } catch (err) {
        warn(`cannot load ${m}${m === module ? "" : ` (needed by ${module})`} for ${device}: ${describeError(err)}`);
        failed.add(m);
        return false;
      }
      inKernel.add(m);
    }
    return true;
  };

  // One pass loads what the devices present now need; passes repeat while that makes new devices
  // appear, and for `settleMs` after the last load for devices a driver registers a little later,
  // unless every NIC seen has its interface already (the boot waits for nothing else).
  let lastLoad = 0;
  let nics = 0;
  for (;;) {
    let loadedNow = false;
    const scanStart = Date.now();
    const found = scanDevices(sysRoot, handled);
    if (found.length > 0) debug(`${found.length} new device(s) in /sys, listed in ${Date.now() - scanStart} ms`);
    for (const dev of found) {
      handled.add(dev.key);
      if (isPciNic(dev.modalias)) nics++;
      const modules = index.match(dev.modalias).filter((m) => carried(deps.get(m)!));
      // Bound (built-in driver, or loaded earlier): asked only of devices a carried module drives.
      if (modules.length === 0 || dev.bound) continue;
      const device = describeDevice(dev.path);
      for (const module of modules) {
        const was = inKernel.has(module);
        if (!(await ensure(module, device))) continue;
        results.push({ module, device });
        if (!was) {
          info(`loaded ${module} for ${device}`);
          loadedNow = true;
        } else {
          debug(`${module} (already loaded) for ${device}`);
        }
      }
    }
    if (loadedNow) lastLoad = Date.now();
    else if (lastLoad === 0 || Date.now() - lastLoad >= settleMs) break;
    else if (found.length === 0 && nics > 0 && countInterfaces(sysRoot) >= nics) {
      debug(`every network controller has its interface: not waiting for more devices`);
      break;
    }
    // A driver's devices usually exist when finit_module returns (virtio_pci's virtio0): look again
    // at once after a load; wait only when nothing was loaded.
    if (!loadedNow) await sleep(pollMs);
  }
  debug(`driver coldplug done in ${Date.now() - started} ms`);
  return results;
}
