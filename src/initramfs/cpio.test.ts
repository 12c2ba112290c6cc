import { execFileSync } from "node:child_process";
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CpioEntry, comparePaths, mtimeFromEnv, planArchive, writeCpio } from "./cpio";

interface ParsedEntry {
  name: string;
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  rdevmajor: number;
  rdevminor: number;
  data: Buffer;
}

// An independent newc reader, strict about magic, alignment and the trailer.
function parseNewc(buf: Buffer): ParsedEntry[] {
  const out: ParsedEntry[] = [];
  let pos = 0;
  for (;;) {
    expect(pos % 4).toBe(0);
    expect(buf.toString("latin1", pos, pos + 6)).toBe("070701");
    const f = (i: number) => parseInt(buf.toString("latin1", pos + 6 + i * 8, pos + 14 + i * 8), 16);
    const namesize = f(11);
    const filesize = f(6);
    const nameStart = pos + 110;
    expect(buf[nameStart + namesize - 1]).toBe(0);
    const name = buf.toString("utf8", nameStart, nameStart + namesize - 1);
    const dataStart = Math.ceil((nameStart + namesize) / 4) * 4;
    const entry: ParsedEntry = {
      name, ino: f(0), mode: f(1), uid: f(2), gid: f(3), nlink: f(4), mtime: f(5),
      rdevmajor: f(9), rdevminor: f(10), data: buf.subarray(dataStart, dataStart + filesize),
    };
    pos = Math.ceil((dataStart + filesize) / 4) * 4;
    if (name === "TRAILER!!!") {
      expect(pos).toBe(buf.length);
      return out;
    }
    out.push(entry);
  }
}

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of gen) parts.push(b);
  return Buffer.concat(parts);
}

const tmp = mkdtempSync(join(tmpdir(), "tarboot-cpio-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Sizes 0..5 and an odd one exercise every padding case; the host file spans several read chunks.
const hostFile = join(tmp, "big.bin");
const big = Buffer.alloc(3 * 1024 * 1024 + 3);
for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 11)) & 0xff;
writeFileSync(hostFile, big);

const entries: CpioEntry[] = [
  { type: "file", path: "/init", mode: 0o755, source: hostFile, size: big.length },
  { type: "chardev", path: "/dev/console", mode: 0o600, major: 5, minor: 1 },
  { type: "chardev", path: "/dev/null", mode: 0o666, major: 1, minor: 3 },
  { type: "blockdev", path: "/dev/ram0", mode: 0o660, major: 1, minor: 0 },
  { type: "dir", path: "/dev", mode: 0o755 },
  { type: "symlink", path: "/bin/sh", target: "busybox" },
  { type: "file", path: "/etc/a/b/c0", mode: 0o644, data: Buffer.alloc(0) },
  { type: "file", path: "/etc/a/b/c1", mode: 0o644, data: Buffer.from("1") },
  { type: "file", path: "/etc/a/b/c2", mode: 0o644, data: Buffer.from("22") },
  { type: "file", path: "/etc/a/b/c3", mode: 0o644, data: Buffer.from("333") },
  { type: "file", path: "/etc/a/b/c4", mode: 0o644, data: Buffer.from("4444") },
  { type: "file", path: "/etc/a/b/c5", mode: 0o4755, data: Buffer.from("55555") },
  { type: "dir", path: "/tmp", mode: 0o1777 },
  { type: "file", path: "/etc-x/ü name", mode: 0o600, data: Buffer.from("unicode\n") },
];

describe("newc writer", () => {
  it("parses back: order, parents first, headers, data, padding", async () => {
    const archive = await collect(writeCpio(entries, { mtime: 1700000000 }));
    const parsed = parseNewc(archive);
    const names = parsed.map((e) => e.name);
    expect(names).toEqual([
      "bin", "bin/sh", "dev", "dev/console", "dev/null", "dev/ram0",
      "etc", "etc/a", "etc/a/b", "etc/a/b/c0", "etc/a/b/c1", "etc/a/b/c2", "etc/a/b/c3", "etc/a/b/c4", "etc/a/b/c5",
      "etc-x", "etc-x/ü name", "init", "tmp",
    ]);
    expect(parsed.map((e) => e.ino)).toEqual(names.map((_, i) => i + 1));
    for (const e of parsed) {
      expect([e.uid, e.gid, e.mtime]).toEqual([0, 0, 1700000000]);
    }
    const by = Object.fromEntries(parsed.map((e) => [e.name, e]));
    expect(by["dev/console"].mode).toBe(0o020600);
    expect([by["dev/console"].rdevmajor, by["dev/console"].rdevminor]).toEqual([5, 1]);
    expect(by["dev/null"].mode).toBe(0o020666);
    expect(by["dev/ram0"].mode).toBe(0o060660);
    expect(by["bin"].mode).toBe(0o040755);
    expect(by["bin"].nlink).toBe(2);
    expect(by["tmp"].mode).toBe(0o041777);
    expect(by["bin/sh"].mode).toBe(0o120777);
    expect(by["bin/sh"].data.toString()).toBe("busybox");
    expect(by["etc/a/b/c5"].mode).toBe(0o104755);
    expect(by["etc/a/b/c3"].data.toString()).toBe("333");
    expect(by["init"].data.equals(big)).toBe(true);
    expect(by["init"].mode).toBe(0o100755);
  });

  it("GNU cpio lists the archive, device nodes as c 5,1 and c 1,3", async () => {
    const archive = join(tmp, "a.cpio");
    writeFileSync(archive, await collect(writeCpio(entries, { mtime: 0 })));
    const listing = execFileSync("cpio", ["-itv", "--quiet", "-F", archive], { encoding: "utf8" });
    expect(listing).toMatch(/^crw------- +1 root +root +5, +1 .* dev\/console$/m);
    expect(listing).toMatch(/^crw-rw-rw- +1 root +root +1, +3 .* dev\/null$/m);
    expect(listing).toMatch(/^brw-rw---- +1 root +root +1, +0 .* dev\/ram0$/m);
    expect(listing).toMatch(/^lrwxrwxrwx .* bin\/sh -> busybox$/m);
    expect(listing).toMatch(/^-rwxr-xr-x +1 root +root +3145731 .* init$/m);
  });

  it("GNU cpio extracts it (as root: real device nodes)", async () => {
    const archive = join(tmp, "b.cpio");
    writeFileSync(archive, await collect(writeCpio(entries, { mtime: 86400 })));
    const dest = mkdtempSync(join(tmp, "x-"));
    execFileSync("cpio", ["-idm", "--quiet", "--no-absolute-filenames", "-F", archive], { cwd: dest });
    expect(readFileSync(join(dest, "init")).equals(big)).toBe(true);
    expect(readlinkSync(join(dest, "bin/sh"))).toBe("busybox");
    expect(readFileSync(join(dest, "etc-x/ü name"), "utf8")).toBe("unicode\n");
    expect(lstatSync(join(dest, "etc/a/b/c5")).mode & 0o7777).toBe(0o4755);
    expect(lstatSync(join(dest, "init")).mtimeMs).toBe(86400_000);
    if (process.getuid?.() === 0) {
      const st = lstatSync(join(dest, "dev/console"));
      expect(st.isCharacterDevice()).toBe(true);
      expect(st.rdev).toBe((5 << 8) | 1);
      expect(lstatSync(join(dest, "dev/null")).rdev).toBe((1 << 8) | 3);
    }
  });

  it("is the same bytes whatever order the entries come in", async () => {
    const a = await collect(writeCpio(entries, { mtime: 5 }));
    const b = await collect(writeCpio([...entries].reverse(), { mtime: 5 }));
    expect(a.equals(b)).toBe(true);
  });

  it("refuses duplicates, non-directory parents, '..', type bits in mode", () => {
    expect(() => planArchive([{ type: "dir", path: "/a", mode: 0o755 }, { type: "dir", path: "a/", mode: 0o700 }])).toThrow(/'\/a': added twice/);
    expect(() => planArchive([{ type: "symlink", path: "/lib", target: "usr/lib" }, { type: "dir", path: "/lib/x", mode: 0o755 }])).toThrow(/parent '\/lib' is a symlink/);
    expect(() => planArchive([{ type: "dir", path: "/a/../b", mode: 0o755 }])).toThrow(/contains '\.\.'/);
    expect(() => planArchive([{ type: "dir", path: "/", mode: 0o755 }])).toThrow(/root itself/);
  });

  it("rejects a mode with file-type bits, and a host file that changed size", async () => {
    await expect(collect(writeCpio([{ type: "file", path: "x", mode: 0o100644, data: Buffer.alloc(1) }], { mtime: 0 }))).rejects.toThrow(/permission bits only/);
    await expect(collect(writeCpio([{ type: "file", path: "init", mode: 0o755, source: hostFile, size: 10 }], { mtime: 0 }))).rejects.toThrow(/changed while archiving/);
  });

  it("sorts parents first in byte order", () => {
    const paths = ["a-b", "a/b", "a", "B", "a/b/c", "ab"];
    expect([...paths].sort(comparePaths)).toEqual(["B", "a", "a/b", "a/b/c", "a-b", "ab"]);
  });

  it("takes mtime from SOURCE_DATE_EPOCH", () => {
    expect(mtimeFromEnv({})).toBe(0);
    expect(mtimeFromEnv({ SOURCE_DATE_EPOCH: "1700000000" })).toBe(1700000000);
    expect(() => mtimeFromEnv({ SOURCE_DATE_EPOCH: "yesterday" })).toThrow(/SOURCE_DATE_EPOCH=yesterday/);
  });
});
