// Does the new root carry modules for the kernel that is running? A root built for another kernel
// (the PXE server's kernel upgraded, the root tarball not rebuilt) boots, but every driver the
// booted system asks for fails to load: no storage, no second NIC, no GPU, and udev's complaints
// deep in the journal. The console is where the operator looks, so the mismatch is said there.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { resolveInRoot } from "./resolve-in-root";

export type ModulesInRoot =
  /** /lib/modules/RELEASE with its modules.dep. */
  | { kind: "ok"; dir: string }
  /** /lib/modules/RELEASE without modules.dep: modprobe finds nothing until depmod runs. */
  | { kind: "no-depmod"; dir: string }
  /** Modules for other kernels only. */
  | { kind: "other"; releases: string[] }
  /** No /lib/modules at all (a monolithic kernel's root, or a minimal one). */
  | { kind: "none" };

/** What `root` (an unpacked root, merged-usr or not) holds for kernel `release`. */
export function modulesInRoot(root: string, release: string): ModulesInRoot {
  const base = resolveInRoot(root, "/lib/modules");
  if (base.missing || base.loop || !isDir(join(root, base.path))) return { kind: "none" };
  const own = resolveInRoot(root, `/lib/modules/${release}`);
  if (!own.missing && !own.loop && isDir(join(root, own.path))) {
    const dir = join(root, own.path);
    return existsSync(join(dir, "modules.dep")) ? { kind: "ok", dir: own.path } : { kind: "no-depmod", dir: own.path };
  }
  // Names only: a symlink here would point into the initramfs if followed now.
  const releases = readdirSync(join(root, base.path), { withFileTypes: true })
    .filter((d) => d.isDirectory() || d.isSymbolicLink())
    .map((d) => d.name)
    .sort();
  return releases.length === 0 ? { kind: "none" } : { kind: "other", releases };
}

/** The console line for a check's result, or null when there is nothing to say. */
export function modulesMessage(found: ModulesInRoot, release: string): { level: "info" | "warn"; text: string } | null {
  switch (found.kind) {
    case "ok":
      return null;
    case "no-depmod":
      return {
        level: "warn",
        text: `the new root has ${found.dir} but no modules.dep in it: modprobe will find none of its modules (run depmod ${release} when building the root)`,
      };
    case "other":
      return {
        level: "warn",
        text:
          `the new root has kernel modules for ${found.releases.join(", ")} but not for the running kernel ${release}: ` +
          `the drivers it loads will fail (publish this kernel's modules as a layer, e.g. root=...,http://srv/modules-%kernel.tar.zst)`,
      };
    case "none":
      return { level: "info", text: `the new root has no /lib/modules: the running kernel ${release} will have only its built-in drivers` };
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
