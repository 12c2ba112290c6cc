// Firmware the carried NIC drivers ask for (their modinfo `firmware=` lines), from the build
// host's /lib/firmware. bnx2, bnx2x, tg3, qed, ice, r8169 and others request theirs while the
// device probes, from the initramfs, long before the root exists: without it the NIC does not
// come up, or comes up crippled. What the host lacks is reported, not fatal: a driver in the
// default set is often for hardware the site does not have.
import { existsSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { sectionBytes } from "../elf";

/** `firmware=NAME` entries of a module's .modinfo section, in order (the module uncompressed). */
export function modinfoFirmware(ko: Buffer): string[] {
  const info = sectionBytes(ko, ".modinfo");
  if (!info) return [];
  const names: string[] = [];
  for (const entry of info.toString("latin1").split("\0")) {
    if (entry.startsWith("firmware=") && entry.length > 9 && !names.includes(entry.slice(9))) names.push(entry.slice(9));
  }
  return names;
}

export interface FirmwareFile {
  /** Path in the initramfs: /lib/firmware/NAME, with the suffix of a compressed file. */
  path: string;
  /** The host file (symlinks followed when the image is written). */
  source: string;
}

export interface FirmwarePlan {
  files: FirmwareFile[];
  /** Module -> the names of its firmware found nowhere in the directory. */
  missing: Map<string, string[]>;
}

/**
 * Finds each wanted name where the kernel's loader looks (updates/VERSION, updates, VERSION, then
 * the directory itself), uncompressed or as .zst or .xz, the first one found winning.
 */
export function findFirmware(wanted: ReadonlyMap<string, readonly string[]>, dir: string, kernelVersion: string): FirmwarePlan {
  const files = new Map<string, FirmwareFile>();
  const missing = new Map<string, string[]>();
  const places = [join(dir, "updates", kernelVersion), join(dir, "updates"), join(dir, kernelVersion), dir];
  for (const [module, names] of wanted) {
    for (const name of names) {
      if (name.startsWith("/") || posix.normalize(name).startsWith("..")) {
        throw new Error(`module ${module} asks for firmware '${name}', which is not a path under /lib/firmware`);
      }
      const found = findOne(places, name);
      if (found) files.set(found.path, found);
      else missing.set(module, [...(missing.get(module) ?? []), name]);
    }
  }
  return { files: [...files.values()], missing };
}

function findOne(places: string[], name: string): FirmwareFile | null {
  for (const suffix of ["", ".zst", ".xz"]) {
    for (const place of places) {
      const source = join(place, name + suffix);
      if (existsSync(source) && statSync(source).isFile()) return { path: `/lib/firmware/${name}${suffix}`, source };
    }
  }
  return null;
}
