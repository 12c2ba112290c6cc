// Tiny busybox roots for boot tests: small enough that a TCG boot stays quick.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const BUSYBOX = "/bin/busybox";

export interface RootSpec {
  /** Files to put in the root: path -> content (mode 0755 when `exec`). */
  files?: Record<string, string | { content: string; mode: number }>;
  /** Include busybox and its applet links. */
  busybox?: boolean;
  /** Symbolic links: path -> target. */
  symlinks?: Record<string, string>;
  /** The usual top-level directories (default true). An overlay layer for a merged-/usr root must
   * not carry /bin or /sbin: a directory entry replaces the root's symlink, as with tar -x. */
  skeleton?: boolean;
}

/** Writes a tree and packs it as GNU tar would for a real root, compressed with `compress`. */
export function makeRootTarball(out: string, spec: RootSpec, compress: "zstd" | "gzip" | "xz" | "bzip2" | "none" = "zstd"): string {
  const dir = mkdtempSync(join(tmpdir(), "tarboot-root-"));
  try {
    if (spec.skeleton !== false) {
      for (const d of ["bin", "sbin", "etc", "proc", "sys", "dev", "run", "tmp", "root"]) mkdirSync(join(dir, d), { recursive: true });
      chmodSync(join(dir, "tmp"), 0o1777);
    }
    if (spec.busybox) {
      copyFileSync(BUSYBOX, join(dir, "bin/busybox"));
      chmodSync(join(dir, "bin/busybox"), 0o755);
      for (const applet of ["sh", "cat", "echo", "ls", "mount", "poweroff", "hostname", "grep", "sed", "head", "sleep", "sync", "awk", "tr", "cut", "df", "free"])
        symlinkSync("busybox", join(dir, "bin", applet));
    }
    for (const [path, v] of Object.entries(spec.files ?? {})) {
      const file = join(dir, path);
      mkdirSync(dirname(file), { recursive: true });
      const { content, mode } = typeof v === "string" ? { content: v, mode: 0o644 } : v;
      writeFileSync(file, content);
      chmodSync(file, mode);
    }
    for (const [path, target] of Object.entries(spec.symlinks ?? {})) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      symlinkSync(target, join(dir, path));
    }
    const tarArgs = ["--numeric-owner", "--owner=0", "--group=0", "--sort=name", "--mtime=@1700000000", "-C", dir, "-cf", "-", "."];
    const tar = execFileSync("tar", tarArgs, { maxBuffer: 1 << 30 });
    const packed =
      compress === "none" ? tar : execFileSync(compress === "zstd" ? "zstd" : compress, compress === "zstd" ? ["-q", "-c", "-"] : ["-c"], { input: tar, maxBuffer: 1 << 30 });
    writeFileSync(out, packed);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A /sbin/init that prints one marker line with what the booted system sees, then powers off. */
export function markerInit(marker: string, extra = ""): { content: string; mode: number } {
  return {
    mode: 0o755,
    content: `#!/bin/sh
export PATH=/bin:/sbin
${extra}
boot=$(tr -d ' \\n' < /run/tarboot/boot.json 2>/dev/null)
freed=$(echo "$boot" | sed -n 's/.*"initramfs":{"files":[0-9]*,"dirs":[0-9]*,"bytes":\\([0-9]*\\).*/\\1/p')
echo "${marker} pid=$$ hostname=$(hostname) ns=$(grep -m1 '^nameserver' /etc/resolv.conf 2>/dev/null | sed 's/nameserver //') who=$(cat /etc/who 2>/dev/null) freed=$freed"
sync
poweroff -f
`,
  };
}
