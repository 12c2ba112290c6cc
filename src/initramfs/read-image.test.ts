import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

  it("reads on after a compressed segment: an appended cpio, compressed or not, and its copy of a file wins", async () => {
    const main = await cpio([file("etc/tarboot.conf", "root=http://srv/base.tar.zst\n"), file("init", "x".repeat(300_000))]);
    const site = await cpio([{ type: "dir", path: "etc/tarboot/keys", mode: 0o755 }, file("etc/tarboot/keys/site.pub", "KEY"), file("etc/tarboot.conf", "root=http://srv/site.tar.zst\n")]);
    const dir = mkdtempSync(join(tmpdir(), "tarboot-read-image-"));
    try {
      // gzip(1) on a file writes its name into the header (FNAME), which the member length must skip.
      writeFileSync(join(dir, "main.cpio"), main);
      execFileSync("gzip", ["-k", join(dir, "main.cpio")]);
      const named = readFileSync(join(dir, "main.cpio.gz"));
      expect(named[3] & 8).toBe(8);
      // Multi-block xz (xz -T2 with small blocks): the footer follows the index of all of them.
      const xzBlocks = execFileSync("xz", ["-c", "-T2", "--block-size=65536", "--check=crc32"], { input: main });
      const wanted = (n: string) => n.startsWith("etc/");
      for (const [what, compressed] of [
        ["zstd", zstdCompressSync(main)],
        ["gzip", named],
        ["xz", xzBlocks],
      ] as const) {
        // Zero bytes up to a multiple of 4 (and 4 more), as the kernel wants before a cpio.
        const pad = Buffer.alloc(((4 - (compressed.length % 4)) % 4) + 4);
        for (const appended of [site, zstdCompressSync(site), gzipSync(site)]) {
          const image = Buffer.concat([compressed, pad, appended]);
          const files = readImageFiles(`${what}.img`, wanted, image);
          expect(files.get("etc/tarboot.conf")?.toString(), what).toBe("root=http://srv/site.tar.zst\n");
          expect(files.get("etc/tarboot/keys/site.pub")?.toString(), what).toBe("KEY");
        }
        // `cat image.img site.cpio > node.img` without the padding: a boot would not get that far.
        const unaligned = Buffer.concat([compressed, pad, Buffer.alloc(1)]);
        expect(() => readImageFiles(`${what}.img`, wanted, Buffer.concat([unaligned, site]))).toThrow(
          `${what}.img: a cpio archive starts at byte ${unaligned.length}, not on a 4-byte boundary, and the kernel stops there`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
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
