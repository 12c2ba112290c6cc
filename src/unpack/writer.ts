// Writes tar members into a root the way GNU tar does as root with
// `--xattrs --xattrs-include='*' --acls --selinux --numeric-owner -p`: synchronous calls, few per entry
// (open, write, fchown, fchmod, fsetxattr, futimens, close for a file), whatever is in the way
// removed first (never written into), directory metadata delayed until the archive leaves the
// directory or ends (GNU tar's delayed_set_stat), so children never disturb it.
//
// fchown and fchmod are left out where they cannot change anything: a file opened with its own
// mode (no setuid/setgid/sticky bit, none of it masked by the umask) has that mode, and a file,
// symlink or directory created by us in a directory whose group is ours has our uid and gid
// (whether the kernel takes the group from us, from a setgid parent or, on a grpid mount, from
// any parent). In a debootstrap root that is nearly every entry: 13,700 of 47,000 syscalls.
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  ftruncateSync,
  lchownSync,
  chmodSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmdirSync,
  symlinkSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { S_IFBLK, S_IFCHR, S_IFIFO, futimens, fsetxattr, lsetxattr, mknod, setTimes, type Timespec } from "../sys/fs";
import { AclError, AclNames, aclXattrName, aclXattrValue, type AclKind } from "./acl";
import type { Entry, EntrySink, SparseMap } from "./entry";
import { display, fsPath, normalizedMember, UnsafeNameError } from "./names";
import { ContainmentError, RootDir } from "./root";
import { applyWhiteout, whiteoutOf } from "./whiteout";

const OPEN_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export interface WriterStats {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  /** Character and block devices and FIFOs. */
  special: number;
  /** File content bytes written (holes of sparse files not counted). */
  bytes: number;
  /** Whiteout entries (OCI layers) that removed something a lower layer made. */
  whiteouts: number;
  /** Things GNU tar would also only warn about (an xattr the filesystem refuses). */
  warnings: string[];
}

interface DirMeta {
  /** Resolved path relative to the root (where the metadata goes). */
  rel: string;
  /** The member name, normalised, for the ancestor test. */
  name: string;
  uid: number;
  gid: number;
  mode: number;
  mtime: Timespec;
  xattrs: [string, Buffer][];
  acl: Entry["acl"];
  /** Who owns the directory until its metadata is applied, when known. */
  owner: Owner | null;
}

/** An ACL naming a user or group the root did not have yet: tried again at the end of the layer. */
interface PendingAcl {
  path: string | Buffer;
  name: string;
  kind: AclKind;
  text: string;
}

interface Owner {
  uid: number;
  gid: number;
}

/** An error tied to one member; `code` is the errno name when a syscall failed. */
export class EntryError extends Error {
  readonly entry: string;
  readonly code: string | undefined;
  constructor(message: string, entry: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "EntryError";
    this.entry = entry;
    this.code = code;
  }
}

export class TreeWriter implements EntrySink {
  readonly stats: WriterStats = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, special: 0, bytes: 0, whiteouts: 0, warnings: [] };
  private readonly dir: RootDir;
  // GNU tar's delayed_set_stat list: a stack of directories whose metadata waits until the archive
  // leaves them (the next member is not below them) or ends; a directory named again is updated
  // in place. Archives from bsdtar, which lists a directory's contents later, need exactly this.
  private readonly delayed: DirMeta[] = [];
  private readonly delayedByRel = new Map<string, DirMeta>();
  private entry: Entry | null = null;
  private fd = -1;
  private sparse: SparseMap | undefined;
  private segment = 0;
  private segmentDone = 0;
  private chownFile = true;
  /** Where the file being written is, for an ACL that has to wait. */
  private fileRel = "";
  private chmodFile = true;
  private readonly uid = process.geteuid?.() ?? -1;
  private readonly gid = process.getegid?.() ?? -1;
  private readonly umask = processUmask();
  private rootOwner: Owner;
  private readonly aclNames: AclNames;
  private readonly pendingAcls: PendingAcl[] = [];
  /** Resolved paths this layer made, with their ancestors: whiteouts leave them alone. */
  private readonly mine = new Set<string>();

  /** `root` must be an existing directory, given as an absolute path without symlinks. */
  constructor(root: string) {
    this.dir = new RootDir(Buffer.from(root, "utf8").toString("latin1"));
    const st = lstatSync(root);
    this.rootOwner = { uid: st.uid, gid: st.gid };
    this.aclNames = new AclNames((rel) => this.readRootFile(rel));
  }

  begin(entry: Entry): void {
    this.entry = entry;
    try {
      const norm = normalizedMember(entry.name);
      this.applyNonAncestors(norm);
      const w = whiteoutOf(norm);
      if (w) {
        if (applyWhiteout(this.dir, w, entry.name, this.mine, (rel) => this.forgetRemoved(rel))) this.stats.whiteouts++;
        return;
      }
      this.create(entry, norm);
    } catch (e) {
      this.closeFd();
      throw this.wrap(e, entry);
    }
  }

  data(buf: Buffer, start: number, end: number): void {
    if (this.fd < 0) return;
    try {
      if (this.sparse) this.writeSparse(buf, start, end);
      else writeAll(this.fd, buf, start, end - start, null);
      this.stats.bytes += end - start;
    } catch (e) {
      this.closeFd();
      throw this.wrap(e, this.entry as Entry);
    }
  }

  end(): void {
    const entry = this.entry as Entry;
    this.entry = null;
    if (this.fd < 0) return;
    const fd = this.fd;
    try {
      if (this.sparse) {
        const segs = this.sparse.segments;
        let missing = this.segment < segs.length ? segs[this.segment][1] - this.segmentDone : 0;
        for (let i = this.segment + 1; i < segs.length; i++) missing += segs[i][1];
        if (missing > 0) throw new Error(`sparse map describes ${missing} more bytes than the member holds`);
        ftruncateSync(fd, this.sparse.realSize);
      }
      if (this.chownFile) fchownSync(fd, entry.uid, entry.gid);
      // After the chown, which clears setuid and setgid.
      if (this.chmodFile) fchmodSync(fd, entry.mode);
      for (const [name, value] of entry.xattrs) {
        try {
          fsetxattr(fd, name, value, display(entry.name));
        } catch (e) {
          this.xattrWarning(entry, name, e);
        }
      }
      if (entry.acl) this.setAcls(entry.name, entry.acl, false, this.dir.abs(this.fileRel), (n, v) => fsetxattr(fd, n, v, display(entry.name)));
      // The failure is reported with the entry by wrap(): no display() of the name on every file.
      futimens(fd, entry.mtime, null);
      this.fd = -1;
      closeSync(fd);
    } catch (e) {
      this.closeFd();
      throw this.wrap(e, entry);
    }
  }

  /** Applies the directory metadata still waiting, innermost first, as tar does at the end. */
  finish(): void {
    this.applyNonAncestors(null);
    for (const p of this.pendingAcls.splice(0)) {
      try {
        lsetxattr(p.path, aclXattrName(p.kind), aclXattrValue(p.text, this.aclNames));
      } catch (e) {
        const why = e instanceof AclError && e.unknownName ? `${e.message} (not in the root's /etc/passwd or /etc/group)` : (e as Error).message;
        try {
          this.aclWarning(p.name, p.kind, why, e);
        } catch (full) {
          throw this.wrap(full, { name: p.name } as Entry);
        }
      }
    }
  }

  /** Pops and applies waiting directories until one is an ancestor of `member` (all when null). */
  private applyNonAncestors(member: string | null): void {
    while (this.delayed.length > 0) {
      const meta = this.delayed[this.delayed.length - 1];
      if (member !== null && (meta.name === "" ? member !== "" : member.startsWith(meta.name) && member.charCodeAt(meta.name.length) === 47)) break;
      this.delayed.pop();
      this.delayedByRel.delete(meta.rel);
      this.applyDir(meta);
    }
  }

  private applyDir(meta: DirMeta): void {
    const p = this.dir.abs(meta.rel);
    const name = meta.rel === "" ? "." : meta.rel;
    try {
      if (meta.owner?.uid !== meta.uid || meta.owner.gid !== meta.gid) lchownSync(p, meta.uid, meta.gid);
      if (meta.rel === "") this.rootOwner = { uid: meta.uid, gid: meta.gid };
      // A real directory (checked when it was made or met); after the chown, as for files.
      chmodSync(p, meta.mode);
      for (const [xname, value] of meta.xattrs) {
        try {
          lsetxattr(p, xname, value);
        } catch (e) {
          const code = (e as { code?: string }).code;
          if (code === "ENOSPC" || code === "EDQUOT") throw e;
          this.stats.warnings.push(`${display(name)}: cannot set xattr ${xname}: ${(e as Error).message}`);
        }
      }
      if (meta.acl) this.setAcls(name, meta.acl, true, p, (n, v) => lsetxattr(p, n, v));
      setTimes(p, meta.mtime, null, true);
    } catch (e) {
      throw this.wrap(e, { name } as Entry);
    }
  }

  /** Stops after a failure: closes the file being written, drops the deferred directory metadata. */
  abort(): void {
    this.closeFd();
    this.pendingAcls.length = 0;
    this.delayed.length = 0;
    this.delayedByRel.clear();
  }

  private create(entry: Entry, norm: string): void {
    if (norm === "") {
      if (entry.type !== "dir") throw new ContainmentError(`entry ${display(entry.name)} names the root itself but is not a directory`);
      this.defer("", "", entry, this.rootOwner);
      this.stats.dirs++;
      return;
    }
    const slash = norm.lastIndexOf("/");
    const parent = this.dir.parentOf(norm, slash, entry.name, true);
    // Unless a symlink on the way moved it, the path is the name itself.
    const rel = slash < 0 ? norm : parent.length === slash && norm.startsWith(parent) ? norm : joinRel(parent, norm.slice(slash + 1));
    const path = this.dir.abs(rel);
    this.own(rel);
    switch (entry.type) {
      case "file": {
        // Created by us (O_EXCL): the open's mode and our ids are what it gets.
        this.chmodFile = this.umask === null || (entry.mode & ~0o777) !== 0 || (entry.mode & this.umask) !== 0;
        this.chownFile = !this.createsAsIs(entry, parent);
        const mode = this.chmodFile ? 0o600 : entry.mode;
        this.fd = this.retry(rel, path, () => openSync(path, OPEN_FLAGS, mode));
        this.fileRel = rel;
        this.sparse = entry.sparse;
        this.segment = 0;
        this.segmentDone = 0;
        this.stats.files++;
        return;
      }
      case "dir":
        this.mkdir(rel, norm, path, entry);
        this.stats.dirs++;
        return;
      case "symlink":
        this.retry(rel, path, () => symlinkSync(fsPath(entry.linkname), path));
        if (!this.createsAsIs(entry, parent)) lchownSync(path, entry.uid, entry.gid);
        this.setXattrsByPath(path, entry);
        setTimes(path, entry.mtime, null, true);
        this.stats.symlinks++;
        return;
      case "hardlink": {
        const tnorm = normalizedMember(entry.linkname, "hardlink target");
        if (tnorm === "") throw new ContainmentError(`hardlink ${display(entry.name)} points at the root directory`);
        const tslash = tnorm.lastIndexOf("/");
        let tparent: string;
        try {
          tparent = this.dir.parentOf(tnorm, tslash, entry.name, false);
        } catch (e) {
          if (e instanceof ContainmentError && e.code === "ENOENT") {
            throw new EntryError(`hardlink ${display(entry.name)}: target ${display(entry.linkname)} does not exist`, entry.name, "ENOENT");
          }
          throw e;
        }
        const target = this.dir.abs(joinRel(tparent, tnorm.slice(tslash + 1)));
        try {
          linkSync(target, path);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === "ENOENT") throw new EntryError(`hardlink ${display(entry.name)}: target ${display(entry.linkname)} does not exist`, entry.name, code);
          if (code !== "EEXIST") throw e;
          // Already the same file (a second layer repeating the link): nothing to do, as in GNU tar.
          const a = lstatSync(target);
          const b = lstatSync(path);
          if (a.ino !== b.ino || a.dev !== b.dev) {
            this.removeExisting(rel, path);
            linkSync(target, path);
          }
        }
        this.stats.hardlinks++;
        return;
      }
      case "char":
      case "block":
      case "fifo": {
        const kind = entry.type === "char" ? S_IFCHR : entry.type === "block" ? S_IFBLK : S_IFIFO;
        this.retry(rel, path, () => mknod(path, kind | 0o600, entry.devmajor, entry.devminor));
        lchownSync(path, entry.uid, entry.gid);
        chmodSync(path, entry.mode);
        this.setXattrsByPath(path, entry);
        if (entry.acl) this.setAcls(entry.name, entry.acl, false, path, (n, v) => lsetxattr(path, n, v));
        setTimes(path, entry.mtime, null, true);
        this.stats.special++;
        return;
      }
    }
  }

  /** Runs `make`; when something is in the way, removes it as GNU tar does and tries once more. */
  private retry<T>(rel: string, path: string | Buffer, make: () => T): T {
    try {
      return make();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    this.removeExisting(rel, path);
    return make();
  }

  private removeExisting(rel: string, path: string | Buffer): void {
    const st = lstatSync(path);
    if (st.isDirectory()) {
      try {
        rmdirSync(path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOTEMPTY" || code === "EEXIST") {
          throw new EntryError(`cannot replace directory ${display(rel)}, which is not empty`, rel, code);
        }
        throw e;
      }
      this.dir.forget(rel);
      this.forgetDeferred(rel);
    } else {
      unlinkSync(path);
    }
  }

  /** Marks `rel` and its ancestors as this layer's. */
  private own(rel: string): void {
    for (let r = rel; r !== "" && !this.mine.has(r); ) {
      this.mine.add(r);
      const slash = r.lastIndexOf("/");
      r = slash < 0 ? "" : r.slice(0, slash);
    }
  }

  /** `rel` and everything below it is gone (a whiteout). */
  private forgetRemoved(rel: string): void {
    this.dir.forget(rel);
    this.forgetDeferred(rel);
  }

  private forgetDeferred(rel: string): void {
    const prefix = rel + "/";
    for (let i = this.delayed.length - 1; i >= 0; i--) {
      const k = this.delayed[i].rel;
      if (k === rel || k.startsWith(prefix)) {
        this.delayedByRel.delete(k);
        this.delayed.splice(i, 1);
      }
    }
  }

  private mkdir(rel: string, name: string, path: string | Buffer, entry: Entry): void {
    try {
      // Owner-only until the deferred metadata is applied, as GNU tar does with -p.
      mkdirSync(path, 0o700);
      this.made(rel, name, entry);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const st = lstatSync(path);
    if (st.isDirectory()) {
      this.dir.markDir(rel);
      this.defer(rel, name, entry, { uid: st.uid, gid: st.gid });
      return;
    }
    // Anything else is replaced, a symlink to a directory too (GNU tar without
    // --keep-directory-symlink): a later layer's bin/ undoes an earlier layer's bin -> usr/bin.
    unlinkSync(path);
    mkdirSync(path, 0o700);
    this.made(rel, name, entry);
  }

  /** A directory we just created: ours, with our group when its parent's group is ours. */
  private made(rel: string, name: string, entry: Entry): void {
    this.dir.markDir(rel);
    const slash = rel.lastIndexOf("/");
    const mine = this.groupOf(slash < 0 ? "" : rel.slice(0, slash)) === this.gid;
    this.defer(rel, name, entry, mine ? { uid: this.uid, gid: this.gid } : null);
  }

  /** The group of directory `rel` as it is now, when it cannot change before its own metadata is applied. */
  private groupOf(rel: string): number | undefined {
    const meta = this.delayedByRel.get(rel);
    if (meta) return meta.owner?.gid;
    return rel === "" ? this.rootOwner.gid : undefined;
  }

  /** Whether `entry`, created now in directory `parent`, already has its owner and group. */
  private createsAsIs(entry: Entry, parent: string): boolean {
    return entry.uid === this.uid && entry.gid === this.gid && this.groupOf(parent) === this.gid;
  }

  private defer(rel: string, name: string, entry: Entry, owner: Owner | null): void {
    const old = this.delayedByRel.get(rel);
    // Named again: the directory's ownership has not changed since it was first met.
    const meta: DirMeta = { rel, name, uid: entry.uid, gid: entry.gid, mode: entry.mode, mtime: entry.mtime, xattrs: entry.xattrs, acl: entry.acl, owner: old ? old.owner : owner };
    if (old) {
      Object.assign(old, meta);
      return;
    }
    this.delayed.push(meta);
    this.delayedByRel.set(rel, meta);
  }

  private setXattrsByPath(path: string | Buffer, entry: Entry): void {
    for (const [name, value] of entry.xattrs) {
      try {
        lsetxattr(path, name, value);
      } catch (e) {
        this.xattrWarning(entry, name, e);
      }
    }
  }

  /**
   * After the mode, as GNU tar does (an access ACL's mask is the group bits then); a default ACL
   * only on a directory. A name the root does not know yet waits for the end of the layer.
   */
  private setAcls(member: string, acl: NonNullable<Entry["acl"]>, isDir: boolean, path: string | Buffer, set: (name: string, value: Buffer) => void): void {
    for (const kind of ["access", "default"] as const) {
      const text = acl[kind];
      if (text === undefined || (kind === "default" && !isDir)) continue;
      try {
        set(aclXattrName(kind), aclXattrValue(text, this.aclNames));
      } catch (e) {
        if (e instanceof AclError && e.unknownName) this.pendingAcls.push({ path, name: member, kind, text });
        else this.aclWarning(member, kind, (e as Error).message, e);
      }
    }
  }

  private aclWarning(member: string, kind: AclKind, why: string, e: unknown): void {
    const code = (e as { code?: string }).code;
    if (code === "ENOSPC" || code === "EDQUOT") throw e;
    this.stats.warnings.push(`${display(member)}: cannot set its ${kind} ACL: ${why}`);
  }

  /** A regular file of the root, read without following a symlink at its last component. */
  private readRootFile(rel: string): { key: string; text: string } | null {
    const slash = rel.lastIndexOf("/");
    let fd = -1;
    try {
      const parent = this.dir.parentOf(rel, slash, rel, false);
      fd = openSync(this.dir.abs(joinRel(parent, rel.slice(slash + 1))), constants.O_RDONLY | constants.O_NOFOLLOW);
      const st = fstatSync(fd);
      if (!st.isFile()) return null;
      return { key: `${st.ino}:${st.size}:${st.mtimeMs}`, text: readFileSync(fd, "utf8") };
    } catch {
      return null;
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }

  private xattrWarning(entry: Entry, name: string, e: unknown): void {
    const code = (e as { code?: string }).code;
    if (code === "ENOSPC" || code === "EDQUOT") throw e;
    this.stats.warnings.push(`${display(entry.name)}: cannot set xattr ${name}: ${(e as Error).message}`);
  }

  private writeSparse(buf: Buffer, start: number, end: number): void {
    const segs = (this.sparse as SparseMap).segments;
    let pos = start;
    while (pos < end) {
      while (this.segment < segs.length && this.segmentDone === segs[this.segment][1]) {
        this.segment++;
        this.segmentDone = 0;
      }
      if (this.segment >= segs.length) throw new Error("member holds more data than its sparse map describes");
      const [off, len] = segs[this.segment];
      const n = Math.min(len - this.segmentDone, end - pos);
      writeAll(this.fd, buf, pos, n, off + this.segmentDone);
      this.segmentDone += n;
      pos += n;
    }
  }

  private closeFd(): void {
    if (this.fd >= 0) {
      try {
        closeSync(this.fd);
      } catch {
        // Already failing; the first error is the one worth reporting.
      }
      this.fd = -1;
    }
  }

  private wrap(e: unknown, entry: Entry): Error {
    if (e instanceof EntryError || e instanceof ContainmentError || e instanceof UnsafeNameError) return e;
    const code = (e as { code?: string }).code;
    const name = display(entry.name);
    if (code === "ENOSPC" || code === "EDQUOT") {
      return new EntryError(`no space left on ${display(this.dir.root || "/")} while writing ${name}`, entry.name, code, { cause: e });
    }
    return new EntryError(`cannot extract ${name}: ${(e as Error).message}`, entry.name, code, { cause: e });
  }
}

function writeAll(fd: number, buf: Buffer, off: number, len: number, position: number | null): void {
  while (len > 0) {
    const n = writeSync(fd, buf, off, len, position);
    off += n;
    len -= n;
    if (position !== null) position += n;
  }
}

/** The process's umask from /proc (process.umask() reads it by setting it), null if unknown. */
function processUmask(): number | null {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(readFileSync("/proc/self/status", "latin1"));
    return m ? parseInt(m[1], 8) : null;
  } catch {
    return null;
  }
}

function joinRel(dir: string, last: string): string {
  return dir === "" ? last : `${dir}/${last}`;
}
