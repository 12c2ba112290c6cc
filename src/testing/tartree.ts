// Compares two directory trees entry by entry, the way the extractor is judged against GNU tar:
// type, mode (with setuid/setgid/sticky), owner, size, content hash, mtime to the nanosecond,
// symlink target, hardlink grouping, device numbers and every xattr. Names are handled as raw
// bytes (latin1 strings) so that names which are not valid UTF-8 compare exactly.
import { createHash } from "node:crypto";
import { closeSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, type BigIntStats } from "node:fs";
import { lgetxattr, llistxattr, major, minor } from "../sys/fs";

export interface TreeEntry {
  type: "file" | "dir" | "symlink" | "char" | "block" | "fifo" | "socket";
  mode: string;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  mtimeNs: bigint;
  target?: string;
  rdev?: string;
  /** For files with more than one link: the first (sorted) path of the group sharing its inode. */
  linkGroup?: string;
  xattrs: Record<string, string>;
}

export type Tree = Map<string, TreeEntry>;

function bytes(s: string): Buffer {
  return Buffer.from(s, "latin1");
}

function typeOf(st: BigIntStats): TreeEntry["type"] {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isCharacterDevice()) return "char";
  if (st.isBlockDevice()) return "block";
  if (st.isFIFO()) return "fifo";
  return "socket";
}

function hashFile(path: Buffer): string {
  const h = createHash("sha256");
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
}

/** Every entry below (and including, as ".") `root`, keyed by its relative path as a byte string. */
export function snapshotTree(root: string): Tree {
  const tree: Tree = new Map();
  const inodes = new Map<bigint, string[]>();
  const rootBytes = Buffer.from(root.replace(/\/+$/, ""), "utf8").toString("latin1");
  const visit = (rel: string) => {
    const abs = bytes(rel === "." ? rootBytes : `${rootBytes}/${rel}`);
    const st = lstatSync(abs, { bigint: true });
    const type = typeOf(st);
    const e: TreeEntry = {
      type,
      mode: (Number(st.mode) & 0o7777).toString(8).padStart(4, "0"),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtimeNs: st.mtimeNs,
      xattrs: {},
    };
    for (const name of llistxattr(abs).sort()) e.xattrs[name] = lgetxattr(abs, name).toString("hex");
    if (type === "file") {
      e.size = Number(st.size);
      e.sha256 = hashFile(abs);
      if (st.nlink > 1n) {
        const list = inodes.get(st.ino) ?? [];
        list.push(rel);
        inodes.set(st.ino, list);
      }
    } else if (type === "symlink") {
      e.target = (readlinkSync(abs, { encoding: "buffer" }) as Buffer).toString("latin1");
    } else if (type === "char" || type === "block") {
      e.rdev = `${major(st.rdev)},${minor(st.rdev)}`;
    }
    tree.set(rel, e);
    if (type === "dir") {
      const names = (readdirSync(abs, { encoding: "buffer" }) as Buffer[]).map((b) => b.toString("latin1")).sort();
      for (const n of names) visit(rel === "." ? n : `${rel}/${n}`);
    }
  };
  visit(".");
  for (const list of inodes.values()) {
    list.sort();
    for (const p of list) (tree.get(p) as TreeEntry).linkGroup = list[0];
  }
  return tree;
}

export interface CompareOptions {
  /** Skip a field of an entry (e.g. the mtime of the root, which the test itself may touch). */
  ignore?: (rel: string, field: string) => boolean;
  /**
   * Extraction start (ns since the epoch): two mtimes both at or after it were both set by the
   * kernel while extracting (GNU tar leaves such directory mtimes too) and count as equal.
   */
  extractedSince?: bigint;
}

function show(rel: string): string {
  const b = bytes(rel);
  const t = b.toString("utf8");
  return Buffer.from(t, "utf8").equals(b) ? t : JSON.stringify(rel).slice(1, -1).replace(/[\x80-\xff]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);
}

/** Human-readable differences between two trees (empty when identical). */
export function compareTrees(a: Tree, b: Tree, opts: CompareOptions = {}): string[] {
  const diffs: string[] = [];
  const ignore = opts.ignore ?? (() => false);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const k of keys) {
    const x = a.get(k);
    const y = b.get(k);
    if (!x || !y) {
      if (!ignore(k, "exists")) diffs.push(`${show(k)}: only in ${x ? "A" : "B"} (${(x ?? y)?.type})`);
      continue;
    }
    const fields: (keyof TreeEntry)[] = ["type", "mode", "uid", "gid", "size", "sha256", "mtimeNs", "target", "rdev", "linkGroup"];
    if (x.type === "symlink" || y.type === "symlink") fields.splice(fields.indexOf("mode"), 1);
    for (const f of fields) {
      if (ignore(k, f)) continue;
      const vx = x[f];
      const vy = y[f];
      if (f === "mtimeNs" && opts.extractedSince !== undefined && (vx as bigint) >= opts.extractedSince && (vy as bigint) >= opts.extractedSince) continue;
      if (vx !== vy) diffs.push(`${show(k)}: ${f} A=${fmt(vx)} B=${fmt(vy)}`);
    }
    if (!ignore(k, "xattrs")) {
      const names = [...new Set([...Object.keys(x.xattrs), ...Object.keys(y.xattrs)])].sort();
      for (const n of names) {
        if (x.xattrs[n] !== y.xattrs[n]) diffs.push(`${show(k)}: xattr ${n} A=${x.xattrs[n] ?? "(none)"} B=${y.xattrs[n] ?? "(none)"}`);
      }
    }
  }
  return diffs;
}

function fmt(v: unknown): string {
  if (v === undefined) return "(none)";
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

/** Snapshots and compares two directories. */
export function compareDirs(a: string, b: string, opts: CompareOptions = {}): string[] {
  return compareTrees(snapshotTree(a), snapshotTree(b), opts);
}
