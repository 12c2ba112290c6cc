import { lstatSync, mkdtempSync, openSync, closeSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { S_IFCHR, S_IFIFO, futimens, lgetxattr, llistxattr, lsetxattr, major, makedev, minor, mknod, setTimes } from "./fs";
import { SysError } from "./libc";

const dir = mkdtempSync(join(tmpdir(), "tarboot-sysfs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("file syscalls", () => {
  it("encodes and decodes device numbers as glibc does", () => {
    expect(makedev(8, 1)).toBe(0x801n);
    for (const [ma, mi] of [[1, 3], [259, 65536], [4095, 1048575]]) {
      const d = makedev(ma, mi);
      expect([major(d), minor(d)]).toEqual([ma, mi]);
    }
  });

  it("sets nanosecond mtimes, on a symlink itself too, leaving atime alone", () => {
    const f = join(dir, "f");
    writeFileSync(f, "x");
    const l = join(dir, "l");
    symlinkSync("f", l);
    const atime = lstatSync(f, { bigint: true }).atimeNs;
    setTimes(l, { sec: 1600000000, nsec: 5 });
    const fd = openSync(f, "r+");
    futimens(fd, { sec: -86400, nsec: 999999999 });
    closeSync(fd);
    expect(lstatSync(l, { bigint: true }).mtimeNs).toBe(1600000000000000005n);
    expect(lstatSync(f, { bigint: true }).mtimeNs).toBe(-86400n * 1000000000n + 999999999n);
    expect(lstatSync(f, { bigint: true }).atimeNs).toBe(atime);
  });

  it("passes times beyond 32 bits, negative ones, and atime when given", () => {
    const f = join(dir, "t");
    writeFileSync(f, "x");
    setTimes(f, { sec: 5_000_000_000, nsec: 7 }, { sec: -2_000_000_000, nsec: 123 });
    expect(lstatSync(f, { bigint: true }).mtimeNs).toBe(5_000_000_000_000_000_007n);
    expect(lstatSync(f, { bigint: true }).atimeNs).toBe(-2_000_000_000_000_000_000n + 123n);
  });

  it("round-trips binary xattr values", () => {
    const f = join(dir, "x");
    writeFileSync(f, "");
    const v = Buffer.from([0, 0xff, 0x0a, 0x3d, 0]);
    lsetxattr(f, "user.bin", v);
    expect(llistxattr(f)).toContain("user.bin");
    expect(lgetxattr(f, "user.bin").equals(v)).toBe(true);
  });

  it("makes FIFOs and device nodes (root), and names the path when it fails", () => {
    mknod(join(dir, "fifo"), S_IFIFO | 0o600);
    expect(lstatSync(join(dir, "fifo")).isFIFO()).toBe(true);
    mknod(join(dir, "null"), S_IFCHR | 0o666, 1, 3);
    const st = lstatSync(join(dir, "null"));
    expect(st.isCharacterDevice() && major(st.rdev) === 1 && minor(st.rdev) === 3).toBe(true);
    expect(() => mknod(join(dir, "fifo"), S_IFIFO | 0o600)).toThrow(SysError);
    expect(() => mknod(join(dir, "fifo"), S_IFIFO | 0o600)).toThrow(/mknod\(.*fifo\): EEXIST/);
  });
});
