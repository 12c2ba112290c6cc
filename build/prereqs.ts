// System tools the build, demo and boot tests use, and the Debian packages that provide them.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export interface Tool {
  /** A command on PATH, or an absolute file. */
  check: string;
  pkg: string;
}

export const DEMO_TOOLS: Tool[] = [
  { check: "qemu-system-x86_64", pkg: "qemu-system-x86" },
  { check: "/bin/busybox", pkg: "busybox-static" },
  { check: "zstd", pkg: "zstd" },
  { check: "xz", pkg: "xz-utils" },
  { check: "strip", pkg: "binutils" },
  { check: "depmod", pkg: "kmod" },
  { check: "dpkg-deb", pkg: "dpkg" },
];

function present(check: string): boolean {
  if (check.startsWith("/")) return existsSync(check);
  try {
    execFileSync("sh", ["-c", `command -v ${check}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Installs what is missing with apt as root; otherwise says exactly what to install and throws. */
export function ensureTools(tools: Tool[]): void {
  const missing = tools.filter((t) => !present(t.check));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((t) => t.pkg))];
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${missing.map((t) => t.check).join(", ")}; install them with:\n  sudo apt-get install -y ${pkgs.join(" ")}`);
  }
  process.stderr.write(`tarboot: installing ${pkgs.join(" ")} with apt-get\n`);
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit" });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...pkgs], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}
