// Mount facts read with plain stat/statfs: enough for the few paths switch_root cares about.
import { statSync, statfsSync } from "node:fs";
import { join } from "node:path";

/** True when `path` is the root of a mount: its device differs from its parent's, or it is "/". */
export function isMountPoint(path: string): boolean {
  const self = statSync(path);
  const parent = statSync(join(path, ".."));
  return self.dev !== parent.dev || self.ino === parent.ino;
}

export const RAMFS_MAGIC = 0x858458f6;
export const TMPFS_MAGIC = 0x01021994;

const NAMES: Record<number, string> = {
  [RAMFS_MAGIC]: "ramfs",
  [TMPFS_MAGIC]: "tmpfs",
  0xef53: "ext4",
  0x58465342: "xfs",
  0x9123683e: "btrfs",
  0x794c7630: "overlayfs",
  0x6969: "nfs",
};

export function fsTypeName(type: number): string {
  return NAMES[type] ?? `filesystem type 0x${type.toString(16)}`;
}

/** The initramfs is ramfs (or tmpfs when the kernel chose it for rootfs): the only kind switch_root may empty. */
export function isRamBacked(path: string): { ok: boolean; type: string } {
  const type = Number(statfsSync(path).type);
  return { ok: type === RAMFS_MAGIC || type === TMPFS_MAGIC, type: fsTypeName(type) };
}
