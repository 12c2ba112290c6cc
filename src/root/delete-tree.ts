// Empties the initramfs so its RAM is given back, as switch_root(8) does: every file and
// directory on the old root's filesystem goes, nothing on another filesystem is touched (the
// new root, moved or leftover mounts), and nothing is followed through a symlink.
import { lstatSync, readdirSync, rmdirSync, unlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { debug } from "../console/log";

export interface DeleteResult {
  files: number;
  dirs: number;
  /** Space the deleted files held (their last link went), in bytes. */
  bytes: number;
  /** Paths left in place: mount points of other filesystems and the `skip` paths. */
  kept: string[];
  /** Entries that could not be removed (logged in debug mode); never fatal. */
  errors: number;
}

export function deleteTree(root: string, opts: { skip?: string | string[] } = {}): DeleteResult {
  const skip = new Set([opts.skip ?? []].flat().map((p) => resolve(p)));
  const top = resolve(root);
  const dev = lstatSync(top).dev;
  const result: DeleteResult = { files: 0, dirs: 0, bytes: 0, kept: [], errors: 0 };

  // Returns true when `dir` is now empty, so its parent may remove it.
  const empty = (dir: string): boolean => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      debug(`switch_root: cannot list ${dir}: ${(err as Error).message}`);
      result.errors++;
      return false;
    }
    let all = true;
    for (const name of names) {
      const path = join(dir, name);
      if (skip.has(path)) {
        result.kept.push(path);
        all = false;
        continue;
      }
      try {
        const st = lstatSync(path);
        if (st.dev !== dev) {
          result.kept.push(path);
          all = false;
        } else if (st.isDirectory()) {
          if (empty(path)) {
            rmdirSync(path);
            result.dirs++;
          } else all = false;
        } else {
          // Counted before unlinking: the space is only freed with the last link. ramfs keeps no
          // block count, hence the size.
          if (st.isFile() && st.nlink === 1) result.bytes += st.blocks > 0 ? st.blocks * 512 : st.size;
          unlinkSync(path);
          result.files++;
        }
      } catch (err) {
        debug(`switch_root: cannot remove ${path}: ${(err as Error).message}`);
        result.errors++;
        all = false;
      }
    }
    return all;
  };

  empty(top);
  return result;
}
