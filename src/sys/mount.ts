import { check, libc } from "./libc";

const mount_ = libc.func("int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)");
const umount2_ = libc.func("int umount2(const char *target, int flags)");

export const MS_RDONLY = 1;
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
export const MS_NOEXEC = 8;
export const MS_MOVE = 8192;
export const MS_REC = 16384;
export const MNT_DETACH = 2;

export function mount(source: string, target: string, fstype: string | null, flags = 0, data: string | null = null): void {
  check(mount_(source, target, fstype, flags, data), "mount", `${fstype ?? "none"} on ${target}`);
}

/** Moves an existing mount to a new place (switch_root carries /dev, /proc, /sys, /run this way). */
export function moveMount(from: string, to: string): void {
  check(mount_(from, to, null, MS_MOVE, null), "mount --move", `${from} -> ${to}`);
}

export function umount(target: string, flags = 0): void {
  check(umount2_(target, flags), "umount2", target);
}
