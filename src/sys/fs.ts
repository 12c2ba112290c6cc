// File syscalls Node lacks or rounds: nanosecond timestamps (utimensat/futimens), binary xattrs,
// mknod for devices and FIFOs. Paths are passed as NUL-terminated byte buffers so that names which
// are not valid UTF-8 reach the kernel unchanged.
import { check, koffi, libc } from "./libc";

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
const UTIME_OMIT = (1 << 30) - 2;
const XATTR_LIST_MAX = 65536;

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

const utimensat_ = libc.func("int utimensat(int dirfd, const void *path, const void *times, int flags)");
const futimens_ = libc.func("int futimens(int fd, const void *times)");
const fsetxattr_ = libc.func("int fsetxattr(int fd, const char *name, const void *value, size_t size, int flags)");
const lsetxattr_ = libc.func("int lsetxattr(const void *path, const char *name, const void *value, size_t size, int flags)");
const llistxattr_ = libc.func("long llistxattr(const void *path, void *list, size_t size)");
const lgetxattr_ = libc.func("long lgetxattr(const void *path, const char *name, void *value, size_t size)");
const mknod_ = bindMknod();

/** A path as the kernel sees it: a string (encoded as UTF-8) or raw bytes. */
export type SysPath = string | Buffer;

/** A point in time as the kernel stores it; `sec` may be negative (before 1970). */
export interface Timespec {
  sec: number;
  nsec: number;
}

function cpath(p: SysPath): Buffer {
  if (typeof p === "string") return Buffer.from(p + "\0", "utf8");
  const b = Buffer.allocUnsafe(p.length + 1);
  p.copy(b);
  b[p.length] = 0;
  return b;
}

function show(p: SysPath): string {
  return typeof p === "string" ? p : p.toString("utf8");
}

// One reusable buffer: the calls are synchronous, so nothing else can be using it meanwhile.
const times = Buffer.alloc(32);
function fillTimes(mtime: Timespec, atime: Timespec | null): Buffer {
  if (atime) {
    putInt64(times, 0, atime.sec);
    putInt64(times, 8, atime.nsec);
  } else {
    putInt64(times, 0, 0);
    putInt64(times, 8, UTIME_OMIT);
  }
  putInt64(times, 16, mtime.sec);
  putInt64(times, 24, mtime.nsec);
  return times;
}

/** A safe integer as int64 little-endian, in two 32-bit halves: no BigInt on a per-file path. */
function putInt64(buf: Buffer, off: number, v: number): void {
  const hi = Math.floor(v / 0x1_0000_0000);
  buf.writeUInt32LE(v - hi * 0x1_0000_0000, off);
  buf.writeInt32LE(hi, off + 4);
}

/**
 * Sets mtime (and atime, or leaves it as it is when null, as GNU tar does) to the nanosecond.
 * With `nofollow` a symlink's own times are set.
 */
export function setTimes(path: SysPath, mtime: Timespec, atime: Timespec | null = null, nofollow = true): void {
  // The message is only built on failure: these two run once per extracted entry.
  const r = utimensat_(AT_FDCWD, cpath(path), fillTimes(mtime, atime), nofollow ? AT_SYMLINK_NOFOLLOW : 0);
  if (r < 0) check(r, "utimensat", show(path));
}

export function futimens(fd: number, mtime: Timespec, atime: Timespec | null = null, what?: string): void {
  const r = futimens_(fd, fillTimes(mtime, atime));
  if (r < 0) check(r, "futimens", what ?? `fd ${fd}`);
}

export function fsetxattr(fd: number, name: string, value: Buffer, what?: string): void {
  check(fsetxattr_(fd, name, value, value.length, 0), "fsetxattr", `${what ?? `fd ${fd}`} ${name}`);
}

/** Sets an xattr on the path itself, never on what a symlink points to. */
export function lsetxattr(path: SysPath, name: string, value: Buffer): void {
  check(lsetxattr_(cpath(path), name, value, value.length, 0), "lsetxattr", `${show(path)} ${name}`);
}

/** Names of every xattr on the path itself (not following a symlink). */
export function llistxattr(path: SysPath): string[] {
  const p = cpath(path);
  const size = check(Number(llistxattr_(p, null, 0)), "llistxattr", show(path));
  if (size === 0) return [];
  const buf = Buffer.alloc(Math.max(size, XATTR_LIST_MAX));
  const n = check(Number(llistxattr_(p, buf, buf.length)), "llistxattr", show(path));
  return buf.subarray(0, n).toString("latin1").split("\0").filter((s) => s.length > 0);
}

export function lgetxattr(path: SysPath, name: string): Buffer {
  const p = cpath(path);
  const size = check(Number(lgetxattr_(p, name, null, 0)), "lgetxattr", `${show(path)} ${name}`);
  const buf = Buffer.alloc(size);
  if (size === 0) return buf;
  const n = check(Number(lgetxattr_(p, name, buf, size)), "lgetxattr", `${show(path)} ${name}`);
  return buf.subarray(0, n);
}

/** glibc's makedev(): the 64-bit dev_t encoding of a major/minor pair. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

export function major(dev: number | bigint): number {
  const d = BigInt(dev);
  return Number(((d >> 32n) & 0xfffff000n) | ((d >> 8n) & 0xfffn));
}

export function minor(dev: number | bigint): number {
  const d = BigInt(dev);
  return Number(((d >> 12n) & 0xffffff00n) | (d & 0xffn));
}

/** Creates a device node or FIFO; `mode` includes the S_IF* type bits. */
export function mknod(path: SysPath, mode: number, devMajor = 0, devMinor = 0): void {
  check(mknod_(cpath(path), mode, makedev(devMajor, devMinor)), "mknod", show(path));
}

// glibc exports mknod itself only since 2.33; older ones have __xmknod(version, path, mode, &dev).
function bindMknod(): (path: Buffer, mode: number, dev: bigint) => number {
  try {
    const f = libc.func("int mknod(const void *path, uint32_t mode, uint64_t dev)");
    return (path, mode, dev) => f(path, mode, dev);
  } catch {
    const f = libc.func("int __xmknod(int ver, const void *path, uint32_t mode, _Inout_ uint64_t *dev)");
    return (path, mode, dev) => f(0, path, mode, [dev]);
  }
}

export { koffi };
