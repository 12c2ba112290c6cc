// Writes the network identity into the new root, and the lease into /run for the booted system.
// Nothing is ever written through a symlink of the root: an absolute link there points into the
// initramfs, not into the root. A symlinked /etc/resolv.conf (systemd-resolved's stub, resolvconf)
// is replaced by a file: the service that would fill its target is not running yet, so the link
// would leave the system without DNS until it is; and systemd-resolved reads a plain
// /etc/resolv.conf as the system's DNS servers. tarboot.keep-etc keeps the root's own files.
import { lstatSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { BootConfig } from "../cmdline/types";
import { hideCredentials } from "../console/redact";
import { debug, info, warn } from "../console/log";
import type { Lease } from "../net/lease";
import { identityFiles, leaseConf, netIfaceConf } from "./identity";

export interface IdentityResult {
  /** Paths inside the root (and in runDir) that were written. */
  written: string[];
  /** Paths inside the root that were left as the root has them (keep-etc, or not writable safely). */
  kept: string[];
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** Writes via a temporary file and rename(2), which replaces a symlink instead of following it. */
export function replaceFile(path: string, content: string, mode = 0o644): void {
  const tmp = `${path}.tarboot-new`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, content, { mode, flag: "wx" });
  renameSync(tmp, path);
}

/** Seconds since boot when the lease was bound, as ipconfig's UPTIME says. */
function uptimeAtBind(lease: Lease): number {
  try {
    const now = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    const age = lease.boundAt ? (Date.now() - lease.boundAt) / 1000 : 0;
    return Number.isFinite(now) ? now - Math.max(0, age) : 0;
  } catch {
    return 0;
  }
}

export function writeIdentity(root: string, lease: Lease | null, cfg: BootConfig, runDir: string): IdentityResult {
  const result: IdentityResult = { written: [], kept: [] };
  for (const file of identityFiles(lease, cfg)) {
    const target = join(root, file.path);
    const dir = dirname(target);
    const dirStat = lstatOrNull(dir);
    if (dirStat && !dirStat.isDirectory()) {
      warn(`${file.path} not written: ${dirname(file.path)} in the new root is not a directory`);
      result.kept.push(file.path);
      continue;
    }
    if (!dirStat) mkdirSync(dir, { recursive: true, mode: 0o755 });
    const existing = lstatOrNull(target);
    if (existing && cfg.keepEtc) {
      debug(`${file.path}: the root's own kept (tarboot.keep-etc)`);
      result.kept.push(file.path);
      continue;
    }
    if (existing?.isDirectory()) {
      warn(`${file.path} not written: it is a directory in the new root`);
      result.kept.push(file.path);
      continue;
    }
    if (existing?.isSymbolicLink())
      info(`${file.path}: replacing the root's symlink (-> ${readlinkSync(target)}) with a file; tarboot.keep-etc keeps it`);
    replaceFile(target, file.content);
    result.written.push(file.path);
  }

  if (lease) {
    mkdirSync(runDir, { recursive: true, mode: 0o755 });
    const conf = join(runDir, leaseConf(lease, cfg, 0).name);
    replaceFile(conf, netIfaceConf(lease, cfg, uptimeAtBind(lease)));
    result.written.push(conf);
    const json = join(runDir, "tarboot", "lease.json");
    mkdirSync(dirname(json), { recursive: true, mode: 0o755 });
    // A root path from DHCP may hold a URL's password: readable by every user of the root.
    replaceFile(json, hideCredentials(JSON.stringify(lease, null, 2)) + "\n");
    result.written.push(json);
  }
  debug(`identity: wrote ${result.written.join(", ") || "nothing"}${result.kept.length ? `; kept ${result.kept.join(", ")}` : ""}`);
  return result;
}
