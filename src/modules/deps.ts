// modules.dep, modules.softdep and modules.builtin: what must be in the kernel before a module
// can load, and in which order. Read by the init at boot and by mkinitramfs on the build host.
import { normalizeModuleName } from "./alias";

export interface ModuleInfo {
  name: string;
  /** Path relative to the modules directory, e.g. kernel/drivers/net/virtio_net.ko(.xz). */
  path: string;
  /** Direct and indirect dependencies as depmod listed them (names). */
  deps: string[];
}

/** How a module file is compressed, from its name (kmod's convention), null for a plain .ko. */
export function moduleFileCompression(path: string): "xz" | "zstd" | "gzip" | null {
  if (path.endsWith(".ko.xz")) return "xz";
  if (path.endsWith(".ko.zst")) return "zstd";
  if (path.endsWith(".ko.gz")) return "gzip";
  return null;
}

export function moduleNameFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const ko = base.lastIndexOf(".ko");
  const name = ko > 0 ? base.slice(0, ko) : base;
  return name.includes("-") ? normalizeModuleName(name) : name;
}

/**
 * Reads `path: dep-path dep-path ...` lines, in file order (depmod lists each module's whole
 * closure, deepest last). Blank lines and '#' comments are skipped; any other line without a
 * `module:` is an error naming `file` and the line. Hand-rolled for speed, see parseModulesAlias.
 */
export function parseModulesDep(text: string, file = "modules.dep"): Map<string, ModuleInfo> {
  const out = new Map<string, ModuleInfo>();
  let pos = 0;
  let lineNo = 0;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(pos, end);
    pos = end + 1;
    const colon = line.indexOf(":");
    const path = colon < 0 ? "" : line.slice(0, colon).trim();
    if (path === "") {
      const bare = line.trim();
      if (bare === "" || bare.startsWith("#")) continue;
      throw new Error(`${file} line ${lineNo}: no 'module:' in '${line}'`);
    }
    if (path.startsWith("#")) continue;
    const rest = line.slice(colon + 1).trim();
    const deps = rest === "" ? [] : rest.split(/\s+/).map(moduleNameFromPath);
    const name = moduleNameFromPath(path);
    out.set(name, { name, path, deps });
  }
  return out;
}

/** modules.builtin: one path per module built into the kernel, as names. */
export function parseModulesBuiltin(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split("\n")) {
    const path = line.trim();
    if (path !== "" && !path.startsWith("#")) out.add(moduleNameFromPath(path));
  }
  return out;
}

export interface SoftDeps {
  pre: string[];
  post: string[];
}

/**
 * `softdep mod pre: a b post: c` lines (as depmod copies them from the modules' MODULE_SOFTDEP),
 * names normalized. As in kmod, names before any `pre:`/`post:` belong to neither list; unlike
 * kmod, which takes only a module's first line, the lines of one module add up (depmod writes one
 * line per MODULE_SOFTDEP, and a module may have several).
 */
export function parseModulesSoftdep(text: string): Map<string, SoftDeps> {
  const out = new Map<string, SoftDeps>();
  for (const line of text.split("\n")) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== "softdep" || words.length < 3) continue;
    const name = normalizeModuleName(words[1]);
    const entry: SoftDeps = out.get(name) ?? { pre: [], post: [] };
    let list: string[] | null = null;
    for (const w of words.slice(2)) {
      if (w === "pre:") list = entry.pre;
      else if (w === "post:") list = entry.post;
      else if (list) list.push(normalizeModuleName(w));
    }
    out.set(name, entry);
  }
  return out;
}

/**
 * Modules to load for `name`, dependencies first, each once. depmod lists the full closure with
 * the deepest dependency last; walking each dependency's own list makes the order correct even
 * for a hand-edited modules.dep. Unknown names (built in, or not carried) are left out.
 */
export function loadOrder(name: string, deps: Map<string, ModuleInfo>, soft?: Map<string, SoftDeps>): string[] {
  const order: string[] = [];
  const visiting = new Set<string>();
  const visit = (n: string, optional: boolean) => {
    if (order.includes(n) || visiting.has(n)) return;
    const info = deps.get(n);
    if (!info) {
      if (!optional) order.push(n); // the caller reports it as missing
      return;
    }
    visiting.add(n);
    for (const s of soft?.get(n)?.pre ?? []) visit(s, true);
    for (const d of [...info.deps].reverse()) visit(d, false);
    order.push(n);
    visiting.delete(n);
    for (const s of soft?.get(n)?.post ?? []) visit(s, true);
  };
  visit(name, false);
  return order;
}
