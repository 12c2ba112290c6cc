// The new root: a tmpfs on /root, sized by rootsize= and moded by rootmode=. It allows suid,
// device nodes and exec, so a real distribution (sudo, ping, /dev nodes in the tarball) runs on it.
import { mkdirSync, readdirSync } from "node:fs";
import type { BootConfig } from "../cmdline/types";
import { BootError, describeError } from "../console/errors";
import { debug, warn } from "../console/log";
import { SysError } from "../sys/libc";
import { MNT_DETACH, mount, umount } from "../sys/mount";
import { deleteTree } from "./delete-tree";
import { isMountPoint } from "./mountpoint";

/** tmpfs mount data: `size=50%,mode=0755` or `size=4294967296,mode=0755`. */
export function tmpfsOptions(cfg: Pick<BootConfig, "rootSize" | "rootMode">): string {
  // tmpfs takes whole percents only, and size=0 would mean unlimited: never let rounding get there.
  const size = cfg.rootSize.kind === "percent" ? `${Math.max(1, Math.round(cfg.rootSize.percent))}%` : String(cfg.rootSize.bytes);
  return `size=${size},mode=${formatMode(cfg.rootMode)}`;
}

export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, "0");
}

/** Why a root mode will hurt the booted system, or null when it is fine. */
export function rootModeProblem(mode: number): string | null {
  if (mode & 0o022) return "a group- or world-writable / makes sshd refuse logins and systemd complain";
  if ((mode & 0o005) !== 0o005) return "a / that others cannot read and search breaks every service that drops root";
  return null;
}

export function mountRoot(target: string, cfg: BootConfig): void {
  const data = tmpfsOptions(cfg);
  mkdirSync(target, { recursive: true, mode: 0o755 });
  if (isMountPoint(target))
    throw new BootError("mount", `${target} is already a mount point (a premount hook?): tarboot mounts the root itself`);
  const problem = rootModeProblem(cfg.rootMode);
  if (problem) warn(`rootmode=${formatMode(cfg.rootMode)}: ${problem}`);
  try {
    // No MS_NOSUID, MS_NODEV or MS_NOEXEC: this is a whole system, not a scratch space.
    mount("tmpfs", target, "tmpfs", 0, data);
  } catch (err) {
    throw new BootError("mount", `cannot mount the root tmpfs on ${target} (${data}): ${describeError(err)}`, { cause: err });
  }
  debug(`root: tmpfs on ${target} (${data})`);
}

/**
 * Makes a half-built root unbootable after a layer failed (checksum, truncation, ENOSPC).
 * Unmounting, not deleting: it is instant whatever the size of the tree, gives all the RAM back
 * at once, and leaves nothing a later stage or the rescue shell could take for a root. A busy
 * mount (a shell with its cwd inside) is detached: gone from /root at once, freed when let go.
 */
export function wipeRoot(target: string): void {
  // Stacked mounts (a retry that mounted again) come off one by one.
  for (let i = 0; i < 16; i++) {
    let mounted: boolean;
    try {
      mounted = isMountPoint(target);
    } catch {
      return; // no such directory: nothing to wipe
    }
    if (!mounted) break;
    try {
      try {
        umount(target);
      } catch (err) {
        if (!(err instanceof SysError && err.code === "EBUSY")) throw err;
        umount(target, MNT_DETACH);
      }
    } catch (err) {
      throw new BootError("mount", `cannot unmount the failed root ${target}: ${describeError(err)}`, { cause: err });
    }
  }
  // Anything written into the bare directory (never mounted) goes too; other mounts stay.
  if (readdirSync(target).length > 0) deleteTree(target);
  debug(`root: ${target} wiped`);
}
