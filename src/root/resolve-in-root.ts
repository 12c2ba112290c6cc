// Path resolution as the kernel will do it after chroot: every component may be a symlink
// (merged-usr's /sbin -> usr/sbin), and an absolute target starts again at the new root, never
// at the initramfs' own /.
import { lstatSync, readlinkSync } from "node:fs";
import { join, posix } from "node:path";

export interface InRoot {
  /** The final path inside the root (no symlinks left in it), when it exists. */
  path: string;
  /** Every path the resolution went through, inside the root: /sbin/init, /usr/sbin/init, ... */
  steps: string[];
  /** The first path inside the root that does not exist (or is not a directory where one is needed). */
  missing?: string;
  /** ELOOP: too many links. */
  loop?: boolean;
}

const MAX_LINKS = 40; // the kernel's own limit

const parts = (p: string): string[] => p.split("/").filter((c) => c !== "" && c !== ".");
const show = (components: string[]): string => posix.normalize("/" + components.join("/"));

export function resolveInRoot(root: string, path: string): InRoot {
  let todo = parts(path);
  let done: string[] = [];
  const steps = [show(todo)];
  let links = 0;
  while (todo.length > 0) {
    const c = todo.shift() as string;
    if (c === "..") {
      done.pop(); // ".." of the root is the root, as after chroot
      continue;
    }
    const candidate = [...done, c];
    let st;
    try {
      st = lstatSync(join(root, ...candidate));
    } catch {
      return { path: show([...candidate, ...todo]), steps, missing: show(candidate) };
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_LINKS) return { path: show([...candidate, ...todo]), steps, loop: true };
      const target = readlinkSync(join(root, ...candidate));
      if (target.startsWith("/")) done = [];
      todo = [...parts(target), ...todo];
      steps.push(show([...done, ...todo]));
      continue;
    }
    if (todo.length > 0 && !st.isDirectory()) return { path: show([...candidate, ...todo]), steps, missing: show(candidate) };
    done = candidate;
  }
  return { path: show(done), steps };
}
