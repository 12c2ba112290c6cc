// A cpio "newc" (070701) writer, the format the kernel unpacks an initramfs from
// (Documentation/driver-api/early-userspace/buffer-format.rst). Everything an archive needs is in
// the entry list, so building one needs no root: device nodes are just headers.
//
// Reproducible by construction: owner 0:0, one fixed mtime, inode numbers assigned in archive
// order, entries in a canonical order (parents before children, byte order otherwise).
import { open } from "node:fs/promises";

export interface CpioFileFromBytes {
  type: "file";
  path: string;
  mode: number;
  data: Uint8Array;
}

/** A regular file streamed from the build host; `size` is checked against what is read. */
export interface CpioFileFromHost {
  type: "file";
  path: string;
  mode: number;
  source: string;
  size: number;
}

export interface CpioDir {
  type: "dir";
  path: string;
  mode: number;
}

export interface CpioSymlink {
  type: "symlink";
  path: string;
  target: string;
}

export interface CpioDevice {
  type: "chardev" | "blockdev";
  path: string;
  mode: number;
  major: number;
  minor: number;
}

export type CpioEntry = CpioFileFromBytes | CpioFileFromHost | CpioDir | CpioSymlink | CpioDevice;

export interface CpioOptions {
  /** Seconds since the epoch stamped on every entry. */
  mtime: number;
}

const S_IFMT = 0o170000;
const TYPE_BITS: Record<CpioEntry["type"], number> = {
  file: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  chardev: 0o020000,
  blockdev: 0o060000,
};
const MAX_U32 = 0xffffffff;
const READ_CHUNK = 1 << 20;

/** The mtime for every entry: SOURCE_DATE_EPOCH when set (as reproducible-builds.org asks), else 0. */
export function mtimeFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw === undefined || raw === "") return 0;
  if (!/^\d+$/.test(raw) || Number(raw) > MAX_U32) {
    throw new Error(`SOURCE_DATE_EPOCH=${raw}: expected whole seconds since 1970 (0..${MAX_U32})`);
  }
  return Number(raw);
}

/**
 * The archive name for a path: no leading '/', no '.' or '..' components, no empty components.
 * The kernel would happily create "../x" relative to its rootfs, so such a path is a bug upstream.
 */
export function normalizeCpioPath(path: string): string {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.length === 0) throw new Error(`cpio path '${path}': names the root itself`);
  if (parts.includes("..")) throw new Error(`cpio path '${path}': contains '..'`);
  if (parts.some((p) => p.includes("\0"))) throw new Error(`cpio path '${path}': contains a NUL byte`);
  return parts.join("/");
}

/** Component-wise byte order: a directory sorts right before its own contents, so parents come first. */
export function comparePaths(a: string, b: string): number {
  const pa = a.split("/");
  const pb = b.split("/");
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const c = Buffer.compare(Buffer.from(pa[i]), Buffer.from(pb[i]));
    if (c !== 0) return c;
  }
  return pa.length - pb.length;
}

/**
 * The entries in archive order, with normalized paths and every missing parent directory added
 * (0755). Two entries for one path are an error: which one should win is the caller's decision.
 */
export function planArchive(entries: readonly CpioEntry[]): CpioEntry[] {
  const byPath = new Map<string, CpioEntry>();
  for (const entry of entries) {
    const path = normalizeCpioPath(entry.path);
    if (byPath.has(path)) throw new Error(`cpio path '/${path}': added twice`);
    byPath.set(path, { ...entry, path });
  }
  for (const path of [...byPath.keys()]) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join("/");
      const existing = byPath.get(parent);
      if (existing === undefined) byPath.set(parent, { type: "dir", path: parent, mode: 0o755 });
      else if (existing.type !== "dir") {
        throw new Error(`cpio path '/${path}': its parent '/${parent}' is a ${existing.type}, not a directory`);
      }
    }
  }
  return [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
}

function hex8(value: number, field: string, path: string): string {
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
    throw new Error(`cpio entry '/${path}': ${field} ${value} does not fit the newc format`);
  }
  return value.toString(16).padStart(8, "0");
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

interface HeaderFields {
  ino: number;
  mode: number;
  nlink: number;
  mtime: number;
  filesize: number;
  rdevmajor: number;
  rdevminor: number;
  name: string;
}

/** Header, name, NUL and the padding that aligns the data to 4 bytes. */
export function encodeHeader(h: HeaderFields): Buffer {
  const name = Buffer.from(h.name, "utf8");
  const fields = [
    h.ino, h.mode, 0 /* uid */, 0 /* gid */, h.nlink, h.mtime, h.filesize,
    0 /* devmajor */, 0 /* devminor */, h.rdevmajor, h.rdevminor, name.length + 1, 0 /* check */,
  ];
  const names = ["ino", "mode", "uid", "gid", "nlink", "mtime", "filesize", "devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check"];
  const text = "070701" + fields.map((v, i) => hex8(v, names[i], h.name)).join("");
  const headerLen = text.length + name.length + 1;
  const out = Buffer.alloc(headerLen + pad4(headerLen));
  out.write(text, 0, "latin1");
  name.copy(out, text.length);
  return out;
}

function permissions(entry: CpioEntry): number {
  const mode = entry.type === "symlink" ? 0o777 : entry.mode;
  if ((mode & S_IFMT) !== 0 || mode < 0 || mode > 0o7777) {
    throw new Error(`cpio entry '/${entry.path}': mode ${mode.toString(8)} must be permission bits only (0..07777)`);
  }
  return TYPE_BITS[entry.type] | mode;
}

function dataSize(entry: CpioEntry): number {
  switch (entry.type) {
    case "file":
      return "data" in entry ? entry.data.length : entry.size;
    case "symlink":
      return Buffer.byteLength(entry.target, "utf8");
    default:
      return 0;
  }
}

async function* hostFileData(entry: CpioFileFromHost): AsyncGenerator<Buffer> {
  const fh = await open(entry.source, "r").catch((err: unknown) => {
    throw new Error(`cpio entry '/${entry.path}': cannot open ${entry.source}`, { cause: err });
  });
  try {
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, total);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > entry.size) break;
      yield buf.subarray(0, bytesRead);
    }
    if (total !== entry.size) {
      throw new Error(`cpio entry '/${entry.path}': ${entry.source} changed while archiving (expected ${entry.size} bytes, found ${total > entry.size ? "more" : total})`);
    }
  } finally {
    await fh.close();
  }
}

/**
 * Streams the archive for `entries` (see planArchive for the order). Host files are read in 1 MiB
 * chunks as the consumer pulls, so a large init binary is never held in memory whole.
 */
export async function* writeCpio(entries: readonly CpioEntry[], opts: CpioOptions): AsyncGenerator<Buffer> {
  const planned = planArchive(entries);
  let ino = 0;
  for (const entry of planned) {
    ino++;
    const size = dataSize(entry);
    const isDevice = entry.type === "chardev" || entry.type === "blockdev";
    yield encodeHeader({
      ino,
      mode: permissions(entry),
      nlink: entry.type === "dir" ? 2 : 1,
      mtime: opts.mtime,
      filesize: size,
      rdevmajor: isDevice ? entry.major : 0,
      rdevminor: isDevice ? entry.minor : 0,
      name: entry.path,
    });
    if (entry.type === "file" && "data" in entry) yield Buffer.from(entry.data.buffer, entry.data.byteOffset, entry.data.length);
    else if (entry.type === "file") yield* hostFileData(entry);
    else if (entry.type === "symlink") yield Buffer.from(entry.target, "utf8");
    if (pad4(size) > 0) yield Buffer.alloc(pad4(size));
  }
  yield encodeHeader({ ino: 0, mode: 0, nlink: 1, mtime: 0, filesize: 0, rdevmajor: 0, rdevminor: 0, name: "TRAILER!!!" });
}
