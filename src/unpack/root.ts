// Containment: every path an entry touches is resolved inside the root as if the root were "/"
// (chroot-like), so nothing is ever written outside it.
//
// The rule, and why: GNU tar lets the kernel follow symlinks in the intermediate components of a
// member name. On a normal archive that matters only for symlinked directories such as Debian's
// usrmerge `bin -> usr/bin` (a later layer writing `bin/foo` lands in `usr/bin/foo`). We follow such
// symlinks too, but resolve them ourselves: an absolute target starts again at the root, ".." stops
// at the root, so `etc -> /` followed by `etc/passwd` writes ROOT/passwd, exactly what the same layer
// unpacked inside the booted system would do. The last component of a name is never followed: an
// existing symlink there is replaced, as GNU tar replaces it.
//
// Directories known to be real (created or lstat'ed by us) are remembered, so an entry whose parent
// was already seen costs no extra syscall. The cache is exact as long as nothing but this extractor
// changes the tree meanwhile, which holds for the boot root.
import { lstatSync, mkdirSync, readlinkSync } from "node:fs";
import { display, fsPath } from "./names";

const MAX_SYMLINK_HOPS = 40;

export class ContainmentError extends Error {
  /** "ENOENT" when a directory on the way does not exist (and may not be created). */
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = "ContainmentError";
    this.code = code;
  }
}

export class RootDir {
  /** Absolute root path as a byte string, without trailing '/'. */
  readonly root: string;
  private readonly known = new Set<string>([""]);

  constructor(root: string) {
    this.root = root === "/" ? "" : root.replace(/\/+$/, "");
  }

  /** Absolute path of a resolved relative path, ready for fs calls. */
  abs(rel: string): string | Buffer {
    return fsPath(rel === "" ? this.root || "/" : `${this.root}/${rel}`);
  }

  isKnownDir(rel: string): boolean {
    return this.known.has(rel);
  }

  markDir(rel: string): void {
    this.known.add(rel);
  }

  /** Forgets `rel` and everything below it: it was removed or replaced. */
  forget(rel: string): void {
    if (rel === "") return;
    this.known.delete(rel);
    const prefix = rel + "/";
    for (const k of this.known) if (k.startsWith(prefix)) this.known.delete(k);
  }

  /**
   * The resolved relative path of the directory that holds `rel` (a normalized member path whose
   * last '/' is at `slash`), creating missing directories named by the entry when `create`.
   * `name` is the entry, for messages.
   */
  parentOf(rel: string, slash: number, name: string, create: boolean): string {
    if (slash < 0) return "";
    const direct = rel.slice(0, slash);
    if (this.known.has(direct)) return direct;
    return this.resolveDir(direct.split("/"), name, create);
  }

  /** Resolves a chain of directory components inside the root, following symlinks chroot-like. */
  resolveDir(comps: string[], name: string, create: boolean): string {
    // A stack of [component, may be created]: components of symlink targets are never created,
    // so a dangling link cannot make us build its target.
    const stack: [string, boolean, boolean][] = [];
    for (let i = comps.length - 1; i >= 0; i--) stack.push([comps[i], create, false]);
    let cur = "";
    let hops = 0;
    while (stack.length > 0) {
      const [c, creatable, viaLink] = stack.pop() as [string, boolean, boolean];
      if (c === "" || c === ".") continue;
      if (c === "..") {
        const slash = cur.lastIndexOf("/");
        cur = slash < 0 ? "" : cur.slice(0, slash);
        continue;
      }
      const next = cur === "" ? c : `${cur}/${c}`;
      if (this.known.has(next)) {
        cur = next;
        continue;
      }
      const p = this.abs(next);
      let st;
      try {
        st = lstatSync(p);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT" || !creatable) {
          if ((e as NodeJS.ErrnoException).code === "ENOENT") {
            const how = viaLink ? " (a symlink on the way points there)" : "";
            throw new ContainmentError(`entry ${display(name)}: ${display(next)} does not exist${how}`, "ENOENT");
          }
          throw e;
        }
        // GNU tar makes missing parents with 0777 less the umask, owned by the extracting user.
        mkdirSync(p, 0o777);
        this.known.add(next);
        cur = next;
        continue;
      }
      if (st.isDirectory()) {
        this.known.add(next);
        cur = next;
        continue;
      }
      if (st.isSymbolicLink()) {
        if (++hops > MAX_SYMLINK_HOPS) throw new ContainmentError(`entry ${display(name)}: too many levels of symbolic links at ${display(next)}`);
        const target = (readlinkSync(p, { encoding: "buffer" }) as Buffer).toString("latin1");
        if (target.startsWith("/")) cur = "";
        const tc = target.split("/");
        for (let i = tc.length - 1; i >= 0; i--) stack.push([tc[i], false, true]);
        continue;
      }
      throw new ContainmentError(`entry ${display(name)}: ${display(next)} is not a directory`);
    }
    return cur;
  }
}
