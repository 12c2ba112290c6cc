// switch_root done right: check the new init first (a failed exec cannot be caught), carry /dev,
// /proc, /sys and /run into the new root, empty the initramfs so its RAM comes back, make the
// new root "/", and exec init in this same PID 1 with the console still on fds 0-2.
import { lstatSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BootError, describeError } from "../console/errors";
import { debug, info, warn } from "../console/log";
import { moveMount } from "../sys/mount";
import { chroot } from "../sys/proc";
import { resetForExec } from "../sys/root-exec";
import { checkInit } from "./check-init";
import { type DeleteResult, deleteTree } from "./delete-tree";
import { freedMiB, memAvailableKiB } from "./meminfo";
import { isMountPoint, isRamBacked } from "./mountpoint";
import { formatBytes } from "../console/units";
import { type Timeline, writeTimeline } from "./timeline";

export { checkInit } from "./check-init";

export const DEFAULT_MOVE_MOUNTS = ["/dev", "/proc", "/sys", "/run"];

export interface SwitchRootOptions {
  newRoot: string;
  /** Path of init inside the new root. */
  init: string;
  /** Arguments the kernel left for init (argv[1..]). */
  args: string[];
  /** The initramfs; "/" for PID 1. */
  oldRoot?: string;
  /** Mounts carried over, as paths under oldRoot; default /dev, /proc, /sys, /run. */
  moveMounts?: string[];
  /** init's environment: the kernel's, as PID 1 got it. Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Gets the stage switch_root and the initramfs facts. */
  timeline?: Timeline;
  /** Called after the chroot, so "/run" is the booted system's; default: boot.json into /run/tarboot. */
  writeTimeline?: () => void;
}

export interface Emptied {
  deleted: DeleteResult;
  /** MemAvailable gained, in MiB (the running tarboot image itself comes back only at exec). */
  freedMiB: number | null;
}

function memAvailable(procDir: string): number | null {
  try {
    return memAvailableKiB(readFileSync(join(procDir, "meminfo"), "utf8"));
  } catch {
    return null;
  }
}

/**
 * Moves each mount into the new root, creating its directory there. A path that is not a mount is
 * skipped. On failure the mounts already moved go back, so the failure path still has its /dev.
 */
export function moveMountsInto(newRoot: string, mounts: string[], oldRoot = "/"): string[] {
  const moved: string[] = [];
  for (const m of mounts) {
    const from = join(oldRoot, m);
    const to = join(newRoot, m);
    let mounted = false;
    try {
      mounted = isMountPoint(from);
    } catch {
      // no such directory
    }
    if (!mounted) {
      debug(`switch_root: ${from} is not mounted; not moved`);
      continue;
    }
    try {
      const st = lstatSync(to, { throwIfNoEntry: false });
      // mount(2) follows a symlink, and an absolute one would lead out of the new root.
      if (st?.isSymbolicLink()) {
        warn(`switch_root: ${m} is a symlink in the new root; ${from} not moved`);
        continue;
      }
      if (!st) mkdirSync(to, { recursive: true, mode: 0o755 });
      moveMount(from, to);
      moved.push(m);
    } catch (err) {
      for (const back of moved.reverse()) {
        try {
          moveMount(join(newRoot, back), join(oldRoot, back));
        } catch (e) {
          warn(`switch_root: cannot move ${back} back: ${describeError(e)}`);
        }
      }
      throw new BootError("init", `switch_root: cannot move ${from} into ${newRoot}: ${describeError(err)}`, { cause: err });
    }
  }
  return moved;
}

export function switchRoot(opts: SwitchRootOptions): never {
  const { newRoot, init, args } = opts;
  const oldRoot = opts.oldRoot ?? "/";
  const t = opts.timeline;
  t?.start("switch_root");

  // Everything that can refuse does so here, while the initramfs and its rescue shell still exist.
  let before: number | null;
  let moved: string[];
  try {
    if (typeof process.execve !== "function") throw new BootError("init", `switch_root: this Node has no process.execve (${process.version})`);
    checkInit(newRoot, init);
    const kind = isRamBacked(oldRoot);
    if (!kind.ok) throw new BootError("init", `switch_root: ${oldRoot} is ${kind.type}, not an initramfs (ramfs or tmpfs): refusing to empty it`);
    if (!isMountPoint(newRoot)) throw new BootError("init", `switch_root: ${newRoot} is not a mount point: the root was never mounted there`);
    before = memAvailable(join(oldRoot, "proc"));
    moved = moveMountsInto(newRoot, opts.moveMounts ?? DEFAULT_MOVE_MOUNTS, oldRoot);
  } catch (err) {
    t?.end("switch_root", { failed: true });
    throw err;
  }
  debug(`switch_root: moved ${moved.join(", ") || "nothing"} into ${newRoot}`);

  // From here on there is no way back: the initramfs goes.
  const deleted = deleteTree(oldRoot, { skip: newRoot });
  const after = memAvailable(moved.includes("/proc") ? join(newRoot, "proc") : join(oldRoot, "proc"));
  const freed = freedMiB(before, after);
  info(
    `initramfs emptied: ${deleted.files} files, ${formatBytes(deleted.bytes)}` +
      ` (MemAvailable +${freed ?? "?"} MiB; tarboot's own image is freed when ${init} starts)`,
  );
  t?.addFacts({ freedMiB: freed, initramfs: { files: deleted.files, dirs: deleted.dirs, bytes: deleted.bytes, errors: deleted.errors } });
  t?.end("switch_root");

  try {
    process.chdir(newRoot);
    moveMount(".", oldRoot);
    chroot(".");
    process.chdir("/");
  } catch (err) {
    throw new BootError("init", `switch_root into ${newRoot}: ${describeError(err)}`, { cause: err });
  }

  t?.finish();
  try {
    if (opts.writeTimeline) opts.writeTimeline();
    else if (t) writeTimeline(t, "/run");
  } catch (err) {
    warn(`boot timeline not written: ${describeError(err)}`);
  }

  info(`starting ${[init, ...args].join(" ")}`);
  resetForExec();
  return process.execve(init, [init, ...args], opts.env ?? process.env);
}

export type { DeleteResult };
