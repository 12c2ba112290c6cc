// OCI image layers (and Docker's) delete what lower layers made with whiteout entries: `.wh.NAME`
// removes NAME from the directory it sits in, `.wh..wh..opq` empties its directory of everything the
// lower layers put there. tarboot unpacks layers into one tree, as a container runtime applies them,
// so a container image's layer blobs boot as they run. A whiteout is never written as a file, and it
// applies to lower layers only (OCI image spec, "Whiteouts"): what this layer made stays.
import { readdirSync, rmSync } from "node:fs";
import { ContainmentError, type RootDir } from "./root";
import { display } from "./names";

const PREFIX = ".wh.";
const OPAQUE = ".wh..wh..opq";

export type Whiteout =
  /** `.wh.NAME`: NAME in the same directory. */
  | { kind: "name"; dir: string; name: string }
  /** `.wh..wh..opq`: everything below `dir` that lower layers made. */
  | { kind: "opaque"; dir: string }
  /** Another `.wh..wh.` name: reserved by the spec (AUFS's hard link directory), not written either. */
  | { kind: "reserved" };

/** What a normalized member name means as a whiteout, or null for an ordinary entry. */
export function whiteoutOf(norm: string): Whiteout | null {
  const slash = norm.lastIndexOf("/");
  if (!norm.startsWith(PREFIX, slash + 1)) return null;
  const dir = slash < 0 ? "" : norm.slice(0, slash);
  const base = norm.slice(slash + 1);
  if (base === OPAQUE) return { kind: "opaque", dir };
  if (base.startsWith(`${PREFIX}${PREFIX}`)) return { kind: "reserved" };
  const name = base.slice(PREFIX.length);
  if (name === "" || name === "." || name === "..") throw new ContainmentError(`whiteout ${display(norm)} names no entry ("${name}")`);
  return { kind: "name", dir, name };
}

/**
 * Applies `w` in `root`; `mine` holds the resolved paths this layer made, which stay; `forget` is
 * told every path removed (with what is below it). Whether anything was removed.
 */
export function applyWhiteout(root: RootDir, w: Whiteout, entry: string, mine: ReadonlySet<string>, forget: (rel: string) => void): boolean {
  if (w.kind === "reserved") return false;
  let dir: string;
  try {
    dir = root.resolveDir(w.dir === "" ? [] : w.dir.split("/"), entry, w.kind === "opaque");
  } catch (e) {
    // Nothing below a directory that does not exist.
    if (e instanceof ContainmentError && e.code === "ENOENT") return false;
    throw e;
  }
  if (w.kind === "name") {
    const rel = dir === "" ? w.name : `${dir}/${w.name}`;
    if (mine.has(rel)) return false;
    return remove(root, rel, forget);
  }
  return removeLower(root, dir, mine, forget);
}

function remove(root: RootDir, rel: string, forget: (rel: string) => void): boolean {
  const path = root.abs(rel);
  try {
    // Never follows a symlink: a link to a directory goes, not what it points at.
    rmSync(path, { recursive: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
  forget(rel);
  return true;
}

/** Removes everything below `dir` this layer did not make, looking into the directories it did. */
function removeLower(root: RootDir, dir: string, mine: ReadonlySet<string>, forget: (rel: string) => void): boolean {
  let removed = false;
  for (const d of readdirSync(root.abs(dir), { encoding: "buffer", withFileTypes: true })) {
    const name = d.name.toString("latin1");
    const rel = dir === "" ? name : `${dir}/${name}`;
    if (!mine.has(rel)) removed = remove(root, rel, forget) || removed;
    else if (d.isDirectory()) removed = removeLower(root, rel, mine, forget) || removed;
  }
  return removed;
}

/** For a layer's summary line: what its whiteouts removed, when they removed anything. */
export function whiteoutNote(count: number): string {
  return count > 0 ? `, ${count} removed by whiteouts` : "";
}
