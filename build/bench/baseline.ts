// Builds the baseline initramfs (see baseline-init.ts) with tarboot's own cpio writer: busybox
// from busybox-static, zstd with its shared libraries (busybox has no zstd decoder), the NIC
// driver modules from the kernel's tree, compressed by the same code as tarboot's image.
import { execFileSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeCompressed } from "../../src/initramfs/compress";
import { type CpioEntry, writeCpio } from "../../src/initramfs/cpio";
import { resolveLibraries } from "../../src/initramfs/libs";
import type { DebianKernel } from "../../src/initramfs/debian-kernel";
import { loadOrder, parseModulesDep, parseModulesSoftdep } from "../../src/modules/deps";
import { UDHCPC_SCRIPT, baselineInit } from "./baseline-init";

export const BUSYBOX = "/bin/busybox";
export const ZSTD = "/usr/bin/zstd";
/** The NIC of the benchmark VMs and its bus transport. */
const DRIVERS = ["virtio_pci", "virtio_net"];

export interface BaselineImage {
  path: string;
  compressedBytes: number;
  /** The cpio archive's size: what the kernel unpacks into RAM (and keeps until switch_root). */
  cpioBytes: number;
  modules: string[];
}

function hostFile(path: string, source: string, mode = 0o755): CpioEntry {
  return { type: "file", path, mode, source, size: statSync(source).size };
}

/** Module files (relative to the tree) for the benchmark NIC, dependencies first. */
export function nicModules(modulesDir: string): string[] {
  const deps = parseModulesDep(readFileSync(join(modulesDir, "modules.dep"), "utf8"));
  let soft;
  try {
    soft = parseModulesSoftdep(readFileSync(join(modulesDir, "modules.softdep"), "utf8"));
  } catch {
    soft = undefined;
  }
  const names: string[] = [];
  for (const d of DRIVERS) for (const n of loadOrder(d, deps, soft)) if (!names.includes(n)) names.push(n);
  return names.map((n) => {
    const info = deps.get(n);
    if (!info) throw new Error(`${modulesDir}/modules.dep: no module ${n} (needed for ${DRIVERS.join(", ")})`);
    if (!info.path.endsWith(".ko")) throw new Error(`${info.path}: busybox insmod needs an uncompressed .ko`);
    return info.path;
  });
}

export function baselineEntries(kernel: DebianKernel): { entries: CpioEntry[]; modules: string[] } {
  const applets = listApplets();
  const modules = nicModules(kernel.modulesDir);
  const entries: CpioEntry[] = [
    { type: "dir", path: "dev", mode: 0o755 },
    { type: "chardev", path: "dev/console", mode: 0o600, major: 5, minor: 1 },
    { type: "chardev", path: "dev/null", mode: 0o666, major: 1, minor: 3 },
    { type: "dir", path: "proc", mode: 0o755 },
    { type: "dir", path: "sys", mode: 0o755 },
    { type: "dir", path: "root", mode: 0o755 },
    { type: "dir", path: "tmp", mode: 0o1777 },
    { type: "dir", path: "etc", mode: 0o755 },
    { type: "file", path: "init", mode: 0o755, data: Buffer.from(baselineInit(kernel.version, modules)) },
    { type: "file", path: "etc/udhcpc.script", mode: 0o755, data: Buffer.from(UDHCPC_SCRIPT) },
    hostFile("bin/busybox", BUSYBOX),
    ...applets.filter((a) => a !== "busybox").map((a): CpioEntry => ({ type: "symlink", path: `bin/${a}`, target: "busybox" })),
    hostFile("usr/bin/zstd", ZSTD),
    ...resolveLibraries([ZSTD]).files.map((f) => hostFile(f.path, f.source)),
    ...modules.map((m) => hostFile(`lib/modules/${kernel.version}/${m}`, join(kernel.modulesDir, m), 0o644)),
  ];
  return { entries, modules };
}

/** Every applet as a /bin link, as `busybox --install -s` would make them at boot. */
function listApplets(): string[] {
  return execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" })
    .split("\n")
    .filter((a) => /^[a-z0-9_.-]+$/i.test(a));
}

/** The image, compressed exactly as tarboot's own (zstd -19 through writeCompressed). */
export async function buildBaseline(kernel: DebianKernel, out: string): Promise<BaselineImage> {
  const { entries, modules } = baselineEntries(kernel);
  const r = await writeCompressed(writeCpio(entries, { mtime: 0 }), "zstd", out);
  return { path: out, compressedBytes: r.compressedBytes, cpioBytes: r.unpackedBytes, modules };
}
