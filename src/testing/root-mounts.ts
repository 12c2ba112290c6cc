// Mount helpers for the src/root tests (they run as root): tmpfs mounts that are always taken
// down again, even when a test fails halfway.
import { mkdirSync } from "node:fs";
import { MNT_DETACH, mount, umount } from "../sys/mount";

const mounted: string[] = [];

export function mountTmpfs(target: string, data = "mode=0755,size=64m"): string {
  mkdirSync(target, { recursive: true });
  mount("tmpfs", target, "tmpfs", 0, data);
  mounted.push(target);
  return target;
}

/** Detaches every mount made with mountTmpfs (and anything stacked on them), innermost first. */
export function unmountAll(): void {
  while (mounted.length > 0) {
    const target = mounted.pop() as string;
    for (let i = 0; i < 8; i++) {
      try {
        umount(target, MNT_DETACH);
      } catch {
        break;
      }
    }
  }
}

/** The /proc/self/mountinfo line of the mount at `target` (the last one, when stacked). */
export function mountInfo(target: string, text: string): { options: string[]; fstype: string; superOptions: string[] } | null {
  let found: { options: string[]; fstype: string; superOptions: string[] } | null = null;
  for (const line of text.split("\n")) {
    const [left, right] = line.split(" - ");
    if (!right) continue;
    const f = left.split(" ");
    if (f[4] !== target) continue;
    const r = right.split(" ");
    found = { options: f[5].split(","), fstype: r[0], superOptions: (r[2] ?? "").split(",") };
  }
  return found;
}
