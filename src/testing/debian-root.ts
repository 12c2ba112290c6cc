// A real Debian root as a tarball, for the extractor's zero-difference test, its benchmark and
// the QEMU boot test: debootstrap minbase (bookworm, with systemd-sysv, iputils-ping and
// libcap2-bin) archived by GNU tar with xattrs and numeric owners. Built once, cached under
// build/cache/debian-root/, safe when several test processes ask at once. Needs root,
// debootstrap, GNU tar, libcap2-bin (setcap/getcap) and the Debian mirror apt uses here.
import { execFile } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, renameSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { ROOT } from "../../build/paths.mjs";

const run = promisify(execFile);

export const DEBIAN_ROOT_DIR = join(ROOT, "build", "cache", "debian-root");
export const DEBIAN_ROOT_TARBALL = join(DEBIAN_ROOT_DIR, "root.tar");
export const DEBIAN_SUITE = "bookworm";
export const DEBIAN_PACKAGES = ["systemd-sysv", "iputils-ping", "libcap2-bin"];

/** The Debian mirror this machine's apt uses for `suite` (deb822 .sources or one-line .list files). */
export function aptMirror(suite = DEBIAN_SUITE): string {
  const files: string[] = [];
  if (existsSync("/etc/apt/sources.list")) files.push("/etc/apt/sources.list");
  if (existsSync("/etc/apt/sources.list.d")) {
    for (const f of readdirSync("/etc/apt/sources.list.d").sort()) {
      if (f.endsWith(".list") || f.endsWith(".sources")) files.push(join("/etc/apt/sources.list.d", f));
    }
  }
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    if (file.endsWith(".sources")) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, "mi").exec(stanza)?.[1].trim().split(/\s+/) ?? [];
        if (!field("Types").includes("deb") || !field("Suites").includes(suite)) continue;
        const uri = field("URIs")[0];
        if (uri) return uri;
      }
    } else {
      for (const line of text.split("\n")) {
        const m = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
        if (m && m[2] === suite) return m[1];
      }
    }
  }
  throw new Error(`no apt source for Debian ${suite} in /etc/apt/sources.list or /etc/apt/sources.list.d/`);
}

/** Path of the cached root tarball, building it first if needed (several minutes, once). */
export async function ensureDebianRootTarball(): Promise<string> {
  if (existsSync(DEBIAN_ROOT_TARBALL)) return DEBIAN_ROOT_TARBALL;
  mkdirSync(DEBIAN_ROOT_DIR, { recursive: true });
  await withLock(join(DEBIAN_ROOT_DIR, "build.lock"), async () => {
    if (existsSync(DEBIAN_ROOT_TARBALL)) return;
    // Outside the repository: test runners crawl build/ for test files, and a debootstrap target
    // has /proc mounted in it for a while.
    const work = mkdtempSync(join(tmpdir(), "tarboot-debian-root-"));
    const rootfs = join(work, "rootfs");
    const debs = join(DEBIAN_ROOT_DIR, "debs");
    mkdirSync(rootfs, { recursive: true });
    mkdirSync(debs, { recursive: true });
    try {
      await run(
        "debootstrap",
        ["--variant=minbase", `--include=${DEBIAN_PACKAGES.join(",")}`, `--cache-dir=${debs}`, DEBIAN_SUITE, rootfs, aptMirror()],
        { maxBuffer: 64 << 20 },
      );
      const ping = join(rootfs, "usr/bin/ping");
      const caps = (await run("getcap", [ping])).stdout;
      if (!caps.includes("cap_net_raw")) await run("setcap", ["cap_net_raw+ep", ping]);
      const tmpTar = `${DEBIAN_ROOT_TARBALL}.${process.pid}.tmp`;
      await run("tar", ["--xattrs", "--xattrs-include=*", "--numeric-owner", "-cpf", tmpTar, "-C", rootfs, "."], { maxBuffer: 64 << 20 });
      renameSync(tmpTar, DEBIAN_ROOT_TARBALL);
    } catch (e) {
      rmSync(`${DEBIAN_ROOT_TARBALL}.${process.pid}.tmp`, { force: true });
      throw e;
    } finally {
      await unmountBelow(work);
      rmSync(work, { recursive: true, force: true });
    }
  });
  return DEBIAN_ROOT_TARBALL;
}

/** The root tarball compressed with `kind` (cached beside it); xz is multi-threaded, so multi-block. */
export async function ensureDebianRootCompressed(kind: "gzip" | "zstd" | "xz"): Promise<string> {
  const tar = await ensureDebianRootTarball();
  const ext = { gzip: "gz", zstd: "zst", xz: "xz" }[kind];
  const out = `${tar}.${ext}`;
  if (existsSync(out)) return out;
  await withLock(join(DEBIAN_ROOT_DIR, `${ext}.lock`), async () => {
    if (existsSync(out)) return;
    const tmp = `${out}.${process.pid}.tmp`;
    const args = { gzip: ["gzip", "-6"], zstd: ["zstd", "-q", "-T2", "-10"], xz: ["xz", "-T2", "-6"] }[kind];
    await run("bash", ["-c", `${args.join(" ")} -c -- "$1" > "$2"`, "sh", tar, tmp]);
    renameSync(tmp, out);
  });
  return out;
}

/** A failed debootstrap can leave proc/sys mounted in its target: never recurse into those. */
async function unmountBelow(dir: string): Promise<void> {
  const mounts = readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1])
    .filter((m) => m !== undefined && m.startsWith(dir + "/"))
    .sort()
    .reverse();
  for (const m of mounts) await run("umount", ["-l", m]).catch(() => undefined);
}

/** Runs `fn` holding an exclusive lock file; a lock whose process is gone is taken over. */
async function withLock(path: string, fn: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let pid = 0;
      try {
        pid = Number(readFileSync(path, "utf8"));
      } catch {
        continue;
      }
      if (pid > 0 && !alive(pid)) {
        try {
          unlinkSync(path);
        } catch {
          // Someone else took it over first.
        }
        continue;
      }
      await sleep(2000);
    }
  }
  try {
    await fn();
  } finally {
    unlinkSync(path);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
