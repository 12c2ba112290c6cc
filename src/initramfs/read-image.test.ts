import { execFileSync } from "node:child_process";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { type CpioEntry, writeCpio } from "./cpio";
import { readImageFiles } from "./read-image";

async function cpio(entries: CpioEntry[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of writeCpio(entries, { mtime: 0 })) parts.push(p);
  return Buffer.concat(parts);
}

const file = (path: string, text: string): CpioEntry => ({ type: "file", path, mode: 0o644, data: Buffer.from(text) });

describe("readImageFiles", () => {
  it("reads an uncompressed segment (early microcode) and the compressed one after it, in zstd, gzip and xz", async () => {
    const early = await cpio([{ type: "dir", path: "kernel", mode: 0o755 }, file("kernel/x86/microcode/GenuineIntel.bin", "ucode")]);
    const main = await cpio([
      { type: "dir", path: "etc", mode: 0o755 },
      file("etc/tarboot.conf", "root=http://srv/base.tar.zst\n"),
      { type: "symlink", path: "etc/tarboot.link", target: "tarboot.conf" },
      file("init", "x".repeat(5000)),
    ]);
    const wanted = (n: string) => n.startsWith("etc/") || n.startsWith("kernel/");
    for (const compressed of [zstdCompressSync(main), gzipSync(main), execFileSync("xz", ["-c", "--check=crc32"], { input: main })]) {
      // The kernel allows zero padding between segments.
      const image = Buffer.concat([early, Buffer.alloc(8), compressed]);
      const files = readImageFiles("test.img", wanted, image);
      expect([...files.keys()]).toEqual(["kernel/x86/microcode/GenuineIntel.bin", "etc/tarboot.conf"]);
      expect(files.get("etc/tarboot.conf")?.toString()).toBe("root=http://srv/base.tar.zst\n");
    }
  });

  it("names what it cannot read", async () => {
    const main = await cpio([file("etc/tarboot.conf", "root=http://srv/a.tar\n")]);
    expect(() => readImageFiles("bad.img", () => true, Buffer.from("PK\u0003\u0004zipzip"))).toThrow(
      "bad.img: neither a newc cpio nor zstd, gzip or xz at this point (starts with 504b03047a69707a)",
    );
    expect(() => readImageFiles("cut.img", () => true, main.subarray(0, 150))).toThrow(/^cut\.img: /);
  });
});
