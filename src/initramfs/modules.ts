// Which kernel modules go into the initramfs, and the module index files that describe just them.
//
// The init only needs the network: a default set of common wired NIC drivers (virtual machines,
// clouds, the usual server and desktop chips) with their modules.dep closure. On top of the hard
// dependencies modules.dep lists, two kinds are added because a NIC does not work without them:
// the bus transport of a virtual NIC (virtio_net binds nothing without virtio_pci), and the
// softdeps and PHY drivers a MAC driver asks the kernel to load at probe time (r8169 needs realtek).
// Uncompressed module files (.ko) are stored zstd-compressed by default (installedModulePath): the
// kernel decompresses every byte of the initramfs at each boot, and ~22 MB of NIC drivers of which
// a boot loads a handful cost it ~0.5 s under emulation; the init decompresses the few it loads
// (or the kernel does, with CONFIG_MODULE_DECOMPRESS). Already compressed ones are copied as they are.
// The index files are read with the init's own parsers (src/modules), so the build host and the
// booted init agree on what they say.
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type AliasEntry, normalizeModuleName, parseModulesAlias } from "../modules/alias";
import { type ModuleInfo, type SoftDeps, moduleNameFromPath, parseModulesBuiltin, parseModulesDep, parseModulesSoftdep } from "../modules/deps";

export interface ModuleTree {
  /** Kernel release the tree is for (its directory name). */
  version: string;
  /** modules.dep by normalized module name, in its order. */
  modules: Map<string, ModuleInfo>;
  aliases: AliasEntry[];
  /** modules.softdep: module -> names to load before/after it. */
  softdeps: Map<string, SoftDeps>;
  /** Normalized names of modules built into the kernel. */
  builtin: Set<string>;
  /** The raw text of index files copied as they are (modules.builtin, modules.builtin.modinfo). */
  rawFiles: Map<string, Buffer>;
}

/** The common wired NICs: virtual machines and clouds first, then server and desktop chips. */
export const DEFAULT_NET_DRIVERS: readonly string[] = [
  "virtio_net", "e1000", "e1000e", "vmxnet3", "hv_netvsc", "xen-netfront", "ena", "gve",
  "igb", "igc", "ixgbe", "i40e", "ice", "r8169", "tg3", "bnx2", "bnx2x", "bnxt_en",
  "mlx4_en", "mlx5_core", "sfc", "be2net", "qede", "atlantic",
];

/**
 * Not drivers, but what the network parameters may need: 8021q for vlan= (with its dependencies
 * ~100 KiB compressed), bonding for bond= (with tls, ~160 KiB), bridge for bridge= (~140 KiB).
 * Part of `default` and `all`.
 */
export const DEFAULT_LINK_MODULES: readonly string[] = ["8021q", "bonding", "bridge"];

/** Directories whose modules `all` means: every wired Ethernet driver, USB adapters, PHYs. */
export const ALL_NET_DRIVER_DIRS: readonly string[] = [
  "kernel/drivers/net/ethernet/", "kernel/drivers/net/usb/", "kernel/drivers/net/phy/",
  "kernel/drivers/net/hyperv/", "kernel/drivers/net/vmxnet3/",
];

/** A virtual NIC's driver binds to a device its bus transport creates; without it, nothing probes. */
export const COMPANIONS: Readonly<Record<string, readonly string[]>> = {
  virtio_net: ["virtio_pci"],
};

function readOptional(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** The pure part of loading: a tree from the index files' contents (`dir` names them in errors). */
export function moduleTreeFrom(
  version: string,
  files: { dep: string; alias?: string; softdep?: string; builtin?: Buffer; builtinModinfo?: Buffer },
  dir?: string,
): ModuleTree {
  const rawFiles = new Map<string, Buffer>();
  if (files.builtin) rawFiles.set("modules.builtin", files.builtin);
  if (files.builtinModinfo) rawFiles.set("modules.builtin.modinfo", files.builtinModinfo);
  return {
    version,
    modules: parseModulesDep(files.dep, dir === undefined ? undefined : join(dir, "modules.dep")),
    aliases: parseModulesAlias(files.alias ?? ""),
    softdeps: parseModulesSoftdep(files.softdep ?? ""),
    builtin: parseModulesBuiltin(files.builtin?.toString("utf8") ?? ""),
    rawFiles,
  };
}

/** Reads a module tree (/lib/modules/VERSION); its modules.dep must exist (run depmod). */
export function loadModuleTree(dir: string): ModuleTree {
  const dep = readOptional(join(dir, "modules.dep"));
  if (dep === undefined) {
    throw new Error(`${dir}: no modules.dep (not a kernel module tree, or depmod has not been run: depmod -b ROOT VERSION)`);
  }
  return moduleTreeFrom(basename(dir), {
    dep: dep.toString("utf8"),
    alias: readOptional(join(dir, "modules.alias"))?.toString("utf8"),
    softdep: readOptional(join(dir, "modules.softdep"))?.toString("utf8"),
    builtin: readOptional(join(dir, "modules.builtin")),
    builtinModinfo: readOptional(join(dir, "modules.builtin.modinfo")),
  }, dir);
}

export interface NetDriverRequest {
  /** Names the caller insists on: missing ones are an error. */
  strict: string[];
  /** Names taken when the tree has them (the default set, `all`). */
  lenient: string[];
  /** Directory prefixes whose every module is wanted (`all`). */
  dirs: string[];
  /** `host`: the drivers of the build machine's own interfaces, strictly (hostNetDrivers). */
  host?: boolean;
}

/**
 * `--net-drivers`: comma-separated module names, where `default` stands for the default set,
 * `all` for every wired NIC and PHY driver of the tree and `host` for the drivers of this
 * machine's interfaces; e.g. `default,cxgb4`.
 */
export function parseNetDrivers(spec: string | undefined): NetDriverRequest {
  const req: NetDriverRequest = { strict: [], lenient: [], dirs: [] };
  const words = (spec ?? "default").split(",").map((w) => w.trim()).filter((w) => w !== "");
  if (words.length === 0) throw new Error(`--net-drivers '${spec}': empty; give module names, 'default', 'all' or 'host'`);
  for (const w of words) {
    if (w === "default") req.lenient.push(...DEFAULT_NET_DRIVERS, ...DEFAULT_LINK_MODULES);
    else if (w === "host") req.host = true;
    else if (w === "all") {
      req.lenient.push(...DEFAULT_NET_DRIVERS, ...DEFAULT_LINK_MODULES);
      req.dirs.push(...ALL_NET_DRIVER_DIRS);
    } else if (/^[A-Za-z0-9_-]+$/.test(w)) req.strict.push(w);
    else throw new Error(`--net-drivers: '${w}' is not a module name`);
  }
  return req;
}

export interface ModuleSelection {
  /** Module paths relative to the tree, in modules.dep order. */
  modules: string[];
  /** Requested names the kernel has built in: nothing to load, nothing to copy. */
  builtin: string[];
}

/** The module a name stands for: a module of the tree, or an alias of one (kmod treats '-' and '_' alike in both). */
function resolveName(tree: ModuleTree, name: string): string | undefined {
  const norm = normalizeModuleName(name);
  if (tree.modules.has(norm)) return norm;
  // softdeps may name an alias ("crypto-crc32c", "platform:idma64") instead of a module.
  const viaAlias = tree.aliases.find((a) => normalizeModuleName(a.pattern) === norm);
  return viaAlias && tree.modules.has(viaAlias.module) ? viaAlias.module : undefined;
}

/** The requested modules and everything they need, as paths in modules.dep order. */
export function selectModules(tree: ModuleTree, req: NetDriverRequest): ModuleSelection {
  const chosen = new Set<string>();
  const builtin = new Set<string>();
  const pending: string[] = [];
  const want = (name: string) => {
    if (!chosen.has(name)) {
      chosen.add(name);
      pending.push(name);
    }
  };
  const wantName = (name: string, strict: boolean) => {
    const module = resolveName(tree, name);
    if (module) want(module);
    else if (tree.builtin.has(normalizeModuleName(name))) builtin.add(name);
    else if (strict) throw new Error(`net driver '${name}' is not in the module tree for ${tree.version} (no ${name}.ko* in modules.dep, not built in)`);
  };
  for (const name of req.strict) wantName(name, true);
  for (const name of req.lenient) wantName(name, false);
  for (const m of tree.modules.values()) if (req.dirs.some((d) => m.path.startsWith(d))) want(m.name);

  const phyDrivers = new Set(tree.aliases.filter((a) => a.pattern.startsWith("mdio:")).map((a) => a.module));
  let addedPhys = false;
  while (pending.length > 0) {
    const name = pending.shift()!;
    const info = tree.modules.get(name)!;
    for (const dep of info.deps) {
      if (!tree.modules.has(dep)) throw new Error(`modules.dep for ${tree.version}: ${info.path} depends on ${dep}, which has no entry`);
      want(dep);
    }
    for (const c of COMPANIONS[name] ?? []) wantName(c, false);
    const soft = tree.softdeps.get(name);
    for (const s of [...(soft?.pre ?? []), ...(soft?.post ?? [])]) wantName(s, false);
    // phylib loads the PHY's driver by its mdio: alias when a MAC driver probes.
    if (name === "libphy" && !addedPhys) {
      addedPhys = true;
      for (const phy of phyDrivers) wantName(phy, false);
    }
  }
  return { modules: [...tree.modules.values()].filter((m) => chosen.has(m.name)).map((m) => m.path), builtin: [...builtin].sort() };
}

/** How a module file is stored: "zstd" compresses uncompressed .ko files; "none" copies every file. */
export type ModuleCompression = "zstd" | "none";

/** Where module file `rel` (relative to the module tree) goes in the image. */
export function installedModulePath(rel: string, compression: ModuleCompression): string {
  return compression === "zstd" && rel.endsWith(".ko") ? `${rel}.zst` : rel;
}

/**
 * The index files for the initramfs, relative to /lib/modules/VERSION/, describing only `modules`
 * (paths in the tree), with module paths as stored under `compression`.
 */
export function moduleIndexFiles(
  tree: ModuleTree,
  modules: readonly string[],
  compression: ModuleCompression = "none",
): Array<{ path: string; data: Buffer }> {
  const included = new Set(modules);
  const names = new Set(modules.map(moduleNameFromPath));
  const pathOf = (m: ModuleInfo, dep: string) => {
    const path = tree.modules.get(dep)?.path;
    if (path === undefined) throw new Error(`modules.dep for ${tree.version}: ${m.path} depends on ${dep}, which has no entry`);
    return installedModulePath(path, compression);
  };
  const dep = [...tree.modules.values()]
    .filter((m) => included.has(m.path))
    .map((m) => `${installedModulePath(m.path, compression)}:${m.deps.map((d) => ` ${pathOf(m, d)}`).join("")}\n`)
    .join("");
  const alias = tree.aliases.filter((a) => names.has(a.module)).map((a) => `alias ${a.pattern} ${a.module}\n`).join("");
  const softdep = [...tree.softdeps.entries()]
    .filter(([m]) => names.has(m))
    .map(([m, s]) => `softdep ${m}${s.pre.length ? ` pre: ${s.pre.join(" ")}` : ""}${s.post.length ? ` post: ${s.post.join(" ")}` : ""}\n`)
    .join("");
  const files: Array<{ path: string; data: Buffer }> = [
    { path: "modules.dep", data: Buffer.from(dep) },
    { path: "modules.alias", data: Buffer.from(`# Aliases extracted from modules themselves.\n${alias}`) },
    { path: "modules.softdep", data: Buffer.from(`# Soft dependencies extracted from modules themselves.\n${softdep}`) },
  ];
  for (const [path, data] of tree.rawFiles) files.push({ path, data });
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}
