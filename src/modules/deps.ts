// modules.dep and modules.softdep: what must be in the kernel before a module can load, and
// in which order.
import { normalizeModuleName } from "./alias";

export interface ModuleInfo {
  name: string;
  /** Path relative to the modules directory, e.g. kernel/drivers/net/virtio_net.ko(.xz). */
  path: string;
  /** Direct and indirect dependencies as depmod listed them (names). */
  deps: string[];
}

export function moduleNameFromPath(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const ko = base.lastIndexOf(".ko");
  const name = ko > 0 ? base.slice(0, ko) : base;
  return name.includes("-") ? normalizeModuleName(name) : name;
}

/** Reads `path: dep-path dep-path ...` lines (hand-rolled for speed, see parseModulesAlias). */
export function parseModulesDep(text: string): Map<string, ModuleInfo> {
  const out = new Map<string, ModuleInfo>();
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const colon = text.indexOf(":", pos);
    if (colon > pos && colon < end) {
      const path = text.slice(pos, colon).trim();
      const rest = text.slice(colon + 1, end).trim();
      const deps = rest === "" ? [] : rest.split(" ").filter((w) => w !== "").map(moduleNameFromPath);
      const name = moduleNameFromPath(path);
      out.set(name, { name, path, deps });
    }
    pos = end + 1;
  }
  return out;
}

export interface SoftDeps {
  pre: string[];
  post: string[];
}

/** `softdep mod pre: a b post: c` lines (as depmod copies them from the modules' MODULE_SOFTDEP). */
export function parseModulesSoftdep(text: string): Map<string, SoftDeps> {
  const out = new Map<string, SoftDeps>();
  for (const line of text.split("\n")) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== "softdep" || words.length < 3) continue;
    const entry: SoftDeps = { pre: [], post: [] };
    let list: string[] | null = null;
    for (const w of words.slice(2)) {
      if (w === "pre:") list = entry.pre;
      else if (w === "post:") list = entry.post;
      else if (list) list.push(normalizeModuleName(w));
    }
    out.set(normalizeModuleName(words[1]), entry);
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
